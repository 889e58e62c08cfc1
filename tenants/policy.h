/* Governance policies on namespace prefixes, shared by the gateway (PUT/GET,
 * checks when a flow is applied) and the executors (sandbox limits, quotas,
 * allowed task types and egress at run time).
 *
 * Contents
 *   1. Keys                 wf_policy_key_t, one row each in the table of policy.c
 *   2. Documents            wf_policy_validate: what PUT accepts
 *   3. Effective policy     wf_policy_t: the documents of a namespace's prefixes,
 *                           from the root ("") down, merged with provenance
 *   4. Questions            limits, task types, egress, "is tighter", flow checks
 *
 * Merging: every prefix's document constrains everything below it, so a value
 * can only narrow going down the tree. Numeric caps take the smallest value;
 * allowedTaskTypes and network allow only what every level allows;
 * requiredLabels add up. A document on a prefix has two layers: the platform
 * team's and the domain admins' (who may only tighten what is inherited,
 * including the platform layer of the same prefix). Pure: no database. */
#ifndef WF_POLICY_H
#define WF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "platform/diag.h"

/* ---- 1. Keys --------------------------------------------------------------- */

typedef enum {
    WF_POL_MAX_MEMORY = 0,            /* bytes ("512MiB" or an integer) */
    WF_POL_MAX_CPU,                   /* thousandths of a core (1.5, "500m") */
    WF_POL_MAX_PIDS,                  /* processes + threads of a task */
    WF_POL_MAX_TASK_DURATION,         /* milliseconds (ISO-8601 duration "PT10M") */
    WF_POL_MAX_CONCURRENT_TASK_RUNS,  /* sandboxed task runs at once under the prefix */
    WF_POL_MAX_EXECUTIONS_PER_MINUTE, /* executions started per sliding minute */
    WF_POL_MAX_FLOW_SIZE,             /* bytes of flow source */
    WF_POL_ALLOWED_TASK_TYPES,        /* list of type names or "prefix.*" patterns */
    WF_POL_NETWORK,                   /* "none" or a list of "host:port" */
    WF_POL_REQUIRED_LABELS,           /* label key -> PCRE2 pattern the whole value matches */
    WF_POL_MAX_DISK,                  /* bytes of a task's work dir + /tmp (disk budget) */
    WF_POL_MAX_CHAIN_DEPTH,           /* subflow / Flow trigger generations below a root */
    WF_POL_MAX_ACTIVE_EXECUTIONS,     /* unfinished executions of a domain under the prefix */
    WF_POL_RETENTION,                 /* milliseconds an ended execution is kept ("P30D") */
    WF_POL_MAX_STORAGE,               /* bytes a domain keeps: stored files + log lines */
    WF_POL__COUNT
} wf_policy_key_t;

/* "maxMemory", ...; wf_policy_key_parse returns -1 for an unknown name. */
const char *wf_policy_key_name(wf_policy_key_t k);
int wf_policy_key_parse(const char *name);

/* ---- 2. Documents ------------------------------------------------------------ */

/* Checks a document as PUT sends it (a JSON object of keys). Returns 0, or -1
 * with the JSON pointer of the first bad member ("/maxMemory",
 * "/network/2") and a sentence. */
int wf_policy_validate(const json_t *doc, char *pointer, size_t plen, char *msg, size_t mlen);

/* ---- 3. Effective policy -------------------------------------------------------- */

typedef struct wf_policy wf_policy_t;

/* An empty policy (everything allowed) for namespace `ns` ("" = root), with
 * one reference. wf_policy_ref adds one (returns `p`); wf_policy_destroy
 * drops one and frees the policy with the last. Not thread-safe. */
wf_policy_t *wf_policy_create(const char *ns);
wf_policy_t *wf_policy_ref(wf_policy_t *p);
void wf_policy_destroy(wf_policy_t *p);
/* Adds the document of `prefix`, layer `platform` or domain. Call from the
 * root down (for one prefix: platform layer first). Members that do not
 * validate are skipped (they were validated when stored). Returns 0 or -1
 * (out of memory, `doc` not an object). */
int wf_policy_add(wf_policy_t *p, const char *prefix, bool platform, const json_t *doc);
/* The namespace the policy was built for. */
const char *wf_policy_namespace(const wf_policy_t *p);
/* {"maxMemory": {"value": "1GiB", "from": "sales"}, ...}: for each key the
 * tightest value and the prefix it comes from; list keys set on several
 * prefixes also carry "constraints": [{"value", "from"}...]; requiredLabels'
 * value is {key: pattern} with "from": {key: prefix} (several patterns for
 * one key are all listed in "constraints"). New reference. */
json_t *wf_policy_effective_json(const wf_policy_t *p);

/* ---- 4. Questions ---------------------------------------------------------------- */

/* The tightest value of a numeric key (units of section 1) and the prefix it
 * comes from (pointer into `p`). False when no level sets it. */
bool wf_policy_limit(const wf_policy_t *p, wf_policy_key_t k, int64_t *value, const char **from);

/* Keys with a built-in value that applies when no level sets them
 * (maxChainDepth, maxActiveExecutions); 0 for the others. Below the root the
 * built-in value counts as inherited: only the root's documents may raise it. */
int64_t wf_policy_default(wf_policy_key_t k);
#define WF_POLICY_DEFAULT_CHAIN_DEPTH 10
#define WF_POLICY_DEFAULT_ACTIVE_EXECUTIONS 10000
/* wf_policy_limit, falling back on the built-in value (then `*from` is NULL).
 * False only for a key with neither. */
bool wf_policy_bound(const wf_policy_t *p, wf_policy_key_t k, int64_t *value, const char **from);

/* True when every level's allowedTaskTypes allows `type` (a canonical name);
 * otherwise false with `from` the first level refusing it. */
bool wf_policy_task_type_allowed(const wf_policy_t *p, const char *type, const char **from);

typedef enum {
    WF_POL_EGRESS_UNSET = 0, /* no level sets network: the caller's default applies */
    WF_POL_EGRESS_ALLOW,
    WF_POL_EGRESS_DENY,
} wf_policy_egress_t;
/* Egress decision for host:port; `from` gets the refusing (or last) level. */
wf_policy_egress_t wf_policy_egress(const wf_policy_t *p, const char *host, int port,
                                    const char **from);

/* A refused change: which key, why, and the inherited value it loosens. */
typedef struct wf_policy_violation {
    char key[40];
    char message[512];
    char from[256];    /* prefix of the inherited value ("" = root) */
    json_t *inherited; /* the inherited value (owned; json_decref), or NULL */
} wf_policy_violation_t;

/* Is `doc` (validated) at least as tight as `inherited` for every key it
 * sets? Returns 0, or -1 with the first violation filled. */
int wf_policy_check_tighter(const wf_policy_t *inherited, const json_t *doc,
                            wf_policy_violation_t *v);

/* Checks a flow's YAML source (already a valid flow) against the policy:
 * maxFlowSize, requiredLabels, allowedTaskTypes and task timeouts above
 * maxTaskDuration. Each breach becomes a positioned error in `diags` naming
 * the key and its prefix. Returns the number of errors added. */
int wf_policy_check_flow(const wf_policy_t *p, const char *text, size_t len, wf_diags_t *diags);

/* Parses a size ("512MiB", "1G", "1000", 1024) into bytes; -1 when invalid. */
int wf_policy_parse_size(const json_t *v, int64_t *bytes);

#endif
