#include "platform/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/egress_rule.h"
#include "platform/xmalloc.h"
#include "platform/yaml.h"

/* ---- the key tables ------------------------------------------------------
 * Each mapping level of weft.yaml is a table of keys. A key has a type, the
 * offset of its field, bounds and a help line; sections and lists point at
 * the table of their children. Adding a key is adding a row. */

typedef enum {
    CONF_STRING,
    CONF_INT,
    CONF_SIZE,    /* integer bytes, or "64KiB", "1MiB", "2GiB" */
    CONF_STRLIST, /* list of strings: char ** at offset, size_t count at count_offset */
    CONF_SECTION, /* nested mapping stored inline */
    CONF_LIST,    /* list of mappings: T * at offset, size_t count at count_offset */
    CONF_BOOL,    /* true/false: bool at offset */
} conf_type_t;

typedef struct conf_key conf_key_t;
struct conf_key {
    const char *name;
    conf_type_t type;
    size_t offset;
    size_t count_offset; /* STRLIST and LIST */
    size_t elem_size;    /* LIST */
    bool required;
    const char *def; /* default, as text, for STRING/INT/SIZE (NULL: none) */
    int64_t min, max;
    const conf_key_t *children; /* SECTION and LIST */
    const char *const *choices; /* STRING with a fixed set of values */
    const char *help;
};

#define END_KEYS {.name = NULL}
/* Offset of a field of wf_config_t, for the rows of the top-level tables. */
#define CFG(field) offsetof(wf_config_t, field)

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_formats[] = {"text", "json", NULL};

static const conf_key_t database_keys[] = {
    {.name = "url", .type = CONF_STRING, .offset = CFG(database.url),
     .help = "PostgreSQL connection URL; absent = embedded server under data_dir"},
    {.name = "volume", .type = CONF_STRING, .offset = CFG(database.volume),
     .help = "a directory on the database's filesystem, watched for free space (weftd up sets "
             "it for its own cluster; env WEFT_DATABASE_VOLUME)"},
    {.name = "high_water_percent", .type = CONF_INT, .offset = CFG(database.high_water_percent),
     .def = "95", .min = 10, .max = 100,
     .help = "share of the database volume (or of max_bytes) in use past which new work is "
             "refused and log lines dropped (100 = never)"},
    {.name = "min_free", .type = CONF_SIZE, .offset = CFG(database.min_free),
     .def = "0", .max = INT64_C(1) << 50,
     .help = "bytes that must stay free on the database volume (0 = only the percentage)"},
    {.name = "max_bytes", .type = CONF_SIZE, .offset = CFG(database.max_bytes),
     .def = "0", .max = INT64_C(1) << 60,
     .help = "external database: size (pg_database_size) the high-water mark is a share of "
             "(0 = not watched)"},
    {.name = "reserve", .type = CONF_SIZE, .offset = CFG(database.reserve),
     .def = "64MiB", .max = INT64_C(1) << 40,
     .help = "space weftd up holds in DATA_DIR/db-reserve on the database volume and frees "
             "when the mark is crossed (0 = none)"},
    END_KEYS,
};

static const conf_key_t log_keys[] = {
    {.name = "level", .type = CONF_STRING, .offset = CFG(log.level),
     .def = "info", .choices = log_levels, .help = "minimum level: debug, info, warn, error"},
    {.name = "format", .type = CONF_STRING, .offset = CFG(log.format),
     .def = "text", .choices = log_formats, .help = "text or json (one JSON object per line)"},
    END_KEYS,
};

