/* Flows: Kestra-compatible YAML parsed into a typed model whose every node
 * keeps its file position, validated with every error reported at once.
 *
 * Contents
 *   1. Positions and small value types      wf_pos_t, wf_retry_t, wf_flow_input_t …
 *   2. Tasks                                wf_task_t (a tree), wf_task_list_t
 *   3. Triggers                             wf_trigger_t
 *   4. The flow                             wf_flow_t
 *   5. Entry points                         wf_flow_parse, wf_flow_parse_file, wf_flow_free
 *   6. Walking the model                    wf_flow_find_task, wf_flow_each_task
 *   7. Serialisation                        wf_flow_to_json
 *
 * Pure library: no database, no network, no global state. The model is
 * read-only once returned; one wf_flow_free releases all of it. Task types and
 * trigger types are rows of tables (flow/types.h). */
#ifndef WF_FLOW_H
#define WF_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "platform/diag.h"

/* ---- 1. Positions and small value types -------------------------------- */

/* 1-based line/column of the node in the source file; 0/0 when absent. */
typedef struct wf_pos {
    int line, col;
} wf_pos_t;

typedef enum {
    WF_RETRY_NONE = 0, /* no retry block */
    WF_RETRY_CONSTANT,
    WF_RETRY_EXPONENTIAL,
    WF_RETRY_RANDOM,
} wf_retry_kind_t;

/* `retry:` on a task or on the flow. Durations in milliseconds, -1 = unset. */
typedef struct wf_retry {
    wf_retry_kind_t kind;
    bool create_new_execution; /* `behavior: CREATE_NEW_EXECUTION` (default: retry the task) */
    int64_t max_attempts;    /* `maxAttempt` (alias `maxAttempts`); 0 = unbounded */
    int64_t max_duration_ms; /* `maxDuration` */
    int64_t interval_ms;     /* constant, exponential */
    int64_t max_interval_ms; /* exponential, random */
    int64_t min_interval_ms; /* random */
    double delay_factor;     /* exponential; 0 = default (2) */
    bool warning_on_retry;
    wf_pos_t pos;
} wf_retry_t;

/* Input types of a flow (`inputs[].type`), Kestra's names. */
typedef enum {
    WF_INPUT_STRING,
    WF_INPUT_INT,
    WF_INPUT_FLOAT,
    WF_INPUT_BOOLEAN, /* BOOLEAN and BOOL */
    WF_INPUT_SELECT,
    WF_INPUT_MULTISELECT,
    WF_INPUT_ENUM,
    WF_INPUT_DATETIME,
    WF_INPUT_DATE,
    WF_INPUT_TIME,
    WF_INPUT_DURATION,
    WF_INPUT_JSON,
    WF_INPUT_YAML,
    WF_INPUT_URI,
    WF_INPUT_SECRET,
    WF_INPUT_FILE,
    WF_INPUT_ARRAY,
    WF_INPUT_EMAIL,
} wf_input_type_t;

typedef struct wf_flow_input {
    char *id;
    wf_input_type_t type;
    wf_input_type_t item_type; /* ARRAY only */
    bool required;             /* Kestra's default: true */
    char *description;         /* or NULL */
    char *display_name;        /* or NULL */
    json_t *defaults;          /* or NULL */
    json_t *spec;              /* every property as written (validator, min, values…) */
    wf_pos_t pos;
} wf_flow_input_t;

/* `outputs:` of the flow: values exposed to callers and cross-team triggers. */
typedef struct wf_flow_output {
    char *id;
    char *type;  /* input type name, e.g. "STRING" */
    json_t *value;
    wf_pos_t pos;
} wf_flow_output_t;

typedef struct wf_label {
    char *key, *value;
    wf_pos_t pos;
} wf_label_t;

typedef enum { WF_CONC_QUEUE, WF_CONC_CANCEL, WF_CONC_FAIL } wf_conc_behavior_t;

/* ---- 2. Tasks ---------------------------------------------------------- */

/* One kind per task type of the table; the executor switches on it. */
typedef enum {
    WF_TASK_LOG,
    WF_TASK_RETURN,
    WF_TASK_ECHO,
    WF_TASK_OUTPUT_VALUES,
    WF_TASK_FAIL,
    WF_TASK_LABELS,
    WF_TASK_SLEEP,
    WF_TASK_PAUSE,
    WF_TASK_SUBFLOW,
    WF_TASK_PARALLEL,
    WF_TASK_SEQUENTIAL,
    WF_TASK_FOREACH,
    WF_TASK_EACH_SEQUENTIAL,
    WF_TASK_EACH_PARALLEL,
    WF_TASK_IF,
    WF_TASK_SWITCH,
    WF_TASK_ALLOW_FAILURE,
    WF_TASK_DAG,
    WF_TASK_WAIT_FOR,
    WF_TASK_WORKING_DIRECTORY,
    WF_TASK_HTTP_REQUEST,
    WF_TASK_SHELL_COMMANDS,
    WF_TASK_SHELL_SCRIPT,
    WF_TASK_PYTHON_SCRIPT,
    WF_TASK_PYTHON_COMMANDS,
    WF_TASK_PG_QUERY,
    WF_TASK_KV_SET,
    WF_TASK_KV_GET,
    WF_TASK_KV_DELETE,
    WF_TASK_KV_GET_KEYS,
    WF_TASK_KV_PURGE,
    WF_TASK_PURGE_EXECUTIONS,
    WF_TASK_PURGE_LOGS,
    /* Tasks that move files (executor/filetasks.h). */
    WF_TASK_HTTP_DOWNLOAD,
    WF_TASK_STORAGE_WRITE,
    WF_TASK_STORAGE_CONCAT,
    WF_TASK_STORAGE_SPLIT,
    WF_TASK_STORAGE_DELETE,
    WF_TASK_PG_COPY_IN,
    WF_TASK_PG_COPY_OUT,
    WF_TASK_PG_QUERIES,
    WF_TASK_STORAGE_LOCAL_FILES,
} wf_task_kind_t;

