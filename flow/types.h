/* The tables that describe the flow language: one row per task type, trigger
 * type and condition type, each with its properties (type, required flag,
 * allowed values, nested schema) and an optional validator for rules a table
 * cannot say. Adding a type is adding a row in types.c.
 *
 * The same property rows drive the validator (schema.c), so a property
 * the table does not list is reported as unknown with a suggestion. The
 * runner of each type is chosen by the executor from the row's `kind`. */
#ifndef WF_FLOW_TYPES_H
#define WF_FLOW_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "flow/flow.h"
#include "platform/yaml.h"

/* What a property accepts. Every scalar type also accepts a string holding
 * an expression ("{{ inputs.n }}") unless the row says WF_PF_STATIC. */
typedef enum {
    WF_PT_ANY,         /* anything (checked for expressions) */
    WF_PT_STRING,      /* scalar, read as text */
    WF_PT_INT,         /* integer */
    WF_PT_NUMBER,      /* integer or decimal */
    WF_PT_BOOL,        /* true/false */
    WF_PT_DURATION,    /* ISO-8601 duration */
    WF_PT_ENUM,        /* one of `values` */
    WF_PT_CRON,        /* cron expression */
    WF_PT_MAP,         /* any mapping */
    WF_PT_LIST,        /* any list (or one string when WF_PF_ONE_OR_LIST) */
    WF_PT_STRING_LIST, /* list of scalars (or one string when WF_PF_ONE_OR_LIST) */
    WF_PT_ENUM_LIST,   /* list of `values` */
    WF_PT_OBJECT,      /* mapping checked against `sub` */
    WF_PT_OBJECT_LIST, /* list of mappings checked against `sub` */
    WF_PT_TASKS,       /* list of tasks */
    WF_PT_CASES,       /* mapping: case value -> list of tasks (Switch) */
    WF_PT_DAG_TASKS,   /* list of {task, dependsOn} (Dag) */
    WF_PT_CONDITIONS,  /* list of conditions */
    WF_PT_CONDITION_MAP, /* mapping: name -> condition (MultipleCondition) */
    WF_PT_INPUTS,      /* list of input declarations */
    WF_PT_LABELS,      /* mapping or list of {key, value} */
    WF_PT_RETRY,       /* retry policy, dispatched on its `type` */
} wf_prop_type_t;

enum {
    WF_PF_REQUIRED = 1 << 0,    /* must be present and not null */
    WF_PF_NONEMPTY = 1 << 1,    /* lists and mappings must not be empty */
    WF_PF_STATIC = 1 << 2,      /* never rendered: no expression allowed or checked */
    WF_PF_ONE_OR_LIST = 1 << 3, /* a single string stands for a list (JSON text, expression) */
    WF_PF_ID = 1 << 4,          /* must match Kestra's id pattern */
    WF_PF_FOREIGN = 1 << 5,     /* rendered against another flow (Subflow outputs) */
};

typedef struct wf_schema wf_schema_t;

typedef struct wf_prop {
    const char *name;
    wf_prop_type_t type;
    unsigned flags;
    const char *const *values; /* WF_PT_ENUM / WF_PT_ENUM_LIST: NULL-terminated */
    const wf_schema_t *sub;    /* WF_PT_OBJECT / WF_PT_OBJECT_LIST */
} wf_prop_t;

typedef struct wf_vctx wf_vctx_t; /* validation context (schema.c) */

/* Extra checks on a mapping once its properties were checked one by one. */
typedef void (*wf_validator_fn)(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path);

struct wf_schema {
    const char *what;       /* "retry policy", "input" … for messages */
    const wf_prop_t *props; /* terminated by a row with name == NULL */
    wf_validator_fn validate;
};

enum {
    WF_TT_FLOWABLE = 1 << 0, /* has child tasks; takes `errors` and `finally` */
};

struct wf_task_type {
    const char *name;            /* Kestra's current name */
    const char *const *aliases;  /* older names, NULL-terminated, or NULL */
    wf_task_kind_t kind;
    unsigned flags;              /* WF_TT_* */
    const wf_prop_t *props;      /* type-specific properties */
    wf_validator_fn validate;    /* or NULL */
    const char *summary;
};

struct wf_trigger_type {
    const char *name;
    const char *const *aliases;
    wf_trigger_kind_t kind;
    const wf_prop_t *props;
    wf_validator_fn validate;
    const char *summary;
};

typedef struct wf_condition_type {
    const char *name;
    const char *const *aliases;
    const wf_prop_t *props;
    wf_validator_fn validate;
} wf_condition_type_t;

/* The tables. */
extern const wf_task_type_t wf_task_types[];
extern const size_t wf_n_task_types;
extern const wf_trigger_type_t wf_trigger_types[];
extern const size_t wf_n_trigger_types;
extern const wf_condition_type_t wf_condition_types[];
extern const size_t wf_n_condition_types;
extern const wf_prop_t wf_task_common_props[];     /* id, type, timeout, retry … */
extern const wf_prop_t wf_flowable_common_props[]; /* errors, finally */
extern const wf_prop_t wf_trigger_common_props[];
extern const wf_schema_t wf_flow_schema; /* the top level of a flow */
extern const wf_schema_t wf_input_schema;

/* Lookups by name or alias; NULL when unknown. */
const wf_task_type_t *wf_task_type_find(const char *name);
const wf_trigger_type_t *wf_trigger_type_find(const char *name);
const wf_condition_type_t *wf_condition_type_find(const char *name);

/* Input types: name -> enum (BOOL is an alias of BOOLEAN). Returns -1 when unknown. */
int wf_input_type_parse(const char *name);

#endif