static const conf_key_t gateway_keys[] = {
    {.name = "max_body", .type = CONF_SIZE, .offset = CFG(gateway.max_body),
     .def = "1MiB", .min = 1024, .max = INT64_C(1) << 30,
     .help = "largest request body accepted (413 past it)"},
    {.name = "threads", .type = CONF_INT, .offset = CFG(gateway.threads),
     .def = "0", .max = 256, .help = "event loops (0 = one per core)"},
    {.name = "header_timeout", .type = CONF_INT, .offset = CFG(gateway.header_timeout),
     .def = "10", .min = 1, .max = 3600, .help = "seconds to receive request headers"},
    {.name = "idle_timeout", .type = CONF_INT, .offset = CFG(gateway.idle_timeout),
     .def = "60", .min = 1, .max = 86400, .help = "seconds an idle keep-alive connection is kept"},
    {.name = "shutdown_timeout", .type = CONF_INT, .offset = CFG(gateway.shutdown_timeout),
     .def = "10", .max = 600, .help = "seconds in-flight requests get to finish on SIGTERM"},
    {.name = "db_connections", .type = CONF_INT, .offset = CFG(gateway.db_connections),
     .def = "4", .min = 1, .max = 64, .help = "PostgreSQL connections per event loop"},
    {.name = "max_heavy_per_principal", .type = CONF_INT,
     .offset = CFG(gateway.max_heavy_per_principal), .def = "4", .min = 1, .max = 1024,
     .help = "log reads and lists one caller may have in flight at once (429 past it)"},
    {.name = "denial_window", .type = CONF_INT, .offset = CFG(gateway.denial_window),
     .def = "60", .min = 1, .max = 86400,
     .help = "seconds over which repeated denials of one caller, action and namespace "
             "are audited as one entry plus one summary"},
    {.name = "denial_keys", .type = CONF_INT, .offset = CFG(gateway.denial_keys),
     .def = "10000", .min = 1, .max = 1000000,
     .help = "(caller, action, namespace) keys counted at once; past it, one overflow summary"},
    {.name = "auth_failure_limit", .type = CONF_INT, .offset = CFG(gateway.auth_failure_limit),
     .def = "20", .min = 1, .max = 1000000,
     .help = "failed authentications per window from one address before it gets 429"},
    {.name = "auth_failure_window", .type = CONF_INT, .offset = CFG(gateway.auth_failure_window),
     .def = "60", .min = 1, .max = 86400,
     .help = "seconds of the failed-authentication window (and of the lockout's end)"},
    {.name = "auth_failure_addresses", .type = CONF_INT,
     .offset = CFG(gateway.auth_failure_addresses), .def = "10000", .min = 1, .max = 1000000,
     .help = "client addresses tracked for failed authentication at once"},
    {.name = "trusted_proxies", .type = CONF_STRLIST, .offset = CFG(gateway.trusted_proxies),
     .count_offset = CFG(gateway.n_trusted_proxies),
     .help = "IP addresses of reverse proxies whose X-Forwarded-For names the client "
             "(none: the TCP peer is the client)"},
    END_KEYS,
};

static const conf_key_t executor_keys[] = {
    {.name = "slots", .type = CONF_INT, .offset = CFG(executor.slots),
     .def = "8", .min = 1, .max = 4096, .help = "task runs one executor runs at the same time"},
    {.name = "heartbeat_seconds", .type = CONF_INT, .offset = CFG(executor.heartbeat_seconds),
     .def = "3", .min = 1, .max = 60,
     .help = "lease renewal period; a lease lapses after 3 missed beats"},
    {.name = "stop_grace_seconds", .type = CONF_INT, .offset = CFG(executor.stop_grace_seconds),
     .def = "30", .min = 0, .max = 3600,
     .help = "on SIGTERM, running tasks may finish this long before they are stopped"},
    {.name = "lost_attempt_retries", .type = CONF_INT,
     .offset = CFG(executor.lost_attempt_retries), .def = "3", .min = 0, .max = 100,
     .help = "attempts lost with a dead or stopped replica that are run again, besides the "
             "task's retry policy"},
    {.name = "key_dir", .type = CONF_STRING, .offset = CFG(executor.key_dir),
     .help = "directory of per-domain key files (default DATA_DIR/keys)"},
    {.name = "egress_allow", .type = CONF_STRLIST, .offset = CFG(executor.egress_allow),
     .count_offset = CFG(executor.n_egress_allow),
     .help = "hosts tasks may connect to: HOST:PORT, HOST:*, *.SUFFIX:PORT, CIDR:PORT, unix:/DIR "
             "(none by default)"},
    {.name = "http_max_body", .type = CONF_SIZE, .offset = CFG(executor.http_max_body),
     .def = "10MiB", .min = 1024, .max = INT64_C(1) << 30,
     .help = "largest http.Request response body kept as output"},
    {.name = "query_max_rows", .type = CONF_INT, .offset = CFG(executor.query_max_rows),
     .def = "10000", .min = 1, .max = 10000000, .help = "rows a jdbc Query may fetch"},
    {.name = "query_max_bytes", .type = CONF_SIZE, .offset = CFG(executor.query_max_bytes),
     .def = "16MiB", .min = 1024, .max = INT64_C(1) << 30,
     .help = "bytes of rows a jdbc Query may fetch"},
    {.name = "output_files_max", .type = CONF_SIZE, .offset = CFG(executor.output_files_max),
     .def = "10MiB", .max = INT64_C(1) << 30,
     .help = "bytes of output files collected from one task attempt"},
    {.name = "task_disk", .type = CONF_SIZE, .offset = CFG(executor.task_disk),
     .def = "1GiB", .min = INT64_C(1) << 20, .max = INT64_C(1) << 40,
     .help = "disk budget of a task: its work dir and /tmp together (a tmpfs charged to its "
             "memory); policy maxDisk lowers it"},
    {.name = "log_lines_per_task_run", .type = CONF_INT,
     .offset = CFG(executor.log_lines_per_task_run), .def = "100000", .min = 1,
     .max = INT64_C(1000000000),
     .help = "log lines kept per task run; the rest are dropped with one marker line"},
    {.name = "log_lines_per_execution", .type = CONF_INT,
     .offset = CFG(executor.log_lines_per_execution), .def = "1000000", .min = 1,
     .max = INT64_C(10000000000),
     .help = "log lines kept per execution; the rest are dropped with one marker line"},
    {.name = "retention_interval", .type = CONF_INT, .offset = CFG(executor.retention_interval),
     .def = "300", .min = 1, .max = 86400,
     .help = "seconds between two passes deleting the executions past their namespace's "
             "retention policy"},
    END_KEYS,
};

