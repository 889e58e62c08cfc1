/* Task runners: one row per leaf task kind. Core tasks (Log, Return,
 * OutputValues, Fail, Labels, Sleep, Pause, Subflow) run inside the executor
 * and touch only the execution's own model; scripts run in a fresh sandbox
 * per attempt. Every property is rendered with the execution context first:
 * a rendering error fails the attempt with the message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor/files.h"
#include "executor/filetasks.h"
#include "executor/nsfiles.h"
#include "executor/kv.h"
#include "executor/retention.h"
#include "executor/mesh.h"
#include "executor/net.h"
#include "executor/proc.h"
#include "executor/walk.h"
#include "flow/fileuri.h"
#include "flow/time.h"
#include "platform/log.h"
#include "platform/text.h"
#include "platform/xmalloc.h"

typedef int (*runner_fn)(wf_executor_t *ex, wf_trun_t *tr, json_t *props);

typedef struct runner {
    wf_task_kind_t kind;
    runner_fn start;
    bool slot; /* occupies one of the executor's task slots */
} runner_t;

static void done(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st, json_t *outputs,
                 const char *error)
{
    wf_xwalk_attempt_done(ex, tr, st, outputs, error);
    json_decref(outputs);
}

static const char *str_prop(json_t *props, const char *name, const char *dflt)
{
    json_t *v = json_object_get(props, name);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

static const char *level_of(json_t *props, const wf_task_t *t)
{
    const char *l = str_prop(props, "level", t->log_level ? t->log_level : "INFO");
    static const char *const levels[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", NULL};
    for (int i = 0; levels[i]; i++)
        if (strcmp(l, levels[i]) == 0)
            return levels[i];
    return "INFO";
}

/* Through the walker's log, so that core tasks run under its fakes too. */
static void log_text(wf_executor_t *ex, wf_trun_t *tr, const char *level, const char *s)
{
    wf_xwalk_log(ex, tr->exec, tr, level, s);
}

/* ---- core tasks ----------------------------------------------------------- */

static int run_log(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    const char *level = level_of(props, tr->task);
    json_t *m = json_object_get(props, "message");
    if (json_is_array(m)) {
        size_t i;
        json_t *v;
        json_array_foreach(m, i, v) {
            if (json_is_string(v))
                log_text(ex, tr, level, json_string_value(v));
        }
    } else if (json_is_string(m)) {
        log_text(ex, tr, level, json_string_value(m));
    }
    done(ex, tr, WF_ST_SUCCESS, NULL, NULL);
    return WF_RUN_DONE;
}

static int run_echo(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    const char *f = str_prop(props, "format", NULL);
    if (f)
        log_text(ex, tr, level_of(props, tr->task), f);
    done(ex, tr, WF_ST_SUCCESS, NULL, NULL);
    return WF_RUN_DONE;
}

static int run_return(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    json_t *f = json_object_get(props, "format");
    done(ex, tr, WF_ST_SUCCESS, json_pack("{s:O}", "value", f ? f : json_null()), NULL);
    return WF_RUN_DONE;
}

static int run_output_values(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    json_t *v = json_object_get(props, "values");
    json_t *o = json_object();
    json_object_set_new(o, "values", v ? json_incref(v) : json_object());
    done(ex, tr, WF_ST_SUCCESS, o, NULL);
    return WF_RUN_DONE;
}

static int run_fail(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    /* With `condition`, the task fails only when it holds. */
    json_t *c = json_object_get(props, "condition");
    if (c != NULL) {
        bool hold = json_is_string(c) ? strcmp(json_string_value(c), "true") == 0
                                      : json_is_true(c);
        if (!hold) {
            done(ex, tr, WF_ST_SUCCESS, NULL, NULL);
            return WF_RUN_DONE;
        }
    }
    done(ex, tr, WF_ST_FAILED, NULL, str_prop(props, "errorMessage", "Task failure"));
    return WF_RUN_DONE;
}

static int run_labels(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    json_t *l = json_object_get(props, "labels");
    wf_xexec_t *x = tr->exec;
    if (json_is_object(l)) {
        const char *k;
        json_t *v;
        json_object_foreach(l, k, v) {
            if (json_is_string(v)) {
                json_object_set(x->labels, k, v);
                continue;
            }
            char *d = json_dumps(v, JSON_ENCODE_ANY);
            if (d)
                json_object_set_new(x->labels, k, json_string(d));
            free(d);
        }
    } else if (json_is_array(l)) {
        size_t i;
        json_t *e;
        json_array_foreach(l, i, e) {
            const char *k = str_prop(e, "key", NULL), *v = str_prop(e, "value", NULL);
            if (k && v)
                json_object_set_new(x->labels, k, json_string(v));
        }
    }
    x->dirty = true;
    done(ex, tr, WF_ST_SUCCESS, NULL, NULL);
    return WF_RUN_DONE;
}

static void sleep_cb(wf_timer_t *t)
{
    wf_trun_t *tr = t->arg;
    tr->resume_at_ms = 0;
    wf_xwalk_attempt_done(tr->exec->ex, tr, WF_ST_SUCCESS, NULL, NULL);
}

static int duration_prop(json_t *props, const char *name, int64_t *ms, char *err, size_t len)
{
    const char *s = str_prop(props, name, NULL);
    *ms = 0;
    if (s == NULL)
        return 0;
    return wf_duration_parse(s, ms, err, len);
}

static int run_sleep(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    int64_t ms;
    char err[200];
    if (duration_prop(props, "duration", &ms, err, sizeof(err)) != 0) {
        done(ex, tr, WF_ST_FAILED, NULL, err);
        return WF_RUN_DONE;
    }
    tr->resume_at_ms = wf_clock_wall_ms() + ms;
    wf_loop_timer_arm(ex->loop, &tr->timer, ms, sleep_cb, tr);
    return WF_RUN_STARTED;
}

static int run_pause(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    int64_t ms;
    char err[200];
    const char *name = json_object_get(props, "pauseDuration") ? "pauseDuration" : "delay";
    if (duration_prop(props, name, &ms, err, sizeof(err)) != 0) {
        done(ex, tr, WF_ST_FAILED, NULL, err);
        return WF_RUN_DONE;
    }
    /* PAUSED until resumed through the API (or the duration elapses); the
     * walker moves the execution to PAUSED. */
    tr->state = WF_ST_PAUSED;
    tr->dirty = true;
    /* Without a duration, a `timeout` bounds the wait for a resume. */
    if (ms == 0 && tr->task->timeout_ms > 0)
        ms = tr->task->timeout_ms;
    /* The walker arms the timer, on its own clock. */
    tr->resume_at_ms = ms > 0 ? wf_xwalk_fx(ex)->now_ms(ex) + ms : 0;
    tr->exec->rewalk = true;
    return WF_RUN_STARTED;
}

/* The first file URI (weft://, kestra://, nsfile://) among the strings of
 * `v`, or NULL. */
static const char *file_uri_in(json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        return wf_fileuri_is_storage(s) || wf_fileuri_is_nsfile(s) ? s : NULL;
    }
    const char *found = NULL;
    if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            if ((found = file_uri_in(e)) != NULL)
                return found;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if ((found = file_uri_in(e)) != NULL)
                return found;
        }
    }
    return NULL;
}

