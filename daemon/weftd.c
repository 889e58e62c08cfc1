/* weftd: the daemon binary. One role per subcommand (see daemon/commands.h). */
#include "platform/cmd.h"
#include "api/gateway.h"
#include "executor/executor.h"
#include "daemon/commands.h"

static const wf_cmd_t weftd_commands[] = {
    WF_CMD("check-config", wf_check_config_main, "validate a weft.yaml and exit 0 (valid) or 1"),
    WF_CMD("sandbox", wf_sandbox_main, "run one command in a task sandbox, as the executor would"),
    WF_CMD("gateway", wf_gateway_main, "serve the REST API (h2o, one event loop per core)"),
    WF_CMD("executor", wf_executor_main, "run one executor replica of a domain (--domain NAME)"),
    WF_CMD("up", wf_up_main, "run the platform here: embedded PostgreSQL, gateway, executors"),
    WF_CMD("migrate", wf_migrate_main, "apply pending database migrations and exit"),
    WF_CMD("keygen", wf_keygen_main, "create a domain's sealing key file and print its public key"),
    WF_CMD("audit", wf_audit_main, "audit log tools: verify the hash chain"),
    WF_CMD_END,
};

int main(int argc, char **argv)
{
    return wf_cmd_dispatch("weftd", "Weft daemon: the gateway, executors and embedded platform.",
                           weftd_commands, argc, argv);
}
