/* Expression engine: dates. Kestra passes dates around as ISO-8601 strings;
 * the date filters read those (or epoch seconds, or a Java-style
 * existingFormat), convert between time zones with the system's TZif files
 * and format with Java DateTimeFormatter letters (yyyy-MM-dd'T'HH:mm:ss). */
#include "flow/expr/filters.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef WF_ZONEINFO_DIR
#define WF_ZONEINFO_DIR "/usr/share/zoneinfo"
#endif

#define WF_TZ_MAX_FILE (256 * 1024)

/* The default text form of a date: ISO 8601 with microseconds and offset. */
static const char wf_iso_format[] = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX";

/* Named formats accepted wherever a pattern is. */
static const struct {
    const char *name, *pattern;
} wf_named_formats[] = {
    {"iso", wf_iso_format},
    {"iso8601", wf_iso_format},
    {"iso_date_time", wf_iso_format},
    {"iso_offset_date_time", wf_iso_format},
    {"iso_zoned_date_time", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX'['VV']'"},
    {"iso_instant", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSX"},
    {"iso_local_date_time", "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"},
    {"iso_date", "yyyy-MM-dd"},
    {"iso_local_date", "yyyy-MM-dd"},
    {"iso_time", "HH:mm:ss"},
    {"iso_local_time", "HH:mm:ss"},
    {"sql", "yyyy-MM-dd HH:mm:ss.SSSSSS"},
};

static const char *const wf_months[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
static const char *const wf_days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                      "Friday", "Saturday", "Sunday"};

/* ---- civil calendar (proleptic Gregorian) ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- time zones ---- */

typedef struct tz_type {
    int32_t off;
    int isdst;
    char abbr[8];
} tz_type_t;

typedef struct wf_tz {
    char name[64];
    int fixed;
    int32_t offset; /* fixed zones */
    size_t ntrans, ntypes;
    const unsigned char *trans; /* big-endian 64-bit times */
    const unsigned char *idx;
    tz_type_t types[256];
} wf_tz_t;

static int64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

/* "+02:00", "-0530", "+5", "Z", "UTC", "GMT+1"; returns 0 and the offset. */
static int parse_offset(const char *s, int32_t *off)
{
    if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0 || strcmp(s, "GMT") == 0 ||
        strcmp(s, "UT") == 0 || strcmp(s, "Etc/UTC") == 0) {
        *off = 0;
        return 0;
    }
    if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0)
        s += 3;
    if (*s != '+' && *s != '-')
        return -1;
    int sign = *s++ == '-' ? -1 : 1;
    int h = 0, m = 0, digits = 0;
    while (isdigit((unsigned char)*s) && digits < 2) {
        h = h * 10 + (*s++ - '0');
        digits++;
    }
    if (digits == 0)
        return -1;
    if (*s == ':')
        s++;
    if (*s != '\0') {
        if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != '\0')
            return -1;
        m = (s[0] - '0') * 10 + (s[1] - '0');
    }
    if (h > 18 || m > 59)
        return -1;
    *off = sign * (h * 3600 + m * 60);
    return 0;
}

/* Only names shaped like zone ids reach the file system: no "..", no
 * absolute paths, no other characters, so timeZone cannot read other files. */
static int zone_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64 || s[0] == '/' || s[n - 1] == '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!isalnum((unsigned char)c) && c != '_' && c != '-' && c != '+' && c != '/')
            return 0;
        if ((i == 0 || s[i - 1] == '/') && !isalpha((unsigned char)c))
            return 0;
    }
    return 1;
}

