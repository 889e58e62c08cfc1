#include "executor/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"

typedef struct field {
    const char *what;
    int lo, hi;
    const char *const *names; /* index = value - lo, or NULL */
} field_t;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const field_t fields[] = {
    {"second", 0, 59, NULL},       {"minute", 0, 59, NULL},       {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL}, {"month", 1, 12, month_names}, {"day of week", 0, 7, day_names},
};

static const struct {
    const char *name, *expr;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

static int value_of(const field_t *f, const char *s, size_t n, int *out)
{
    if (n == 0)
        return -1;
    if (f->names && isalpha((unsigned char)s[0])) {
        for (int i = 0; f->names[i]; i++)
            if (n == 3 && strncasecmp(s, f->names[i], 3) == 0) {
                *out = f->lo + i;
                return 0;
            }
        return -1;
    }
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) || v > 1000)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < f->lo || v > f->hi)
        return -1;
    *out = v;
    return 0;
}

/* One field: comma list of `*`, `?`, N, N-M, each with an optional /STEP. */
static int parse_field(const field_t *f, const char *s, uint64_t *bits, bool *any, char *err,
                       size_t len)
{
    *bits = 0;
    *any = strcmp(s, "*") == 0 || strcmp(s, "?") == 0;
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *slash = memchr(p, '/', n);
        size_t rn = slash ? (size_t)(slash - p) : n;
        int lo, hi, step = 1;
        if ((rn == 1 && (p[0] == '*' || p[0] == '?'))) {
            lo = f->lo;
            hi = f->hi;
        } else {
            const char *dash = memchr(p, '-', rn);
            if (dash) {
                if (value_of(f, p, (size_t)(dash - p), &lo) ||
                    value_of(f, dash + 1, rn - (size_t)(dash - p) - 1, &hi) || hi < lo)
                    goto bad;
            } else {
                if (value_of(f, p, rn, &lo))
                    goto bad;
                hi = slash ? f->hi : lo;
            }
        }
        if (slash) {
            int v;
            field_t any_num = {f->what, 1, 1000, NULL};
            if (value_of(&any_num, slash + 1, n - rn - 1, &v))
                goto bad;
            step = v;
        }
        for (int v = lo; v <= hi; v += step)
            *bits |= 1ull << v;
        p = end ? end + 1 : p + n;
    }
    if (*bits == 0)
        goto bad;
    return 0;
bad:
    snprintf(err, len, "invalid %s field \"%s\"", f->what, s);
    return -1;
}

int wf_xcron_parse(wf_xcron_t *c, const char *expr, bool with_seconds, char *err, size_t len)
{
    memset(c, 0, sizeof(*c));
    char buf[256];
    const char *src = expr;
    while (*src == ' ')
        src++;
    for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
        if (strcmp(src, macros[i].name) == 0) {
            src = macros[i].expr;
            with_seconds = false;
        }
    if (with_seconds)
        snprintf(buf, sizeof(buf), "%s", src);
    else
        snprintf(buf, sizeof(buf), "0 %s", src);
    char *parts[7];
    int n = 0;
    for (char *tok = strtok(buf, " \t"); tok && n < 7; tok = strtok(NULL, " \t"))
        parts[n++] = tok;
    if (n != 6) {
        snprintf(err, len, "expected %d fields", with_seconds ? 6 : 5);
        return -1;
    }
    uint64_t bits[6];
    bool any[6];
    for (int i = 0; i < 6; i++)
        if (parse_field(&fields[i], parts[i], &bits[i], &any[i], err, len) != 0)
            return -1;
    c->sec = bits[0];
    c->min = bits[1];
    c->hour = (uint32_t)bits[2];
    c->dom = (uint32_t)bits[3];
    c->month = (uint16_t)bits[4];
    /* 7 is Sunday too. */
    c->dow = (uint8_t)((bits[5] | (bits[5] >> 7)) & 0x7f);
    c->dom_any = any[3];
    c->dow_any = any[5];
    return 0;
}

static bool day_matches(const wf_xcron_t *c, const struct tm *tm)
{
    bool dom = (c->dom >> tm->tm_mday) & 1, dow = (c->dow >> tm->tm_wday) & 1;
    /* Vixie cron: when both are restricted, either may match. */
    if (c->dom_any && c->dow_any)
        return true;
    if (c->dom_any)
        return dow;
    if (c->dow_any)
        return dom;
    return dom || dow;
}

/* Local time in `tz` through TZ: the executor's loop is single-threaded and
 * nothing else in the process reads local time meanwhile. */
static void set_tz(const char *tz, char **saved)
{
    const char *old = getenv("TZ");
    *saved = old ? wf_xstrdup(old) : NULL;
    setenv("TZ", tz && *tz ? tz : "UTC", 1);
    tzset();
}

static void restore_tz(char *saved)
{
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

/* UTC needs no zone data: the arithmetic of gmtime_r and timegm, with TZ
 * left alone (a switch of TZ makes the C library read the zone files again,
 * once for the zone and once more when it is put back). */
static bool is_utc(const char *tz)
{
    return tz == NULL || *tz == '\0' || strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0;
}

static time_t next_fire(const wf_xcron_t *c, time_t after, bool utc)
{
    time_t t = after + 1, limit = after + 5 * 366 * 86400LL;
    struct tm tm;
    while (t <= limit) {
        if (utc)
            gmtime_r(&t, &tm);
        else
            localtime_r(&t, &tm);
        if (!((c->month >> (tm.tm_mon + 1)) & 1)) {
            tm.tm_mon++;
            tm.tm_mday = 1;
            tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        } else if (!day_matches(c, &tm)) {
            tm.tm_mday++;
            tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        } else if (!((c->hour >> tm.tm_hour) & 1)) {
            tm.tm_hour++;
            tm.tm_min = tm.tm_sec = 0;
        } else if (!((c->min >> tm.tm_min) & 1)) {
            tm.tm_min++;
            tm.tm_sec = 0;
        } else if (!((c->sec >> tm.tm_sec) & 1)) {
            tm.tm_sec++;
        } else {
            return t;
        }
        tm.tm_isdst = -1;
        time_t nt = utc ? timegm(&tm) : mktime(&tm);
        /* A DST gap can map back to the same instant: step forward anyway. */
        t = nt > t ? nt : t + 1;
    }
    return -1;
}

time_t wf_xcron_next(const wf_xcron_t *c, time_t after, const char *tz)
{
    if (is_utc(tz))
        return next_fire(c, after, true);
    char *saved;
    set_tz(tz, &saved);
    time_t res = next_fire(c, after, false);
    restore_tz(saved);
    return res;
}

int32_t wf_xcron_utc_offset(time_t t, const char *tz)
{
    if (is_utc(tz))
        return 0;
    char *saved;
    struct tm tm;
    set_tz(tz, &saved);
    localtime_r(&t, &tm);
    restore_tz(saved);
    return (int32_t)tm.tm_gmtoff;
}
