/* Governance policies: validation, merging with provenance, "is tighter" and
 * the questions the gateway and the executors ask (see policy.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/time.h"
#include "flow/types.h"
#include "platform/clock.h"
#include "platform/regex.h"
#include "platform/xmalloc.h"
#include "platform/yaml.h"
#include "tenants/policy.h"

#define LIST_MAX 256 /* entries of allowedTaskTypes, network, requiredLabels */

typedef enum { KT_SIZE, KT_CPU, KT_COUNT, KT_DURATION, KT_TYPES, KT_NETWORK, KT_LABELS } kind_t;

typedef struct key_row {
    const char *name;
    kind_t kind;
    int64_t min, max; /* bounds of numeric keys, in the key's unit */
    const char *what; /* for messages */
    int64_t dflt;     /* built-in value when no level sets the key (0: none) */
} key_row_t;

/* One row per key: adding a key is adding a row (and its check below). */
static const key_row_t keys[WF_POL__COUNT] = {
    [WF_POL_MAX_MEMORY] = {"maxMemory", KT_SIZE, 1 << 20, INT64_C(1) << 40,
                           "a size between 1MiB and 1TiB (\"512MiB\", \"2GiB\" or bytes)"},
    [WF_POL_MAX_CPU] = {"maxCpu", KT_CPU, 10, 1024000,
                        "a number of cores between 0.01 and 1024 (1.5, or \"500m\")"},
    [WF_POL_MAX_PIDS] = {"maxPids", KT_COUNT, 1, 1000000, "an integer between 1 and 1000000"},
    [WF_POL_MAX_TASK_DURATION] = {"maxTaskDuration", KT_DURATION, 1000, INT64_C(7) * 86400000,
                                  "an ISO-8601 duration between PT1S and P7D (\"PT10M\")"},
    [WF_POL_MAX_CONCURRENT_TASK_RUNS] = {"maxConcurrentTaskRuns", KT_COUNT, 1, 100000,
                                         "an integer between 1 and 100000"},
    [WF_POL_MAX_EXECUTIONS_PER_MINUTE] = {"maxExecutionsPerMinute", KT_COUNT, 1, 1000000,
                                          "an integer between 1 and 1000000"},
    [WF_POL_MAX_FLOW_SIZE] = {"maxFlowSize", KT_SIZE, 64, INT64_C(1) << 30,
                              "a size between 64 bytes and 1GiB (\"64KiB\" or bytes)"},
    [WF_POL_ALLOWED_TASK_TYPES] = {"allowedTaskTypes", KT_TYPES, 0, 0,
                                   "a list of task types or \"prefix.*\" patterns"},
    [WF_POL_NETWORK] = {"network", KT_NETWORK, 0, 0,
                        "\"none\" or a list of \"host:port\" (host may be \"*.domain\", port "
                        "\"*\")"},
    [WF_POL_REQUIRED_LABELS] = {"requiredLabels", KT_LABELS, 0, 0,
                                "a map of label key to a regular expression"},
    [WF_POL_MAX_DISK] = {"maxDisk", KT_SIZE, 1 << 20, INT64_C(1) << 40,
                         "a size between 1MiB and 1TiB (\"256MiB\", \"1GiB\" or bytes)"},
    /* Bounds loops of flows starting each other (subflows, Flow triggers). */
    [WF_POL_MAX_CHAIN_DEPTH] = {"maxChainDepth", KT_COUNT, 1, 100,
                                "an integer between 1 and 100", WF_POLICY_DEFAULT_CHAIN_DEPTH},
    /* Bounds what one domain can pile up (fan-out loops, floods of the API). */
    [WF_POL_MAX_ACTIVE_EXECUTIONS] = {"maxActiveExecutions", KT_COUNT, 1, 1000000,
                                      "an integer between 1 and 1000000",
                                      WF_POLICY_DEFAULT_ACTIVE_EXECUTIONS},
    /* How long ended executions (with their task runs, logs and files) are
     * kept; a shorter retention is the tighter one. Unset: kept forever. */
    [WF_POL_RETENTION] = {"retention", KT_DURATION, 60000, INT64_C(3650) * 86400000,
                          "an ISO-8601 duration between PT1M and P3650D (\"P30D\")"},
    /* The domain's storage quota, checked before a file is written. */
    [WF_POL_MAX_STORAGE] = {"maxStorage", KT_SIZE, 1 << 20, INT64_C(1) << 50,
                            "a size between 1MiB and 1PiB (\"10GiB\" or bytes)"},
};

const char *wf_policy_key_name(wf_policy_key_t k)
{
    return (unsigned)k < WF_POL__COUNT ? keys[k].name : "?";
}

