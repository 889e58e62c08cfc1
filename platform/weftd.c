/* weftd: the daemon binary. One role per subcommand (see platform/roles.h). */
#include "platform/cmd.h"
#include "platform/roles.h"

static const wf_cmd_t weftd_commands[] = {
    {"check-config", wf_check_config_main, "validate a weft.yaml and exit 0 (valid) or 1"},
    {"keygen", wf_keygen_main, "create a domain's sealing key file and print its public key"},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return wf_cmd_dispatch("weftd", "Weft daemon: the gateway, executors and embedded platform.",
                           weftd_commands, argc, argv);
}
