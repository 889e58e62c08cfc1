/* `weftd check-config FILE`: validates a weft.yaml and reports every problem
 * at FILE:LINE:COL, as text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/cmdline.h"
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
    const wf_cmdline_opt_t opts[] = {WF_CMDLINE_STRING("format", 'f', &format), WF_CMDLINE_END};
    int rc = wf_cmdline_parse(argc, argv, opts, check_config_usage, 1);
    if (rc != WF_CMDLINE_GO)
        return rc;
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        check_config_usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    wf_config_t cfg;
    wf_diags_t diags;
    wf_config_defaults(&cfg);
    wf_diags_init(&diags, path);
    rc = wf_config_load(&cfg, path, &diags);
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