static int load_tzif(wf_eval_t *ev, const wf_node_t *n, const char *name, wf_tz_t *tz)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", WF_ZONEINFO_DIR, name);
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 44 ||
        st.st_size > WF_TZ_MAX_FILE) {
        if (f != NULL)
            fclose(f);
        return wf_ev_error(ev, n, "unknown time zone '%s'", name);
    }
    unsigned char *buf = wf_ev_alloc(ev, n, (size_t)st.st_size);
    size_t len = buf != NULL ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (buf == NULL)
        return -1;
    /* v1 header, then (v2+) a second header with 64-bit times */
    if (len < 44 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2')
        return wf_ev_error(ev, n, "unknown time zone '%s'", name);
    size_t c[6];
    for (int i = 0; i < 6; i++)
        c[i] = (size_t)be(buf + 20 + 4 * i, 4);
    size_t v1 = c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    const unsigned char *h = buf + 44 + v1;
    if (44 + v1 + 44 > len || memcmp(h, "TZif", 4) != 0)
        return wf_ev_error(ev, n, "time zone file for '%s' is damaged", name);
    for (int i = 0; i < 6; i++)
        c[i] = (size_t)be(h + 20 + 4 * i, 4);
    size_t isut = c[0], isstd = c[1], leap = c[2], timecnt = c[3], typecnt = c[4], charcnt = c[5];
    const unsigned char *p = h + 44;
    size_t need = timecnt * 9 + typecnt * 6 + charcnt + leap * 12 + isstd + isut;
    if (typecnt == 0 || typecnt > 256 || (size_t)(p - buf) + need > len)
        return wf_ev_error(ev, n, "time zone file for '%s' is damaged", name);
    tz->fixed = 0;
    tz->ntrans = timecnt;
    tz->trans = p;
    tz->idx = p + timecnt * 8;
    tz->ntypes = typecnt;
    const unsigned char *tt = p + timecnt * 9, *chars = tt + typecnt * 6;
    for (size_t i = 0; i < timecnt; i++)
        if (tz->idx[i] >= typecnt)
            return wf_ev_error(ev, n, "time zone file for '%s' is damaged", name);
    for (size_t i = 0; i < typecnt; i++) {
        tz->types[i].off = (int32_t)be(tt + 6 * i, 4);
        tz->types[i].isdst = tt[6 * i + 4];
        size_t ai = tt[6 * i + 5];
        tz->types[i].abbr[0] = '\0';
        if (ai < charcnt) {
            size_t k = 0;
            while (ai + k < charcnt && chars[ai + k] != '\0' && k < sizeof(tz->types[i].abbr) - 1) {
                tz->types[i].abbr[k] = (char)chars[ai + k];
                k++;
            }
            tz->types[i].abbr[k] = '\0';
        }
    }
    return 0;
}

/* Resolves a time zone argument (undefined = UTC). */
static int tz_get(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v, wf_tz_t *tz)
{
    memset(tz, 0, sizeof(*tz));
    tz->fixed = 1;
    if (v == NULL || v->t == WV_UNDEF || v->t == WV_NULL) {
        strcpy(tz->name, "UTC");
        return 0;
    }
    if (v->t != WV_STR || v->n == 0 || v->n >= sizeof(tz->name) || memchr(v->s, '\0', v->n) != NULL)
        return wf_ev_error(ev, n,
                           "timeZone must be a zone name such as 'Europe/Paris' or an "
                           "offset such as '+02:00'");
    memcpy(tz->name, v->s, v->n);
    tz->name[v->n] = '\0';
    if (parse_offset(tz->name, &tz->offset) == 0)
        return 0;
    if (!zone_name_ok(tz->name))
        return wf_ev_error(ev, n, "invalid time zone '%s'", tz->name);
    /* One zone per render is the common case: reuse the last one loaded. */
    wf_tz_t *last = ev->tz_cache;
    if (last != NULL && strcmp(last->name, tz->name) == 0) {
        *tz = *last;
        return 0;
    }
    if (load_tzif(ev, n, tz->name, tz) < 0)
        return -1;
    last = wf_ev_alloc(ev, n, sizeof(*last));
    if (last != NULL) {
        *last = *tz;
        ev->tz_cache = last;
    }
    return last != NULL ? 0 : -1;
}

static const tz_type_t *tz_type_at(const wf_tz_t *tz, int64_t t)
{
    if (tz->ntrans == 0 || t < be(tz->trans, 8)) {
        for (size_t i = 0; i < tz->ntypes; i++)
            if (!tz->types[i].isdst)
                return &tz->types[i];
        return &tz->types[0];
    }
    size_t lo = 0, hi = tz->ntrans; /* last transition <= t */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (be(tz->trans + 8 * mid, 8) <= t)
            lo = mid;
        else
            hi = mid;
    }
    return &tz->types[tz->idx[lo]];
}

/* Offset from UTC at instant t (seconds). Past the last transition of the
 * file (2037 in Debian's files) the last rule simply continues. */
static int32_t tz_offset(const wf_tz_t *tz, int64_t t)
{
    return tz->fixed ? tz->offset : tz_type_at(tz, t)->off;
}

/* UTC instant of a local wall-clock time in `tz` (the earlier one when a
 * DST change makes it ambiguous). */
