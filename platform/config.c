#include "platform/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/egress_rule.h"
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

#define END_KEYS {NULL, 0, 0, 0, 0, false, NULL, 0, 0, NULL, NULL, NULL}

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_formats[] = {"text", "json", NULL};

static const conf_key_t database_keys[] = {
    {"url", CONF_STRING, offsetof(wf_config_t, database.url), 0, 0, false, NULL, 0, 0, NULL, NULL,
     "PostgreSQL connection URL; absent = embedded server under data_dir"},
    END_KEYS,
};

static const conf_key_t log_keys[] = {
    {"level", CONF_STRING, offsetof(wf_config_t, log.level), 0, 0, false, "info", 0, 0, NULL,
     log_levels, "minimum level: debug, info, warn, error"},
    {"format", CONF_STRING, offsetof(wf_config_t, log.format), 0, 0, false, "text", 0, 0, NULL,
     log_formats, "text or json (one JSON object per line)"},
    END_KEYS,
};

static const conf_key_t gateway_keys[] = {
    {"max_body", CONF_SIZE, offsetof(wf_config_t, gateway.max_body), 0, 0, false, "1MiB", 1024,
     INT64_C(1) << 30, NULL, NULL, "largest request body accepted (413 past it)"},
    {"threads", CONF_INT, offsetof(wf_config_t, gateway.threads), 0, 0, false, "0", 0, 256, NULL,
     NULL, "event loops (0 = one per core)"},
    {"header_timeout", CONF_INT, offsetof(wf_config_t, gateway.header_timeout), 0, 0, false, "10",
     1, 3600, NULL, NULL, "seconds to receive request headers"},
    {"idle_timeout", CONF_INT, offsetof(wf_config_t, gateway.idle_timeout), 0, 0, false, "60", 1,
     86400, NULL, NULL, "seconds an idle keep-alive connection is kept"},
    {"shutdown_timeout", CONF_INT, offsetof(wf_config_t, gateway.shutdown_timeout), 0, 0, false,
     "10", 0, 600, NULL, NULL, "seconds in-flight requests get to finish on SIGTERM"},
    {"db_connections", CONF_INT, offsetof(wf_config_t, gateway.db_connections), 0, 0, false, "4",
     1, 64, NULL, NULL, "PostgreSQL connections per event loop"},
    END_KEYS,
};

static const conf_key_t executor_keys[] = {
    {"slots", CONF_INT, offsetof(wf_config_t, executor.slots), 0, 0, false, "8", 1, 4096, NULL,
     NULL, "task runs one executor runs at the same time"},
    {"heartbeat_seconds", CONF_INT, offsetof(wf_config_t, executor.heartbeat_seconds), 0, 0, false,
     "3", 1, 60, NULL, NULL, "lease renewal period; a lease lapses after 3 missed beats"},
    {"key_dir", CONF_STRING, offsetof(wf_config_t, executor.key_dir), 0, 0, false, NULL, 0, 0,
     NULL, NULL, "directory of per-domain key files (default DATA_DIR/keys)"},
    {"egress_allow", CONF_STRLIST, offsetof(wf_config_t, executor.egress_allow),
     offsetof(wf_config_t, executor.n_egress_allow), 0, false, NULL, 0, 0, NULL, NULL,
     "hosts tasks may connect to: HOST:PORT, HOST:*, *.SUFFIX:PORT, CIDR:PORT, unix:/DIR "
     "(none by default)"},
    {"http_max_body", CONF_SIZE, offsetof(wf_config_t, executor.http_max_body), 0, 0, false,
     "10MiB", 1024, INT64_C(1) << 30, NULL, NULL,
     "largest http.Request response body kept as output"},
    {"query_max_rows", CONF_INT, offsetof(wf_config_t, executor.query_max_rows), 0, 0, false,
     "10000", 1, 10000000, NULL, NULL, "rows a jdbc Query may fetch"},
    {"query_max_bytes", CONF_SIZE, offsetof(wf_config_t, executor.query_max_bytes), 0, 0, false,
     "16MiB", 1024, INT64_C(1) << 30, NULL, NULL, "bytes of rows a jdbc Query may fetch"},
    {"output_files_max", CONF_SIZE, offsetof(wf_config_t, executor.output_files_max), 0, 0, false,
     "10MiB", 0, INT64_C(1) << 30, NULL, NULL,
     "bytes of output files collected from one task attempt"},
    END_KEYS,
};

