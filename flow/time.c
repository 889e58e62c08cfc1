#include "flow/time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Reads an unsigned decimal number; returns the digits consumed (0 = none).
 * Saturates instead of overflowing so "P99999999999999999999D" is an error,
 * not undefined behaviour. */
static size_t read_uint(const char *s, int64_t *out, bool *overflow)
{
    size_t n = 0;
    int64_t v = 0;
    while (isdigit((unsigned char)s[n])) {
        if (v > (INT64_MAX - 9) / 10)
            *overflow = true;
        else
            v = v * 10 + (s[n] - '0');
        n++;
    }
    *out = v;
    return n;
}

int wf_duration_parse(const char *s, int64_t *ms, char *msg, size_t msglen)
{
    static const struct {
        char unit;
        int64_t ms;
        bool time_part;
    } units[] = {
        {'D', 86400000, false},
        {'H', 3600000, true},
        {'M', 60000, true},
        {'S', 1000, true},
    };
    const char *p = s;
    int64_t total = 0;
    bool overflow = false, in_time = false, any = false;
    size_t next_unit = 0;
    if (*p == '-' || *p == '+') {
        snprintf(msg, msglen, "'%s' is not a valid duration: negative or signed durations are not "
                              "allowed", s);
        return -1;
    }
    if (*p != 'P' && *p != 'p')
        goto bad;
    p++;
    while (*p != '\0') {
        if ((*p == 'T' || *p == 't') && !in_time) {
            in_time = true;
            p++;
            if (*p == '\0')
                goto bad;
            continue;
        }
        int64_t whole = 0, frac_ms = 0;
        size_t n = read_uint(p, &whole, &overflow);
        if (n == 0)
            goto bad;
        p += n;
        bool has_frac = false;
        if (*p == '.' || *p == ',') {
            p++;
            size_t digits = 0;
            int64_t scale = 100;
            while (isdigit((unsigned char)*p)) {
                if (digits < 3)
                    frac_ms += (*p - '0') * scale;
                scale /= 10;
                digits++;
                p++;
            }
            if (digits == 0 || digits > 9)
                goto bad;
            has_frac = true;
        }
        char unit = (char)toupper((unsigned char)*p);
        size_t u = 0;
        while (u < sizeof(units) / sizeof(units[0]) && units[u].unit != unit)
            u++;
        /* Units must appear once each, in order, on the right side of 'T';
         * Java's grammar allows a fraction on seconds only. */
        if (u == sizeof(units) / sizeof(units[0]) || units[u].time_part != in_time ||
            u < next_unit || (has_frac && unit != 'S'))
            goto bad;
        next_unit = u + 1;
        if (whole > INT64_MAX / units[u].ms - 1)
            overflow = true;
        else
            total += whole * units[u].ms + frac_ms;
        any = true;
        p++;
    }
    if (!any)
        goto bad;
    if (overflow || total < 0) {
        snprintf(msg, msglen, "'%s' is not a valid duration: too large", s);
        return -1;
    }
    *ms = total;
    return 0;
bad:
    snprintf(msg, msglen,
             "'%s' is not a valid ISO-8601 duration (expected a form such as PT30S, PT5M, "
             "PT1H30M or P1D)",
             s);
    return -1;
}

/* ---- cron -------------------------------------------------------------- */

typedef struct {
    const char *name;
    int min, max;
    const char *const *names; /* symbolic values starting at `names_base`, or NULL */
    int names_base;
} cron_field_t;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const cron_field_t cron_fields[] = {
    {"second", 0, 59, NULL, 0},
    {"minute", 0, 59, NULL, 0},
    {"hour", 0, 23, NULL, 0},
    {"day of month", 1, 31, NULL, 0},
    {"month", 1, 12, month_names, 1},
    {"day of week", 0, 7, day_names, 0},
};

static const char *const cron_macros[] = {"@yearly", "@annually", "@monthly", "@weekly",
                                          "@daily",  "@midnight", "@hourly"};

/* Reads one value of a field: a number or a symbolic name. */
static int cron_value(const cron_field_t *f, const char **pp, int *out)
{
    const char *p = *pp;
    if (isdigit((unsigned char)*p)) {
        int64_t v;
        bool overflow = false;
        size_t n = read_uint(p, &v, &overflow);
        if (overflow || v > 1000)
            v = 1000;
        *out = (int)v;
        *pp = p + n;
        return 0;
    }
    if (f->names != NULL) {
        for (int i = 0; f->names[i] != NULL; i++) {
            if (strncasecmp(p, f->names[i], 3) == 0 && !isalpha((unsigned char)p[3])) {
                *out = i + f->names_base;
                *pp = p + 3;
                return 0;
            }
        }
    }
    return -1;
}

