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

#endif