/* The task sandbox (sandbox/sbx.h); read by executors and `weftd sandbox`. */
static const conf_key_t sandbox_keys[] = {
    {"allow_weaker", CONF_BOOL, offsetof(wf_config_t, sandbox.allow_weaker), 0, 0, false, "false",
     0, 0, NULL, NULL,
     "run tasks even when user namespaces or a cgroup controller is missing"},
    {"host_id_base", CONF_INT, offsetof(wf_config_t, sandbox.host_id_base), 0, 0, false, "100000",
     1, INT64_C(4294901759), NULL, NULL,
     "task ids 0..65535 map to host ids base..base+65535 (never host root)"},
    {"work_base", CONF_STRING, offsetof(wf_config_t, sandbox.work_base), 0, 0, false, NULL, 0, 0,
     NULL, NULL, "directory for per-run work dirs (default $TMPDIR or /tmp)"},
    {"cgroup_parent", CONF_STRING, offsetof(wf_config_t, sandbox.cgroup_parent), 0, 0, false,
     NULL, 0, 0, NULL, NULL, "cgroup path for task cgroups (default: below our own cgroup)"},
    {"fresh_netns", CONF_BOOL, offsetof(wf_config_t, sandbox.fresh_netns), 0, 0, false, "false",
     0, 0, NULL, NULL, "a new network namespace per task instead of one shared empty one"},
    END_KEYS,
};

static const conf_key_t oidc_keys[] = {
    {"issuer", CONF_STRING, offsetof(wf_oidc_conf_t, issuer), 0, 0, true, NULL, 0, 0, NULL, NULL,
     "exact issuer (iss) of accepted tokens"},
    {"audience", CONF_STRING, offsetof(wf_oidc_conf_t, audience), 0, 0, true, NULL, 0, 0, NULL,
     NULL, "audience (aud) tokens must name"},
    {"jwks_uri", CONF_STRING, offsetof(wf_oidc_conf_t, jwks_uri), 0, 0, false, NULL, 0, 0, NULL,
     NULL, "JWKS URL; discovered from the issuer when absent"},
    {"groups_claim", CONF_STRING, offsetof(wf_oidc_conf_t, groups_claim), 0, 0, false, "groups", 0,
     0, NULL, NULL, "claim listing the user's groups"},
    END_KEYS,
};

static const conf_key_t auth_keys[] = {
    {"oidc", CONF_LIST, offsetof(wf_config_t, auth.oidc), offsetof(wf_config_t, auth.n_oidc),
     sizeof(wf_oidc_conf_t), false, NULL, 0, 0, oidc_keys, NULL, "trusted OIDC issuers"},
    END_KEYS,
};

static const conf_key_t domain_keys[] = {
    {"name", CONF_STRING, offsetof(wf_domain_conf_t, name), 0, 0, true, NULL, 0, 0, NULL, NULL,
     "domain name ([a-z][a-z0-9-]*)"},
    {"namespaces", CONF_STRLIST, offsetof(wf_domain_conf_t, namespaces),
     offsetof(wf_domain_conf_t, n_namespaces), 0, true, NULL, 0, 0, NULL, NULL,
     "namespace prefixes the domain owns"},
    {"replicas", CONF_INT, offsetof(wf_domain_conf_t, replicas), 0, 0, false, "1", 1, 64, NULL,
     NULL, "executors started for the domain by `weftd up`"},
    END_KEYS,
};

static const conf_key_t top_keys[] = {
    {"listen", CONF_STRING, offsetof(wf_config_t, listen), 0, 0, false, "127.0.0.1:8080", 0, 0,
     NULL, NULL, "gateway address ADDR:PORT (env WEFT_LISTEN)"},
    {"data_dir", CONF_STRING, offsetof(wf_config_t, data_dir), 0, 0, false, "./weft-data", 0, 0,
     NULL, NULL, "embedded database, keys and admin token (env WEFT_DATA_DIR)"},
    {"database", CONF_SECTION, 0, 0, 0, false, NULL, 0, 0, database_keys, NULL,
     "external PostgreSQL (env WEFT_DATABASE_URL)"},
    {"log", CONF_SECTION, 0, 0, 0, false, NULL, 0, 0, log_keys, NULL, "logging"},
    {"gateway", CONF_SECTION, 0, 0, 0, false, NULL, 0, 0, gateway_keys, NULL, "HTTP server"},
    {"executor", CONF_SECTION, 0, 0, 0, false, NULL, 0, 0, executor_keys, NULL, "executors"},
    {"sandbox", CONF_SECTION, 0, 0, 0, false, NULL, 0, 0, sandbox_keys, NULL, "task sandbox"},
    {"auth", CONF_SECTION, 0, 0, 0, false, NULL, 0, 0, auth_keys, NULL, "authentication"},
    {"domains", CONF_LIST, offsetof(wf_config_t, domains), offsetof(wf_config_t, n_domains),
     sizeof(wf_domain_conf_t), false, NULL, 0, 0, domain_keys, NULL,
     "team domains and the namespace prefixes they own"},
    END_KEYS,
};

