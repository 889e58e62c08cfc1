#include "platform/dbspace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "platform/log.h"
#include "platform/store.h"
#include "platform/xmalloc.h"

void wf_dbspace_init(wf_dbspace_t *sp, const wf_config_t *cfg, const char *url)
{
    memset(sp, 0, sizeof(*sp));
    sp->high_water_percent = (int)cfg->database.high_water_percent;
    sp->min_free = cfg->database.min_free;
    sp->max_bytes = cfg->database.max_bytes;
    sp->resume_margin = cfg->database.reserve;
    if (cfg->database.volume != NULL && cfg->database.volume[0] != '\0')
        sp->volume = wf_xstrdup(cfg->database.volume);
    else if (sp->max_bytes > 0 && url != NULL)
        sp->url = wf_xstrdup(url);
    atomic_init(&sp->full, false);
    atomic_init(&sp->used_percent, 0);
    atomic_init(&sp->free_bytes, -1);
}

void wf_dbspace_dispose(wf_dbspace_t *sp)
{
    free(sp->volume);
    free(sp->url);
    PQfinish(sp->conn);
    memset(sp, 0, sizeof(*sp));
}

bool wf_dbspace_watched(const wf_dbspace_t *sp)
{
    return sp->volume != NULL || sp->url != NULL;
}

int wf_dbspace_measure(const char *dir, int64_t *used_bytes, int64_t *free_bytes)
{
    struct statvfs v;
    if (statvfs(dir, &v) != 0 || v.f_blocks == 0)
        return -1;
    /* f_bavail, not f_bfree: the blocks root keeps back are no use to
     * PostgreSQL, which runs unprivileged. */
    *used_bytes = (int64_t)((uint64_t)(v.f_blocks - v.f_bfree) * v.f_frsize);
    *free_bytes = (int64_t)((uint64_t)v.f_bavail * v.f_frsize);
    return 0;
}

static bool over_mark(int high_water_percent, int64_t min_free, int64_t used, int64_t avail,
                      int *used_percent)
{
    int64_t usable = used + avail;
    int pct = usable > 0 ? (int)((used * 100 + usable - 1) / usable) : 100;
    if (used_percent != NULL)
        *used_percent = pct;
    if (high_water_percent < 100 && pct >= high_water_percent)
        return true;
    return min_free > 0 && avail < min_free;
}

bool wf_dbspace_over(const wf_config_t *cfg, int64_t used, int64_t avail, int *used_percent)
{
    return over_mark((int)cfg->database.high_water_percent, cfg->database.min_free, used, avail,
                     used_percent);
}

/* pg_database_size() of the external database, or -1. */
static int64_t database_size(wf_dbspace_t *sp)
{
    if (sp->conn == NULL || PQstatus(sp->conn) != CONNECTION_OK) {
        PQfinish(sp->conn);
        char err[512];
        sp->conn = wf_store_connect(sp->url, "weft-dbspace", err, sizeof(err));
        if (sp->conn == NULL)
            return -1;
    }
    PGresult *r = PQexec(sp->conn, "SELECT pg_database_size(current_database())");
    int64_t size = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                       ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
                       : -1;
    PQclear(r);
    return size;
}

void wf_dbspace_refresh(wf_dbspace_t *sp)
{
    int64_t used = 0, avail = 0;
    if (sp->volume != NULL) {
        if (wf_dbspace_measure(sp->volume, &used, &avail) != 0) {
            /* An unreadable volume says nothing: keep the last verdict. */
            wf_debug("statvfs %s: %s", sp->volume, strerror(errno));
            return;
        }
    } else if (sp->url != NULL) {
        used = database_size(sp);
        if (used < 0)
            return;
        avail = used < sp->max_bytes ? sp->max_bytes - used : 0;
        if (used > sp->max_bytes)
            used = sp->max_bytes;
    } else {
        return;
    }
    int pct;
    bool over = over_mark(sp->high_water_percent, sp->min_free, used, avail, &pct);
    /* Hysteresis: weftd up frees its reserve when the mark is crossed, and
     * that room is PostgreSQL's, not the next flood's. Work resumes only
     * when the volume would stay under the mark with the reserve held. */
    if (!over && atomic_load(&sp->full) && sp->resume_margin > 0)
        over = over_mark(sp->high_water_percent, sp->min_free, used + sp->resume_margin,
                         avail > sp->resume_margin ? avail - sp->resume_margin : 0, NULL);
    atomic_store(&sp->used_percent, pct);
    atomic_store(&sp->free_bytes, (long long)avail);
    bool was = atomic_exchange(&sp->full, over);
    if (over && !was)
        wf_warn("database volume above its high-water mark (%d%% used, mark %d%%, %lld bytes "
                "free): refusing new work and dropping log lines",
                pct, sp->high_water_percent, (long long)avail);
    else if (!over && was)
        wf_info("database volume back under its high-water mark (%d%% used): work resumes",
                pct);
}

bool wf_dbspace_full(const wf_dbspace_t *sp)
{
    return atomic_load(&((wf_dbspace_t *)sp)->full);
}

void wf_dbspace_reason(const wf_dbspace_t *sp, char *buf, size_t len)
{
    wf_dbspace_t *s = (wf_dbspace_t *)sp;
    snprintf(buf, len,
             "database volume above its high-water mark (%d%% used, mark %d%%, %lld bytes "
             "free): new work refused",
             atomic_load(&s->used_percent), sp->high_water_percent,
             (long long)atomic_load(&s->free_bytes));
}
