/* Aggregation of repeated denials before they reach the audit chain.
 *
 * A denial is an audit entry, and a caller can provoke as many as it likes:
 * without aggregation, 500 refused reads of another team's namespace are 500
 * permanent, chained rows under that namespace, burying its real history.
 * The aggregator keeps, per (actor, action, namespace), the denials of a
 * fixed window that starts with the first one:
 *
 *   - the first denial of a window is written at once, as before;
 *   - the following ones only bump a counter and the last-seen time;
 *   - when the window closes, one summary entry carries the total count,
 *     the first and the last time (nothing when the first was alone).
 *
 * The chain itself stays append-only: nothing already written is changed;
 * the summary is an ordinary new entry. Memory is bounded by `max_keys`
 * (live windows and summaries not yet taken); denials of keys that find the
 * table full are counted in one overflow bucket, summarised as a single
 * "many denials" entry per window. Thread-safe: one aggregator serves every
 * event loop of the gateway. Times are microseconds on the wall clock,
 * passed in by the caller (tests drive them). */
#ifndef WF_AUDIT_AGG_H
#define WF_AUDIT_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wf_audit_agg wf_audit_agg_t;

/* One denial, as the caller would have written it. */
typedef struct wf_audit_denial {
    const char *actor;
    const char *action;
    const char *namespace_; /* NULL or "" for platform-level checks */
    const char *target;
    const char *reason;
    const char *method; /* HTTP method, or NULL */
} wf_audit_denial_t;

/* A closed window with more than one denial (or the overflow bucket). The
 * strings are owned: wf_audit_agg_summary_dispose frees them. */
typedef struct wf_audit_agg_summary {
    char *actor, *action, *namespace_, *target, *reason, *method; /* NULL for overflow */
    uint64_t count;    /* every denial of the window, the first one included */
    int64_t first_us;  /* time of the first denial */
    int64_t last_us;   /* time of the last one */
    bool overflow;     /* denials of keys the full table could not track */
} wf_audit_agg_summary_t;

/* Creates an aggregator: windows of `window_us`, at most `max_keys` keys
 * tracked at once (at least 1). */
wf_audit_agg_t *wf_audit_agg_create(int64_t window_us, size_t max_keys);
void wf_audit_agg_destroy(wf_audit_agg_t *agg);

/* Counts one denial at `now_us`. True when the caller writes the entry now
 * (the first of its window); false when it was counted for a summary. */
bool wf_audit_agg_note(wf_audit_agg_t *agg, const wf_audit_denial_t *d, int64_t now_us);

/* Takes out up to `max` summaries of windows closed at `now_us` (every
 * window, open or not, when `all`: shutdown). Windows with a single denial
 * are dropped without a summary. Returns how many were stored in `out`; call
 * again while it returns `max`. */
size_t wf_audit_agg_take(wf_audit_agg_t *agg, int64_t now_us, bool all,
                         wf_audit_agg_summary_t *out, size_t max);

/* Keys tracked right now (tests and metrics). */
size_t wf_audit_agg_size(wf_audit_agg_t *agg);

/* Frees the strings of a summary. */
void wf_audit_agg_summary_dispose(wf_audit_agg_summary_t *s);

#endif
