/* Log lines of task runs, written in batches: one INSERT carries every line
 * queued since the last flush (on size, on a short timer, and when an
 * execution ends), so a chatty task costs a statement per batch, not per
 * line. Over-long lines are cut and marked; past the per-task-run cap the
 * remaining lines are dropped with one marker. */
#include <stdlib.h>
#include <string.h>

#include "executor/executor.h"
#include "platform/log.h"
#include "platform/xmalloc.h"

#define FLUSH_LINES 500
#define FLUSH_DELAY_MS 100

struct wf_xlogs {
    json_t *batch; /* [{e,t,a,n,ts,l,m}] */
};

struct wf_xlogs *wf_xlogs_create(wf_executor_t *ex)
{
    (void)ex;
    struct wf_xlogs *l = wf_xcalloc(1, sizeof(*l));
    l->batch = json_array();
    return l;
}

void wf_xlogs_destroy(struct wf_xlogs *l)
{
    if (l == NULL)
        return;
    json_decref(l->batch);
    free(l);
}

static void flush_cb(wf_timer_t *t)
{
    wf_xlogs_flush(t->arg);
}

void wf_xlogs_flush(wf_executor_t *ex)
{
    struct wf_xlogs *l = ex->logs;
    wf_loop_timer_cancel(ex->loop, &ex->log_timer);
    if (json_array_size(l->batch) == 0)
        return;
    char *s = json_dumps(l->batch, JSON_COMPACT);
    json_array_clear(l->batch);
    if (s == NULL || wf_xdb_insert_logs(ex, s) != 0)
        wf_warn("a batch of log lines could not be written");
    free(s);
}

static bool valid_utf8_char(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char c = s[0];
    size_t need = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (need == 0 || need > n)
        return false;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return false;
    *len = need;
    return true;
}

void wf_xlog(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *level,
             const char *line, size_t len)
{
    struct wf_xlogs *l = ex->logs;
    if (tr != NULL) {
        if ((int64_t)tr->log_lines >= ex->log_lines_max) {
            if ((int64_t)tr->log_lines == ex->log_lines_max) {
                tr->log_lines++;
                static const char m[] = "[further log lines of this task run dropped]";
                wf_xlog(ex, x, NULL, "WARN", m, sizeof(m) - 1);
            }
            return;
        }
        tr->log_lines++;
    }
    bool cut = (int64_t)len > ex->log_line_max;
    if (cut)
        len = (size_t)ex->log_line_max;
    /* Task output is bytes: keep valid UTF-8, replace the rest and NULs
     * (PostgreSQL text accepts neither). */
    char *clean = malloc(len * 3 + 16);
    if (clean == NULL)
        return;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t cl;
        if (line[i] != '\0' && valid_utf8_char((const unsigned char *)line + i, len - i, &cl)) {
            memcpy(clean + o, line + i, cl);
            o += cl;
            i += cl;
        } else {
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    if (cut) {
        memcpy(clean + o, " [truncated]", 12);
        o += 12;
    }
    size_t rlen = 0;
    char *red = wf_xsecrets_redact(x, clean, o, &rlen);
    if (red != NULL) {
        free(clean);
        clean = red;
        o = rlen;
    }
    char ts[40];
    wf_clock_iso_now(ts, sizeof(ts));
    json_t *row = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s%}", "e", x->id, "t", tr ? tr->id : NULL,
                            "n", x->namespace_, "ts", ts, "l", level, "m", clean, o);
    free(clean);
    if (row == NULL)
        return;
    if (tr != NULL)
        json_object_set_new(row, "a", json_integer(tr->attempts_count));
    json_array_append_new(l->batch, row);
    if (json_array_size(l->batch) >= FLUSH_LINES)
        wf_xlogs_flush(ex);
    else if (!ex->log_timer.armed)
        wf_loop_timer_arm(ex->loop, &ex->log_timer, FLUSH_DELAY_MS, flush_cb, ex);
}