int wf_policy_key_parse(const char *name)
{
    for (int i = 0; i < WF_POL__COUNT; i++)
        if (strcmp(keys[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- scalar parsing ------------------------------------------------------- */

int wf_policy_parse_size(const json_t *v, int64_t *bytes)
{
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return -1;
        *bytes = json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"", 1},           {"B", 1},          {"K", 1024},         {"KiB", 1024},
                 {"KB", 1000},      {"M", 1 << 20},    {"MiB", 1 << 20},    {"MB", 1e6},
                 {"G", 1 << 30},    {"GiB", 1 << 30},  {"GB", 1e9},         {"T", 1099511627776.0},
                 {"TiB", 1099511627776.0}, {"TB", 1e12}};
    const char *s = json_string_value(v);
    char *end = NULL;
    if (!isdigit((unsigned char)s[0]))
        return -1;
    double n = strtod(s, &end);
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            double b = n * units[i].mult;
            if (!isfinite(b) || b > 9.0e18)
                return -1;
            *bytes = (int64_t)b;
            return 0;
        }
    }
    return -1;
}

static int parse_cpu(const json_t *v, int64_t *milli)
{
    double cores;
    if (json_is_number(v)) {
        cores = json_number_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end = NULL;
        if (!isdigit((unsigned char)s[0]))
            return -1;
        double n = strtod(s, &end);
        if (strcmp(end, "m") == 0)
            cores = n / 1000.0;
        else if (*end == '\0')
            cores = n;
        else
            return -1;
    } else {
        return -1;
    }
    if (!isfinite(cores) || cores < 0 || cores > 1e7)
        return -1;
    *milli = (int64_t)llround(cores * 1000.0);
    return 0;
}

/* The numeric value of `v` for key `k` in the key's unit; -1 when invalid
 * (bounds included). */
static int numeric(wf_policy_key_t k, const json_t *v, int64_t *out)
{
    int64_t n = 0;
    switch (keys[k].kind) {
    case KT_SIZE:
        if (wf_policy_parse_size(v, &n) != 0)
            return -1;
        break;
    case KT_CPU:
        if (parse_cpu(v, &n) != 0)
            return -1;
        break;
    case KT_COUNT:
        if (!json_is_integer(v))
            return -1;
        n = json_integer_value(v);
        break;
    case KT_DURATION: {
        char msg[128];
        if (!json_is_string(v) || wf_duration_parse(json_string_value(v), &n, msg, sizeof(msg)))
            return -1;
        break;
    }
    default:
        return -1;
    }
    if (n < keys[k].min || n > keys[k].max)
        return -1;
    *out = n;
    return 0;
}

/* ---- list values --------------------------------------------------------------- */

/* A task type entry: a known type (by name or alias) or "a.b.*". Writes the
 * canonical form (name, or the pattern itself) to `canon`. */
static bool type_entry_ok(const char *s, char *canon, size_t len)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return false;
    if (n >= 3 && strcmp(s + n - 2, ".*") == 0) {
        for (size_t i = 0; i + 2 < n; i++)
            if (!(isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
                return false;
        snprintf(canon, len, "%s", s);
        return true;
    }
    const wf_task_type_t *t = wf_task_type_find(s);
    if (t == NULL)
        return false;
    snprintf(canon, len, "%s", t->name);
    return true;
}

/* "host:port": host [a-z0-9.-] (optionally "*." first), port 1..65535 or "*". */
static bool net_entry_parse(const char *s, char *host, size_t hlen, int *port)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || (size_t)(colon - s) >= hlen)
        return false;
    size_t hn = (size_t)(colon - s);
    memcpy(host, s, hn);
    host[hn] = '\0';
    const char *h = host;
    if (strncmp(h, "*.", 2) == 0)
        h += 2;
    if (*h == '\0' || *h == '.')
        return false;
    for (const char *c = h; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '.' || *c == '-'))
            return false;
    if (strcmp(colon + 1, "*") == 0) {
        *port = 0;
        return true;
    }
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535)
        return false;
    *port = (int)p;
    return true;
}

static bool label_key_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.' ||
              s[i] == '/'))
            return false;
    return true;
}

/* Compiles a pattern that must match the whole label value (PCRE2, under
 * the limits of platform/regex.h: a namespace admin writes it, the gateway
 * matches it). From the shared cache: the gateway builds a policy for every
 * apply, and a pattern is compiled once for all of them. NULL with `err`
 * saying why when it does not compile. */
static wf_regex_t *label_regex(const char *pattern, char *err, size_t errlen)
{
    size_t n = strlen(pattern);
    if (n == 0 || n > 1024) {
        snprintf(err, errlen, "must be 1-1024 characters");
        return NULL;
    }
    return wf_regex_cached(pattern, WF_REGEX_FULL, err, errlen, NULL);
}

/* ---- 2. validation -------------------------------------------------------------- */

