/* Sandboxed task processes on the executor's loop: one sandbox per attempt,
 * watched through its pidfd, output pipes and timer fd. Output lines become
 * log lines; "::{"outputs":{…}}::" lines become the task's outputs (Kestra's
 * convention). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "executor/executor.h"
#include "executor/files.h"
#include "executor/proc.h"
#include "platform/log.h"
#include "platform/xmalloc.h"

#define LINE_MAX_BYTES 8192 /* longer lines are cut and marked */

struct wf_xproc {
    wf_executor_t *ex;
    wf_trun_t *tr;
    wf_sbx_t *sb;
    wf_io_t pid_io, out_io, err_io, tmr_io;
    char line[2][LINE_MAX_BYTES + 1];
    size_t line_len[2];
    bool line_cut[2];
    json_t *vars; /* collected from ::{"outputs":…}:: lines */
    bool killed;
    const wf_xproc_job_ops_t *ops; /* set for an in-process job instead of a sandbox */
    void *job;
    bool collect;      /* collect output files after a successful run */
    json_t *patterns;  /* outputFiles globs */
    int64_t disk_budget; /* bytes of /work + /tmp, for the message when it is hit */
};

/* "1 GiB", "64 MiB", "1536 KiB" or "1000000 bytes": the largest exact unit. */
static void size_text(int64_t n, char *buf, size_t len)
{
    static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < 4; i++) {
        int64_t u = INT64_C(1) << (10 * (4 - i));
        if (n >= u && n % u == 0) {
            snprintf(buf, len, "%lld %s", (long long)(n / u), units[i]);
            return;
        }
    }
    snprintf(buf, len, "%lld bytes", (long long)n);
}

/* One complete line of task output. */
static void take_line(wf_xproc_t *p, int which, const char *s, size_t n, bool cut)
{
    if (n && s[n - 1] == '\r')
        n--;
    /* ::{"outputs":{...}}:: sets outputs instead of being logged. */
    if (which == 1 && !cut && n > 4 && memcmp(s, "::", 2) == 0 &&
        memcmp(s + n - 2, "::", 2) == 0) {
        json_error_t je;
        json_t *j = json_loadb(s + 2, n - 4, 0, &je);
        json_t *o = json_object_get(j, "outputs");
        if (json_is_object(o)) {
            json_object_update(p->vars, o);
            json_decref(j);
            return;
        }
        json_decref(j);
    }
    if (cut) {
        char buf[LINE_MAX_BYTES + 32];
        memcpy(buf, s, n);
        memcpy(buf + n, " [truncated]", 12);
        wf_xlog(p->ex, p->tr->exec, p->tr, which == 1 ? "INFO" : "WARN", buf, n + 12);
        return;
    }
    wf_xlog(p->ex, p->tr->exec, p->tr, which == 1 ? "INFO" : "WARN", s, n);
}

static void feed(wf_xproc_t *p, int which, const char *data, size_t n)
{
    int w = which - 1;
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (c == '\n') {
            take_line(p, which, p->line[w], p->line_len[w], p->line_cut[w]);
            p->line_len[w] = 0;
            p->line_cut[w] = false;
            continue;
        }
        if (p->line_len[w] < LINE_MAX_BYTES)
            p->line[w][p->line_len[w]++] = c == '\0' ? ' ' : c;
        else
            p->line_cut[w] = true;
    }
}

static void flush_partial(wf_xproc_t *p)
{
    for (int w = 0; w < 2; w++) {
        if (p->line_len[w] > 0)
            take_line(p, w + 1, p->line[w], p->line_len[w], p->line_cut[w]);
        p->line_len[w] = 0;
    }
}

/* Reads one stream until EAGAIN or EOF; removes it from the loop at EOF. */
static void drain(wf_xproc_t *p, int which)
{
    wf_io_t *io = which == 1 ? &p->out_io : &p->err_io;
    char buf[16384];
    for (;;) {
        ssize_t n = wf_sbx_read(p->sb, which, buf, sizeof(buf));
        if (n > 0) {
            feed(p, which, buf, (size_t)n);
            continue;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            /* Out of the epoll set before the fd is closed (see sbx.h). */
            wf_loop_io_del(p->ex->loop, io);
            wf_sbx_close_stream(p->sb, which);
        }
        return;
    }
}