static int64_t tz_local_to_utc(const wf_tz_t *tz, int64_t local)
{
    int32_t o1 = tz_offset(tz, local - tz_offset(tz, local));
    int32_t o2 = tz_offset(tz, local - o1);
    return local - (o1 > o2 ? o1 : o2);
}

/* ---- broken-down time ---- */

typedef struct dt {
    int64_t year;
    int month, day, hour, min, sec, nsec;
    int has_offset; /* parsed text carried an offset */
    int32_t offset;
    char zone[64]; /* parsed text carried a zone id */
} dt_t;

typedef struct instant {
    int64_t sec;
    int nsec;
} instant_t;

static void to_fields(instant_t in, int32_t off, dt_t *f)
{
    int64_t local = in.sec + off;
    int64_t days = floor_div(local, 86400);
    int64_t rem = local - days * 86400;
    memset(f, 0, sizeof(*f));
    civil_from_days(days, &f->year, &f->month, &f->day);
    f->hour = (int)(rem / 3600);
    f->min = (int)(rem / 60 % 60);
    f->sec = (int)(rem % 60);
    f->nsec = in.nsec;
}

static int64_t fields_local(const dt_t *f)
{
    return days_from_civil(f->year, f->month, f->day) * 86400 + f->hour * 3600 + f->min * 60 +
           f->sec;
}

static int fields_valid(const dt_t *f)
{
    return f->year >= -999999 && f->year <= 999999 && f->month >= 1 && f->month <= 12 &&
           f->day >= 1 && f->day <= month_days(f->year, f->month) && f->hour >= 0 &&
           f->hour <= 23 && f->min >= 0 && f->min <= 59 && f->sec >= 0 && f->sec <= 59;
}

static int digits(const char *s, size_t n, size_t *i, int min, int max, int64_t *out)
{
    int64_t v = 0;
    int k = 0;
    if (max > 18) /* more digits would overflow 64 bits */
        max = 18;
    while (*i < n && k < max && isdigit((unsigned char)s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    *out = v;
    return k >= min ? 0 : -1;
}

/* "+02:00", "+0200", "+02" or "Z" at s[*i]. */
static int offset_at(const char *s, size_t n, size_t *i, int32_t *off)
{
    if (*i < n && s[*i] == 'Z') {
        (*i)++;
        *off = 0;
        return 0;
    }
    if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
        return -1;
    int sign = s[(*i)++] == '-' ? -1 : 1;
    int64_t h, m = 0;
    if (digits(s, n, i, 2, 2, &h) < 0)
        return -1;
    if (*i < n && s[*i] == ':')
        (*i)++;
    if (*i < n && isdigit((unsigned char)s[*i]) && digits(s, n, i, 2, 2, &m) < 0)
        return -1;
    if (h > 18 || m > 59)
        return -1;
    *off = sign * (int32_t)(h * 3600 + m * 60);
    return 0;
}

static int fraction(const char *s, size_t n, size_t *i, int *nsec)
{
    int64_t v = 0;
    int k = 0;
    while (*i < n && isdigit((unsigned char)s[*i])) {
        if (k < 9) {
            v = v * 10 + (s[*i] - '0');
            k++;
        }
        (*i)++;
    }
    if (k == 0)
        return -1;
    while (k++ < 9)
        v *= 10;
    *nsec = (int)v;
    return 0;
}

static int zone_id_at(const char *s, size_t n, size_t *i, char *zone, size_t cap)
{
    size_t k = 0;
    while (*i < n && (isalnum((unsigned char)s[*i]) || strchr("_/+-", s[*i]) != NULL) &&
           k + 1 < cap)
        zone[k++] = s[(*i)++];
    zone[k] = '\0';
    return k > 0 ? 0 : -1;
}

/* ISO 8601: date, or date and time with optional fraction, offset, [zone]. */
static int parse_iso(const char *s, size_t n, dt_t *f)
{
    size_t i = 0;
    int64_t y, mo, d, h = 0, mi = 0, se = 0;
    memset(f, 0, sizeof(*f));
    if (digits(s, n, &i, 4, 4, &y) < 0 || i >= n || s[i++] != '-' ||
        digits(s, n, &i, 2, 2, &mo) < 0 || i >= n || s[i++] != '-' ||
        digits(s, n, &i, 2, 2, &d) < 0)
        return -1;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        i++;
        if (digits(s, n, &i, 2, 2, &h) < 0 || i >= n || s[i++] != ':' ||
            digits(s, n, &i, 2, 2, &mi) < 0)
            return -1;
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, 2, &se) < 0)
                return -1;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                if (fraction(s, n, &i, &f->nsec) < 0)
                    return -1;
            }
        }
        if (i < n && (s[i] == 'Z' || s[i] == '+' || s[i] == '-')) {
            if (offset_at(s, n, &i, &f->offset) < 0)
                return -1;
            f->has_offset = 1;
        }
        if (i < n && s[i] == '[') {
            i++;
            if (zone_id_at(s, n, &i, f->zone, sizeof(f->zone)) < 0 || i >= n || s[i++] != ']')
                return -1;
        }
    }
    if (i != n)
        return -1;
    f->year = y;
    f->month = (int)mo;
    f->day = (int)d;
    f->hour = (int)h;
    f->min = (int)mi;
    f->sec = (int)se;
    return fields_valid(f) ? 0 : -1;
}