/* Subflow: a child execution in the same domain. The first call creates it;
 * later calls (one per walk while RUNNING) poll its state. */
static int run_subflow(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    wf_xexec_t *x = tr->exec;
    const char *child = tr->outputs ? str_prop(tr->outputs, "executionId", NULL) : NULL;
    bool wait = wf_json_bool(props, "wait", true);
    if (child == NULL) {
        const char *ns = str_prop(props, "namespace", x->namespace_);
        const char *fid = str_prop(props, "flowId", NULL);
        if (fid == NULL) {
            done(ex, tr, WF_ST_FAILED, NULL, "flowId is required");
            return WF_RUN_DONE;
        }
        json_t *trigger = json_pack("{s:s,s:s,s:s,s:s}", "type", "subflow", "executionId",
                                    x->id, "namespace", x->namespace_, "flowId", x->flow_id);
        char id[64];
        /* The child carries the chain's correlation id and, with
         * inheritLabels, the parent's labels under its own. */
        json_t *labels = json_object();
        if (wf_json_bool(props, "inheritLabels", false))
            json_object_update(labels, x->labels);
        json_t *given = json_object_get(props, "labels");
        if (json_is_object(given))
            json_object_update(labels, given);
        json_t *corr = json_object_get(x->labels, "system.correlationId");
        json_object_set_new(labels, "system.correlationId",
                            json_string(json_is_string(corr) ? json_string_value(corr) : x->id));
        char why[700] = "";
        /* The child is one generation deeper. In this domain the child's
         * namespace's policy applies (depth and the domain's quota); a child
         * in another domain is held to the parent's (its quota is that
         * domain's, which this executor cannot count). */
        bool foreign = wf_xmesh_foreign(ex, ns);
        int rc = wf_xpolicy_may_create(ex, foreign ? x->namespace_ : ns, x->chain_depth + 1,
                                       !foreign, why, sizeof(why));
        /* A file URI cannot cross domains: the child's executor would not
         * find it (row-level security) and must not be given a way to. */
        const char *furi = foreign ? file_uri_in(json_object_get(props, "inputs")) : NULL;
        if (rc == 0 && furi != NULL) {
            snprintf(why, sizeof(why),
                     "subflow %s.%s is in another domain: its inputs cannot pass files of "
                     "this domain's internal storage ('%.200s'); pass the data itself or "
                     "share it another way",
                     ns, fid, furi);
            rc = -1;
        }
        /* Another domain's flow: only through a subflow grant (mesh_subflow.c). */
        if (rc == 0)
            rc = wf_xmesh_subflow_start(ex, x, ns, fid, json_object_get(props, "inputs"),
                                        labels, trigger, id, sizeof(id), why, sizeof(why));
        if (rc == 1) {
            char by[600];
            snprintf(by, sizeof(by), "subflow:%s/%s", x->namespace_, x->flow_id);
            rc = wf_xdb_create_execution(ex, ns, fid, json_object_get(props, "inputs"), labels,
                                         trigger, x->id, by, x->chain_depth + 1, id, sizeof(id));
        }
        json_decref(labels);
        json_decref(trigger);
        if (rc != 0) {
            char msg[800];
            if (why[0] != '\0')
                snprintf(msg, sizeof(msg), "%s", why);
            else
                snprintf(msg, sizeof(msg), "cannot start subflow %s.%s (not found in this domain?)",
                         ns, fid);
            done(ex, tr, WF_ST_FAILED, NULL, msg);
            return WF_RUN_DONE;
        }
        json_decref(tr->outputs);
        tr->outputs = json_pack("{s:s}", "executionId", id);
        tr->dirty = true;
        if (!wait) {
            done(ex, tr, WF_ST_SUCCESS, NULL, NULL);
            return WF_RUN_DONE;
        }
        return WF_RUN_STARTED;
    }
    json_t *child_outputs = NULL;
    int st = wf_xdb_execution_state(ex, child, &child_outputs);
    if (st < 0 || !wf_xstate_terminal((wf_state_t)st)) {
        json_decref(child_outputs);
        return WF_RUN_STARTED;
    }
    json_t *outs = json_pack("{s:s,s:s}", "executionId", child, "state",
                             wf_xstate_name((wf_state_t)st));
    if (child_outputs)
        json_object_set_new(outs, "outputs", child_outputs);
    bool transmit = wf_json_bool(props, "transmitFailed", true);
    wf_state_t res = WF_ST_SUCCESS;
    if (st == WF_ST_WARNING)
        res = WF_ST_WARNING;
    else if (st != WF_ST_SUCCESS && transmit)
        res = st == WF_ST_KILLED ? WF_ST_KILLED : WF_ST_FAILED;
    char msg[200];
    snprintf(msg, sizeof(msg), "subflow execution %s ended %s", child,
             wf_xstate_name((wf_state_t)st));
    done(ex, tr, res, outs, res == WF_ST_FAILED ? msg : NULL);
    return WF_RUN_DONE;
}

