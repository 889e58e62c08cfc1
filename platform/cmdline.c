#include "platform/cmdline.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "platform/log.h"
#include "platform/xmalloc.h"

/* Enough for every command; a longer table is a programming error. */
#define CMDLINE_MAX_OPTS 16

/* getopt_long's answer for row `i`: its letter, or a value past any char
 * for a long-only option. */
static int opt_code(const wf_cmdline_opt_t *o, size_t i)
{
    return o->letter != 0 ? (unsigned char)o->letter : 256 + (int)i;
}

int wf_cmdline_parse(int argc, char **argv, const wf_cmdline_opt_t *opts, void (*usage)(FILE *),
                     int nargs)
{
    struct option longopts[CMDLINE_MAX_OPTS + 2];
    char shortopts[2 * CMDLINE_MAX_OPTS + 2];
    size_t n = 0, k = 0;
    for (; opts[n].name != NULL; n++) {
        if (n == CMDLINE_MAX_OPTS)
            wf_fatal("%s: more than %d options", argv[0], CMDLINE_MAX_OPTS);
        longopts[n] =
            (struct option){opts[n].name, opts[n].str != NULL ? required_argument : no_argument,
                            NULL, opt_code(&opts[n], n)};
        if (opts[n].letter != 0) {
            shortopts[k++] = opts[n].letter;
            if (opts[n].str != NULL)
                shortopts[k++] = ':';
        }
    }
    longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
    shortopts[k++] = 'h';
    shortopts[k] = '\0';

    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        size_t i = 0;
        while (i < n && opt_code(&opts[i], i) != c)
            i++;
        if (i == n) { /* getopt_long has said what was wrong */
            usage(stderr);
            return 2;
        }
        if (opts[i].str != NULL)
            *opts[i].str = optarg;
        else
            *opts[i].flag = true;
    }
    if (nargs != WF_CMDLINE_ANY_ARGS && argc - optind != nargs) {
        usage(stderr);
        return 2;
    }
    return WF_CMDLINE_GO;
}

void wf_cmdline_log_init(const char *role, const wf_config_t *cfg)
{
    /* The loader accepts only known levels and formats; the fallbacks are
     * for a configuration built by hand. */
    int level = cfg->log.level != NULL ? wf_log_level_parse(cfg->log.level) : -1;
    wf_log_init(role, level < 0 ? WF_LOG_INFO : (wf_log_level_t)level,
                cfg->log.format != NULL && strcmp(cfg->log.format, "json") == 0);
}

void wf_cmdline_override(char **field, const char *value)
{
    if (value == NULL)
        return;
    free(*field);
    *field = wf_xstrdup(value);
}