/* Reads the next pattern item: a letter run (letter, count) or a literal. */
typedef struct pat_item {
    char letter; /* 0 for a literal */
    int count;
    const char *lit;
    size_t litlen;
    int quoted_quote; /* literal is a single ' from '' */
} pat_item_t;

static int pat_next(const char *p, size_t *i, pat_item_t *it)
{
    memset(it, 0, sizeof(*it));
    char c = p[*i];
    if (c == '\0')
        return 0;
    if (isalpha((unsigned char)c)) {
        it->letter = c;
        while (p[*i] == c) {
            it->count++;
            (*i)++;
        }
        return 1;
    }
    if (c == '\'') {
        if (p[*i + 1] == '\'') {
            it->lit = "'";
            it->litlen = 1;
            *i += 2;
            return 1;
        }
        size_t start = ++(*i);
        while (p[*i] != '\0' && p[*i] != '\'')
            (*i)++;
        if (p[*i] != '\'')
            return -1;
        it->lit = p + start;
        it->litlen = *i - start;
        (*i)++;
        return 1;
    }
    it->lit = p + *i;
    it->litlen = 1;
    (*i)++;
    return 1;
}

static const char *resolve_format(const wf_val_t *v, char *buf, size_t cap)
{
    if (v == NULL || v->t != WV_STR)
        return wf_iso_format;
    size_t n = v->n < cap - 1 ? v->n : cap - 1;
    memcpy(buf, v->s, n);
    buf[n] = '\0';
    for (size_t k = 0; k < sizeof(wf_named_formats) / sizeof(wf_named_formats[0]); k++)
        if (strcasecmp(buf, wf_named_formats[k].name) == 0)
            return wf_named_formats[k].pattern;
    return buf;
}

