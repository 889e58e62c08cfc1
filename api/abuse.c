/* Repeated denials and failed authentications; see abuse.h. */
#include "api/abuse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "auth/fail_limit.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/xmalloc.h"
#include "tenants/audit_agg.h"

#define SWEEP_MS 1000
#define SWEEP_BATCH 64
#define US_PER_S INT64_C(1000000)

static int64_t now_us(void)
{
    return wf_clock_wall_ms() * 1000;
}

void wf_abuse_init(wf_gw_t *gw)
{
    const wf_config_t *cfg = gw->cfg;
    gw->denials = wf_audit_agg_create(cfg->gateway.denial_window * US_PER_S,
                                      (size_t)cfg->gateway.denial_keys);
    gw->auth_failures = wf_fail_limit_create((uint32_t)cfg->gateway.auth_failure_limit,
                                             cfg->gateway.auth_failure_window * US_PER_S,
                                             (size_t)cfg->gateway.auth_failure_addresses);
    gw->n_trusted_proxies = cfg->gateway.n_trusted_proxies;
    gw->trusted_proxies =
        wf_xcalloc(gw->n_trusted_proxies + 1, sizeof(*gw->trusted_proxies));
    for (size_t i = 0; i < gw->n_trusted_proxies; i++)
        /* check-config refused anything that is not an address */
        (void)wf_fail_addr_parse(cfg->gateway.trusted_proxies[i], &gw->trusted_proxies[i]);
}

void wf_abuse_dispose(wf_gw_t *gw)
{
    wf_audit_agg_destroy(gw->denials);
    wf_fail_limit_destroy(gw->auth_failures);
    free(gw->trusted_proxies);
    gw->denials = NULL;
    gw->auth_failures = NULL;
    gw->trusted_proxies = NULL;
}

/* ---- the client's address ------------------------------------------------ */

static bool is_trusted_proxy(const wf_gw_t *gw, const wf_fail_addr_t *a)
{
    for (size_t i = 0; i < gw->n_trusted_proxies; i++)
        if (gw->trusted_proxies[i].family == a->family &&
            memcmp(gw->trusted_proxies[i].bytes, a->bytes, sizeof(a->bytes)) == 0)
            return true;
    return false;
}

/* The address failures are counted against: the TCP peer, unless the peer
 * is a configured proxy; then the right-most X-Forwarded-For entry that is
 * not itself a trusted proxy (entries left of it were written by whoever
 * sent the request and prove nothing). Without trusted proxies the header
 * is ignored: anyone can send it. */
static void client_addr(wf_call_t *call, wf_fail_addr_t *out)
{
    struct sockaddr_storage ss;
    socklen_t len = call->req->conn->callbacks->get_peername(call->req->conn,
                                                             (struct sockaddr *)&ss);
    if (len == 0 || wf_fail_addr_from_sockaddr((struct sockaddr *)&ss, len, out) != 0)
        return;
    const wf_gw_t *gw = call->th->gw;
    if (gw->n_trusted_proxies == 0 || !is_trusted_proxy(gw, out))
        return;
    /* The last X-Forwarded-For header is the one our proxy appended to. */
    h2o_headers_t *hs = &call->req->headers;
    ssize_t i = -1, last = -1;
    while ((i = h2o_find_header(hs, H2O_TOKEN_X_FORWARDED_FOR, i)) != -1)
        last = i;
    if (last < 0)
        return;
    h2o_iovec_t v = hs->entries[last].value;
    size_t end = v.len;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && v.base[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (v.base[a] == ' ' || v.base[a] == '\t'))
            a++;
        while (b > a && (v.base[b - 1] == ' ' || v.base[b - 1] == '\t'))
            b--;
        char text[64];
        wf_fail_addr_t hop;
        if (b - a == 0 || b - a >= sizeof(text))
            return; /* junk: count against the proxy itself */
        memcpy(text, v.base + a, b - a);
        text[b - a] = '\0';
        if (wf_fail_addr_parse(text, &hop) != 0)
            return;
        if (!is_trusted_proxy(gw, &hop)) {
            *out = hop;
            return;
        }
        end = start > 0 ? start - 1 : 0;
    }
}

