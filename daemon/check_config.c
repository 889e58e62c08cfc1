#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/cmd.h"
#include "platform/config.h"
#include "daemon/commands.h"

static void check_config_usage(FILE *out)
{
    fprintf(out, "usage: weftd check-config [--format text|json] FILE\n\n"
                 "Validates FILE as weft.yaml: every unknown key, wrong type or missing value is\n"
                 "reported as FILE:LINE:COL. Exit status 0 when valid, 1 when not, 2 on usage "
                 "errors.\n\nkeys:\n");
    wf_config_print_reference(out);
}

int wf_check_config_main(int argc, char **argv)
{
    const char *format = "text";
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'h':
            check_config_usage(stdout);
            return 0;
        default:
            check_config_usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc || (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)) {
        check_config_usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    wf_config_t cfg;
    wf_diags_t diags;
    wf_config_defaults(&cfg);
    wf_diags_init(&diags, path);
    int rc = wf_config_load(&cfg, path, &diags);
    if (strcmp(format, "json") == 0) {
        json_t *arr = wf_diags_to_json(&diags);
        char *s = json_dumps(arr, JSON_INDENT(2));
        puts(s);
        free(s);
        json_decref(arr);
    } else if (rc != 0) {
        wf_diags_print(&diags, stderr);
    } else {
        printf("%s: ok (%zu domain%s)\n", path, cfg.n_domains, cfg.n_domains == 1 ? "" : "s");
    }
    wf_diags_dispose(&diags);
    wf_config_dispose(&cfg);
    return rc == 0 ? 0 : 1;
}