static int bad(char *pointer, size_t plen, char *msg, size_t mlen, const char *ptr,
               const char *fmt, const char *arg)
{
    snprintf(pointer, plen, "%s", ptr);
    snprintf(msg, mlen, fmt, arg);
    return -1;
}

static bool type_entry_valid(const char *s)
{
    char canon[256];
    return type_entry_ok(s, canon, sizeof(canon));
}

static bool net_entry_valid(const char *s)
{
    char host[256];
    int port;
    return net_entry_parse(s, host, sizeof(host), &port);
}

/* A list member: an array of at most LIST_MAX strings, each accepted by
 * `entry_ok`. A refused entry is reported at its own pointer with `why`
 * (whose %s, if any, is the entry). */
static int validate_list(wf_policy_key_t k, const json_t *v, bool (*entry_ok)(const char *),
                         const char *why, char *pointer, size_t plen, char *msg, size_t mlen)
{
    char ptr[300];
    snprintf(ptr, sizeof(ptr), "/%s", keys[k].name);
    if (!json_is_array(v) || json_array_size(v) > LIST_MAX)
        return bad(pointer, plen, msg, mlen, ptr, "must be %s", keys[k].what);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        snprintf(ptr, sizeof(ptr), "/%s/%zu", keys[k].name, i);
        if (!json_is_string(e) || !entry_ok(json_string_value(e)))
            return bad(pointer, plen, msg, mlen, ptr, why,
                       json_is_string(e) ? json_string_value(e) : "the entry");
    }
    return 0;
}

static int validate_member(wf_policy_key_t k, const json_t *v, char *pointer, size_t plen,
                           char *msg, size_t mlen)
{
    char ptr[300];
    int64_t n;
    snprintf(ptr, sizeof(ptr), "/%s", keys[k].name);
    switch (keys[k].kind) {
    case KT_SIZE:
    case KT_CPU:
    case KT_COUNT:
    case KT_DURATION:
        if (numeric(k, v, &n) != 0)
            return bad(pointer, plen, msg, mlen, ptr, "must be %s", keys[k].what);
        return 0;
    case KT_TYPES:
        return validate_list(k, v, type_entry_valid,
                             "%s is not a known task type or a \"prefix.*\" pattern", pointer,
                             plen, msg, mlen);
    case KT_NETWORK:
        if (json_is_string(v) && strcmp(json_string_value(v), "none") == 0)
            return 0;
        return validate_list(k, v, net_entry_valid,
                             "must be \"host:port\" (host in lower case, may start with \"*.\"; "
                             "port 1-65535 or \"*\")",
                             pointer, plen, msg, mlen);
    case KT_LABELS: {
        if (!json_is_object(v) || json_object_size(v) > LIST_MAX)
            return bad(pointer, plen, msg, mlen, ptr, "must be %s", keys[k].what);
        const char *lk;
        json_t *e;
        json_object_foreach((json_t *)v, lk, e) {
            snprintf(ptr, sizeof(ptr), "/%s/%s", keys[k].name, lk);
            if (!label_key_ok(lk))
                return bad(pointer, plen, msg, mlen, ptr, "%s",
                           "a label key is 1-128 of [A-Za-z0-9_.-/]");
            char why[256];
            wf_regex_t *re = json_is_string(e) ? label_regex(json_string_value(e), why, sizeof(why))
                                               : NULL;
            if (re == NULL)
                return bad(pointer, plen, msg, mlen, ptr,
                           "must be a regular expression (PCRE2 syntax, 1-1024 characters): %s",
                           json_is_string(e) ? why : "not a string");
            wf_regex_release(re);
        }
        return 0;
    }
    }
    return -1;
}

int wf_policy_validate(const json_t *doc, char *pointer, size_t plen, char *msg, size_t mlen)
{
    if (!json_is_object(doc))
        return bad(pointer, plen, msg, mlen, "", "%s", "the policy must be a JSON object");
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)doc, name, v) {
        int k = wf_policy_key_parse(name);
        if (k < 0) {
            const char *names[WF_POL__COUNT];
            for (int i = 0; i < WF_POL__COUNT; i++)
                names[i] = keys[i].name;
            const char *near = wf_suggest(name, names, WF_POL__COUNT);
            char ptr[300];
            snprintf(ptr, sizeof(ptr), "/%s", name);
            snprintf(pointer, plen, "%s", ptr);
            if (near)
                snprintf(msg, mlen, "unknown policy key %s (did you mean %s?)", name, near);
            else
                snprintf(msg, mlen, "unknown policy key %s", name);
            return -1;
        }
        if (validate_member((wf_policy_key_t)k, v, pointer, plen, msg, mlen) != 0)
            return -1;
    }
    return 0;
}

/* ---- 3. the effective policy --------------------------------------------------- */

