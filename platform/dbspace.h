/* The database volume's high-water mark. PostgreSQL must never be the first
 * to meet a full disk (it PANICs and the platform stops), so the processes
 * that make the database grow — the gateway creating executions, the
 * executors writing log lines — look at a cached verdict before they write:
 * above the mark new work is refused and log lines are dropped, while the
 * small rows that record states keep being written.
 *
 * The verdict comes from statvfs() of a directory on the database's
 * filesystem (database.volume: the embedded cluster's directory, set by
 * `weftd up`) or, for an external server, from pg_database_size() against
 * database.max_bytes. It is refreshed by whoever owns the object every few
 * seconds (wf_dbspace_refresh), never per write, and read lock-free from any
 * thread (wf_dbspace_full). */
#ifndef WF_DBSPACE_H
#define WF_DBSPACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "platform/config.h"

/* How often owners call wf_dbspace_refresh. */
#define WF_DBSPACE_REFRESH_MS 2000

typedef struct wf_dbspace {
    char *volume;       /* statvfs target, or NULL */
    char *url;          /* external database whose size is watched, or NULL */
    PGconn *conn;       /* the size query's own connection (opened lazily) */
    int64_t max_bytes;  /* size the mark is a share of (external) */
    int high_water_percent;
    int64_t min_free;
    int64_t resume_margin; /* once above the mark, the verdict clears only with
                              this much more room (database.reserve) */
    atomic_bool full;
    atomic_int used_percent; /* last measure, for the messages */
    atomic_llong free_bytes;
} wf_dbspace_t;

/* Reads the settings of `cfg` (`url`: the database the role uses, for the
 * external size check). Nothing is watched when neither a volume nor
 * max_bytes is configured; the verdict then stays "not full". */
void wf_dbspace_init(wf_dbspace_t *sp, const wf_config_t *cfg, const char *url);
void wf_dbspace_dispose(wf_dbspace_t *sp);
/* True when something is watched. */
bool wf_dbspace_watched(const wf_dbspace_t *sp);
/* Measures now (a statvfs, or one short query on its own connection) and
 * updates the verdict; logs when it changes. Blocks for that query: call it
 * from a timer or a thread of its own, every WF_DBSPACE_REFRESH_MS. */
void wf_dbspace_refresh(wf_dbspace_t *sp);
/* The cached verdict: above the high-water mark. */
bool wf_dbspace_full(const wf_dbspace_t *sp);
/* The reason, for problem details and /readyz: "database volume above its
 * high-water mark (97% used, mark 95%): new work refused". */
void wf_dbspace_reason(const wf_dbspace_t *sp, char *buf, size_t len);

/* One statvfs measure of `dir`: bytes in use and bytes an unprivileged
 * writer may still take. Returns 0 or -1. Shared with `weftd up`'s reserve. */
int wf_dbspace_measure(const char *dir, int64_t *used_bytes, int64_t *free_bytes);
/* The verdict for `used` + `avail` bytes under the mark of `cfg` (or of
 * `sp` for wf_dbspace_over_sp); `used_percent` gets the share, rounded up. */
bool wf_dbspace_over(const wf_config_t *cfg, int64_t used, int64_t avail, int *used_percent);

#endif