/* The namespace key-value store: read by the gateway and the executors,
 * which both write values (flow/kv.h, migration 0014). */
static const conf_key_t kv_keys[] = {
    {.name = "max_value_size", .type = CONF_SIZE, .offset = CFG(kv.max_value_size),
     .def = "1MiB", .min = 16, .max = INT64_C(64) << 20,
     .help = "largest KV value (its JSON text); a larger one is refused"},
    {.name = "max_keys_per_namespace", .type = CONF_INT, .offset = CFG(kv.max_keys_per_namespace),
     .def = "10000", .min = 1, .max = 10000000,
     .help = "live KV keys one namespace may hold; a new key past it is refused"},
    END_KEYS,
};

/* The internal storage (docs/storage.md): files of executions and
 * namespaces, kept in PostgreSQL; read by the gateway and the executors. */
static const conf_key_t storage_keys[] = {
    {.name = "max_file_size", .type = CONF_SIZE, .offset = CFG(storage.max_file_size),
     .def = "1GiB", .min = 1024, .max = INT64_C(1) << 40,
     .help = "largest file the internal storage accepts; a larger one is refused"},
    END_KEYS,
};

/* The task sandbox (sandbox/sbx.h); read by executors and `weftd sandbox`. */
static const conf_key_t sandbox_keys[] = {
    {.name = "allow_weaker", .type = CONF_BOOL, .offset = CFG(sandbox.allow_weaker),
     .def = "false",
     .help = "run tasks even when user namespaces or a cgroup controller is missing"},
    {.name = "host_id_base", .type = CONF_INT, .offset = CFG(sandbox.host_id_base),
     .def = "100000", .min = 1, .max = INT64_C(4294901759),
     .help = "task ids 0..65535 map to host ids base..base+65535 (never host root)"},
    {.name = "work_base", .type = CONF_STRING, .offset = CFG(sandbox.work_base),
     .help = "directory for per-run work dirs (default $TMPDIR or /tmp)"},
    {.name = "cgroup_parent", .type = CONF_STRING, .offset = CFG(sandbox.cgroup_parent),
     .help = "cgroup path for task cgroups (default: below our own cgroup)"},
    {.name = "fresh_netns", .type = CONF_BOOL, .offset = CFG(sandbox.fresh_netns),
     .def = "true",
     .help = "a new network namespace per task (false: one empty namespace shared by the "
             "executor's tasks, which then share loopback and abstract Unix sockets)"},
    END_KEYS,
};

static const conf_key_t oidc_keys[] = {
    {.name = "issuer", .type = CONF_STRING, .offset = offsetof(wf_oidc_conf_t, issuer),
     .required = true, .help = "exact issuer (iss) of accepted tokens"},
    {.name = "audience", .type = CONF_STRING, .offset = offsetof(wf_oidc_conf_t, audience),
     .required = true, .help = "audience (aud) tokens must name"},
    {.name = "jwks_uri", .type = CONF_STRING, .offset = offsetof(wf_oidc_conf_t, jwks_uri),
     .help = "JWKS URL; discovered from the issuer when absent"},
    {.name = "groups_claim", .type = CONF_STRING, .offset = offsetof(wf_oidc_conf_t, groups_claim),
     .def = "groups", .help = "claim listing the user's groups"},
    END_KEYS,
};