/* One level's value of one key. */
typedef struct constraint {
    char *from;   /* prefix */
    bool platform;
    json_t *value; /* as stored */
    int64_t num;   /* numeric keys: the value in the key's unit */
    /* requiredLabels: compiled patterns, one per member of value */
    wf_regex_t **res;
    size_t n_res;
} constraint_t;

struct wf_policy {
    int refs; /* wf_policy_ref / wf_policy_destroy */
    char *ns;
    constraint_t *c[WF_POL__COUNT];
    size_t n[WF_POL__COUNT];
};

wf_policy_t *wf_policy_create(const char *ns)
{
    wf_policy_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->refs = 1;
    p->ns = strdup(ns ? ns : "");
    if (p->ns == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

wf_policy_t *wf_policy_ref(wf_policy_t *p)
{
    if (p != NULL)
        p->refs++;
    return p;
}

void wf_policy_destroy(wf_policy_t *p)
{
    if (p == NULL || --p->refs > 0)
        return;
    for (int k = 0; k < WF_POL__COUNT; k++) {
        for (size_t i = 0; i < p->n[k]; i++) {
            constraint_t *c = &p->c[k][i];
            free(c->from);
            json_decref(c->value);
            for (size_t j = 0; j < c->n_res; j++)
                wf_regex_release(c->res[j]);
            free(c->res);
        }
        free(p->c[k]);
    }
    free(p->ns);
    free(p);
}

const char *wf_policy_namespace(const wf_policy_t *p)
{
    return p->ns;
}

/* Canonical copy of a list value: task types by their current names. */
static json_t *canonical(wf_policy_key_t k, json_t *v)
{
    if (k != WF_POL_ALLOWED_TASK_TYPES)
        return json_incref(v);
    json_t *out = json_array();
    size_t i;
    json_t *e;
    char canon[256];
    json_array_foreach(v, i, e) {
        if (type_entry_ok(json_string_value(e), canon, sizeof(canon)))
            json_array_append_new(out, json_string(canon));
    }
    return out;
}

static int add_one(wf_policy_t *p, wf_policy_key_t k, const char *prefix, bool platform,
                   json_t *v)
{
    constraint_t *grown = realloc(p->c[k], (p->n[k] + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    p->c[k] = grown;
    constraint_t *c = &grown[p->n[k]];
    memset(c, 0, sizeof(*c));
    c->from = strdup(prefix);
    c->platform = platform;
    c->value = canonical(k, v);
    if (c->from == NULL || c->value == NULL) {
        free(c->from);
        json_decref(c->value);
        return -1;
    }
    if (keys[k].kind == KT_LABELS) {
        /* One slot per member, in order (NULL for one that does not compile:
         * stored documents were validated, so only an older syntax can). */
        c->res = calloc(json_object_size(v) + 1, sizeof(*c->res));
        const char *lk;
        json_t *e;
        char why[256];
        json_object_foreach(v, lk, e) {
            if (c->res != NULL)
                c->res[c->n_res++] = json_is_string(e) ? label_regex(json_string_value(e), why,
                                                                     sizeof(why))
                                                       : NULL;
        }
    } else if (keys[k].kind != KT_TYPES && keys[k].kind != KT_NETWORK) {
        numeric(k, v, &c->num);
    }
    p->n[k]++;
    return 0;
}

int wf_policy_add(wf_policy_t *p, const char *prefix, bool platform, const json_t *doc)
{
    if (!json_is_object(doc))
        return -1;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)doc, name, v) {
        int k = wf_policy_key_parse(name);
        char ptr[300], msg[300];
        if (k < 0 || validate_member((wf_policy_key_t)k, v, ptr, sizeof(ptr), msg, sizeof(msg)))
            continue;
        if (add_one(p, (wf_policy_key_t)k, prefix ? prefix : "", platform, v) != 0)
            return -1;
    }
    return 0;
}

/* Index of the tightest numeric constraint (the topmost on ties), or -1. */
static int tightest(const wf_policy_t *p, wf_policy_key_t k)
{
    int best = -1;
    for (size_t i = 0; i < p->n[k]; i++)
        if (best < 0 || p->c[k][i].num < p->c[k][best].num)
            best = (int)i;
    return best;
}

bool wf_policy_limit(const wf_policy_t *p, wf_policy_key_t k, int64_t *value, const char **from)
{
    if (p == NULL || (unsigned)k >= WF_POL__COUNT || keys[k].kind >= KT_TYPES)
        return false;
    int i = tightest(p, k);
    if (i < 0)
        return false;
    *value = p->c[k][i].num;
    if (from)
        *from = p->c[k][i].from;
    return true;
}

int64_t wf_policy_default(wf_policy_key_t k)
{
    return (unsigned)k < WF_POL__COUNT ? keys[k].dflt : 0;
}

bool wf_policy_bound(const wf_policy_t *p, wf_policy_key_t k, int64_t *value, const char **from)
{
    if (wf_policy_limit(p, k, value, from))
        return true;
    if (wf_policy_default(k) <= 0)
        return false;
    *value = wf_policy_default(k);
    if (from)
        *from = NULL;
    return true;
}

/* Does list `allowed` (canonical names and patterns) allow `type`? A pattern
 * entry in `type` itself ("a.*") is allowed when an entry covers it. */
static bool types_allow(const json_t *allowed, const char *type)
{
    size_t i;
    json_t *e;
    json_array_foreach(allowed, i, e) {
        const char *a = json_string_value(e);
        size_t n = strlen(a);
        if (strcmp(a, type) == 0)
            return true;
        if (n >= 2 && strcmp(a + n - 2, ".*") == 0 && strncmp(type, a, n - 1) == 0)
            return true;
    }
    return false;
}

bool wf_policy_task_type_allowed(const wf_policy_t *p, const char *type, const char **from)
{
    for (size_t i = 0; p && i < p->n[WF_POL_ALLOWED_TASK_TYPES]; i++) {
        const constraint_t *c = &p->c[WF_POL_ALLOWED_TASK_TYPES][i];
        if (!types_allow(c->value, type)) {
            if (from)
                *from = c->from;
            return false;
        }
    }
    return true;
}

/* Does allowlist entry `rule` cover host:port (port 0 = any, in `entry` only
 * when comparing two rules)? */
static bool net_covers(const char *rule, const char *host, int port)
{
    char rh[256];
    int rp;
    if (!net_entry_parse(rule, rh, sizeof(rh), &rp))
        return false;
    if (rp != 0 && rp != port)
        return false;
    if (strncmp(rh, "*.", 2) == 0) {
        size_t hn = strlen(host), sn = strlen(rh + 1); /* ".domain" */
        return hn > sn && strcmp(host + hn - sn, rh + 1) == 0;
    }
    return strcmp(rh, host) == 0;
}

static bool net_list_allows(const json_t *list, const char *host, int port)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (net_covers(json_string_value(e), host, port))
            return true;
    }
    return false;
}