/* Parses text with a Java-style pattern (existingFormat). */
static int parse_pattern(wf_eval_t *ev, const wf_node_t *n, const char *pat, const char *s,
                         size_t len, dt_t *f)
{
    size_t pi = 0, i = 0;
    pat_item_t it;
    int rc, pm = -1;
    int64_t v;
    memset(f, 0, sizeof(*f));
    f->year = 1970;
    f->month = f->day = 1;
    while ((rc = pat_next(pat, &pi, &it)) > 0) {
        if (it.letter == 0) {
            if (it.lit[0] == '[' || it.lit[0] == ']')
                continue; /* optional-section markers */
            if (i + it.litlen > len || memcmp(s + i, it.lit, it.litlen) != 0)
                goto mismatch;
            i += it.litlen;
            continue;
        }
        int max = it.count >= 2 ? it.count : 2;
        switch (it.letter) {
        case 'y':
        case 'u':
            if (it.count == 2) {
                if (digits(s, len, &i, 2, 2, &v) < 0)
                    goto mismatch;
                f->year = 2000 + v;
            } else {
                int neg = i < len && s[i] == '-';
                i += (size_t)neg;
                if (digits(s, len, &i, 1, isalpha((unsigned char)pat[pi]) ? it.count : 9, &v) < 0)
                    goto mismatch;
                f->year = neg ? -v : v;
            }
            break;
        case 'M':
        case 'L':
            if (it.count >= 3) {
                int found = 0;
                for (int m = 0; m < 12 && !found; m++) {
                    size_t ml = it.count == 3 ? 3 : strlen(wf_months[m]);
                    if (i + ml <= len && strncasecmp(s + i, wf_months[m], ml) == 0) {
                        f->month = m + 1;
                        i += ml;
                        found = 1;
                    }
                }
                if (!found)
                    goto mismatch;
            } else {
                if (digits(s, len, &i, 1, max, &v) < 0)
                    goto mismatch;
                f->month = (int)v;
            }
            break;
        case 'd':
        case 'H':
        case 'k':
        case 'h':
        case 'K':
        case 'm':
        case 's':
            if (digits(s, len, &i, 1, max, &v) < 0)
                goto mismatch;
            if (it.letter == 'd')
                f->day = (int)v;
            else if (it.letter == 'm')
                f->min = (int)v;
            else if (it.letter == 's')
                f->sec = (int)v;
            else
                f->hour = (int)(it.letter == 'k' && v == 24 ? 0 : v);
            break;
        case 'S':
        case 'n':
            if (fraction(s, len, &i, &f->nsec) < 0)
                goto mismatch;
            break;
        case 'a':
            if (i + 2 <= len && strncasecmp(s + i, "AM", 2) == 0)
                pm = 0;
            else if (i + 2 <= len && strncasecmp(s + i, "PM", 2) == 0)
                pm = 1;
            else
                goto mismatch;
            i += 2;
            break;
        case 'E': {
            int found = 0;
            for (int k = 0; k < 7 && !found; k++) {
                size_t dl = it.count <= 3 ? 3 : strlen(wf_days[k]);
                if (i + dl <= len && strncasecmp(s + i, wf_days[k], dl) == 0) {
                    i += dl;
                    found = 1;
                }
            }
            if (!found)
                goto mismatch;
            break;
        }
        case 'X':
        case 'x':
        case 'Z':
            if (i + 3 <= len && strncmp(s + i, "GMT", 3) == 0)
                i += 3;
            if (offset_at(s, len, &i, &f->offset) < 0)
                goto mismatch;
            f->has_offset = 1;
            break;
        case 'V':
        case 'z':
            if (zone_id_at(s, len, &i, f->zone, sizeof(f->zone)) < 0)
                goto mismatch;
            break;
        case 'G':
            if (i + 2 <= len && (strncmp(s + i, "AD", 2) == 0 || strncmp(s + i, "BC", 2) == 0))
                i += 2;
            else
                goto mismatch;
            break;
        default:
            return wf_ev_error(ev, n, "unknown date pattern letter '%c'", it.letter);
        }
    }
    if (rc < 0)
        return wf_ev_error(ev, n, "unterminated quote in date pattern '%s'", pat);
    if (i != len)
        goto mismatch;
    if (pm >= 0 && f->hour >= 1 && f->hour <= 12)
        f->hour = f->hour % 12 + (pm ? 12 : 0);
    if (!fields_valid(f))
        goto mismatch;
    return 0;
mismatch:
    return wf_ev_error(ev, n, "'%.*s' does not match the date format '%s'",
                       (int)(len > 60 ? 60 : len), s, pat);
}

/* Reads a date value: ISO text, epoch seconds, or text in existingFormat.
 * Local times without offset or zone are taken in `tz`. */
static int read_instant(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v,
                        const wf_val_t *existing, const wf_tz_t *tz, instant_t *out)
{
    /* about ±300,000 years: keeps every later computation far from overflow */
    if (v->t == WV_INT) {
        if (v->i > 10000000000000LL || v->i < -10000000000000LL)
            return wf_ev_error(ev, n, "date out of range");
        out->sec = v->i;
        out->nsec = 0;
        return 0;
    }
    if (v->t == WV_DBL) {
        if (!(v->d > -1e13 && v->d < 1e13))
            return wf_ev_error(ev, n, "date out of range");
        double fl = floor(v->d);
        out->sec = (int64_t)fl;
        out->nsec = (int)((v->d - fl) * 1e9);
        return 0;
    }
    if (v->t != WV_STR)
        return wf_ev_error(ev, n, "expected a date (ISO 8601 text or epoch seconds), got %s",
                           wf_val_type(v));
    dt_t f;
    if (existing != NULL && existing->t == WV_STR) {
        char pb[128];
        const char *pat = resolve_format(existing, pb, sizeof(pb));
        if (parse_pattern(ev, n, pat, v->s, v->n, &f) < 0)
            return -1;
    } else if (parse_iso(v->s, v->n, &f) < 0) {
        return wf_ev_error(ev, n,
                           "'%.*s' is not an ISO 8601 date; give existingFormat to read "
                           "other forms",
                           (int)(v->n > 60 ? 60 : v->n), v->s);
    }
    int64_t local = fields_local(&f);
    out->nsec = f.nsec;
    if (f.has_offset) {
        out->sec = local - f.offset;
    } else if (f.zone[0] != '\0') {
        wf_tz_t z;
        wf_val_t zv;
        wf_val_str(&zv, f.zone, strlen(f.zone));
        if (tz_get(ev, n, &zv, &z) < 0)
            return -1;
        out->sec = tz_local_to_utc(&z, local);
    } else {
        out->sec = tz_local_to_utc(tz, local);
    }
    return 0;
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->len + n < b->cap) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    } else {
        b->len = b->cap; /* overflow: reported by the caller */
    }
}