typedef struct wf_task_type wf_task_type_t; /* a row of the task table (types.h) */
typedef struct wf_task wf_task_t;

typedef struct wf_task_list {
    wf_task_t **items;
    size_t count;
    wf_pos_t pos; /* of the list itself */
} wf_task_list_t;

/* A `cases:` entry of Switch. */
typedef struct wf_task_case {
    char *key;
    wf_task_list_t tasks;
    wf_pos_t pos;
} wf_task_case_t;

struct wf_task {
    char *id;
    const wf_task_type_t *type; /* never NULL in a flow returned without errors */
    char *type_name;            /* as written (may be an alias) */
    char *description;
    int64_t timeout_ms; /* -1 = none; an expression stays in `props` and gives -1 */
    wf_retry_t retry;
    bool disabled, allow_failure, allow_warning;
    char *run_if;       /* `runIf` (or `when`), template text; NULL = always */
    char *log_level;    /* TRACE|DEBUG|INFO|WARN|ERROR or NULL */
    char *worker_group; /* `workerGroup.key` or NULL */

    /* Children of flowable tasks, in the order they run. Empty lists when the
     * type has none. */
    wf_task_list_t tasks;    /* tasks (Sequential, Parallel, ForEach, Dag …) */
    wf_task_list_t then_;    /* If */
    wf_task_list_t else_;    /* If */
    wf_task_case_t *cases;   /* Switch */
    size_t n_cases;
    wf_task_list_t defaults; /* Switch */
    wf_task_list_t errors;   /* any flowable */
    wf_task_list_t finally_; /* any flowable */

    /* Dag only: ids this task waits for (it is a child of a Dag task). */
    char **depends_on;
    wf_pos_t *depends_on_pos;
    size_t n_depends_on;

    /* Type-specific properties as written (message, format, values…), for
     * the runner; common fields and child lists are not repeated here. */
    json_t *props;

    wf_task_t *parent; /* NULL for top-level tasks */
    wf_pos_t pos;      /* of the task's mapping */
};

/* ---- 3. Triggers ------------------------------------------------------- */

typedef enum { WF_TRIGGER_SCHEDULE, WF_TRIGGER_WEBHOOK, WF_TRIGGER_FLOW } wf_trigger_kind_t;

typedef struct wf_trigger_type wf_trigger_type_t;

typedef struct wf_trigger {
    char *id;
    const wf_trigger_type_t *type;
    char *type_name;
    wf_trigger_kind_t kind;
    bool disabled;
    char *cron;     /* Schedule */
    char *key;      /* Webhook */
    json_t *props;  /* everything else as written (conditions, inputs…) */
    wf_pos_t pos;
} wf_trigger_t;

/* ---- 4. The flow ------------------------------------------------------- */

typedef struct wf_flow {
    char *source_name; /* file name used in diagnostics */
    char *id;
    char *namespace_;
    char *description;
    wf_label_t *labels;
    size_t n_labels;
    wf_flow_input_t *inputs;
    size_t n_inputs;
    json_t *variables; /* object or NULL */
    wf_flow_output_t *outputs;
    size_t n_outputs;
    wf_task_list_t tasks;
    wf_task_list_t errors;
    wf_task_list_t finally_;
    wf_task_list_t after_execution;
    wf_trigger_t *triggers;
    size_t n_triggers;
    struct {
        int64_t limit; /* 0 = no concurrency block */
        wf_conc_behavior_t behavior;
    } concurrency;
    wf_retry_t retry;
    bool disabled;
    json_t *plugin_defaults; /* list as written (`pluginDefaults`/`taskDefaults`) or NULL */
    json_t *sla;             /* list as written or NULL */
    wf_pos_t pos;
} wf_flow_t;

/* ---- 5. Entry points --------------------------------------------------- */

/* Parses and validates a flow. `name` is the file name shown in messages.
 * Returns the model when there is no error; otherwise NULL with every error,
 * sorted by position, in `diags` (which this function initialises; the caller
 * disposes it in both cases). */
wf_flow_t *wf_flow_parse(const char *text, size_t len, const char *name, wf_diags_t *diags);
/* Same for a file; a read failure is reported as a diagnostic without position. */
wf_flow_t *wf_flow_parse_file(const char *path, wf_diags_t *diags);
void wf_flow_free(wf_flow_t *flow);

/* ---- 6. Walking the model ---------------------------------------------- */

/* The task with this id anywhere in the tree (errors/finally included), or NULL. */
const wf_task_t *wf_flow_find_task(const wf_flow_t *flow, const char *id);
/* Calls `fn` on every task depth-first in document order; stops early and
 * returns the callback's value when it is non-zero. */
int wf_flow_each_task(const wf_flow_t *flow, int (*fn)(const wf_task_t *task, void *arg),
                      void *arg);
/* Kestra name of an input type ("STRING"), for messages and serialisation. */
const char *wf_input_type_name(wf_input_type_t type);

/* ---- 7. Serialisation -------------------------------------------------- */

/* The flow as JSON in Kestra's shape (what the API returns). New reference. */
json_t *wf_flow_to_json(const wf_flow_t *flow);

#endif
