#include "platform/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Logging state is per process and set once at start-up by the role's entry. */
static char log_role[64] = "weft";
static wf_log_level_t log_min = WF_LOG_INFO;
static int log_json;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int wf_log_level_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return (int)i;
    return -1;
}

void wf_log_init(const char *role, wf_log_level_t min_level, int json)
{
    snprintf(log_role, sizeof(log_role), "%s", role);
    log_min = min_level;
    log_json = json;
    const char *env = getenv("WEFT_LOG_LEVEL");
    int parsed;
    if (env != NULL && (parsed = wf_log_level_parse(env)) >= 0)
        log_min = (wf_log_level_t)parsed;
    env = getenv("WEFT_LOG_FORMAT");
    if (env != NULL)
        log_json = strcmp(env, "json") == 0;
}

static void json_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
}

void wf_vlog(wf_log_level_t level, const char *fmt, va_list ap)
{
    if (level < log_min)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%03ldZ", ts.tv_nsec / 1000000);
    /* One fprintf per line under the stdio lock keeps lines whole when
     * several threads or supervised children share the terminal. */
    flockfile(stderr);
    if (log_json) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"role\":\"", when, level_names[level]);
        json_escape(stderr, log_role);
        fputs("\",\"pid\":", stderr);
        fprintf(stderr, "%d,\"msg\":\"", (int)getpid());
        json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s %-5s %s[%d]: %s\n", when, level_names[level], log_role, (int)getpid(),
                msg);
    }
    funlockfile(stderr);
}

void wf_log(wf_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wf_vlog(level, fmt, ap);
    va_end(ap);
}

void wf_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wf_vlog(WF_LOG_ERROR, fmt, ap);
    va_end(ap);
    exit(1);
}
