/* `weft run`, `weft execution list|get|kill|restart|resume`, `weft logs`.
 * With --wait or --follow the exit code tells how the execution ended:
 * 0 SUCCESS or WARNING, 1 FAILED, KILLED or CANCELLED (or still running at
 * --timeout), 2 usage or connection errors. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/out.h"
#include "cli/scope.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "platform/cmd.h"
#include "platform/xmalloc.h"

/* Terminal states and the exit code each one gives. */
static const struct {
    const char *state;
    int exit_code;
} terminal[] = {
    {"SUCCESS", 0}, {"WARNING", 0}, {"SKIPPED", 0}, {"FAILED", 1}, {"KILLED", 1}, {"CANCELLED", 1},
};

/* Exit code of a terminal state, or -1 while the execution is still live. */
static int state_exit(const char *state)
{
    for (size_t i = 0; state && i < sizeof(terminal) / sizeof(terminal[0]); i++)
        if (strcmp(terminal[i].state, state) == 0)
            return terminal[i].exit_code;
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *exec_state(const json_t *doc)
{
    return json_string_value(weft_jpath(doc, "state.current"));
}

/* The number of items of an array member (0 when absent). */
static char *cell_count(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    const json_t *a = json_object_get(row, member);
    return wf_xasprintf("%zu", json_is_array(a) ? json_array_size(a) : (size_t)0);
}

/* Prints one execution: summary line and task runs. */
static void print_execution(const weft_t *w, const json_t *doc)
{
    const char *state = exec_state(doc);
    printf("execution  %s\nflow       %s/%s\nstate      %s%s%s\n",
           json_string_value(json_object_get(doc, "id")),
           json_string_value(json_object_get(doc, "namespace")),
           json_string_value(json_object_get(doc, "flowId")), weft_state_color(w, state),
           state ? state : "-", weft_color_reset(w));
    json_t *outputs = json_object_get(doc, "outputs");
    if (json_object_size(outputs) > 0) {
        char *o = json_dumps(outputs, JSON_COMPACT);
        printf("outputs    %s\n", o ? o : "");
        free(o);
    }
    json_t *runs = json_object_get(doc, "taskRunList");
    if (json_array_size(runs) == 0)
        return;
    static const weft_cell_t cells[] = {{"count", cell_count}, {NULL, NULL}};
    printf("\n");
    weft_print_table(w,
                     "TASK=taskId, VALUE=value, @STATE=state.current, ATTEMPTS=attempts:count, "
                     "STARTED=state.startDate",
                     cells, runs);
}

/* GET /executions/ID into *doc. Returns 0 or an exit code. */
static int get_execution(weft_t *w, const char *id, json_t **doc)
{
    char *path = weft_pathf("/api/v1/executions/%s", id);
    weft_resp_t r;
    int rc = weft_request(w, "GET", path, NULL, &r);
    free(path);
    *doc = rc == 0 ? json_incref(r.json) : NULL;
    weft_resp_dispose(&r);
    if (rc == 0 && *doc == NULL) {
        weft_err(w, "the server sent no execution document");
        rc = WEFT_EXIT_FAIL;
    }
    return rc;
}

/* Polls until a terminal state or `timeout` seconds (0: no limit). Returns 0
 * with the final document, or an exit code. */
static int wait_for(weft_t *w, const char *id, double timeout, json_t **doc)
{
    double start = now_s(), delay = 0.1;
    /* On a terminal, with or without colour: NO_COLOR only removes colour. */
    bool progress = w->tty_err;
    int rc;
    for (;;) {
        if ((rc = get_execution(w, id, doc)) != 0)
            break;
        const char *state = exec_state(*doc);
        if (state_exit(state) >= 0)
            break;
        double elapsed = now_s() - start;
        if (timeout > 0 && elapsed >= timeout) {
            weft_progress_clear(w);
            weft_err(w, "execution %s still %s after %.0f s (--timeout)", id, state ? state : "?",
                     timeout);
            return WEFT_EXIT_FAIL;
        }
        if (progress)
            weft_progress(w, "waiting for %s: %s (%.0f s)", id, state ? state : "?", elapsed);
        json_decref(*doc);
        *doc = NULL;
        usleep((useconds_t)(delay * 1e6));
        if (delay < 1.0)
            delay *= 2;
    }
    weft_progress_clear(w);
    return rc;
}

/* ---- log lines ------------------------------------------------------------- */

/* "task", "task[value]" for an iteration, then "#attempt": the task a log
 * line belongs to as people name it; the task-run id only when the server
 * did not name the task. Empty for execution-level lines. */
static void log_task(const json_t *l, char *out, size_t size)
{
    const char *task = json_string_value(json_object_get(l, "taskId"));
    const char *value = json_string_value(json_object_get(l, "taskRunValue"));
    const char *run = json_string_value(json_object_get(l, "taskRunId"));
    json_t *att = json_object_get(l, "attempt");
    out[0] = '\0';
    if (task == NULL && run == NULL)
        return;
    int n = snprintf(out, size, value ? "%s[%s]" : "%s", task ? task : run, value);
    if (n >= 0 && (size_t)n < size && json_is_integer(att))
        snprintf(out + n, size - (size_t)n, "#%lld", (long long)json_integer_value(att));
}

typedef struct {
    weft_t *w;
    char end_state[32];
    bool ended;
} follow_t;

static void print_log(weft_t *w, const json_t *l)
{
    if (w->fmt != WEFT_OUT_TABLE) {
        /* One JSON object per line, flushed: easy to pipe into jq. */
        json_dumpf(l, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        fflush(stdout);
        return;
    }
    const char *ts = json_string_value(json_object_get(l, "timestamp"));
    const char *level = json_string_value(json_object_get(l, "level"));
    const char *msg = json_string_value(json_object_get(l, "message"));
    char task[256];
    log_task(l, task, sizeof(task));
    /* "2026-01-01T10:00:00.123456+00:00" -> "10:00:00.123" */
    char when[16] = "";
    if (ts != NULL && strlen(ts) >= 23)
        snprintf(when, sizeof(when), "%.12s", ts + 11);
    const char *col = "";
    if (w->color && level != NULL)
        col = strcmp(level, "ERROR") == 0  ? "\033[31m"
              : strcmp(level, "WARN") == 0 ? "\033[33m"
                                           : "\033[2m";
    printf("%s %s%-5s%s %s%s%s\n", when[0] ? when : (ts ? ts : "-"), col, level ? level : "-",
           col[0] ? "\033[0m" : "", task, task[0] ? "  " : "", msg ? msg : "");
    fflush(stdout);
}

static int on_event(void *ud, const char *event, const char *data)
{
    follow_t *f = ud;
    json_t *j = json_loads(data, 0, NULL);
    if (strcmp(event, "log") == 0 && j != NULL) {
        print_log(f->w, j);
    } else if (strcmp(event, "end") == 0) {
        const char *s = json_string_value(json_object_get(j, "state"));
        snprintf(f->end_state, sizeof(f->end_state), "%s", s ? s : "");
        f->ended = true;
    } else if (strcmp(event, "error") == 0) {
        const char *d = json_string_value(json_object_get(j, "detail"));
        weft_err(f->w, "log stream: %s", d ? d : data);
    }
    json_decref(j);
    return 0;
}

/* Streams the logs until the execution ends or `timeout` seconds (0: no
 * limit) pass; returns 0 or an exit code. */
static int follow_logs(weft_t *w, const char *id, double timeout)
{
    char *path = weft_pathf("/api/v1/executions/%s/logs?follow=true", id);
    follow_t f = {.w = w};
    int rc = weft_sse(w, path, timeout, on_event, &f);
    free(path);
    if (rc == WEFT_SSE_TIMEOUT) {
        weft_err(w, "execution %s has not ended after %.0f s (--timeout)", id, timeout);
        return WEFT_EXIT_FAIL;
    }
    if (rc == 0 && !f.ended)
        weft_warn(w, "the log stream ended early; waiting for the execution instead");
    return rc;
}

/* ---- run ----------------------------------------------------------------- */

typedef struct {
    json_t *inputs;
    json_t *files; /* {input: path} of K=@FILE: sent as multipart file parts */
    bool wait, follow;
    double timeout;
    const char *idempotency_key;
    int bad;
} run_opts_t;

enum { R_INPUT, R_WAIT, R_FOLLOW, R_TIMEOUT, R_IDEMPOTENCY_KEY };

static const weft_opt_t run_table[] = {
    {"input", 'i', "K=V", R_INPUT,
     "an input: K=V (text), K=@FILE (the file, uploaded: a FILE input, or the text of any "
     "other), K:=JSON (a JSON value); repeatable"},
    {"wait", 'w', NULL, R_WAIT, "wait for the end; exit 0 SUCCESS, 1 FAILED/KILLED"},
    {"follow", 'F', NULL, R_FOLLOW, "stream the logs live until the end (implies --wait)"},
    {"timeout", 0, "SECONDS", R_TIMEOUT, "give up waiting after SECONDS (exit 1)"},
    {"idempotency-key", 0, "KEY", R_IDEMPOTENCY_KEY,
     "a retry with the same KEY within 24 h returns the first execution (1-255 printable "
     "ASCII characters)"},
    {NULL, 0, NULL, 0, NULL},
};

static int run_opt(weft_t *w, void *ud, int id, const char *val)
{
    run_opts_t *o = ud;
    switch (id) {
    case R_WAIT:
        o->wait = true;
        return 0;
    case R_FOLLOW:
        o->follow = true;
        return 0;
    case R_TIMEOUT: {
        char *end;
        o->timeout = strtod(val, &end);
        if (*val == '\0' || *end != '\0' || o->timeout <= 0) {
            weft_err(w, "--timeout takes a number of seconds > 0");
            return -1;
        }
        return 0;
    }
    case R_IDEMPOTENCY_KEY: {
        size_t n = strlen(val);
        bool printable = n > 0 && n <= 255;
        for (size_t i = 0; printable && i < n; i++)
            printable = val[i] >= 0x20 && val[i] <= 0x7e;
        if (!printable) {
            weft_err(w, "--idempotency-key takes 1 to 255 printable ASCII characters");
            return -1;
        }
        o->idempotency_key = val;
        return 0;
    }
    }
    const char *eq = strchr(val, '=');
    if (eq == NULL || eq == val) {
        weft_err(w, "--input takes K=V, K=@FILE or K:=JSON, not '%s'", val);
        return -1;
    }
    bool as_json = eq > val && eq[-1] == ':';
    char key[256];
    snprintf(key, sizeof(key), "%.*s", (int)(eq - val - (as_json ? 1 : 0)), val);
    const char *v = eq + 1;
    json_t *jv = NULL;
    if (as_json) {
        json_error_t err;
        jv = json_loads(v, JSON_DECODE_ANY, &err);
        if (jv == NULL) {
            weft_err(w, "--input %s: not JSON: %s", key, err.text);
            return -1;
        }
    } else if (v[0] == '@') {
        /* Sent as a file part, streamed from disk by libcurl: checked
         * readable now so a typo fails before anything is sent. */
        FILE *f = fopen(v + 1, "rb");
        if (f == NULL) {
            weft_err(w, "--input %s: cannot read %s: %s", key, v + 1, strerror(errno));
            return -1;
        }
        fclose(f);
        json_object_del(o->inputs, key);
        json_object_set_new(o->files, key, json_string(v + 1));
        return 0;
    } else {
        jv = json_string(v);
        if (jv == NULL) {
            weft_err(w, "--input %s: the value is not UTF-8 text", key);
            return -1;
        }
    }
    json_object_del(o->files, key);
    json_object_set_new(o->inputs, key, jv);
    return 0;
}

/* POSTs the run as multipart/form-data: the files as file parts, every
 * other input as a field (JSON values as their JSON text). */
static int run_multipart(weft_t *w, const run_opts_t *o, weft_resp_t *r)
{
    size_t n = json_object_size(o->inputs) + json_object_size(o->files), i = 0;
    weft_form_part_t *parts = wf_xcalloc(n ? n : 1, sizeof(*parts));
    char **texts = wf_xcalloc(n ? n : 1, sizeof(char *));
    const char *key;
    json_t *v;
    json_object_foreach(o->inputs, key, v)
    {
        parts[i].name = key;
        if (json_is_string(v))
            parts[i].value = json_string_value(v);
        else
            parts[i].value = texts[i] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        i++;
    }
    json_object_foreach(o->files, key, v)
    {
        parts[i].name = key;
        parts[i].file = json_string_value(v);
        i++;
    }
    char *path = weft_pathf("/api/v1/executions/%s/%s", w->pos[0], w->pos[1]);
    int rc = weft_post_form(w, path, parts, n, r);
    free(path);
    for (size_t k = 0; k < n; k++)
        free(texts[k]);
    free(texts);
    free(parts);
    if (rc == 0 && r->status >= 400) {
        weft_print_problem(w, r, NULL);
        rc = WEFT_EXIT_FAIL;
    }
    return rc;
}

int weft_run_main(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft run NAMESPACE FLOW [--input K=V]... [--wait|--follow] [--timeout SECONDS]\n"
        "         [--idempotency-key KEY]",
        "Starts an execution of a flow and prints its id. With --wait it waits for\n"
        "the end, with --follow it also streams the logs; the exit status is then 0\n"
        "for SUCCESS or WARNING and 1 for FAILED, KILLED or CANCELLED. With\n"
        "--idempotency-key, running again with the same KEY and inputs within 24 hours\n"
        "prints the first execution's id instead of starting another.",
        2, 2};
    weft_t w;
    run_opts_t o = {.inputs = json_object(), .files = json_object()};
    weft_resp_t r = {0};
    json_t *doc = NULL;
    int rc = weft_parse(&w, "weft run", &u, run_table, run_opt, &o, argc, argv);
    if (rc != 0)
        goto out;
    w.idempotency_key = o.idempotency_key;
    if (json_object_size(o.files) > 0)
        rc = run_multipart(&w, &o, &r);
    else
        rc = weft_request_at(&w, "POST", "/api/v1/executions/%s/%s", o.inputs, &r);
    w.idempotency_key = NULL;
    if (rc != 0)
        goto out;
    const char *id = json_string_value(json_object_get(r.json, "id"));
    if (id == NULL) {
        weft_err(&w, "the server answered without an execution id");
        rc = WEFT_EXIT_FAIL;
        goto out;
    }
    if (!o.wait && !o.follow) {
        weft_out_answer(&w, r.json, "%s", id);
        goto out;
    }
    if (w.fmt == WEFT_OUT_TABLE)
        fprintf(stderr, "execution %s started\n", id);
    double started = now_s();
    if (o.follow && (rc = follow_logs(&w, id, o.timeout)) != 0)
        goto out;
    double left = o.timeout > 0 ? o.timeout - (now_s() - started) : 0;
    if ((rc = wait_for(&w, id, o.timeout > 0 ? (left > 0.1 ? left : 0.1) : 0, &doc)) != 0)
        goto out;
    if (w.fmt != WEFT_OUT_TABLE && !o.follow) {
        weft_out_doc(&w, doc);
    } else if (w.fmt == WEFT_OUT_TABLE) {
        if (o.follow)
            printf("\n");
        print_execution(&w, doc);
    }
    rc = state_exit(exec_state(doc));
out:
    json_decref(doc);
    json_decref(o.inputs);
    json_decref(o.files);
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}

/* ---- logs ---------------------------------------------------------------- */

static const weft_opt_t logs_table[] = {
    {"follow", 'F', NULL, 0, "stream new lines until the execution ends"},
    {NULL, 0, NULL, 0, NULL},
};

/* The gateway answers a page of lines at a time (at most LOG_PAGE): ask for
 * the next page after the last line shown until one comes back short. */
#define LOG_PAGE 10000

static int print_all_logs(weft_t *w, const char *id)
{
    long long after = 0;
    for (;;) {
        weft_resp_t r = {0};
        char *base = weft_pathf("/api/v1/executions/%s/logs", id);
        char *path = wf_xasprintf("%s?after=%lld&limit=%d", base, after, LOG_PAGE);
        int rc = weft_request(w, "GET", path, NULL, &r);
        free(path);
        free(base);
        if (rc != 0) {
            weft_resp_dispose(&r);
            return rc;
        }
        size_t i, n = json_array_size(r.json);
        json_t *x;
        json_array_foreach(r.json, i, x) print_log(w, x);
        json_t *last = json_array_get(r.json, n ? n - 1 : 0);
        long long next = json_integer_value(json_object_get(last, "id"));
        weft_resp_dispose(&r);
        if (n < LOG_PAGE || next <= after)
            return 0;
        after = next;
    }
}

int weft_logs_main(int argc, char **argv)
{
    static const weft_usage_t u = {"weft logs EXECUTION [--follow]",
                                   "Prints an execution's logs; --follow streams them live "
                                   "until the execution ends\n(-o json: one JSON object per "
                                   "line).",
                                   1, 1};
    weft_t w;
    const char *follow = NULL;
    weft_resp_t r = {0};
    int rc = weft_parse(&w, "weft logs", &u, logs_table, weft_opt_set, &follow, argc, argv);
    if (rc != 0)
        goto out;
    if (follow != NULL) {
        rc = follow_logs(&w, w.pos[0], 0);
        goto out;
    }
    rc = print_all_logs(&w, w.pos[0]);
out:
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}

/* ---- execution ------------------------------------------------------------- */

typedef struct {
    const char *flow, *state;
    int limit;
} list_opts_t;

enum { E_FLOW, E_STATE, E_LIMIT };

static const weft_opt_t list_table[] = {
    {"flow", 0, "ID", E_FLOW, "only executions of this flow"},
    {"state", 0, "STATE", E_STATE, "only executions in this state (RUNNING, FAILED, ...)"},
    {"limit", 0, "N", E_LIMIT, "at most N, newest first (default 50, max 500)"},
    {NULL, 0, NULL, 0, NULL},
};

static int list_opt(weft_t *w, void *ud, int id, const char *val)
{
    list_opts_t *o = ud;
    if (id == E_FLOW)
        o->flow = val;
    else if (id == E_STATE)
        o->state = val;
    else {
        char *end;
        long n = strtol(val, &end, 10);
        if (*val == '\0' || *end != '\0' || n < 1 || n > 500) {
            weft_err(w, "--limit takes a number within 1..500");
            return -1;
        }
        o->limit = (int)n;
    }
    return 0;
}

static int by_created_desc(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "created"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "created"));
    return strcmp(y ? y : "", x ? x : "");
}