static int cron_check_field(const cron_field_t *f, const char *text, size_t len, char *msg,
                            size_t msglen)
{
    char buf[128];
    if (len >= sizeof(buf)) {
        snprintf(msg, msglen, "%s field is too long", f->name);
        return -1;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    const char *p = buf;
    for (;;) {
        int lo = f->min, hi = f->max;
        bool star = false;
        if (*p == '*' || (*p == '?' && (f == &cron_fields[3] || f == &cron_fields[5]))) {
            star = true;
            p++;
        } else {
            if (cron_value(f, &p, &lo) < 0)
                goto bad;
            hi = lo;
            if (*p == '-') {
                p++;
                if (cron_value(f, &p, &hi) < 0)
                    goto bad;
            }
            if (lo < f->min || lo > f->max || hi < f->min || hi > f->max) {
                snprintf(msg, msglen, "%s value %d out of range %d-%d", f->name,
                         lo < f->min || lo > f->max ? lo : hi, f->min, f->max);
                return -1;
            }
            if (hi < lo) {
                snprintf(msg, msglen, "%s range %d-%d is reversed", f->name, lo, hi);
                return -1;
            }
        }
        if (*p == '/') {
            p++;
            int64_t step;
            bool overflow = false;
            size_t n = read_uint(p, &step, &overflow);
            if (n == 0)
                goto bad;
            p += n;
            if (overflow || step == 0 || step > f->max - f->min + 1) {
                snprintf(msg, msglen, "%s step %lld out of range 1-%d", f->name,
                         overflow ? 0LL : (long long)step, f->max - f->min + 1);
                return -1;
            }
        }
        (void)star;
        if (*p == '\0')
            return 0;
        if (*p != ',')
            goto bad;
        p++;
    }
bad:
    snprintf(msg, msglen, "%s field '%s' is not valid", f->name, buf);
    return -1;
}

int wf_cron_check(const char *expr, bool with_seconds, char *msg, size_t msglen)
{
    char why[160];
    const char *p = expr;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '@') {
        size_t len = strcspn(p, " \t");
        const char *rest = p + len;
        while (*rest == ' ' || *rest == '\t')
            rest++;
        for (size_t i = 0; i < sizeof(cron_macros) / sizeof(cron_macros[0]); i++)
            if (strlen(cron_macros[i]) == len && strncasecmp(p, cron_macros[i], len) == 0 &&
                *rest == '\0')
                return 0;
        snprintf(msg, msglen,
                 "invalid cron expression '%s': unknown macro (use @hourly, @daily, @midnight, "
                 "@weekly, @monthly, @yearly or @annually)",
                 expr);
        return -1;
    }
    const char *starts[8];
    size_t lens[8];
    size_t n = 0;
    while (*p != '\0') {
        if (n == 8)
            break;
        starts[n] = p;
        lens[n] = strcspn(p, " \t");
        p += lens[n];
        n++;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    size_t want = with_seconds ? 6 : 5;
    if (n != want || *p != '\0') {
        snprintf(msg, msglen, "invalid cron expression '%s': expected %zu fields (%s), got %s%zu",
                 expr, want,
                 with_seconds ? "second minute hour day-of-month month day-of-week"
                              : "minute hour day-of-month month day-of-week",
                 *p != '\0' ? "more than " : "", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const cron_field_t *f = &cron_fields[with_seconds ? i : i + 1];
        if (cron_check_field(f, starts[i], lens[i], why, sizeof(why)) < 0) {
            snprintf(msg, msglen, "invalid cron expression '%s': %s", expr, why);
            return -1;
        }
    }
    return 0;
}

/* ---- ISO 8601 dates and times (date conditions) ------------------------ */

int64_t wf_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int wf_month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Exactly `n` digits at s[*i]. */
static bool fixed_digits(const char *s, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (!isdigit((unsigned char)s[*i + (size_t)k]))
            return false;
        v = v * 10 + (s[*i + (size_t)k] - '0');
    }
    *i += (size_t)n;
    *out = v;
    return true;
}

/* HH:MM[:SS[.fraction]] at s[*i]. */
static bool clock_at(const char *s, size_t *i, int *h, int *m, int *sec, int *nsec)
{
    *sec = *nsec = 0;
    if (!fixed_digits(s, i, 2, h) || s[*i] != ':')
        return false;
    (*i)++;
    if (!fixed_digits(s, i, 2, m) || *h > 23 || *m > 59)
        return false;
    if (s[*i] != ':')
        return true;
    (*i)++;
    if (!fixed_digits(s, i, 2, sec) || *sec > 59)
        return false;
    if (s[*i] != '.' && s[*i] != ',')
        return true;
    (*i)++;
    int n = 0, scale = 100000000;
    while (isdigit((unsigned char)s[*i]) && n < 9) {
        *nsec += (s[*i] - '0') * scale;
        scale /= 10;
        n++;
        (*i)++;
    }
    return n > 0 && !isdigit((unsigned char)s[*i]);
}

/* "Z", "+HH", "+HH:MM", "+HHMM" (or '-') at s[*i]. */
static bool offset_at(const char *s, size_t *i, int32_t *off)
{
    if (s[*i] == 'Z') {
        (*i)++;
        *off = 0;
        return true;
    }
    if (s[*i] != '+' && s[*i] != '-')
        return false;
    int sign = s[*i] == '-' ? -1 : 1, h, m = 0;
    (*i)++;
    if (!fixed_digits(s, i, 2, &h))
        return false;
    if (s[*i] == ':')
        (*i)++;
    if (isdigit((unsigned char)s[*i]) && !fixed_digits(s, i, 2, &m))
        return false;
    if (h > 18 || m > 59)
        return false;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

int wf_datetime_parse(const char *s, wf_datetime_t *dt, char *msg, size_t msglen)
{
    memset(dt, 0, sizeof(*dt));
    size_t i = 0;
    int y;
    if (s == NULL || !fixed_digits(s, &i, 4, &y) || s[i] != '-')
        goto bad;
    i++;
    dt->year = y;
    if (!fixed_digits(s, &i, 2, &dt->month) || s[i] != '-' || dt->month < 1 || dt->month > 12)
        goto bad;
    i++;
    if (!fixed_digits(s, &i, 2, &dt->day) || dt->day < 1 ||
        dt->day > wf_month_days(dt->year, dt->month))
        goto bad;
    int64_t days = wf_days_from_civil(dt->year, dt->month, dt->day);
    dt->weekday = (int)(((days + 3) % 7 + 7) % 7) + 1; /* 1970-01-01 was a Thursday */
    if (s[i] == '\0')
        return 0;
    if (s[i] != 'T' && s[i] != 't')
        goto bad;
    i++;
    if (!clock_at(s, &i, &dt->hour, &dt->min, &dt->sec, &dt->nsec))
        goto bad;
    dt->has_time = true;
    if (!offset_at(s, &i, &dt->offset_s)) {
        snprintf(msg, msglen,
                 "'%s' has no zone offset: a date-time needs one ('Z', '+02:00')", s);
        return -1;
    }
    dt->has_offset = true;
    if (s[i] == '[') { /* a zone id after the offset, as Java prints it */
        const char *end = strchr(s + i, ']');
        if (end == NULL || end == s + i + 1 || end[1] != '\0')
            goto bad;
        return 0;
    }
    if (s[i] == '\0')
        return 0;
bad:
    snprintf(msg, msglen,
             "'%s' is not an ISO-8601 date ('2024-05-31') or date-time with offset "
             "('2024-05-31T10:00:00Z', '2024-05-31T10:00:00+02:00')",
             s ? s : "");
    return -1;
}

int64_t wf_datetime_epoch(const wf_datetime_t *dt)
{
    return wf_days_from_civil(dt->year, dt->month, dt->day) * 86400 + dt->hour * 3600 +
           dt->min * 60 + dt->sec - dt->offset_s;
}

int wf_offset_time_parse(const char *s, int64_t *utc_ns, char *msg, size_t msglen)
{
    size_t i = 0;
    int h, m, sec, nsec;
    int32_t off;
    if (s == NULL || !clock_at(s, &i, &h, &m, &sec, &nsec) || !offset_at(s, &i, &off) ||
        s[i] != '\0') {
        snprintf(msg, msglen,
                 "'%s' is not an ISO-8601 time with offset ('16:00:00+02:00', '08:30:00Z')",
                 s ? s : "");
        return -1;
    }
    *utc_ns = ((int64_t)h * 3600 + m * 60 + sec - off) * 1000000000LL + nsec;
    return 0;
}
