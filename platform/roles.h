/* Entry points of the `weftd` subcommands; each lives in its role's module. */
#ifndef WF_ROLES_H
#define WF_ROLES_H

int wf_check_config_main(int argc, char **argv); /* platform/check_config.c */
int wf_sandbox_main(int argc, char **argv);      /* sandbox/sandbox_main.c */

#endif
