/* weft.yaml: the typed configuration shared by every role. Keys are described
 * by tables in config.c (type, default, bounds, help); unknown keys, wrong types
 * and missing values are reported at file:line:col. */
#ifndef WF_CONFIG_H
#define WF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/diag.h"

typedef struct wf_oidc_conf {
    char *issuer;       /* exact `iss` to accept */
    char *audience;     /* required `aud` member */
    char *jwks_uri;     /* optional; discovery when NULL */
    char *groups_claim; /* claim holding the user's groups (default "groups") */
} wf_oidc_conf_t;

typedef struct wf_domain_conf {
    char *name;        /* [a-z][a-z0-9-]* */
    char **namespaces; /* namespace prefixes owned by this domain */
    size_t n_namespaces;
    int64_t replicas; /* executors `weftd up` starts for this domain */
} wf_domain_conf_t;

typedef struct wf_config {
    char *source; /* file the config came from, or "<defaults>" */
    char *listen; /* ADDR:PORT of the gateway */
    char *data_dir;
    struct {
        char *url; /* NULL: embedded PostgreSQL under data_dir */
        char *volume;               /* directory on the database's filesystem (statvfs) */
        int64_t high_water_percent; /* used share of that filesystem that stops new work */
        int64_t min_free;           /* bytes that must stay free there (0 = only the share) */
        int64_t max_bytes;          /* external database: pg_database_size limit (0 = none) */
        int64_t reserve;            /* bytes weftd up keeps in a reserve file, released at the mark */
    } database;
    struct {
        char *level;  /* debug|info|warn|error */
        char *format; /* text|json */
    } log;
    struct {
        int64_t max_body;       /* bytes; 413 past it */
        int64_t threads;        /* event loops; 0 = one per core */
        int64_t header_timeout; /* seconds */
        int64_t idle_timeout;   /* seconds */
        int64_t shutdown_timeout; /* seconds to drain in-flight requests */
        int64_t db_connections;   /* PostgreSQL connections per event loop */
        int64_t max_heavy_per_principal; /* heavy requests one caller may have in flight */
        /* Repeated denials of one (actor, action, namespace): one audit
         * entry, then one summary per window (tenants/audit_agg.h). */
        int64_t denial_window;    /* seconds */
        int64_t denial_keys;      /* keys tracked at once */
        /* Failed authentication per client address (auth/fail_limit.h). */
        int64_t auth_failure_limit;     /* failures per window before 429 */
        int64_t auth_failure_window;    /* seconds */
        int64_t auth_failure_addresses; /* addresses tracked at once */
        char **trusted_proxies; /* peers whose X-Forwarded-For names the client */
        size_t n_trusted_proxies;
    } gateway;
    struct {
        int64_t slots;             /* concurrent task runs per executor */
        int64_t heartbeat_seconds; /* lease renewal period */
        int64_t stop_grace_seconds;   /* SIGTERM: running tasks may finish this long */
        int64_t lost_attempt_retries; /* attempts lost with a replica, run again */
        char *key_dir;             /* per-domain key files; default DATA_DIR/keys */
        char **egress_allow;       /* HOST:PORT, HOST:*, CIDR:PORT, unix:/DIR (egress.h) */
        size_t n_egress_allow;
        int64_t http_max_body;     /* bytes of an http.Request response body */
        int64_t query_max_rows;    /* rows a jdbc Query may fetch */
        int64_t query_max_bytes;   /* bytes of fetched rows */
        int64_t output_files_max;  /* bytes of output files collected per attempt */
        int64_t task_disk;         /* bytes of a task's work dir + /tmp (its tmpfs) */
        int64_t log_lines_per_task_run;  /* lines kept per task run */
        int64_t log_lines_per_execution; /* lines kept per execution */
        int64_t retention_interval;      /* seconds between retention passes */
    } executor;
    struct {
        bool allow_weaker;    /* run tasks when a protection is missing (default false) */
        int64_t host_id_base; /* task ids map to host ids from here */
        char *work_base;      /* per-run directories; NULL = $TMPDIR or /tmp */
        char *cgroup_parent;  /* NULL = below the process's own cgroup */
        bool fresh_netns;     /* a network namespace per task */
    } sandbox;
    struct {
        int64_t max_value_size;         /* bytes of a value's JSON text */
        int64_t max_keys_per_namespace; /* live keys per namespace */
    } kv;
    struct {
        int64_t max_file_size; /* bytes of one stored file */
    } storage;
    struct {
        wf_oidc_conf_t *oidc;
        size_t n_oidc;
    } auth;
    wf_domain_conf_t *domains;
    size_t n_domains;
} wf_config_t;

/* Fills `cfg` with the defaults (no domains, embedded database). */
void wf_config_defaults(wf_config_t *cfg);
/* Loads `path` over the defaults. Returns 0, or -1 with every problem in
 * `diags` (which the caller initialises with the file name). */
int wf_config_load(wf_config_t *cfg, const char *path, wf_diags_t *diags);
/* Same from a buffer (tests). */
int wf_config_load_text(wf_config_t *cfg, const char *text, size_t len, wf_diags_t *diags);
/* Applies WEFT_LISTEN, WEFT_DATABASE_URL, WEFT_DATA_DIR. */
void wf_config_apply_env(wf_config_t *cfg);
/* Finds the domain owning `ns` (longest prefix match) or NULL. */
const wf_domain_conf_t *wf_config_domain_for(const wf_config_t *cfg, const char *ns);
void wf_config_dispose(wf_config_t *cfg);
/* Splits "ADDR:PORT" ("[::1]:80" too). Returns 0 or -1. `host` gets a copy. */
int wf_parse_listen(const char *listen, char *host, size_t host_len, int *port);
/* Writes one line per key (name, type, default, help) for --help and docs. */
void wf_config_print_reference(FILE *out);

/* Namespace syntax shared by config, flows and the API: dotted segments of
 * [a-zA-Z0-9_-], no empty segment, at most 255 characters. */
bool wf_namespace_valid(const char *ns);
/* True when `ns` equals `prefix` or lies below it ("sales" covers "sales.eu"). */
bool wf_namespace_under(const char *ns, const char *prefix);

/* Loads FILE (or only defaults when NULL) and applies the environment
 * overrides; prints positioned errors and returns -1 when invalid. */
int wf_load_config_or_exit(wf_config_t *cfg, const char *path);

#endif
