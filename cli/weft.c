/* weft: the command-line client. One verb per row of the table below. */
#include "cli/verbs.h"
#include "platform/cmd.h"

static const wf_cmd_t weft_commands[] = {
    {"flow", weft_flow_main, "work with flow files (validate)"},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return wf_cmd_dispatch("weft", "Weft client: apply flows, run executions, manage access.",
                           weft_commands, argc, argv);
}