static const conf_key_t auth_keys[] = {
    {.name = "oidc", .type = CONF_LIST, .offset = CFG(auth.oidc), .count_offset = CFG(auth.n_oidc),
     .elem_size = sizeof(wf_oidc_conf_t), .children = oidc_keys, .help = "trusted OIDC issuers"},
    END_KEYS,
};

static const conf_key_t domain_keys[] = {
    {.name = "name", .type = CONF_STRING, .offset = offsetof(wf_domain_conf_t, name),
     .required = true, .help = "domain name ([a-z][a-z0-9-]*)"},
    {.name = "namespaces", .type = CONF_STRLIST, .offset = offsetof(wf_domain_conf_t, namespaces),
     .count_offset = offsetof(wf_domain_conf_t, n_namespaces),
     .required = true, .help = "namespace prefixes the domain owns"},
    {.name = "replicas", .type = CONF_INT, .offset = offsetof(wf_domain_conf_t, replicas),
     .def = "1", .min = 1, .max = 64, .help = "executors started for the domain by `weftd up`"},
    END_KEYS,
};

static const conf_key_t top_keys[] = {
    {.name = "listen", .type = CONF_STRING, .offset = CFG(listen),
     .def = "127.0.0.1:8080", .help = "gateway address ADDR:PORT (env WEFT_LISTEN)"},
    {.name = "data_dir", .type = CONF_STRING, .offset = CFG(data_dir),
     .def = "./weft-data", .help = "embedded database, keys and admin token (env WEFT_DATA_DIR)"},
    {.name = "database", .type = CONF_SECTION,
     .children = database_keys, .help = "external PostgreSQL (env WEFT_DATABASE_URL)"},
    {.name = "log", .type = CONF_SECTION, .children = log_keys, .help = "logging"},
    {.name = "gateway", .type = CONF_SECTION, .children = gateway_keys, .help = "HTTP server"},
    {.name = "executor", .type = CONF_SECTION, .children = executor_keys, .help = "executors"},
    {.name = "sandbox", .type = CONF_SECTION, .children = sandbox_keys, .help = "task sandbox"},
    {.name = "kv", .type = CONF_SECTION, .children = kv_keys, .help = "namespace key-value store"},
    {.name = "storage", .type = CONF_SECTION, .children = storage_keys,
     .help = "internal storage of files"},
    {.name = "auth", .type = CONF_SECTION, .children = auth_keys, .help = "authentication"},
    {.name = "domains", .type = CONF_LIST, .offset = CFG(domains), .count_offset = CFG(n_domains),
     .elem_size = sizeof(wf_domain_conf_t), .children = domain_keys,
     .help = "team domains and the namespace prefixes they own"},
    END_KEYS,
};

/* ---- helpers ------------------------------------------------------------- */

#define FIELD(base, off, type) ((type *)((char *)(base) + (off)))

/* The document path of a child for messages: "PATH.KEY", "KEY" at the top,
 * or "PATH[INDEX]" when `key` is NULL. Built on the heap: key names come
 * from the file and a fixed buffer would cut them. The caller frees it. */
static char *child_path(const char *path, const char *key, size_t index)
{
    if (key == NULL)
        return wf_xasprintf("%s[%zu]", path, index);
    return wf_xasprintf("%s%s%s", path, path[0] ? "." : "", key);
}

static int parse_size(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    static const struct {
        const char *suffix;
        int shift;
    } units[] = {{"", 0}, {"B", 0}, {"KiB", 10}, {"K", 10}, {"MiB", 20},
                 {"M", 20}, {"GiB", 30}, {"G", 30}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(end, units[i].suffix) == 0) {
            if (v > (INT64_MAX >> units[i].shift))
                return -1;
            *out = (int64_t)v << units[i].shift;
            return 0;
        }
    return -1;
}

static void apply_defaults(void *base, const conf_key_t *keys)
{
    for (const conf_key_t *k = keys; k->name != NULL; k++) {
        switch (k->type) {
        case CONF_STRING:
            *FIELD(base, k->offset, char *) = k->def ? wf_xstrdup(k->def) : NULL;
            break;
        case CONF_INT:
            *FIELD(base, k->offset, int64_t) = k->def ? strtoll(k->def, NULL, 10) : 0;
            break;
        case CONF_SIZE:
            if (k->def == NULL || parse_size(k->def, FIELD(base, k->offset, int64_t)) != 0)
                *FIELD(base, k->offset, int64_t) = 0;
            break;
        case CONF_SECTION:
            apply_defaults(base, k->children);
            break;
        case CONF_BOOL:
            *FIELD(base, k->offset, bool) = k->def != NULL && strcmp(k->def, "true") == 0;
            break;
        case CONF_STRLIST:
        case CONF_LIST:
            break;
        }
    }
}

