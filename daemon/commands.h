/* Entry points of the `weftd` subcommands that live in this folder; the
 * gateway's and the executor's are declared by api/gateway.h and
 * executor/executor.h. */
#ifndef WF_DAEMON_COMMANDS_H
#define WF_DAEMON_COMMANDS_H

int wf_check_config_main(int argc, char **argv); /* weftd/check_config.c */
int wf_sandbox_main(int argc, char **argv);      /* weftd/sandbox_cmd.c */
int wf_migrate_main(int argc, char **argv);      /* weftd/migrate_cmd.c */
int wf_up_main(int argc, char **argv);           /* weftd/up.c */
int wf_keygen_main(int argc, char **argv);       /* weftd/keygen.c */
int wf_audit_main(int argc, char **argv);        /* weftd/audit_cmd.c */

#endif
