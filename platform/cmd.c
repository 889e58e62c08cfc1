#include "platform/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"
#include "weft_config.h"

void wf_cmd_print_version(const char *prog)
{
    printf("%s %s\n", prog, PACKAGE_VERSION);
}

int wf_cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

static void usage(FILE *out, const char *prog, const char *about, const wf_cmd_t *table)
{
    fprintf(out, "usage: %s COMMAND [OPTIONS]\n\n%s\n\ncommands:\n", prog, about);
    for (const wf_cmd_t *c = table; c->name != NULL; c++)
        fprintf(out, "  %-14s %s\n", c->name, c->summary);
    fprintf(out, "\n'%s COMMAND --help' describes a command. '%s --version' prints the version.\n",
            prog, prog);
}

/* Runs row `c` with argv[0] its name. */
static int run_row(const char *prog, const wf_cmd_t *c, int argc, char **argv)
{
    if (c->run != NULL)
        return c->run(argc, argv);
    char *path = wf_xasprintf("%s %s", prog, c->name);
    int rc = c->sub != NULL ? wf_cmd_dispatch(path, c->about, c->sub, argc, argv)
                            : c->run_with(c->data, path, argc, argv);
    free(path);
    return rc;
}

int wf_cmd_dispatch(const char *prog, const char *about, const wf_cmd_t *table, int argc,
                    char **argv)
{
    if (argc < 2) {
        usage(stderr, prog, about, table);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout, prog, about, table);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        wf_cmd_print_version(prog);
        return 0;
    }
    for (const wf_cmd_t *c = table; c->name != NULL; c++)
        if (strcmp(c->name, name) == 0)
            return run_row(prog, c, argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n", prog, name);
    usage(stderr, prog, about, table);
    return 2;
}