static void free_values(void *base, const conf_key_t *keys)
{
    for (const conf_key_t *k = keys; k->name != NULL; k++) {
        switch (k->type) {
        case CONF_STRING:
            free(*FIELD(base, k->offset, char *));
            *FIELD(base, k->offset, char *) = NULL;
            break;
        case CONF_STRLIST: {
            char **list = *FIELD(base, k->offset, char **);
            size_t n = *FIELD(base, k->count_offset, size_t);
            for (size_t i = 0; i < n; i++)
                free(list[i]);
            free(list);
            *FIELD(base, k->offset, char **) = NULL;
            *FIELD(base, k->count_offset, size_t) = 0;
            break;
        }
        case CONF_LIST: {
            char *arr = *FIELD(base, k->offset, char *);
            size_t n = *FIELD(base, k->count_offset, size_t);
            for (size_t i = 0; i < n; i++)
                free_values(arr + i * k->elem_size, k->children);
            free(arr);
            *FIELD(base, k->offset, char *) = NULL;
            *FIELD(base, k->count_offset, size_t) = 0;
            break;
        }
        case CONF_SECTION:
            free_values(base, k->children);
            break;
        case CONF_INT:
        case CONF_SIZE:
        case CONF_BOOL:
            break;
        }
    }
}

/* Whether `v` is of `kind`; if not, reports "expected <what>, got <its type>". */
static bool has_kind(const wf_yaml_node_t *v, wf_yaml_kind_t kind, const char *what,
                     const char *path, wf_diags_t *d)
{
    if (v->kind == kind)
        return true;
    wf_diags_add(d, v->line, v->col, path, "expected %s, got %s", what, wf_yaml_type_name(v));
    return false;
}

static void load_map(void *base, const conf_key_t *keys, const wf_yaml_node_t *map,
                     const char *path, wf_diags_t *d);

static void load_key(void *base, const conf_key_t *k, const wf_yaml_node_t *v, const char *path,
                     wf_diags_t *d)
{
    int64_t iv;
    switch (k->type) {
    case CONF_STRING: {
        if (v->kind != WF_YAML_SCALAR || wf_yaml_is_null(v)) {
            wf_diags_add(d, v->line, v->col, path, "expected a string, got %s",
                         wf_yaml_type_name(v));
            return;
        }
        if (k->choices != NULL) {
            bool ok = false;
            size_t n = 0;
            for (; k->choices[n] != NULL; n++)
                ok = ok || strcmp(k->choices[n], v->value) == 0;
            if (!ok) {
                wf_diag_t *e =
                    wf_diags_add(d, v->line, v->col, path, "invalid value '%s'", v->value);
                wf_diag_suggest(e, v->value, k->choices, n);
                return;
            }
        }
        char **slot = FIELD(base, k->offset, char *);
        free(*slot);
        *slot = wf_xstrdup(v->value);
        return;
    }
    case CONF_BOOL:
        if (v->kind != WF_YAML_SCALAR || !wf_yaml_as_bool(v, FIELD(base, k->offset, bool)))
            wf_diags_add(d, v->line, v->col, path, "expected true or false, got %s",
                         v->kind == WF_YAML_SCALAR ? v->value : wf_yaml_type_name(v));
        return;
    case CONF_INT:
    case CONF_SIZE: {
        bool ok = k->type == CONF_INT ? wf_yaml_as_int(v, &iv)
                                      : (v->kind == WF_YAML_SCALAR && parse_size(v->value, &iv) == 0);
        if (!ok) {
            wf_diags_add(d, v->line, v->col, path, "expected %s, got %s",
                         k->type == CONF_INT ? "an integer" : "a size such as 1048576 or 1MiB",
                         wf_yaml_type_name(v));
            return;
        }
        if (iv < k->min || iv > k->max) {
            wf_diags_add(d, v->line, v->col, path, "%lld is out of range [%lld, %lld]",
                         (long long)iv, (long long)k->min, (long long)k->max);
            return;
        }
        *FIELD(base, k->offset, int64_t) = iv;
        return;
    }
    case CONF_SECTION:
        if (!has_kind(v, WF_YAML_MAP, "a map", path, d))
            return;
        load_map(base, k->children, v, path, d);
        return;
    case CONF_STRLIST: {
        if (!has_kind(v, WF_YAML_SEQ, "a list of strings", path, d))
            return;
        char **list = wf_xcalloc(v->count, sizeof(char *));
        size_t n = 0;
        for (size_t i = 0; i < v->count; i++) {
            const wf_yaml_node_t *item = v->items[i];
            if (item->kind != WF_YAML_SCALAR || wf_yaml_is_null(item)) {
                char *p = child_path(path, NULL, i);
                wf_diags_add(d, item->line, item->col, p, "expected a string, got %s",
                             wf_yaml_type_name(item));
                free(p);
                continue;
            }
            list[n++] = wf_xstrdup(item->value);
        }
        free_values(base, (const conf_key_t[]){*k, END_KEYS});
        *FIELD(base, k->offset, char **) = list;
        *FIELD(base, k->count_offset, size_t) = n;
        return;
    }
    case CONF_LIST: {
        if (!has_kind(v, WF_YAML_SEQ, "a list", path, d))
            return;
        char *arr = wf_xcalloc(v->count, k->elem_size);
        size_t n = 0;
        for (size_t i = 0; i < v->count; i++) {
            const wf_yaml_node_t *item = v->items[i];
            char *p = child_path(path, NULL, i);
            if (has_kind(item, WF_YAML_MAP, "a map", p, d)) {
                void *elem = arr + n * k->elem_size;
                apply_defaults(elem, k->children);
                load_map(elem, k->children, item, p, d);
                n++;
            }
            free(p);
        }
        free_values(base, (const conf_key_t[]){*k, END_KEYS});
        *FIELD(base, k->offset, char *) = arr;
        *FIELD(base, k->count_offset, size_t) = n;
        return;
    }
    }
}

