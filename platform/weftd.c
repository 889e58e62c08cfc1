/* weftd: the daemon binary. One role per subcommand (see platform/roles.h). */
#include "platform/cmd.h"
#include "platform/roles.h"

static const wf_cmd_t weftd_commands[] = {
    {"check-config", wf_check_config_main, "validate a weft.yaml and exit 0 (valid) or 1"},
    {"sandbox", wf_sandbox_main, "run one command in a task sandbox, as the executor would"},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return wf_cmd_dispatch("weftd", "Weft daemon: the gateway, executors and embedded platform.",
                           weftd_commands, argc, argv);
}
