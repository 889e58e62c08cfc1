/* `weftd gateway`: the network-facing daemon. One h2o event loop per thread,
 * each with its own SO_REUSEPORT listener and its own PostgreSQL connections,
 * so threads share nothing mutable. The main thread only waits for signals
 * and asks every loop to drain. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/abuse.h"
#include "api/authn_glue.h"
#include "api/gateway.h"
#include "api/heavy.h"
#include "platform/cmdline.h"
#include "platform/log.h"
#include "platform/signals.h"

/* The role's state: the entry file is the one place allowed to hold it. */
static wf_gw_t gw;

/* Refreshes the database volume's verdict (api/call.c and /readyz read it). */
static void *watch_space(void *arg)
{
    wf_dbspace_t *sp = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        wf_dbspace_refresh(sp);
        usleep(WF_DBSPACE_REFRESH_MS * 1000);
    }
    return NULL;
}
static wf_gw_thread_t *threads;
static int n_threads;
static int *listen_fds;
static int wake_fds[256];

wf_gw_thread_t *wf_gw_thread_of(h2o_req_t *req)
{
    return H2O_STRUCT_FROM_MEMBER(wf_gw_thread_t, ctx, req->conn->ctx);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: weftd gateway [--config FILE] [--listen ADDR:PORT]\n\n"
            "Serves the REST API. The database comes from database.url in the config or\n"
            "WEFT_DATABASE_URL; the address from --listen, WEFT_LISTEN or `listen`.\n"
            "SIGTERM or SIGINT stops accepting, lets in-flight requests finish within\n"
            "gateway.shutdown_timeout seconds, and exits 0.\n");
}

/* Binds one listening socket; port 0 picks a free port (the other threads
 * then bind the port the first one got). */