static void load_map(void *base, const conf_key_t *keys, const wf_yaml_node_t *map,
                     const char *path, wf_diags_t *d)
{
    for (size_t i = 0; i < map->count; i++) {
        const wf_yaml_node_t *key = map->keys[i];
        const conf_key_t *k = keys;
        while (k->name != NULL && strcmp(k->name, key->value) != 0)
            k++;
        char *p = child_path(path, key->value, 0);
        if (k->name == NULL) {
            const char *names[64];
            size_t n = 0;
            for (const conf_key_t *c = keys; c->name != NULL && n < 64; c++)
                names[n++] = c->name;
            wf_diag_t *e = wf_diags_add(d, key->line, key->col, p, "unknown key '%s'", key->value);
            wf_diag_suggest(e, key->value, names, n);
        } else {
            load_key(base, k, map->items[i], p, d);
        }
        free(p);
    }
    for (const conf_key_t *k = keys; k->name != NULL; k++) {
        if (k->required && wf_yaml_get(map, k->name) == NULL)
            wf_diags_add(d, map->line, map->col, path, "missing required key '%s'", k->name);
    }
}

/* ---- semantic checks ----------------------------------------------------- */

bool wf_namespace_valid(const char *ns)
{
    size_t len = strlen(ns);
    if (len == 0 || len > 255 || ns[0] == '.' || ns[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = ns[i];
        if (c == '.') {
            if (ns[i + 1] == '.')
                return false;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '_' && c != '-')
            return false;
    }
    return true;
}

bool wf_namespace_under(const char *ns, const char *prefix)
{
    size_t lp = strlen(prefix);
    return strncmp(ns, prefix, lp) == 0 && (ns[lp] == '\0' || ns[lp] == '.');
}

static bool domain_name_valid(const char *s)
{
    if (!islower((unsigned char)s[0]) || strlen(s) > 63)
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
            return false;
    return true;
}

int wf_parse_listen(const char *listen, char *host, size_t host_len, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen)
        return -1;
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (h[0] == '[') {
        if (hl < 2 || h[hl - 1] != ']')
            return -1;
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= host_len)
        return -1;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0' || end == colon + 1 || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

static const wf_yaml_node_t *node_at(const wf_yaml_node_t *root, const char *key, size_t idx,
                                     const char *sub)
{
    const wf_yaml_node_t *n = wf_yaml_get(root, key);
    if (n == NULL || n->kind != WF_YAML_SEQ || idx >= n->count)
        return root;
    const wf_yaml_node_t *item = n->items[idx];
    const wf_yaml_node_t *s = sub ? wf_yaml_get(item, sub) : NULL;
    return s ? s : item;
}

static void check_semantics(const wf_config_t *cfg, const wf_yaml_node_t *root, wf_diags_t *d)
{
    char host[256];
    int port;
    const wf_yaml_node_t *exn = root ? wf_yaml_get(root, "executor") : NULL;
    const wf_yaml_node_t *egn = exn ? wf_yaml_get(exn, "egress_allow") : NULL;
    for (size_t i = 0; i < cfg->executor.n_egress_allow; i++) {
        char why[300], p[64];
        if (wf_egress_entry_valid(cfg->executor.egress_allow[i], why, sizeof(why)))
            continue;
        const wf_yaml_node_t *at =
            egn && egn->kind == WF_YAML_SEQ && i < egn->count ? egn->items[i] : egn;
        snprintf(p, sizeof(p), "executor.egress_allow[%zu]", i);
        wf_diags_add(d, at ? at->line : 0, at ? at->col : 0, p, "%s", why);
    }
    const wf_yaml_node_t *gwn = root ? wf_yaml_get(root, "gateway") : NULL;
    const wf_yaml_node_t *tpn = gwn ? wf_yaml_get(gwn, "trusted_proxies") : NULL;
    for (size_t i = 0; i < cfg->gateway.n_trusted_proxies; i++) {
        unsigned char addr[sizeof(struct in6_addr)];
        const char *a = cfg->gateway.trusted_proxies[i];
        if (inet_pton(AF_INET, a, addr) == 1 || inet_pton(AF_INET6, a, addr) == 1)
            continue;
        const wf_yaml_node_t *at =
            tpn && tpn->kind == WF_YAML_SEQ && i < tpn->count ? tpn->items[i] : tpn;
        char p[64];
        snprintf(p, sizeof(p), "gateway.trusted_proxies[%zu]", i);
        wf_diags_add(d, at ? at->line : 0, at ? at->col : 0, p,
                     "'%s' is not an IP address (a proxy is named by its address, "
                     "no host names or ranges)",
                     a);
    }
    if (cfg->listen != NULL && wf_parse_listen(cfg->listen, host, sizeof(host), &port) != 0) {
        const wf_yaml_node_t *n = root ? wf_yaml_get(root, "listen") : NULL;
        wf_diags_add(d, n ? n->line : 0, n ? n->col : 0, "listen",
                     "'%s' is not ADDR:PORT (for example 127.0.0.1:8080)", cfg->listen);
    }
    for (size_t i = 0; i < cfg->n_domains; i++) {
        const wf_domain_conf_t *dom = &cfg->domains[i];
        char p[32]; /* "domains[N]": always fits */
        snprintf(p, sizeof(p), "domains[%zu]", i);
        if (dom->name == NULL)
            continue;
        const wf_yaml_node_t *at = root ? node_at(root, "domains", i, "name") : NULL;
        if (!domain_name_valid(dom->name))
            wf_diags_add(d, at ? at->line : 0, at ? at->col : 0, p,
                         "invalid domain name '%s' (lowercase letters, digits and '-', starting "
                         "with a letter)",
                         dom->name);
        for (size_t j = 0; j < i; j++)
            if (cfg->domains[j].name && strcmp(cfg->domains[j].name, dom->name) == 0)
                wf_diags_add(d, at ? at->line : 0, at ? at->col : 0, p,
                             "domain '%s' is declared twice", dom->name);
        const wf_yaml_node_t *nsn = root ? node_at(root, "domains", i, "namespaces") : NULL;
        for (size_t k = 0; k < dom->n_namespaces; k++) {
            const char *ns = dom->namespaces[k];
            const wf_yaml_node_t *nat =
                nsn && nsn->kind == WF_YAML_SEQ && k < nsn->count ? nsn->items[k] : nsn;
            char np[128]; /* "domains[N].namespaces[M]": always fits */
            snprintf(np, sizeof(np), "%s.namespaces[%zu]", p, k);
            if (!wf_namespace_valid(ns)) {
                wf_diags_add(d, nat ? nat->line : 0, nat ? nat->col : 0, np,
                             "invalid namespace '%s'", ns);
                continue;
            }
            /* A namespace belongs to exactly one domain: overlapping prefixes
             * would let two executors (and two keys) claim the same rows. */
            for (size_t j = 0; j <= i; j++)
                for (size_t m = 0; m < cfg->domains[j].n_namespaces; m++) {
                    if (j == i && m >= k)
                        break;
                    const char *other = cfg->domains[j].namespaces[m];
                    if (wf_namespace_under(ns, other) || wf_namespace_under(other, ns))
                        wf_diags_add(d, nat ? nat->line : 0, nat ? nat->col : 0, np,
                                     "namespace '%s' overlaps '%s' of domain '%s'", ns, other,
                                     cfg->domains[j].name ? cfg->domains[j].name : "?");
                }
        }
        if (dom->n_namespaces == 0 && wf_yaml_get(at, "namespaces") != NULL)
            wf_diags_add(d, at ? at->line : 0, at ? at->col : 0, p,
                         "domain '%s' owns no namespace", dom->name);
    }
}

/* ---- public entry points ------------------------------------------------- */

void wf_config_defaults(wf_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    apply_defaults(cfg, top_keys);
    cfg->source = wf_xstrdup("<defaults>");
}

int wf_config_load_text(wf_config_t *cfg, const char *text, size_t len, wf_diags_t *diags)
{
    size_t before = diags->count;
    wf_yaml_node_t *root = wf_yaml_load(text, len, diags);
    if (root != NULL) {
        if (root->kind != WF_YAML_MAP)
            wf_diags_add(diags, root->line, root->col, "", "expected a map at the top level, got %s",
                         wf_yaml_type_name(root));
        else
            load_map(cfg, top_keys, root, "", diags);
        check_semantics(cfg, root, diags);
        wf_yaml_free(root);
    }
    free(cfg->source);
    cfg->source = wf_xstrdup(diags->file);
    wf_diags_sort(diags);
    return diags->count > before ? -1 : 0;
}

int wf_config_load(wf_config_t *cfg, const char *path, wf_diags_t *diags)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        wf_diags_add(diags, 0, 0, "", "cannot open: %s", strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    int err = ferror(f);
    fclose(f);
    fclose(mem);
    if (err) {
        free(buf);
        wf_diags_add(diags, 0, 0, "", "read error");
        return -1;
    }
    int rc = wf_config_load_text(cfg, buf, len, diags);
    free(buf);
    return rc;
}

/* Replaces `*slot` with the variable's value when it is set and not empty. */
static void set_from_env(char **slot, const char *name)
{
    const char *v = getenv(name);
    if (v != NULL && *v) {
        free(*slot);
        *slot = wf_xstrdup(v);
    }
}

void wf_config_apply_env(wf_config_t *cfg)
{
    set_from_env(&cfg->listen, "WEFT_LISTEN");
    set_from_env(&cfg->database.url, "WEFT_DATABASE_URL");
    set_from_env(&cfg->data_dir, "WEFT_DATA_DIR");
    set_from_env(&cfg->database.volume, "WEFT_DATABASE_VOLUME");
}

const wf_domain_conf_t *wf_config_domain_for(const wf_config_t *cfg, const char *ns)
{
    const wf_domain_conf_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < cfg->n_domains; i++)
        for (size_t k = 0; k < cfg->domains[i].n_namespaces; k++) {
            const char *p = cfg->domains[i].namespaces[k];
            if (wf_namespace_under(ns, p) && strlen(p) > best_len) {
                best = &cfg->domains[i];
                best_len = strlen(p);
            }
        }
    return best;
}

