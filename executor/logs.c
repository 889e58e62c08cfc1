/* Log lines of task runs, written in batches: one INSERT carries every line
 * queued since the last flush (on size, on a short timer, and when an
 * execution ends), so a chatty task costs a statement per batch, not per
 * line. Over-long lines are cut and marked; past the per-task-run and
 * per-execution caps, or while the database volume is above its high-water
 * mark, the remaining lines are dropped with one marker. */
#include <stdlib.h>
#include <string.h>

#include "executor/executor.h"
#include "platform/log.h"
#include "platform/xmalloc.h"

#define FLUSH_LINES 500
#define FLUSH_DELAY_MS 100

/* Bytes of log lines written between two looks at the database volume on
 * top of the heartbeat's: a task printing as fast as it can writes tens of
 * megabytes a second, more than the space between the high-water mark and
 * a full disk of a small volume holds for a heartbeat period. */
#define SPACE_CHECK_BYTES (1 << 20)

struct wf_xlogs {
    json_t *batch; /* [{e,t,a,n,ts,l,m}] */
    size_t since_space_check; /* bytes written since */
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
    if (wf_dbspace_full(&ex->space)) {
        /* Lines queued before the mark was seen: only the markers go. */
        for (size_t i = json_array_size(l->batch); i-- > 0;) {
            const char *m = json_string_value(json_object_get(json_array_get(l->batch, i), "m"));
            if (m == NULL || strncmp(m, "[logs truncated", 15) != 0)
                json_array_remove(l->batch, i);
        }
    }
    char *s = json_dumps(l->batch, JSON_COMPACT);
    json_array_clear(l->batch);
    if (s == NULL || wf_xdb_insert_logs(ex, s) != 0)
        wf_warn("a batch of log lines could not be written");
    l->since_space_check += s ? strlen(s) : 0;
    free(s);
    if (l->since_space_check >= SPACE_CHECK_BYTES) {
        l->since_space_check = 0;
        wf_dbspace_refresh(&ex->space);
    }
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

/* Queues one line, cleaned, cut and redacted; no cap applies. */
static void append_line(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *level,
                        const char *line, size_t len)
{
    struct wf_xlogs *l = ex->logs;
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

#define MARK(text) text, sizeof(text) - 1

/* The caps, in the order they bite: the database volume's high-water mark
 * (no task output at all, so that PostgreSQL never meets a full disk; the
 * small rows recording states are still written), then the lines of the
 * whole execution, then those of one task run (a line one cap drops does
 * not count against the other). Each cut leaves one marker
 * line, so a reader knows lines are missing and why. */
void wf_xlog(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *level,
             const char *line, size_t len)
{
    if (tr == NULL) { /* the executor's own lines about the execution: few, kept */
        append_line(ex, x, NULL, level, line, len);
        return;
    }
    if (wf_dbspace_full(&ex->space)) {
        if (!tr->log_space_cut) {
            tr->log_space_cut = true;
            append_line(ex, x, tr, "WARN",
                        MARK("[logs truncated: database volume nearly full]"));
        }
        return;
    }
    if ((int64_t)x->log_lines >= ex->log_lines_exec_max) {
        if ((int64_t)x->log_lines == ex->log_lines_exec_max) {
            x->log_lines++;
            append_line(ex, x, NULL, "WARN",
                        MARK("[logs truncated: this execution reached its limit of "
                             "executor.log_lines_per_execution lines]"));
        }
        return;
    }
    if ((int64_t)tr->log_lines >= ex->log_lines_max) {
        if ((int64_t)tr->log_lines == ex->log_lines_max) {
            tr->log_lines++;
            append_line(ex, x, tr, "WARN",
                        MARK("[logs truncated: this task run reached its limit of "
                             "executor.log_lines_per_task_run lines]"));
        }
        return;
    }
    tr->log_lines++;
    x->log_lines++;
    append_line(ex, x, tr, level, line, len);
}
