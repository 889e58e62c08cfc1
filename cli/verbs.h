/* The `weft` command tree: cli/weft.c declares the top level; the verbs of
 * each group are a table in the group's cli/ module. */
#ifndef WF_CLI_VERBS_H
#define WF_CLI_VERBS_H

#include "cli/verb.h"
#include "platform/cmd.h"

/* Verbs of their own. */
int weft_flow_validate_main(int argc, char **argv); /* cli/flow_validate.c (`flow validate`) */
int weft_expr_main(int argc, char **argv);          /* cli/expr_eval.c: `weft expr eval` */
int weft_login_main(int argc, char **argv);         /* cli/v_login.c */
int weft_run_main(int argc, char **argv);           /* cli/v_exec.c */
int weft_logs_main(int argc, char **argv);          /* cli/v_exec.c */

/* `weft execution files` and `download` (cli/v_exfiles.c). */
extern const weft_verb_t weft_exec_files_verb;
extern const weft_verb_t weft_exec_download_verb;

/* Groups: `weft GROUP VERB ...`. */
extern const wf_cmd_t weft_context_commands[];   /* cli/v_login.c */
extern const wf_cmd_t weft_flow_commands[];      /* cli/v_flow.c */
extern const wf_cmd_t weft_execution_commands[]; /* cli/v_exec.c */
extern const wf_cmd_t weft_sa_commands[];        /* cli/v_access.c */
extern const wf_cmd_t weft_rbac_commands[];      /* cli/v_access.c */
extern const wf_cmd_t weft_auth_commands[];      /* cli/v_access.c */
extern const wf_cmd_t weft_secret_commands[];    /* cli/v_secret.c */
extern const wf_cmd_t weft_kv_commands[];        /* cli/v_kv.c */
extern const wf_cmd_t weft_nsfile_commands[];    /* cli/v_nsfile.c */
extern const wf_cmd_t weft_grant_commands[];     /* cli/v_grant.c */
extern const wf_cmd_t weft_audit_commands[];     /* cli/v_audit.c */
extern const wf_cmd_t weft_policy_commands[];    /* cli/v_policy.c */

#endif