/* ---- helpers ------------------------------------------------------------- */

#define FIELD(base, off, type) ((type *)((char *)(base) + (off)))

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL)
        abort();
    return p;
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
            *FIELD(base, k->offset, char *) = k->def ? strdup(k->def) : NULL;
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
                const char *s = wf_suggest(v->value, k->choices, n);
                if (s != NULL)
                    wf_diag_note(e, "did you mean '%s'?", s);
                return;
            }
        }
        char **slot = FIELD(base, k->offset, char *);
        free(*slot);
        *slot = strdup(v->value);
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
        if (v->kind != WF_YAML_MAP) {
            wf_diags_add(d, v->line, v->col, path, "expected a map, got %s", wf_yaml_type_name(v));
            return;
        }
        load_map(base, k->children, v, path, d);
        return;
    case CONF_STRLIST: {
        if (v->kind != WF_YAML_SEQ) {
            wf_diags_add(d, v->line, v->col, path, "expected a list of strings, got %s",
                         wf_yaml_type_name(v));
            return;
        }
        char **list = xcalloc(v->count, sizeof(char *));
        size_t n = 0;
        for (size_t i = 0; i < v->count; i++) {
            const wf_yaml_node_t *item = v->items[i];
            if (item->kind != WF_YAML_SCALAR || wf_yaml_is_null(item)) {
                char p[256];
                snprintf(p, sizeof(p), "%s[%zu]", path, i);
                wf_diags_add(d, item->line, item->col, p, "expected a string, got %s",
                             wf_yaml_type_name(item));
                continue;
            }
            list[n++] = strdup(item->value);
        }
        free_values(base, (const conf_key_t[]){*k, END_KEYS});
        *FIELD(base, k->offset, char **) = list;
        *FIELD(base, k->count_offset, size_t) = n;
        return;
    }
    case CONF_LIST: {
        if (v->kind != WF_YAML_SEQ) {
            wf_diags_add(d, v->line, v->col, path, "expected a list, got %s",
                         wf_yaml_type_name(v));
            return;
        }
        char *arr = xcalloc(v->count, k->elem_size);
        size_t n = 0;
        for (size_t i = 0; i < v->count; i++) {
            const wf_yaml_node_t *item = v->items[i];
            char p[256];
            snprintf(p, sizeof(p), "%s[%zu]", path, i);
            if (item->kind != WF_YAML_MAP) {
                wf_diags_add(d, item->line, item->col, p, "expected a map, got %s",
                             wf_yaml_type_name(item));
                continue;
            }
            void *elem = arr + n * k->elem_size;
            apply_defaults(elem, k->children);
            load_map(elem, k->children, item, p, d);
            n++;
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
        char p[256];
        snprintf(p, sizeof(p), "%s%s%s", path, path[0] ? "." : "", key->value);
        if (k->name == NULL) {
            const char *names[64];
            size_t n = 0;
            for (const conf_key_t *c = keys; c->name != NULL && n < 64; c++)
                names[n++] = c->name;
            wf_diag_t *e = wf_diags_add(d, key->line, key->col, p, "unknown key '%s'", key->value);
            const char *s = wf_suggest(key->value, names, n);
            if (s != NULL)
                wf_diag_note(e, "did you mean '%s'?", s);
            continue;
        }
        load_key(base, k, map->items[i], p, d);
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
    if (cfg->listen != NULL && wf_parse_listen(cfg->listen, host, sizeof(host), &port) != 0) {
        const wf_yaml_node_t *n = root ? wf_yaml_get(root, "listen") : NULL;
        wf_diags_add(d, n ? n->line : 0, n ? n->col : 0, "listen",
                     "'%s' is not ADDR:PORT (for example 127.0.0.1:8080)", cfg->listen);
    }
    for (size_t i = 0; i < cfg->n_domains; i++) {
        const wf_domain_conf_t *dom = &cfg->domains[i];
        char p[64];
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
            char np[96];
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
    cfg->source = strdup("<defaults>");
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
    cfg->source = strdup(diags->file);
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

void wf_config_apply_env(wf_config_t *cfg)
{
    const char *v;
    if ((v = getenv("WEFT_LISTEN")) != NULL && *v) {
        free(cfg->listen);
        cfg->listen = strdup(v);
    }
    if ((v = getenv("WEFT_DATABASE_URL")) != NULL && *v) {
        free(cfg->database.url);
        cfg->database.url = strdup(v);
    }
    if ((v = getenv("WEFT_DATA_DIR")) != NULL && *v) {
        free(cfg->data_dir);
        cfg->data_dir = strdup(v);
    }
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
