/* weft: the command-line client. One verb per row of the table below. */
#include "cli/verbs.h"
#include "platform/cmd.h"

static const wf_cmd_t weft_commands[] = {
    {"login", weft_login_main, "save a server URL and token as a context (token from stdin)"},
    {"context", weft_context_main, "list, switch or delete saved contexts"},
    {"me", weft_me_main, "who am I: subject, groups, roles"},
    {"flow", weft_flows_main, "validate, apply, get, list, delete flows; revisions"},
    {"run", weft_run_main, "start an execution (--wait, --follow)"},
    {"execution", weft_execution_main, "list, get, kill, restart, resume executions"},
    {"logs", weft_logs_main, "print or follow an execution's logs"},
    {"sa", weft_sa_main, "service accounts and their tokens"},
    {"rbac", weft_rbac_main, "role bindings: bind, unbind, list"},
    {"auth", weft_auth_main, "explain an authorization decision (can-i)"},
    {"secret", weft_secret_main, "set (from stdin), list, delete namespace secrets"},
    {"grant", weft_grant_main, "cross-team grants: create, list, revoke"},
    {"audit", weft_audit_main, "list the audit log (auditors, platform-admins, namespace admins)"},
    {"policy", weft_policy_main, "get and set governance policies of namespace prefixes"},
    {"expr", weft_expr_main, "try an expression offline (expr eval 'EXPR' [--vars FILE.json])"},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return wf_cmd_dispatch("weft", "Weft client: apply flows, run executions, manage access.",
                           weft_commands, argc, argv);
}