static void sb_num(sbuf_t *b, int64_t v, int width)
{
    char t[32];
    int k =
        snprintf(t, sizeof(t), v < 0 ? "-%0*lld" : "%0*lld", width, (long long)(v < 0 ? -v : v));
    sb_add(b, t, k < (int)sizeof(t) ? (size_t)k : sizeof(t) - 1);
}

static void sb_offset(sbuf_t *b, int32_t off, int colon, int with_min, int z_for_zero)
{
    if (off == 0 && z_for_zero) {
        sb_add(b, "Z", 1);
        return;
    }
    int32_t a = off < 0 ? -off : off;
    char t[16];
    int k;
    if (!with_min && a % 3600 == 0)
        k = snprintf(t, sizeof(t), "%c%02d", off < 0 ? '-' : '+', a / 3600);
    else
        k = snprintf(t, sizeof(t), colon ? "%c%02d:%02d" : "%c%02d%02d", off < 0 ? '-' : '+',
                     a / 3600, a / 60 % 60);
    sb_add(b, t, k < (int)sizeof(t) ? (size_t)k : sizeof(t) - 1);
}

/* Formats instant `in` in zone `tz` with a Java-style pattern. */
static int format_instant(wf_eval_t *ev, const wf_node_t *n, instant_t in, const wf_tz_t *tz,
                          const char *pat, wf_val_t *out)
{
    char buf[512];
    sbuf_t b = {buf, 0, sizeof(buf)};
    int32_t off = tz_offset(tz, in.sec);
    dt_t f;
    pat_item_t it;
    size_t pi = 0;
    int rc;
    to_fields(in, off, &f);
    int64_t days = floor_div(in.sec + off, 86400);
    int wday = (int)((days % 7 + 7 + 3) % 7); /* 0 = Monday; 1970-01-01 was a Thursday */
    while ((rc = pat_next(pat, &pi, &it)) > 0) {
        int c = it.count;
        /* Java refuses long runs too; it also keeps the widths below sane */
        if (c > 9 && it.letter != 0)
            return wf_ev_error(ev, n, "too many '%c' in date pattern (at most 9)", it.letter);
        if (it.letter == 0) {
            if (it.lit[0] != '[' && it.lit[0] != ']')
                sb_add(&b, it.lit, it.litlen);
            continue;
        }
        switch (it.letter) {
        case 'G':
            sb_add(&b, f.year > 0 ? "AD" : "BC", 2);
            break;
        case 'y':
        case 'u':
            if (c == 2)
                sb_num(&b, (f.year % 100 + 100) % 100, 2);
            else
                sb_num(&b, f.year, c);
            break;
        case 'M':
        case 'L':
            if (c >= 4)
                sb_add(&b, wf_months[f.month - 1], strlen(wf_months[f.month - 1]));
            else if (c == 3)
                sb_add(&b, wf_months[f.month - 1], 3);
            else
                sb_num(&b, f.month, c);
            break;
        case 'd':
            sb_num(&b, f.day, c);
            break;
        case 'D':
            sb_num(&b, days - days_from_civil(f.year, 1, 1) + 1, c);
            break;
        case 'E':
            sb_add(&b, wf_days[wday], c >= 4 ? strlen(wf_days[wday]) : 3);
            break;
        case 'e':
            sb_num(&b, wday + 1, c);
            break;
        case 'a':
            sb_add(&b, f.hour < 12 ? "AM" : "PM", 2);
            break;
        case 'H':
            sb_num(&b, f.hour, c);
            break;
        case 'k':
            sb_num(&b, f.hour == 0 ? 24 : f.hour, c);
            break;
        case 'K':
            sb_num(&b, f.hour % 12, c);
            break;
        case 'h':
            sb_num(&b, f.hour % 12 == 0 ? 12 : f.hour % 12, c);
            break;
        case 'm':
            sb_num(&b, f.min, c);
            break;
        case 's':
            sb_num(&b, f.sec, c);
            break;
        case 'S': {
            if (c > 9)
                return wf_ev_error(ev, n, "too many 'S' in date pattern (at most 9)");
            int64_t frac = f.nsec;
            for (int k = c; k < 9; k++)
                frac /= 10;
            sb_num(&b, frac, c);
            break;
        }
        case 'n':
            sb_num(&b, f.nsec, c);
            break;
        case 'A':
            sb_num(&b, ((int64_t)f.hour * 3600 + f.min * 60 + f.sec) * 1000 + f.nsec / 1000000, c);
            break;
        case 'X':
            sb_offset(&b, off, c >= 3, c != 1, 1);
            break;
        case 'x':
            sb_offset(&b, off, c >= 3, c != 1, 0);
            break;
        case 'Z':
            if (c == 4) {
                sb_add(&b, "GMT", 3);
                if (off != 0)
                    sb_offset(&b, off, 1, 1, 0);
            } else {
                sb_offset(&b, off, c == 5, 1, c == 5);
            }
            break;
        case 'z':
            if (!tz->fixed) {
                const char *ab = tz_type_at(tz, in.sec)->abbr;
                sb_add(&b, ab, strlen(ab));
            } else {
                sb_add(&b, tz->name, strlen(tz->name));
            }
            break;
        case 'V':
            if (c != 2)
                return wf_ev_error(ev, n, "date pattern letter 'V' must be written 'VV'");
            sb_add(&b, tz->name, strlen(tz->name));
            break;
        default:
            return wf_ev_error(ev, n, "unknown date pattern letter '%c'", it.letter);
        }
    }
    if (rc < 0)
        return wf_ev_error(ev, n, "unterminated quote in date pattern '%s'", pat);
    if (b.len >= b.cap)
        return wf_ev_error(ev, n, "formatted date is too long");
    char *o = wf_ev_alloc(ev, n, b.len + 1);
    if (o == NULL)
        return -1;
    memcpy(o, buf, b.len);
    o[b.len] = '\0';
    wf_val_str(out, o, b.len);
    return 0;
}