wf_policy_egress_t wf_policy_egress(const wf_policy_t *p, const char *host, int port,
                                    const char **from)
{
    size_t n = p ? p->n[WF_POL_NETWORK] : 0;
    if (n == 0)
        return WF_POL_EGRESS_UNSET;
    char lower[256];
    size_t i = 0;
    for (; host[i] && i + 1 < sizeof(lower); i++)
        lower[i] = (char)tolower((unsigned char)host[i]);
    lower[i] = '\0';
    for (size_t j = 0; j < n; j++) {
        const constraint_t *c = &p->c[WF_POL_NETWORK][j];
        if (from)
            *from = c->from;
        if (!json_is_array(c->value) || !net_list_allows(c->value, lower, port))
            return WF_POL_EGRESS_DENY;
    }
    return WF_POL_EGRESS_ALLOW;
}

json_t *wf_policy_effective_json(const wf_policy_t *p)
{
    json_t *out = json_object();
    for (int k = 0; k < WF_POL__COUNT; k++) {
        size_t n = p->n[k];
        if (n == 0)
            continue;
        json_t *entry;
        if (keys[k].kind == KT_LABELS) {
            json_t *value = json_object(), *from = json_object(), *all = json_array();
            for (size_t i = 0; i < n; i++) {
                const char *lk;
                json_t *e;
                json_object_foreach(p->c[k][i].value, lk, e) {
                    json_object_set(value, lk, e);
                    json_object_set_new(from, lk, json_string(p->c[k][i].from));
                    json_array_append_new(all, json_pack("{s:s, s:O, s:s}", "key", lk, "pattern",
                                                         e, "from", p->c[k][i].from));
                }
            }
            entry = json_pack("{s:o, s:o}", "value", value, "from", from);
            if (json_array_size(all) > json_object_size(value))
                json_object_set_new(entry, "constraints", all);
            else
                json_decref(all);
        } else if (keys[k].kind == KT_TYPES || keys[k].kind == KT_NETWORK) {
            /* The nearest level shows; every level still applies. A "none"
             * anywhere wins for network. */
            size_t show = n - 1;
            for (size_t i = 0; k == WF_POL_NETWORK && i < n; i++)
                if (json_is_string(p->c[k][i].value)) {
                    show = i;
                    break;
                }
            entry = json_pack("{s:O, s:s}", "value", p->c[k][show].value, "from",
                              p->c[k][show].from);
            if (n > 1) {
                json_t *all = json_array();
                for (size_t i = 0; i < n; i++)
                    json_array_append_new(all, json_pack("{s:O, s:s}", "value", p->c[k][i].value,
                                                         "from", p->c[k][i].from));
                json_object_set_new(entry, "constraints", all);
            }
        } else {
            int i = tightest(p, (wf_policy_key_t)k);
            entry = json_pack("{s:O, s:s}", "value", p->c[k][i].value, "from", p->c[k][i].from);
        }
        json_object_set_new(out, keys[k].name, entry);
    }
    return out;
}

