/* weft: the command-line client. The whole command tree starts here: one row
 * per verb or group of verbs (whose tables live in their cli/ modules). */
#include "cli/verbs.h"
#include "platform/cmd.h"

static const wf_cmd_t weft_commands[] = {
    WF_CMD("login", weft_login_main, "save a server URL and token as a context (token from stdin)"),
    WF_CMD_GROUP("context", weft_context_commands, "list, switch or delete saved contexts",
                 "Saved connections (server URL + token)."),
    WEFT_SIMPLE("me", "who am I: subject, groups, roles"),
    WF_CMD_GROUP("flow", weft_flow_commands, "validate, apply, get, list, delete flows; revisions",
                 "Work with flows."),
    WF_CMD("run", weft_run_main, "start an execution (--wait, --follow)"),
    WF_CMD_GROUP("execution", weft_execution_commands,
                 "list, get, kill, restart, resume executions", "Executions of flows."),
    WF_CMD("logs", weft_logs_main, "print or follow an execution's logs"),
    WF_CMD_GROUP("sa", weft_sa_commands, "service accounts and their tokens",
                 "Service accounts (for CI pipelines and automation)."),
    WF_CMD_GROUP("rbac", weft_rbac_commands, "role bindings: bind, unbind, list",
                 "Role bindings (deny by default)."),
    WF_CMD_GROUP("auth", weft_auth_commands, "explain an authorization decision (can-i)",
                 "Authorization questions."),
    WF_CMD_GROUP("secret", weft_secret_commands, "set (from stdin), list, delete namespace secrets",
                 "Write-only secrets of a namespace."),
    WF_CMD_GROUP("kv", weft_kv_commands, "namespace key-value store: get, set, ls, rm",
                 "The key-value store of a namespace (flows read it with kv())."),
    WF_CMD_GROUP("nsfile", weft_nsfile_commands, "namespace files: put, get, ls, rm",
                 "The files of a namespace (tasks see them with namespaceFiles)."),
    WF_CMD_GROUP("grant", weft_grant_commands, "cross-team grants: create, list, revoke",
                 "Cross-team grants of a producer namespace."),
    WF_CMD_GROUP("audit", weft_audit_commands,
                 "list the audit log (auditors, platform-admins, namespace admins)",
                 "The append-only, hash-chained audit log."),
    WF_CMD_GROUP("policy", weft_policy_commands,
                 "get and set governance policies of namespace prefixes",
                 "Governance policies of namespace prefixes."),
    WF_CMD("expr", weft_expr_main,
           "try an expression offline (expr eval 'EXPR' [--vars FILE.json])"),
    WF_CMD_END,
};

int main(int argc, char **argv)
{
    return wf_cmd_dispatch("weft", "Weft client: apply flows, run executions, manage access.",
                           weft_commands, argc, argv);
}