/* ---- scripts in the sandbox ----------------------------------------------- */

/* Joins a string or list of strings with newlines. */
static char *join_lines(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (!json_is_array(v))
        return NULL;
    size_t total = 1, i;
    json_t *e;
    json_array_foreach(v, i, e) total += (json_is_string(e) ? json_string_length(e) : 0) + 1;
    char *s = malloc(total), *p = s;
    if (s == NULL)
        return NULL;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            continue;
        memcpy(p, json_string_value(e), json_string_length(e));
        p += json_string_length(e);
        *p++ = '\n';
    }
    *p = '\0';
    return s;
}


/* The nearest enclosing WorkingDirectory task run, or NULL. */
static wf_trun_t *working_dir_task(wf_trun_t *tr)
{
    for (wf_trun_t *p = tr->parent; p; p = p->parent)
        if (p->task->type->kind == WF_TASK_WORKING_DIRECTORY)
            return p;
    return NULL;
}

/* The shared directory of a WorkingDirectory task run, made on first use;
 * NULL outside one (or when its path does not fit). */
static const char *ensure_working_dir(wf_executor_t *ex, wf_trun_t *tr, bool *made)
{
    wf_trun_t *wd = working_dir_task(tr);
    if (wd == NULL)
        return NULL;
    if (wd->workdir == NULL) {
        *made = true;
        char path[512];
        int n = snprintf(path, sizeof(path), "%s/wd-%s", ex->work_root, wd->id);
        if (n < 0 || (size_t)n >= sizeof(path))
            return NULL; /* the task then fails: see run_script */
        mkdir(path, 0777);
        /* The task runs as an unprivileged id in its user namespace: it must
         * be able to write the shared directory. */
        chmod(path, 01777);
        wd->workdir = wf_xstrdup(path);
    }
    return wd->workdir;
}

