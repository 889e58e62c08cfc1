/* Entry points of the `weftd` subcommands; each lives in its role's module. */
#ifndef WF_ROLES_H
#define WF_ROLES_H

#include "platform/config.h"

int wf_check_config_main(int argc, char **argv); /* platform/check_config.c */
int wf_sandbox_main(int argc, char **argv);      /* sandbox/sandbox_main.c */
int wf_migrate_main(int argc, char **argv);      /* platform/migrate_cmd.c */
int wf_up_main(int argc, char **argv);           /* platform/up.c */
int wf_keygen_main(int argc, char **argv);       /* tenants/keygen.c */
int wf_gateway_main(int argc, char **argv);      /* api/gateway.c */
int wf_audit_main(int argc, char **argv);        /* tenants/audit_cmd.c */
int wf_executor_main(int argc, char **argv);     /* platform/executor.c */

/* Loads FILE (or only defaults when NULL) and applies the environment
 * overrides; prints positioned errors and returns -1 when invalid. */
int wf_load_config_or_exit(wf_config_t *cfg, const char *path);

#endif