static void on_out(wf_io_t *io, uint32_t ev)
{
    (void)ev;
    wf_xproc_t *p = io->arg;
    drain(p, io == &p->out_io ? 1 : 2);
}

static void on_timer(wf_io_t *io, uint32_t ev)
{
    (void)ev;
    wf_xproc_t *p = io->arg;
    wf_sbx_on_timer(p->sb);
}

static void proc_free(wf_xproc_t *p)
{
    wf_loop_t *loop = p->ex->loop;
    wf_loop_io_del(loop, &p->pid_io);
    wf_loop_io_del(loop, &p->out_io);
    wf_loop_io_del(loop, &p->err_io);
    wf_loop_io_del(loop, &p->tmr_io);
    wf_sbx_destroy(p->sb);
    json_decref(p->vars);
    json_decref(p->patterns);
    free(p);
}

/* Host path of the WorkingDirectory the task runs in, or NULL (then /work). */
static const char *task_cwd(wf_trun_t *tr)
{
    for (wf_trun_t *q = tr->parent; q; q = q->parent)
        if (q->task->type->kind == WF_TASK_WORKING_DIRECTORY)
            return q->workdir;
    return NULL;
}

static void on_exit_fd(wf_io_t *io, uint32_t ev)
{
    (void)ev;
    wf_xproc_t *p = io->arg;
    wf_sbx_result_t res;
    if (wf_sbx_reap(p->sb, &res) != 1)
        return;
    /* The pipes may still hold the last output: read it all first. */
    if (p->out_io.active)
        drain(p, 1);
    if (p->err_io.active)
        drain(p, 2);
    flush_partial(p);
    wf_executor_t *ex = p->ex;
    wf_trun_t *tr = p->tr;
    tr->proc = NULL;
    ex->busy--;
    int status = wf_sbx_exit_status(&res);
    json_t *outs = json_pack("{s:i,s:O}", "exitCode", status, "vars", p->vars);
    char msg[400] = "";
    wf_state_t st = WF_ST_SUCCESS;
    if (p->killed) {
        st = WF_ST_KILLED;
    } else if (res.setup_failed) {
        st = WF_ST_FAILED;
        snprintf(msg, sizeof(msg), "sandbox set-up failed: %s", res.error);
    } else if (res.timed_out) {
        st = WF_ST_FAILED;
        snprintf(msg, sizeof(msg), "timed out after %lld ms",
                 (long long)(res.duration_usec / 1000));
    } else if (res.oom_killed) {
        st = WF_ST_FAILED;
        snprintf(msg, sizeof(msg), "killed: memory limit reached");
    } else if (status != 0 && (res.limits_hit & WF_SBX_HIT_DISK)) {
        /* The task saw ENOSPC; say which limit it was, not just the exit code. */
        char size[32];
        st = WF_ST_FAILED;
        size_text(p->disk_budget, size, sizeof(size));
        snprintf(msg, sizeof(msg),
                 "disk budget of %s exceeded (the work dir and /tmp share it; exit code %d)",
                 size, status);
    } else if (status != 0) {
        st = WF_ST_FAILED;
        snprintf(msg, sizeof(msg), "command failed with exit code %d", status);
    }
    if (st == WF_ST_SUCCESS && p->collect) {
        /* The sandbox is gone but its work dir lives until proc_free. */
        json_t *files = NULL;
        if (wf_xfiles_collect(ex, tr, wf_sbx_workdir(p->sb), task_cwd(tr), p->patterns, &files,
                              msg, sizeof(msg)) != 0)
            st = WF_ST_FAILED;
        else if (files != NULL)
            json_object_set_new(outs, "outputFiles", files);
    }
    proc_free(p);
    wf_xwalk_attempt_done(ex, tr, st, outs, msg[0] ? msg : NULL);
    json_decref(outs);
    wf_xproc_slot_freed(ex);
}