/* {{ value | date(format, existingFormat, timeZone, locale) }} */
int wf_f_date(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    wf_tz_t tz;
    instant_t in;
    char pb[128];
    if (a[4].t != WV_UNDEF && (a[4].t != WV_STR || strncasecmp(a[4].s, "en", 2) != 0))
        return wf_ev_error(ev, n, "date: only English names are supported (locale 'en')");
    if ((a[1].t != WV_UNDEF && a[1].t != WV_STR) || (a[2].t != WV_UNDEF && a[2].t != WV_STR))
        return wf_ev_error(ev, n, "date formats must be strings");
    if (tz_get(ev, n, &a[3], &tz) < 0 || read_instant(ev, n, &a[0], &a[2], &tz, &in) < 0)
        return -1;
    return format_instant(ev, n, in, &tz, resolve_format(&a[1], pb, sizeof(pb)), out);
}

static const struct {
    const char *name;
    int64_t seconds; /* 0 for calendar units */
    int months;
} wf_units[] = {
    {"NANOS", -1, 0},       {"MICROS", -2, 0},  {"MILLIS", -3, 0},       {"SECONDS", 1, 0},
    {"MINUTES", 60, 0},     {"HOURS", 3600, 0}, {"HALF_DAYS", 43200, 0}, {"DAYS", 0, 0},
    {"WEEKS", 0, 0},        {"MONTHS", 0, 1},   {"YEARS", 0, 12},        {"DECADES", 0, 120},
    {"CENTURIES", 0, 1200},
};

/* {{ value | dateAdd(amount, unit, format, timeZone) }}: days, weeks, months
 * and years move the wall-clock date in the time zone, as Java does. */
