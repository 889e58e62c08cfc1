/* Entry points of the `weftd` subcommands; each lives in its role's module. */
#ifndef WF_ROLES_H
#define WF_ROLES_H

int wf_check_config_main(int argc, char **argv); /* platform/check_config.c */
int wf_keygen_main(int argc, char **argv);       /* tenants/keygen.c */

#endif
