/* weft: the command-line client. One verb per row of the table below. */
#include "platform/cmd.h"

static const wf_cmd_t weft_commands[] = {
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return wf_cmd_dispatch("weft", "Weft client: apply flows, run executions, manage access.",
                           weft_commands, argc, argv);
}