/* The namespaceFiles of the WorkingDirectory around `tr`, written into its
 * shared folder `dir` when the folder is made (its first task starts). */
static int working_dir_nsfiles(wf_executor_t *ex, wf_trun_t *tr, const char *dir, char *err,
                               size_t errlen)
{
    wf_trun_t *wd = working_dir_task(tr);
    json_t *raw = wd->task->props ? json_object_get(wd->task->props, "namespaceFiles") : NULL;
    if (raw == NULL)
        return 0;
    json_t *ctx = wf_xexec_context(ex, tr->exec, wd);
    json_t *nsfiles = wf_xrender_json(ex, tr->exec, raw, ctx, err, errlen);
    json_decref(ctx);
    if (nsfiles == NULL)
        return -1;
    wf_xnsfiles_t *none = NULL;
    int rc = wf_xnsfiles_place(ex, tr->exec->namespace_, nsfiles, NULL, dir, NULL, &none, err,
                               errlen);
    wf_xnsfiles_destroy(none);
    json_decref(nsfiles);
    return rc;
}

static int run_script(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    wf_task_kind_t kind = tr->task->type->kind;
    bool python = kind == WF_TASK_PYTHON_SCRIPT || kind == WF_TASK_PYTHON_COMMANDS;
    bool is_script = kind == WF_TASK_SHELL_SCRIPT || kind == WF_TASK_PYTHON_SCRIPT;
    char err[400] = "";
    char *body = join_lines(json_object_get(props, is_script ? "script" : "commands"));
    char *before = join_lines(json_object_get(props, "beforeCommands"));
    wf_sbx_spec_t *spec = wf_sbx_spec_create();
    int rc = -1;
    wf_xnsfiles_t *nsf = NULL;
    if (body == NULL || spec == NULL) {
        snprintf(err, sizeof(err), "%s is required", is_script ? "script" : "commands");
        goto out;
    }
    bool wd_made = false;
    const char *wd = ensure_working_dir(ex, tr, &wd_made);
    if (wd == NULL && working_dir_task(tr) != NULL) {
        snprintf(err, sizeof(err), "working directory path too long");
        goto out;
    }
    if (wd_made && working_dir_nsfiles(ex, tr, wd, err, sizeof(err)) != 0)
        goto out;
    if (wd != NULL) {
        wf_sbx_spec_bind(spec, wd, "/wd", true);
        wf_sbx_spec_cwd(spec, "/wd");
    }
    /* namespaceFiles: the namespace's files (and its parents'), placed
     * first; a name inputFiles also gives is left to inputFiles. */
    json_t *files = json_object_get(props, "inputFiles");
    if (wf_xnsfiles_place(ex, tr->exec->namespace_, json_object_get(props, "namespaceFiles"),
                          json_is_object(files) ? files : NULL, wd, spec, &nsf, err,
                          sizeof(err)) != 0)
        goto out;
    /* inputFiles: name -> content, placed next to the script. A value
     * that is a file URI places that file, streamed from the storage
     * through a temporary file (never the rendered string). */
    if (json_is_object(files)) {
        const char *name;
        json_t *content;
        json_object_foreach(files, name, content) {
            if (!json_is_string(content) || strstr(name, "..") || name[0] == '/')
                continue;
            const char *v = json_string_value(content);
            if (wf_fileuri_is_storage(v) || wf_fileuri_is_nsfile(v)) {
                char ferr[400];
                int fd = wf_xfiles_input_fd(ex, tr->exec, v, ferr, sizeof(ferr));
                int placed = fd >= 0 ? wf_sbx_spec_file_fd(spec, name, fd, 0644) : -1;
                if (fd >= 0)
                    close(fd);
                if (placed != 0) {
                    snprintf(err, sizeof(err), "inputFiles: cannot place '%.60s': %.300s", name,
                             fd < 0 ? ferr : strerror(errno));
                    goto out;
                }
                continue;
            }
            if (wf_sbx_spec_file(spec, name, v, json_string_length(content), 0644) != 0) {
                snprintf(err, sizeof(err), "inputFiles: cannot place '%.200s': %s", name,
                         strerror(errno));
                goto out;
            }
        }
    }
    /* The outputs directory ({{ outputDir }}): made by placing an empty
     * marker in it, so that it belongs to the task's user. */
    wf_sbx_spec_file(spec, WF_XFILES_OUTPUT_REL "/.keep", "", 0, 0644);
    /* The script file: shell scripts stop at the first failing command. */
    size_t cap = strlen(body) + (before ? strlen(before) : 0) + 64;
    char *script = malloc(cap);
    if (script == NULL)
        goto out;
    if (python && is_script) {
        snprintf(script, cap, "%s", body);
        wf_sbx_spec_file(spec, ".weft/main.py", script, strlen(script), 0644);
        if (before) {
            snprintf(script, cap, "set -e\n%s\nexec python3 /work/.weft/main.py\n", before);
            wf_sbx_spec_file(spec, ".weft/run.sh", script, strlen(script), 0755);
            wf_sbx_spec_arg(spec, "/bin/sh");
            wf_sbx_spec_arg(spec, "/work/.weft/run.sh");
        } else {
            wf_sbx_spec_arg(spec, "python3");
            wf_sbx_spec_arg(spec, "/work/.weft/main.py");
        }
    } else {
        snprintf(script, cap, "set -e\n%s%s%s", before ? before : "", before ? "\n" : "", body);
        wf_sbx_spec_file(spec, ".weft/run.sh", script, strlen(script), 0755);
        wf_sbx_spec_arg(spec, "/bin/sh");
        wf_sbx_spec_arg(spec, "/work/.weft/run.sh");
    }
    free(script);
    static const char *const base_env[] = {"HOME=/tmp", "LANG=C.UTF-8"};
    for (size_t i = 0; i < sizeof(base_env) / sizeof(base_env[0]); i++)
        wf_sbx_spec_env(spec, base_env[i]);
    if (python) {
        /* Kestra's Python images have `python`; hosts often only python3.
         * Commands written for Kestra (`python scripts/etl.py`) find this
         * one first on PATH. */
        static const char shim[] = "#!/bin/sh\nexec python3 \"$@\"\n";
        wf_sbx_spec_file(spec, ".weft/bin/python", shim, sizeof(shim) - 1, 0755);
        wf_sbx_spec_env(spec, "PATH=/work/.weft/bin:/usr/local/bin:/usr/bin:/bin");
    } else {
        wf_sbx_spec_env(spec, "PATH=/usr/local/bin:/usr/bin:/bin");
    }
    json_t *env = json_object_get(props, "env");
    if (json_is_object(env)) {
        const char *k;
        json_t *v;
        json_object_foreach(env, k, v) {
            if (!json_is_string(v))
                continue;
            char *kv = NULL;
            if (asprintf(&kv, "%s=%s", k, json_string_value(v)) > 0)
                wf_sbx_spec_env(spec, kv);
            free(kv);
        }
    }
    if (tr->task->timeout_ms > 0)
        wf_sbx_spec_limit(spec, WF_SBX_LIMIT_TIMEOUT, tr->task->timeout_ms);
    if (wf_xpolicy_sandbox(ex, tr, spec, err, sizeof(err)) == 0)
        rc = wf_xproc_start(ex, tr, spec, err, sizeof(err));
    if (rc == 0) {
        json_t *of = json_object_get(props, "outputFiles");
        if (json_is_string(of)) /* a single pattern */
            of = json_pack("[O]", of);
        else
            json_incref(of);
        wf_xproc_collect_files(tr->proc, of);
        json_decref(of);
    }
out:
    /* The task has started (its files are copied in) or will not. */
    wf_xnsfiles_destroy(nsf);
    wf_sbx_spec_destroy(spec);
    free(body);
    free(before);
    if (rc != 0) {
        done(ex, tr, WF_ST_FAILED, NULL, err[0] ? err : "cannot start the task");
        return WF_RUN_DONE;
    }
    return WF_RUN_STARTED;
}