/* What exec_list gathers: the executions and the server's totals. */
typedef struct {
    const list_opts_t *o;
    json_t *all;
    json_int_t total;
} list_acc_t;

/* One page (newest first) of executions under `ns`, appended to the
 * list_acc_t `ud`, with the server's total. */
static int list_page(weft_t *w, const char *ns, void *ud)
{
    list_acc_t *acc = ud;
    const list_opts_t *o = acc->o;
    char *base = weft_pathf("/api/v1/executions?namespace=%s&size=%d", ns, o->limit);
    char *fq = o->flow ? weft_pathf("&flowId=%s", o->flow) : NULL;
    char *sq = o->state ? weft_pathf("&state=%s", o->state) : NULL;
    char *path = wf_xasprintf("%s%s%s", base, fq ? fq : "", sq ? sq : "");
    free(base);
    free(fq);
    free(sq);
    weft_resp_t r;
    int rc = weft_request(w, "GET", path, NULL, &r);
    free(path);
    if (rc == 0) {
        json_array_extend(acc->all, json_object_get(r.json, "results"));
        acc->total += json_integer_value(json_object_get(r.json, "total"));
    }
    weft_resp_dispose(&r);
    return rc;
}

static int exec_list(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft execution list [NAMESPACE] [--flow ID] [--state STATE] [--limit N]",
        "Lists executions in NAMESPACE and below it (default: every namespace bound\n"
        "to you), newest first.",
        0, 1};
    weft_t w;
    list_opts_t o = {.limit = 50};
    json_t *results = json_array();
    list_acc_t acc = {&o, results, 0};
    int rc = weft_parse(&w, "weft execution list", &u, list_table, list_opt, &o, argc, argv);
    if (rc != 0 || (rc = weft_each_scope(&w, list_page, &acc)) != 0)
        goto out;
    /* Several namespaces: merge by creation time and keep the newest. */
    size_t n = json_array_size(results);
    json_t **items = wf_xcalloc(n + 1, sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(results, i));
    qsort(items, n, sizeof(*items), by_created_desc);
    json_array_clear(results);
    for (size_t i = 0; i < n; i++) {
        if (i < (size_t)o.limit)
            json_array_append(results, items[i]);
        json_decref(items[i]);
    }
    free(items);
    static const weft_view_t view = {
        .cols = "ID=id, NAMESPACE=namespace, FLOW=flowId, @STATE=state.current, CREATED=created"};
    weft_print(&w, results, &view);
    if (w.fmt != WEFT_OUT_TABLE)
        goto out;
    if (acc.total > (json_int_t)json_array_size(results))
        fprintf(stderr, "(%zu of %lld shown; --limit shows more)\n", json_array_size(results),
                (long long)acc.total);
