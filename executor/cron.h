/* Cron schedules for Schedule triggers: five fields (minute hour day month
 * weekday) or six with a leading seconds field, lists, ranges, steps, month
 * and day names, and the @hourly-style macros. Next-fire times are computed
 * in a named time zone. */
#ifndef WF_EXECUTOR_CRON_H
#define WF_EXECUTOR_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct wf_xcron {
    uint64_t sec;    /* bit per second 0-59 */
    uint64_t min;    /* bit per minute 0-59 */
    uint32_t hour;   /* 0-23 */
    uint32_t dom;    /* 1-31 */
    uint16_t month;  /* 1-12 */
    uint8_t dow;     /* 0-6, Sunday = 0 */
    bool dom_any, dow_any;
} wf_xcron_t;

/* Parses `expr`; `with_seconds` expects six fields. Returns 0 or -1 with `err`. */
int wf_xcron_parse(wf_xcron_t *c, const char *expr, bool with_seconds, char *err, size_t len);
/* The first fire time strictly after `after` (Unix seconds) in time zone `tz`
 * (NULL or "" = UTC). Returns -1 when none within five years. */
time_t wf_xcron_next(const wf_xcron_t *c, time_t after, const char *tz);

/* Offset from UTC, in seconds, of time zone `tz` (NULL or "" = UTC) at
 * instant `t`: a schedule's trigger date is read in its own zone. */
int32_t wf_xcron_utc_offset(time_t t, const char *tz);

#endif