/* ---- the table ------------------------------------------------------------- */

static const runner_t runners[] = {
    {WF_TASK_LOG, run_log, false},
    {WF_TASK_ECHO, run_echo, false},
    {WF_TASK_RETURN, run_return, false},
    {WF_TASK_OUTPUT_VALUES, run_output_values, false},
    {WF_TASK_FAIL, run_fail, false},
    {WF_TASK_LABELS, run_labels, false},
    {WF_TASK_SLEEP, run_sleep, false},
    {WF_TASK_PAUSE, run_pause, false},
    {WF_TASK_SUBFLOW, run_subflow, false},
    {WF_TASK_SHELL_COMMANDS, run_script, true},
    {WF_TASK_SHELL_SCRIPT, run_script, true},
    {WF_TASK_PYTHON_SCRIPT, run_script, true},
    {WF_TASK_PYTHON_COMMANDS, run_script, true},
    {WF_TASK_HTTP_REQUEST, wf_xhttp_run, true},
    {WF_TASK_PG_QUERY, wf_xpg_run, true},
    {WF_TASK_KV_SET, wf_xkv_set, false},
    {WF_TASK_KV_GET, wf_xkv_get, false},
    {WF_TASK_KV_DELETE, wf_xkv_delete, false},
    {WF_TASK_KV_GET_KEYS, wf_xkv_get_keys, false},
    {WF_TASK_KV_PURGE, wf_xkv_purge, false},
    {WF_TASK_PURGE_EXECUTIONS, wf_xretention_purge_executions, false},
    {WF_TASK_PURGE_LOGS, wf_xretention_purge_logs, false},
    {WF_TASK_HTTP_DOWNLOAD, wf_xhttp_run, true},
    {WF_TASK_STORAGE_WRITE, wf_xft_write, false},
    {WF_TASK_STORAGE_CONCAT, wf_xft_concat, false},
    {WF_TASK_STORAGE_SPLIT, wf_xft_split, false},
    {WF_TASK_STORAGE_DELETE, wf_xft_delete, false},
    {WF_TASK_PG_COPY_IN, wf_xpg_run, true},
    {WF_TASK_PG_COPY_OUT, wf_xpg_run, true},
    {WF_TASK_PG_QUERIES, wf_xpg_run, true},
    {WF_TASK_STORAGE_LOCAL_FILES, wf_xft_local_files, false},
};