out:
    json_decref(results);
    return weft_done(&w, rc);
}

static int exec_get(int argc, char **argv)
{
    static const weft_usage_t u = {"weft execution get EXECUTION",
                                   "Shows an execution with its task runs (-o json|yaml: the "
                                   "full document).",
                                   1, 1};
    weft_t w;
    json_t *doc = NULL;
    int rc = weft_parse(&w, "weft execution get", &u, NULL, NULL, NULL, argc, argv);
    if (rc != 0)
        goto out;
    static const weft_view_t view = {.print = print_execution};
    if ((rc = get_execution(&w, w.pos[0], &doc)) == 0)
        weft_print(&w, doc, &view);
out:
    json_decref(doc);
    return weft_done(&w, rc);
}

/* kill, restart, resume: POST /executions/ID/ACTION. */
typedef struct {
    const char *action, *about;
} exec_action_t;

static const exec_action_t exec_kill = {"kill",
                                        "Kills a live execution (it goes KILLING, then KILLED)."};
static const exec_action_t exec_restart = {
    "restart", "Runs a failed or killed execution again as a new execution (same inputs);\n"
               "prints the new id."};
static const exec_action_t exec_resume = {"resume", "Resumes a PAUSED execution."};

static int exec_action(const void *data, const char *prog, int argc, char **argv)
{
    const exec_action_t *a = data;
    const char *action = a->action;
    char *syn = wf_xasprintf("%s EXECUTION", prog);
    weft_usage_t u = {syn, a->about, 1, 1};
    weft_t w;
    weft_resp_t r = {0};
    int rc = weft_parse(&w, prog, &u, NULL, NULL, NULL, argc, argv);
    if (rc != 0)
        goto out;
    char *path = weft_pathf("/api/v1/executions/%s/%s", w.pos[0], action);
    rc = weft_request(&w, "POST", path, NULL, &r);
    free(path);
    if (rc != 0)
        goto out;
    const char *id = json_string_value(json_object_get(r.json, "id"));
    if (strcmp(action, "restart") == 0)
        weft_out_answer(&w, r.json, "%s", id ? id : "");
    else
        weft_out_answer(&w, r.json, "%s requested for %s", action, w.pos[0]);
out:
    weft_resp_dispose(&r);
    rc = weft_done(&w, rc);
    free(syn);
    return rc;
}

const wf_cmd_t weft_execution_commands[] = {
    WF_CMD("list", exec_list, "list executions under a namespace"),
    WF_CMD("get", exec_get, "show an execution and its task runs"),
    WF_CMD_WITH("kill", exec_action, &exec_kill, "kill a live execution"),
    WF_CMD_WITH("restart", exec_action, &exec_restart, "run a failed or killed execution again"),
    WF_CMD_WITH("resume", exec_action, &exec_resume, "resume a paused execution"),
    WEFT_VERB("files", weft_exec_files_verb, "list an execution's files"),
    WEFT_VERB("download", weft_exec_download_verb, "download one of an execution's files"),
    WF_CMD_END,
};
