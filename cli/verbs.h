/* Entry points of the `weft` verbs; each lives in its own cli/ module. */
#ifndef WF_CLI_VERBS_H
#define WF_CLI_VERBS_H

int weft_flow_validate_main(int argc, char **argv); /* cli/flow_validate.c */
int weft_expr_main(int argc, char **argv);          /* cli/expr_eval.c: `weft expr eval` */
int weft_flows_main(int argc, char **argv);         /* cli/v_flow.c: `weft flow ...` (all verbs) */
int weft_login_main(int argc, char **argv);         /* cli/v_login.c */
int weft_context_main(int argc, char **argv);       /* cli/v_login.c */
int weft_me_main(int argc, char **argv);            /* cli/v_login.c */
int weft_run_main(int argc, char **argv);           /* cli/v_exec.c */
int weft_execution_main(int argc, char **argv);     /* cli/v_exec.c */
int weft_logs_main(int argc, char **argv);          /* cli/v_exec.c */
int weft_sa_main(int argc, char **argv);            /* cli/v_access.c */
int weft_rbac_main(int argc, char **argv);          /* cli/v_access.c */
int weft_auth_main(int argc, char **argv);          /* cli/v_access.c */
int weft_secret_main(int argc, char **argv);        /* cli/v_secret.c */
int weft_grant_main(int argc, char **argv);         /* cli/v_grant.c */
int weft_audit_main(int argc, char **argv);         /* cli/v_audit.c */
int weft_policy_main(int argc, char **argv);        /* cli/v_policy.c */

#endif