/* ---- failed authentication ------------------------------------------------ */

bool wf_abuse_admit(wf_call_t *call)
{
    wf_fail_addr_t a;
    client_addr(call, &a);
    int64_t wait = wf_fail_limit_check(call->th->gw->auth_failures, &a, now_us());
    if (wait <= 0)
        return true;
    long long secs = (long long)((wait + US_PER_S - 1) / US_PER_S);
    const char *retry = wf_http_printf(call->req, "%lld", secs);
    h2o_add_header(&call->req->pool, &call->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, retry,
                   strlen(retry));
    wf_http_problem(call->req, WF_PROB_TOO_MANY,
                    json_pack("{s:s, s:I}", "reason", "auth-failures", "retryAfter",
                              (json_int_t)secs),
                    "too many failed authentications from this address; retry in %lld s", secs);
    return false;
}

void wf_abuse_auth_failed(wf_call_t *call, const char *reason)
{
    wf_fail_addr_t a;
    client_addr(call, &a);
    wf_fail_event_t ev = wf_fail_limit_record(call->th->gw->auth_failures, &a, reason, now_us());
    char addr[64];
    wf_fail_addr_format(&a, addr, sizeof(addr));
    const wf_config_t *cfg = call->th->gw->cfg;
    /* The reason is a fixed code, never the token. */
    if (ev == WF_FAIL_FIRST)
        wf_info("401 %s %s from %s: %s (further failures from this address within %lld s are "
                "logged as one summary)",
                call->route->method, call->route->pattern, addr, reason,
                (long long)cfg->gateway.auth_failure_window);
    else if (ev == WF_FAIL_LOCKED)
        wf_warn("%s: %lld failed authentications (last: %s): refused with 429 until its %lld s "
                "window ends",
                addr, (long long)cfg->gateway.auth_failure_limit, reason,
                (long long)cfg->gateway.auth_failure_window);
}

/* ---- denials ---------------------------------------------------------------- */

bool wf_abuse_note_denial(wf_call_t *call, const char *action, const char *ns,
                          const char *target, const char *reason)
{
    wf_audit_denial_t d = {
        .actor = call->who.subject ? call->who.subject : "anonymous",
        .action = action,
        .namespace_ = ns,
        .target = target,
        .reason = reason,
        .method = call->route->method,
    };
    return wf_audit_agg_note(call->th->gw->denials, &d, now_us());
}

/* ---- the sweep ------------------------------------------------------------- */

static void on_summary_written(void *arg, const PGresult *res)
{
    wf_gw_thread_t *th = arg;
    if (!wf_db_ok(res))
        wf_error("audit summary insert failed: %s",
                 res ? PQresultErrorMessage(res) : "no database");
    th->inflight--;
}

/* One audit entry for a closed window: the count covers the whole window,
 * the entry written for its first denial included. */