void wf_config_dispose(wf_config_t *cfg)
{
    free_values(cfg, top_keys);
    free(cfg->source);
    memset(cfg, 0, sizeof(*cfg));
}

static void print_keys(FILE *out, const conf_key_t *keys, const char *prefix)
{
    static const char *const type_names[] = {"string", "integer", "size", "list of strings",
                                             "section", "list", "boolean"};
    for (const conf_key_t *k = keys; k->name != NULL; k++) {
        char p[128];
        snprintf(p, sizeof(p), "%s%s%s", prefix, prefix[0] ? "." : "", k->name);
        if (k->type == CONF_LIST)
            snprintf(p + strlen(p), sizeof(p) - strlen(p), "[]");
        fprintf(out, "  %-28s %-16s %s%s%s%s%s\n", p, type_names[k->type], k->help,
                k->def ? " (default " : "", k->def ? k->def : "", k->def ? ")" : "",
                k->required ? " (required)" : "");
        if (k->children != NULL)
            print_keys(out, k->children, p);
    }
}

void wf_config_print_reference(FILE *out)
{
    print_keys(out, top_keys, "");
}

int wf_load_config_or_exit(wf_config_t *cfg, const char *path)
{
    wf_config_defaults(cfg);
    if (path != NULL) {
        wf_diags_t diags;
        wf_diags_init(&diags, path);
        if (wf_config_load(cfg, path, &diags) != 0) {
            wf_diags_print(&diags, stderr);
            wf_diags_dispose(&diags);
            wf_config_dispose(cfg);
            return -1;
        }
        wf_diags_dispose(&diags);
    }
    wf_config_apply_env(cfg);
    return 0;
}