static const runner_t *runner_for(const wf_task_t *t)
{
    for (size_t i = 0; i < sizeof(runners) / sizeof(runners[0]); i++)
        if (runners[i].kind == t->type->kind)
            return &runners[i];
    return NULL;
}

bool wf_xtasks_flowable(const wf_task_t *task)
{
    return runner_for(task) == NULL && (task->type->flags & WF_TT_FLOWABLE);
}

bool wf_xtasks_uses_slot(const wf_task_t *task)
{
    const runner_t *r = runner_for(task);
    return r && r->slot;
}

/* Properties a runner reads unrendered: nested task lists are the walker's,
 * and Subflow inputs are rendered here but its labels too. */
int wf_xtasks_start(wf_executor_t *ex, wf_trun_t *tr)
{
    const runner_t *r = runner_for(tr->task);
    if (r == NULL)
        return -1;
    wf_xexec_t *x = tr->exec;
    json_t *ctx = wf_xexec_context(ex, x, tr);
    if (r->start == run_script) {
        /* Paths as the task sees them inside its sandbox. */
        json_object_set_new(ctx, "outputDir", json_string(WF_XFILES_OUTPUT_DIR));
        wf_trun_t *wd = working_dir_task(tr);
        json_object_set_new(ctx, "workingDir", json_string(wd && wd->workdir ? "/wd" : "/work"));
    }
    char err[600];
    /* Labels and a subflow's inputs are stored in clear and shown by the
     * API: a secret value, or one computed from a secret, must not go there
     * (the child flow reads its own secrets). Masking would silently change
     * the value, so refuse. */
    wf_task_kind_t kind = tr->task->type->kind;
    const char *stored_in_clear = kind == WF_TASK_LABELS    ? "labels"
                                  : kind == WF_TASK_SUBFLOW ? "a subflow's inputs and labels"
                                  : kind == WF_TASK_KV_SET  ? "the KV store"
                                                            : NULL;
    json_t *props;
    if (tr->task->props == NULL)
        props = json_object();
    else if (stored_in_clear != NULL)
        props =
            wf_xrender_json_clean(ex, x, tr->task->props, ctx, stored_in_clear, err, sizeof(err));
    else
        props = wf_xrender_json(ex, x, tr->task->props, ctx, err, sizeof(err));
    json_decref(ctx);
    if (props == NULL) {
        done(ex, tr, WF_ST_FAILED, NULL, err);
        return WF_RUN_DONE;
    }
    /* A SECRET input's value is no secret() result: caught by its value. */
    if (stored_in_clear != NULL && wf_xsecrets_in_json(x, props)) {
        json_decref(props);
        done(ex, tr, WF_ST_FAILED, NULL,
             kind == WF_TASK_LABELS
                 ? "a secret value cannot be used in labels (they are stored in clear)"
             : kind == WF_TASK_KV_SET
                 ? "a secret value cannot be stored in the KV store (it is stored in clear and "
                   "shown by the API); read the secret where it is needed"
                 : "a secret value cannot be passed to a subflow (its inputs and labels are "
                   "stored in clear); let the subflow read the secret itself");
        return WF_RUN_DONE;
    }
    int rc = r->start(ex, tr, props);
    json_decref(props);
    return rc;
}