int wf_f_date_add(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    wf_tz_t tz;
    instant_t in;
    char pb[128];
    if (a[1].t != WV_INT)
        return wf_ev_error(ev, n, "dateAdd amount must be an integer, got %s", wf_val_type(&a[1]));
    if (a[2].t != WV_STR)
        return wf_ev_error(ev, n, "dateAdd unit must be a string such as 'DAYS'");
    int u = -1;
    for (size_t k = 0; k < sizeof(wf_units) / sizeof(wf_units[0]); k++)
        if (strlen(wf_units[k].name) == a[2].n &&
            strncasecmp(a[2].s, wf_units[k].name, a[2].n) == 0)
            u = (int)k;
    if (u < 0)
        return wf_ev_error(ev, n,
                           "unknown dateAdd unit '%.*s' (SECONDS, MINUTES, HOURS, DAYS, "
                           "WEEKS, MONTHS, YEARS...)",
                           (int)(a[2].n > 20 ? 20 : a[2].n), a[2].s);
    int64_t amount = a[1].i;
    /* Bound the amount so the arithmetic below cannot overflow. */
    if (amount > 100000000000LL || amount < -100000000000LL)
        return wf_ev_error(ev, n, "dateAdd amount is out of range");
    if (tz_get(ev, n, &a[4], &tz) < 0 || read_instant(ev, n, &a[0], NULL, &tz, &in) < 0)
        return -1;
    int64_t secs = wf_units[u].seconds;
    if (secs > 0) {
        in.sec += amount * secs;
    } else if (secs < 0) { /* sub-second units */
        int64_t div = secs == -1 ? 1 : secs == -2 ? 1000 : 1000000;
        int64_t ns = (int64_t)in.nsec + (amount % (1000000000 / div)) * div;
        in.sec += amount / (1000000000 / div) + floor_div(ns, 1000000000);
        in.nsec = (int)(ns - floor_div(ns, 1000000000) * 1000000000);
    } else {
        dt_t f;
        to_fields(in, tz_offset(&tz, in.sec), &f);
        if (wf_units[u].months > 0) {
            int64_t m = f.year * 12 + (f.month - 1) + amount * wf_units[u].months;
            f.year = floor_div(m, 12);
            f.month = (int)(m - f.year * 12) + 1;
            if (f.day > month_days(f.year, f.month))
                f.day = month_days(f.year, f.month);
        } else {
            int64_t d = days_from_civil(f.year, f.month, f.day) +
                        amount * (strcmp(wf_units[u].name, "WEEKS") == 0 ? 7 : 1);
            civil_from_days(d, &f.year, &f.month, &f.day);
        }
        if (f.year > 999999 || f.year < -999999)
            return wf_ev_error(ev, n, "dateAdd result is out of range");
        in.sec = tz_local_to_utc(&tz, fields_local(&f));
    }
    if (in.sec > 10000000000000LL || in.sec < -10000000000000LL)
        return wf_ev_error(ev, n, "dateAdd result is out of range");
    return format_instant(ev, n, in, &tz, resolve_format(&a[3], pb, sizeof(pb)), out);
}

/* {{ value | timestamp(existingFormat, timeZone) }}: seconds since the epoch. */
static int timestamp_in(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, int64_t per_sec,
                        wf_val_t *out)
{
    wf_tz_t tz;
    instant_t in;
    if (a[1].t != WV_UNDEF && a[1].t != WV_STR)
        return wf_ev_error(ev, n, "existingFormat must be a string");
    if (tz_get(ev, n, &a[2], &tz) < 0 || read_instant(ev, n, &a[0], &a[1], &tz, &in) < 0)
        return -1;
    /* dates are bounded to about 1e13 s: even nanoseconds fit 64 bits up to year 2262 */
    int64_t r;
    if (__builtin_mul_overflow(in.sec, per_sec, &r) ||
        __builtin_add_overflow(r, (int64_t)in.nsec / (1000000000 / per_sec), &r))
        return wf_ev_error(ev, n, "date out of range for this unit");
    wf_val_int(out, r);
    return 0;
}

int wf_f_timestamp(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return timestamp_in(ev, n, a, 1, out);
}

int wf_f_timestamp_milli(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return timestamp_in(ev, n, a, 1000, out);
}

int wf_f_timestamp_micro(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return timestamp_in(ev, n, a, 1000000, out);
}

int wf_f_timestamp_nano(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return timestamp_in(ev, n, a, 1000000000, out);
}

/* {{ now(timeZone) }}: the current time as ISO 8601 text. */
int wf_fn_now(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    wf_tz_t tz;
    if (tz_get(ev, n, &a[0], &tz) < 0)
        return -1;
    int64_t us = wf_ev_now(ev);
    instant_t in = {floor_div(us, 1000000), (int)(us - floor_div(us, 1000000) * 1000000) * 1000};
    return format_instant(ev, n, in, &tz, wf_iso_format, out);
}