static int bind_listener(const char *host, int port)
{
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai);
    if (rc != 0) {
        wf_error("cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        wf_error("cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    wf_gw_thread_t *th = listener->data;
    if (err != NULL || th->stopping)
        return;
    /* Accept a few per wake-up so one loop does not starve the others. */
    for (int i = 0; i < 16; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
        h2o_accept(&th->accept, sock);
    }
}

static void begin_shutdown(wf_gw_thread_t *th)
{
    if (th->stopping)
        return;
    th->stopping = true;
    /* Stop accepting first; the other threads' listeners stay until they
     * get their own wake-up, which is immediate. */
    if (th->listener != NULL) {
        h2o_socket_read_stop(th->listener);
        h2o_socket_close(th->listener);
        th->listener = NULL;
    }
    /* Keep-alive is turned off for every response from now on. */
    h2o_context_request_shutdown(&th->ctx);
    /* Pending denial summaries are written during the drain. */
    wf_abuse_thread_stop(th);
}

static void on_wakeup(h2o_socket_t *sock, const char *err)
{
    (void)err; /* the eventfd is read below; a failed read is logged there */
    wf_gw_thread_t *th = sock->data;
    uint64_t v;
    if (read(wake_fds[th->index], &v, sizeof(v)) < 0 && errno != EAGAIN)
        wf_warn("wake-up read: %s", strerror(errno));
    begin_shutdown(th);
}

static void *thread_main(void *arg)
{
    wf_gw_thread_t *th = arg;
    h2o_context_init(&th->ctx, h2o_evloop_create(), &th->gw->h2o);
    th->accept.ctx = &th->ctx;
    th->accept.hosts = th->gw->h2o.hosts;
    th->db = wf_db_create(th->ctx.loop, th->gw->db_url ? th->gw->db_url : "",
                          th->gw->db_conns);
    h2o_timeout_init(th->ctx.loop, &th->poll_timeout, 200);

    th->listener = h2o_evloop_socket_create(th->ctx.loop, listen_fds[th->index],
                                            H2O_SOCKET_FLAG_DONT_READ);
    th->listener->data = th;
    h2o_socket_read_start(th->listener, on_accept);
    th->wakeup = h2o_evloop_socket_create(th->ctx.loop, wake_fds[th->index],
                                          H2O_SOCKET_FLAG_DONT_READ);
    th->wakeup->data = th;
    h2o_socket_read_start(th->wakeup, on_wakeup);
    wf_abuse_thread_start(th);

    while (!th->stopping)
        h2o_evloop_run(th->ctx.loop, INT32_MAX);

    /* Drain: run until every accepted request has been answered and
     * disposed, or the deadline passes. Idle keep-alive connections are not
     * waited for: they hold no request. */
    uint64_t deadline = h2o_now(th->ctx.loop) + th->gw->shutdown_ms;
    while (th->inflight > 0 && h2o_now(th->ctx.loop) < deadline)
        h2o_evloop_run(th->ctx.loop, 50);
    if (th->inflight > 0)
        wf_warn("thread %d: %d request(s) still running at the shutdown deadline", th->index,
                th->inflight);
    return NULL;
}

static int setup_globalconf(const char *listen_addr)
{
    wf_config_t *cfg = gw.cfg;
    h2o_config_init(&gw.h2o);
    gw.host = h2o_config_register_host(&gw.h2o, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    gw.max_body = (size_t)cfg->gateway.max_body;
    /* h2o refuses a body past this limit before any handler runs, without
     * buffering it; the router's error filter turns that 413 into
     * problem+json like every other answer. */
    gw.max_upload = (size_t)cfg->gateway.max_upload;
    /* h2o has one limit for every path: the largest of the three. A body
     * between them is buffered before its route refuses it (413): see
     * docs/gateway.md, "Uploads". Namespace file uploads (WF_BODY_FILE
     * routes) go up to namespace_files.max_file_size. */
    gw.h2o.max_request_entity_size = gw.max_upload > gw.max_body ? gw.max_upload : gw.max_body;
    if ((size_t)cfg->namespace_files.max_file_size > gw.h2o.max_request_entity_size)
        gw.h2o.max_request_entity_size = (size_t)cfg->namespace_files.max_file_size;
    gw.heavy = wf_heavy_create((int)cfg->gateway.max_heavy_per_principal);
    /* HTTP/1.1 only: h2c upgrade is refused. */
    gw.h2o.http1.upgrade_to_http2 = 0;
    /* h2o 2.2 has one HTTP/1 timer for "waiting for the next request": it
     * bounds both header reception and idle keep-alive; the header timeout
     * is the safer of the two against slow clients. */
    gw.h2o.http1.req_timeout = (uint64_t)cfg->gateway.header_timeout * 1000;
    gw.h2o.http2.idle_timeout = (uint64_t)cfg->gateway.idle_timeout * 1000;
    gw.h2o.server_name = h2o_iovec_init(H2O_STRLIT("weft"));
    gw.shutdown_ms = (uint64_t)cfg->gateway.shutdown_timeout * 1000;
    gw.db_conns = (int)cfg->gateway.db_connections;
    wf_gw_register_router(&gw);
    (void)listen_addr;
    return 0;
}

int wf_gateway_main(int argc, char **argv)
{
    const char *config_path = NULL, *listen_arg = NULL;
    const wf_cmdline_opt_t opts[] = {
        WF_CMDLINE_CONFIG(&config_path),
        WF_CMDLINE_LISTEN(&listen_arg),
        WF_CMDLINE_END,
    };
    int rc = wf_cmdline_parse(argc, argv, opts, usage, 0);
    if (rc != WF_CMDLINE_GO)
        return rc;

    static wf_config_t cfg;
    if (wf_load_config_or_exit(&cfg, config_path) != 0)
        return 1;
    wf_cmdline_log_init("gateway", &cfg);
    gw.cfg = &cfg;
    gw.db_url = cfg.database.url;
    if (gw.db_url == NULL)
        wf_warn("no database configured (database.url or WEFT_DATABASE_URL): /readyz stays 503");

    const char *listen_addr = listen_arg ? listen_arg : cfg.listen;
    char host[256];
    int port;
    if (wf_parse_listen(listen_addr, host, sizeof(host), &port) != 0) {
        wf_error("invalid listen address '%s' (want ADDR:PORT)", listen_addr);
        return 2;
    }

    n_threads = (int)cfg.gateway.threads;
    if (n_threads <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = cpus > 0 ? (int)cpus : 1;
    }
    if (n_threads > (int)(sizeof(wake_fds) / sizeof(wake_fds[0])))
        n_threads = (int)(sizeof(wake_fds) / sizeof(wake_fds[0]));

    if (wf_gw_auth_init(&gw) != 0)
        return 1;
    wf_dbspace_init(&gw.space, &cfg, gw.db_url);
    if (wf_dbspace_watched(&gw.space)) {
        wf_dbspace_refresh(&gw.space);
        /* Its own thread: a statvfs or a size query must never wait on a
         * request loop. It lives as long as the process. */
        pthread_t tid;
        if (pthread_create(&tid, NULL, watch_space, &gw.space) != 0)
            wf_fatal("cannot start the database volume watcher");
        pthread_detach(tid);
    }
    setup_globalconf(listen_addr);
    wf_abuse_init(&gw);

    listen_fds = calloc((size_t)n_threads, sizeof(int));
    threads = calloc((size_t)n_threads, sizeof(wf_gw_thread_t));
    if (listen_fds == NULL || threads == NULL)
        wf_fatal("out of memory");
    for (int i = 0; i < n_threads; i++) {
        listen_fds[i] = bind_listener(host, port);
        if (listen_fds[i] < 0)
            return 1;
        if (i == 0)
            port = bound_port(listen_fds[0]);
        wake_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake_fds[i] < 0)
            wf_fatal("eventfd: %s", strerror(errno));
    }

    /* Signals are taken by the main thread alone: block them before the
     * loops start so they inherit the mask. */
    sigset_t set;
    wf_sig_block_stop(&set);

    for (int i = 0; i < n_threads; i++) {
        threads[i].gw = &gw;
        threads[i].index = i;
        pthread_t tid;
        if (pthread_create(&tid, NULL, thread_main, &threads[i]) != 0)
            wf_fatal("cannot start thread %d", i);
        threads[i].tid = tid;
    }
    wf_info("listening on http://%s%s%s:%d (%d thread%s)", strchr(host, ':') ? "[" : "", host,
            strchr(host, ':') ? "]" : "", port, n_threads, n_threads == 1 ? "" : "s");

    int sig = 0;
    sigwait(&set, &sig);
    wf_info("received %s: draining (up to %llu s)", sig == SIGINT ? "SIGINT" : "SIGTERM",
            (unsigned long long)(gw.shutdown_ms / 1000));
    for (int i = 0; i < n_threads; i++) {
        uint64_t one = 1;
        if (write(wake_fds[i], &one, sizeof(one)) < 0)
            wf_warn("wake-up write: %s", strerror(errno));
    }
    for (int i = 0; i < n_threads; i++)
        pthread_join(threads[i].tid, NULL);
    wf_gw_auth_dispose(&gw);
    wf_heavy_destroy(gw.heavy);
    wf_abuse_dispose(&gw);
    wf_info("stopped");
    return 0;
}