static void write_summary(wf_gw_thread_t *th, const wf_audit_agg_summary_t *s)
{
    char first[40], last[40];
    wf_clock_iso_from_ms(s->first_us / 1000, first, sizeof(first));
    wf_clock_iso_from_ms(s->last_us / 1000, last, sizeof(last));
    json_t *details = json_pack("{s:I, s:s, s:s, s:I}", "count", (json_int_t)s->count,
                                "firstSeen", first, "lastSeen", last, "window",
                                (json_int_t)th->gw->cfg->gateway.denial_window);
    if (s->method != NULL)
        json_object_set_new(details, "method", json_string(s->method));
    if (s->overflow)
        json_object_set_new(details, "keys", json_integer(th->gw->cfg->gateway.denial_keys));
    char *summary =
        s->overflow
            ? wf_xasprintf("denied %llu times between %s and %s for callers, actions and "
                           "namespaces past the %lld tracked",
                           (unsigned long long)s->count, first, last,
                           (long long)th->gw->cfg->gateway.denial_keys)
            : wf_xasprintf("denied %llu more times between %s and %s",
                           (unsigned long long)(s->count - 1), first, last);
    json_object_set_new(details, "summary", json_string(summary));
    char *d = json_dumps(details, JSON_COMPACT);
    json_decref(details);
    /* The overflow summary is platform-level: it belongs to no namespace. */
    const char *params[7] = {
        s->overflow ? "system" : s->actor,
        s->overflow ? "audit.denials" : s->action,
        s->overflow ? "" : s->namespace_,
        s->overflow ? "" : s->target,
        "denied",
        s->overflow ? "many-denials" : s->reason,
        d != NULL ? d : "{}",
    };
    wf_info("audit: %s %s%s%s: %s", params[0], params[1], params[2][0] ? " on " : "",
            params[2], summary);
    th->inflight++;
    wf_db_query(th->db, WF_SQL_AUDIT_INSERT, 7, params, on_summary_written, th);
    free(summary);
    free(d);
}

static void log_fail_summary(const wf_fail_summary_t *s)
{
    char addr[64], first[40], last[40];
    wf_fail_addr_format(&s->addr, addr, sizeof(addr));
    wf_clock_iso_from_ms(s->first_us / 1000, first, sizeof(first));
    wf_clock_iso_from_ms(s->last_us / 1000, last, sizeof(last));
    wf_info("%s: %llu failed authentications (last: %s), %llu requests refused with 429, "
            "between %s and %s",
            addr, (unsigned long long)s->failures, s->last_reason ? s->last_reason : "?",
            (unsigned long long)s->refused, first, last);
}

static void sweep(wf_gw_thread_t *th, bool all)
{
    wf_gw_t *gw = th->gw;
    int64_t now = now_us();
    wf_audit_agg_summary_t sums[SWEEP_BATCH];
    size_t n;
    do {
        n = wf_audit_agg_take(gw->denials, now, all, sums, SWEEP_BATCH);
        for (size_t i = 0; i < n; i++) {
            write_summary(th, &sums[i]);
            wf_audit_agg_summary_dispose(&sums[i]);
        }
    } while (n == SWEEP_BATCH);
    wf_fail_summary_t fails[SWEEP_BATCH];
    do {
        n = wf_fail_limit_take(gw->auth_failures, now, all, fails, SWEEP_BATCH);
        for (size_t i = 0; i < n; i++)
            log_fail_summary(&fails[i]);
    } while (n == SWEEP_BATCH);
}

static void on_sweep(h2o_timeout_entry_t *entry)
{
    wf_gw_thread_t *th = H2O_STRUCT_FROM_MEMBER(wf_gw_thread_t, sweep_entry, entry);
    sweep(th, false);
    if (!th->stopping)
        h2o_timeout_link(th->ctx.loop, &th->sweep_timeout, &th->sweep_entry);
}

void wf_abuse_thread_start(wf_gw_thread_t *th)
{
    h2o_timeout_init(th->ctx.loop, &th->sweep_timeout, SWEEP_MS);
    th->sweep_entry = (h2o_timeout_entry_t){.cb = on_sweep};
    h2o_timeout_link(th->ctx.loop, &th->sweep_timeout, &th->sweep_entry);
}

void wf_abuse_thread_stop(wf_gw_thread_t *th)
{
    if (h2o_timeout_is_linked(&th->sweep_entry))
        h2o_timeout_unlink(&th->sweep_entry);
    h2o_timeout_dispose(th->ctx.loop, &th->sweep_timeout);
    /* Whichever loop stops first takes every open window: a summary written
     * early says less than it could, one lost says nothing. */
    sweep(th, true);
}
