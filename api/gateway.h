/* The gateway process: shared read-only state (wf_gw_t), one event loop per
 * thread (wf_gw_thread_t) and the per-request call context (wf_call_t) that
 * handlers receive from the router. */
#ifndef WF_API_GATEWAY_H
#define WF_API_GATEWAY_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <pthread.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/db.h"
#include "platform/config.h"
#include "platform/dbspace.h"

/* Everything the threads share; written before the threads start, read-only
 * afterwards. */
typedef struct wf_gw {
    wf_config_t *cfg;
    const char *db_url; /* NULL: no database configured (readyz says so) */
    h2o_globalconf_t h2o;
    h2o_hostconf_t *host;
    size_t max_body; /* bytes; 413 past it */
    size_t max_upload; /* bytes of a multipart body with FILE inputs; 413 past it */
    uint64_t shutdown_ms;
    int db_conns; /* connections per thread */
    void *authn;  /* auth module's verifier (thread-safe), or NULL */
    struct wf_heavy *heavy; /* per-caller share of heavy requests (api/heavy.h) */
    /* Repeated denials and failed authentications (api/abuse.h); both are
     * thread-safe and shared by every loop. */
    struct wf_audit_agg *denials;
    struct wf_fail_limit *auth_failures;
    struct wf_fail_addr *trusted_proxies; /* gateway.trusted_proxies, parsed */
    size_t n_trusted_proxies;
    wf_dbspace_t space; /* database volume's high-water mark; its verdict is
                           refreshed by a thread of its own, read lock-free */
} wf_gw_t;

/* One event loop. Owned by its thread; only that thread touches it. */
typedef struct wf_gw_thread {
    wf_gw_t *gw;
    int index;
    pthread_t tid;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_socket_t *listener;
    h2o_socket_t *wakeup; /* eventfd: the main thread asks for shutdown */
    wf_db_t *db;
    int inflight;          /* requests accepted and not yet disposed */
    h2o_timeout_t poll_timeout;  /* 200 ms tick for ?wait and log follow */
    h2o_timeout_t sweep_timeout; /* 1 s tick: summaries of closed windows (api/abuse.h) */
    h2o_timeout_entry_t sweep_entry;
    bool stopping;
} wf_gw_thread_t;

/* The thread serving `req`. */
wf_gw_thread_t *wf_gw_thread_of(h2o_req_t *req);

/* Starts the h2o handler that dispatches every path through the route table. */
void wf_gw_register_router(wf_gw_t *gw);

/* `weftd gateway`: serves the REST API until SIGTERM/SIGINT. */
int wf_gateway_main(int argc, char **argv);

#endif