int wf_xproc_start(wf_executor_t *ex, wf_trun_t *tr, wf_sbx_spec_t *spec, char *err,
                   size_t errlen)
{
    wf_xproc_t *p = wf_xcalloc(1, sizeof(*p));
    p->ex = ex;
    p->tr = tr;
    p->vars = json_object();
    p->disk_budget = wf_sbx_spec_get_limit(spec, WF_SBX_LIMIT_DISK);
    if (wf_sbx_start(ex->sbx, spec, &p->sb, err, errlen) != 0) {
        json_decref(p->vars);
        free(p);
        return -1;
    }
    int ofd = wf_sbx_stdout_fd(p->sb), efd = wf_sbx_stderr_fd(p->sb);
    int tfd = wf_sbx_timer_fd(p->sb);
    if (wf_loop_io_add(ex->loop, &p->pid_io, wf_sbx_pidfd(p->sb), EPOLLIN, on_exit_fd, p) != 0 ||
        (ofd >= 0 && wf_loop_io_add(ex->loop, &p->out_io, ofd, EPOLLIN, on_out, p) != 0) ||
        (efd >= 0 && wf_loop_io_add(ex->loop, &p->err_io, efd, EPOLLIN, on_out, p) != 0) ||
        (tfd >= 0 && wf_loop_io_add(ex->loop, &p->tmr_io, tfd, EPOLLIN, on_timer, p) != 0)) {
        snprintf(err, errlen, "cannot watch the sandbox: %s", strerror(errno));
        wf_sbx_kill(p->sb);
        proc_free(p);
        return -1;
    }
    tr->proc = p;
    ex->busy++;
    return 0;
}

void wf_xproc_kill(wf_xproc_t *p)
{
    if (p->killed)
        return;
    p->killed = true;
    if (p->ops)
        p->ops->kill(p->job);
    else
        wf_sbx_kill(p->sb);
}

void wf_xproc_abandon(wf_executor_t *ex, wf_xproc_t *p)
{
    /* The execution is being freed (lease lost or shutdown): kill the
     * sandbox now and release everything without reporting a result. */
    p->tr->proc = NULL;
    ex->busy--;
    if (p->ops) {
        p->ops->abandon(p->job);
        json_decref(p->vars);
        free(p);
        return;
    }
    proc_free(p);
}

void wf_xproc_collect_files(wf_xproc_t *p, json_t *patterns)
{
    p->collect = true;
    json_decref(p->patterns);
    p->patterns = json_is_array(patterns) ? json_incref(patterns) : NULL;
}

void wf_xproc_job_attach(wf_executor_t *ex, wf_trun_t *tr, const wf_xproc_job_ops_t *ops,
                         void *job, wf_timer_t *timer, wf_timer_cb on_timeout)
{
    wf_xproc_t *p = wf_xcalloc(1, sizeof(*p));
    p->ex = ex;
    p->tr = tr;
    p->ops = ops;
    p->job = job;
    tr->proc = p;
    ex->busy++;
    if (tr->task->timeout_ms > 0)
        wf_loop_timer_arm(ex->loop, timer, tr->task->timeout_ms, on_timeout, job);
}

void wf_xproc_job_done(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st, json_t *outputs,
                  const char *error)
{
    wf_xproc_t *p = tr->proc;
    if (p != NULL) {
        tr->proc = NULL;
        ex->busy--;
        free(p);
    }
    wf_xwalk_attempt_done(ex, tr, st, outputs, error);
    wf_xproc_slot_freed(ex);
}

void wf_xproc_slot_freed(wf_executor_t *ex)
{
    wf_xwalk_all(ex, SIZE_MAX, true);
    /* A slot still free while executions wait in the database: claim. */
    if (ex->backlog && ex->busy < ex->slots)
        ex->claim_pending = true;
}