/* ---- 4. is it tighter? ------------------------------------------------------------ */

/* Fills `v`: "<key>: <detail> the inherited <value> of namespace <prefix>". */
static int violation(wf_policy_violation_t *v, wf_policy_key_t k, const constraint_t *c,
                     const char *detail)
{
    snprintf(v->key, sizeof(v->key), "%s", keys[k].name);
    snprintf(v->from, sizeof(v->from), "%s", c->from);
    v->inherited = json_incref(c->value);
    char *inh = json_dumps(c->value, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(v->message, sizeof(v->message), "%s: %s the inherited %s of namespace %s",
             keys[k].name, detail, inh ? inh : "value", c->from[0] ? c->from : "\"\" (the root)");
    free(inh);
    return -1;
}

/* Is allowlist entry `entry` (possibly a wildcard) inside rule `rule`? */
static bool net_rule_covers(const char *rule, const char *entry)
{
    char rh[256], eh[256];
    int rp, ep;
    if (!net_entry_parse(rule, rh, sizeof(rh), &rp) || !net_entry_parse(entry, eh, sizeof(eh), &ep))
        return false;
    if (rp != 0 && rp != ep)
        return false; /* a fixed port never covers another port or "*" */
    if (strncmp(rh, "*.", 2) != 0)
        return strcmp(rh, eh) == 0;
    /* "*.d" covers "x.d", "*.x.d" and "*.d" itself. */
    const char *suffix = rh + 1; /* ".d" */
    const char *h = strncmp(eh, "*.", 2) == 0 ? eh + 1 : eh;
    size_t hn = strlen(h), sn = strlen(suffix);
    if (hn == sn)
        return strcmp(h, suffix) == 0 && h != eh;
    return hn > sn && strcmp(h + hn - sn, suffix) == 0;
}

int wf_policy_check_tighter(const wf_policy_t *inherited, const json_t *doc,
                            wf_policy_violation_t *v)
{
    memset(v, 0, sizeof(*v));
    const char *name;
    json_t *val;
    json_object_foreach((json_t *)doc, name, val) {
        int k = wf_policy_key_parse(name);
        if (k < 0)
            continue;
        const constraint_t *cs = inherited->c[k];
        size_t n = inherited->n[k];
        switch (keys[k].kind) {
        case KT_LABELS: /* requirements add up: never looser */
            break;
        case KT_TYPES: {
            size_t i;
            json_t *e;
            char canon[256];
            json_array_foreach(val, i, e) {
                if (!type_entry_ok(json_string_value(e), canon, sizeof(canon)))
                    continue;
                for (size_t j = 0; j < n; j++)
                    if (!types_allow(cs[j].value, canon)) {
                        char detail[300];
                        snprintf(detail, sizeof(detail), "%s is not allowed by", canon);
                        return violation(v, (wf_policy_key_t)k, &cs[j], detail);
                    }
            }
            break;
        }
        case KT_NETWORK: {
            if (json_is_string(val)) /* "none" is the tightest */
                break;
            for (size_t j = 0; j < n; j++) {
                if (json_is_string(cs[j].value))
                    return violation(v, (wf_policy_key_t)k, &cs[j],
                                     "an allowlist is looser than");
                size_t i;
                json_t *e;
                json_array_foreach(val, i, e) {
                    bool covered = false;
                    size_t m;
                    json_t *r;
                    json_array_foreach(cs[j].value, m, r) {
                        if (net_rule_covers(json_string_value(r), json_string_value(e))) {
                            covered = true;
                            break;
                        }
                    }
                    if (!covered) {
                        char detail[300];
                        snprintf(detail, sizeof(detail), "%s is not allowed by",
                                 json_string_value(e));
                        return violation(v, (wf_policy_key_t)k, &cs[j], detail);
                    }
                }
            }
            break;
        }
        default: {
            int64_t num;
            int j = tightest(inherited, (wf_policy_key_t)k);
            if (numeric((wf_policy_key_t)k, val, &num) != 0)
                continue;
            /* Below the root, a built-in value is inherited like a set one:
             * raising it is the platform's call, on the root. */
            if (j < 0 && keys[k].dflt > 0 && inherited->ns[0] != '\0' && num > keys[k].dflt) {
                snprintf(v->key, sizeof(v->key), "%s", keys[k].name);
                v->inherited = json_integer(keys[k].dflt);
                snprintf(v->message, sizeof(v->message),
                         "%s: %lld is looser than the built-in %lld (only a policy on the root "
                         "\"\" may raise it)",
                         keys[k].name, (long long)num, (long long)keys[k].dflt);
                return -1;
            }
            if (j < 0)
                continue;
            /* The tightest inherited value is the one to name. */
            if (num > cs[j].num) {
                    char *mine = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
                    char detail[300];
                    snprintf(detail, sizeof(detail), "%s is looser than", mine ? mine : "the value");
                    free(mine);
                    return violation(v, (wf_policy_key_t)k, &cs[j], detail);
                }
            break;
        }
        }
    }
    return 0;
}

/* ---- flows ---------------------------------------------------------------------------- */

typedef struct flow_check {
    const wf_policy_t *p;
    wf_diags_t *diags;
    int added;
    int64_t max_duration;
    const char *duration_from;
    bool has_duration;
} flow_check_t;

static const char *ns_name(const char *prefix)
{
    return prefix[0] ? prefix : "\"\" (the root)";
}

static void check_tasks(flow_check_t *fc, const wf_yaml_node_t *list, const char *path);

/* Child task lists of a task mapping, by key. */
static const char *const child_lists[] = {"tasks", "then", "else", "errors", "finally",
                                          "defaults", "afterExecution"};

/* Document paths ("tasks[2].then[0].type") are built on the heap: case keys
 * come from the flow and a fixed buffer would cut them. */
static void check_task(flow_check_t *fc, const wf_yaml_node_t *task, const char *path)
{
    char *sub;
    if (task->kind != WF_YAML_MAP)
        return;
    const wf_yaml_node_t *inner = wf_yaml_get(task, "task");
    if (wf_yaml_get(task, "type") == NULL && inner != NULL) {
        /* Dag entries: {task: {...}, dependsOn: [...]} */
        sub = wf_xasprintf("%s.task", path);
        check_task(fc, inner, sub);
        free(sub);
        return;
    }
    const wf_yaml_node_t *type = wf_yaml_get(task, "type");
    if (type != NULL && type->kind == WF_YAML_SCALAR) {
        const wf_task_type_t *t = wf_task_type_find(type->value);
        const char *name = t ? t->name : type->value;
        const char *from = NULL;
        if (!wf_policy_task_type_allowed(fc->p, name, &from)) {
            sub = wf_xasprintf("%s.type", path);
            wf_diag_t *d = wf_diags_add(fc->diags, type->line, type->col, sub,
                                        "task type %s is not allowed by policy allowedTaskTypes "
                                        "of namespace %s",
                                        name, ns_name(from));
            free(sub);
            wf_diag_note(d, "the namespace policy allows only the types listed by "
                            "`weft policy get %s`",
                         wf_policy_namespace(fc->p)[0] ? wf_policy_namespace(fc->p) : "'*'");
            fc->added++;
        }
    }
    const wf_yaml_node_t *timeout = wf_yaml_get(task, "timeout");
    if (fc->has_duration && timeout != NULL && timeout->kind == WF_YAML_SCALAR) {
        int64_t ms;
        char msg[128];
        if (wf_duration_parse(timeout->value, &ms, msg, sizeof(msg)) == 0 &&
            ms > fc->max_duration) {
            sub = wf_xasprintf("%s.timeout", path);
            wf_diags_add(fc->diags, timeout->line, timeout->col, sub,
                         "timeout %s is above policy maxTaskDuration (%lld ms) of namespace %s",
                         timeout->value, (long long)fc->max_duration, ns_name(fc->duration_from));
            free(sub);
            fc->added++;
        }
    }
    for (size_t i = 0; i < sizeof(child_lists) / sizeof(child_lists[0]); i++) {
        const wf_yaml_node_t *l = wf_yaml_get(task, child_lists[i]);
        if (l != NULL) {
            sub = wf_xasprintf("%s.%s", path, child_lists[i]);
            check_tasks(fc, l, sub);
            free(sub);
        }
    }
    const wf_yaml_node_t *cases = wf_yaml_get(task, "cases");
    if (cases != NULL && cases->kind == WF_YAML_MAP) {
        for (size_t i = 0; i < cases->count; i++) {
            sub = wf_xasprintf("%s.cases.%s", path, cases->keys[i]->value);
            check_tasks(fc, cases->items[i], sub);
            free(sub);
        }
    }
}

static void check_tasks(flow_check_t *fc, const wf_yaml_node_t *list, const char *path)
{
    if (list == NULL || list->kind != WF_YAML_SEQ)
        return;
    for (size_t i = 0; i < list->count; i++) {
        char *sub = wf_xasprintf("%s[%zu]", path, i);
        check_task(fc, list->items[i], sub);
        free(sub);
    }
}

/* The value of label `key` in a `labels:` map or list of {key, value}. */
static const wf_yaml_node_t *label_value(const wf_yaml_node_t *labels, const char *key)
{
    if (labels == NULL)
        return NULL;
    if (labels->kind == WF_YAML_MAP)
        return wf_yaml_get(labels, key);
    if (labels->kind != WF_YAML_SEQ)
        return NULL;
    for (size_t i = 0; i < labels->count; i++) {
        const wf_yaml_node_t *k = wf_yaml_get(labels->items[i], "key");
        if (k && k->kind == WF_YAML_SCALAR && strcmp(k->value, key) == 0)
            return wf_yaml_get(labels->items[i], "value");
    }
    return NULL;
}

/* The key node of `key` in `map` (its position is where "key:" is written). */
static const wf_yaml_node_t *key_node(const wf_yaml_node_t *map, const char *key)
{
    for (size_t i = 0; map && map->kind == WF_YAML_MAP && i < map->count; i++)
        if (map->keys[i]->kind == WF_YAML_SCALAR && strcmp(map->keys[i]->value, key) == 0)
            return map->keys[i];
    return NULL;
}

/* Each match is bounded (platform/regex.h), but a policy chain can hold
 * thousands of patterns: past this much time on the gateway's thread the
 * remaining ones count as too costly and the flow is refused. */
#define LABEL_MATCH_BUDGET_MS 20

static void check_labels(flow_check_t *fc, const wf_yaml_node_t *root)
{
    int64_t deadline = wf_clock_mono_ms() + LABEL_MATCH_BUDGET_MS;
    const wf_yaml_node_t *labels = wf_yaml_get(root, "labels");
    const wf_yaml_node_t *at = key_node(root, "labels");
    const wf_policy_t *p = fc->p;
    for (size_t i = 0; i < p->n[WF_POL_REQUIRED_LABELS]; i++) {
        const constraint_t *c = &p->c[WF_POL_REQUIRED_LABELS][i];
        const char *lk;
        json_t *e;
        size_t r = 0;
        json_object_foreach(c->value, lk, e) {
            const wf_yaml_node_t *v = label_value(labels, lk);
            char path[300];
            snprintf(path, sizeof(path), "labels.%s", lk);
            if (v == NULL || v->kind != WF_YAML_SCALAR) {
                int line = at ? at->line : 1, col = at ? at->col : 1;
                wf_diags_add(fc->diags, line ? line : 1, col ? col : 1, path,
                             "label %s is required by policy requiredLabels of namespace %s",
                             lk, ns_name(c->from));
                fc->added++;
            } else if (r < c->n_res && c->res[r] != NULL) {
                wf_regex_result_t m = wf_clock_mono_ms() > deadline
                                          ? WF_REGEX_TOO_COSTLY
                                          : wf_regex_match(c->res[r], v->value, strlen(v->value));
                if (m == WF_REGEX_TOO_COSTLY) {
                    wf_diags_add(fc->diags, v->line, v->col, path,
                                 "label %s: the pattern /%s/ of policy requiredLabels of "
                                 "namespace %s could not be checked: " WF_REGEX_TOO_COSTLY_MSG,
                                 lk, json_string_value(e), ns_name(c->from));
                    fc->added++;
                } else if (m != WF_REGEX_MATCH) {
                    wf_diags_add(fc->diags, v->line, v->col, path,
                                 "label %s=%s does not match /%s/ required by policy "
                                 "requiredLabels of namespace %s",
                                 lk, v->value, json_string_value(e), ns_name(c->from));
                    fc->added++;
                }
            }
            r++;
        }
    }
}

int wf_policy_check_flow(const wf_policy_t *p, const char *text, size_t len, wf_diags_t *diags)
{
    flow_check_t fc = {.p = p, .diags = diags};
    int64_t max_size;
    const char *from;
    if (wf_policy_limit(p, WF_POL_MAX_FLOW_SIZE, &max_size, &from) && (int64_t)len > max_size) {
        wf_diags_add(diags, 1, 1, "", "the flow is %zu bytes, above policy maxFlowSize (%lld "
                     "bytes) of namespace %s", len, (long long)max_size, ns_name(from));
        fc.added++;
    }
    fc.has_duration = wf_policy_limit(p, WF_POL_MAX_TASK_DURATION, &fc.max_duration,
                                      &fc.duration_from);
    wf_diags_t ignored;
    wf_diags_init(&ignored, "flow");
    wf_yaml_node_t *root = wf_yaml_load(text, len, &ignored);
    wf_diags_dispose(&ignored);
    if (root == NULL)
        return fc.added;
    check_labels(&fc, root);
    static const char *const top[] = {"tasks", "errors", "finally", "afterExecution"};
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
        check_tasks(&fc, wf_yaml_get(root, top[i]), top[i]);
    wf_yaml_free(root);
    wf_diags_sort(diags);
    return fc.added;
}
