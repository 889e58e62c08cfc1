/* Time syntax of flows: ISO-8601 durations (Java's Duration grammar, which
 * Kestra uses: PnDTnHnMn.nS) and cron expressions (Unix five fields, an
 * optional leading seconds field, @daily-style macros). */
#ifndef WF_FLOW_TIME_H
#define WF_FLOW_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses "PT5M", "P1D", "PT0.5S", "P2DT3H4M" into milliseconds (fractions
 * below a millisecond are truncated). Returns 0, or -1 with a reason in `msg`. */
int wf_duration_parse(const char *s, int64_t *ms, char *msg, size_t msglen);

/* Checks a cron expression. With `with_seconds` a six-field form (seconds
 * first) is expected; otherwise five fields. Macros (@hourly, @daily,
 * @midnight, @weekly, @monthly, @yearly, @annually) are accepted in both.
 * Returns 0, or -1 with a reason in `msg`. */
int wf_cron_check(const char *expr, bool with_seconds, char *msg, size_t msglen);

/* A date or date-time written in ISO 8601, as Kestra's date conditions read
 * it (Java's LocalDate, ZonedDateTime and OffsetTime parsers). The fields are
 * the local ones as written; `offset_s` places them on the time line. */
typedef struct wf_datetime {
    int64_t year;
    int month, day;            /* 1-12, 1-31 */
    int hour, min, sec;        /* 0 when only a date was written */
    int nsec;                  /* fraction of the second */
    int32_t offset_s;          /* offset from UTC of the text (0 for a bare date) */
    int weekday;               /* 1 = Monday ... 7 = Sunday (ISO) */
    bool has_time, has_offset;
} wf_datetime_t;

/* Parses "2024-05-31", "2024-05-31T10:00:00Z", "2024-05-31T10:00+02:00",
 * "2024-05-31T10:00:00.123+02:00[Europe/Paris]" (the bracketed zone id is
 * accepted; the offset places the date). A date-time needs an offset, as
 * Java's ZonedDateTime does. Returns 0, or -1 with a reason in `msg`. */
int wf_datetime_parse(const char *s, wf_datetime_t *dt, char *msg, size_t msglen);
/* Seconds since the epoch of a parsed date-time (a bare date: its midnight UTC). */
int64_t wf_datetime_epoch(const wf_datetime_t *dt);
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t wf_days_from_civil(int64_t y, int m, int d);
/* Days in month `m` of year `y`. */
int wf_month_days(int64_t y, int m);

/* Parses an ISO 8601 time with offset ("16:00:00+02:00", "08:30Z",
 * "10:15:30.5-05:00") into the nanoseconds of its day on the UTC line, the
 * way Java's OffsetTime compares: local time minus offset (so the value may
 * fall outside 0..24h). Returns 0, or -1 with a reason in `msg`. */
int wf_offset_time_parse(const char *s, int64_t *utc_ns, char *msg, size_t msglen);

#endif