int wf_xtasks_finish(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st, json_t *outputs,
                     const char *error)
{
    wf_xwalk_attempt_done(ex, tr, st, outputs, error);
    json_decref(outputs);
    return WF_RUN_DONE;
}

int wf_xtasks_fail(wf_executor_t *ex, wf_trun_t *tr, const char *error)
{
    return wf_xtasks_finish(ex, tr, WF_ST_FAILED, NULL, error);
}

const char *wf_xtasks_str_prop(json_t *props, const char *name, const char *dflt)
{
    json_t *v = json_object_get(props, name);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : dflt;
}

bool wf_xtasks_bool_prop(json_t *props, const char *name, bool dflt)
{
    json_t *v = json_object_get(props, name);
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v))
        return strcmp(json_string_value(v), "true") == 0    ? true
               : strcmp(json_string_value(v), "false") == 0 ? false
                                                            : dflt;
    return dflt;
}

const char *wf_xtasks_working_dir(wf_executor_t *ex, wf_trun_t *tr, char *err, size_t errlen)
{
    bool made = false;
    const char *wd = ensure_working_dir(ex, tr, &made);
    if (wd == NULL) {
        snprintf(err, errlen, "%s", working_dir_task(tr) != NULL
                                        ? "working directory path too long"
                                        : "LocalFiles works inside a WorkingDirectory (on the "
                                          "folder it shares with its tasks); use inputFiles "
                                          "and outputFiles elsewhere");
        return NULL;
    }
    /* The first task to use the folder brings the WorkingDirectory's
     * namespaceFiles, whatever its type. */
    if (made && working_dir_nsfiles(ex, tr, wd, err, errlen) != 0)
        return NULL;
    return wd;
}

void wf_xtasks_stop(wf_executor_t *ex, wf_trun_t *tr)
{
    (void)ex;
    if (tr->proc)
        wf_xproc_kill(tr->proc);
}
