/* Network egress of the executor's own connections (http.Request,
 * jdbc.postgresql.Query): the one place that decides whether a task may reach
 * a host. Nothing is allowed unless a rule allows it.
 *
 * Two checks, both needed on every connection (first URL, each redirect, each
 * database host):
 *   wf_egress_allowed       the target as named (host, port) before any
 *                           connection: the name must match an entry;
 *   wf_egress_addr_allowed  the address actually connected to, after name
 *                           resolution: an internal address (loopback,
 *                           private, link-local, ...) is refused unless an
 *                           entry names that address (or a CIDR holding it),
 *                           so an allowed name that resolves to an internal
 *                           address does not open a way in.
 *
 * Rules today come from the config key `executor.egress_allow`, a list of
 *   HOST:PORT | HOST:*     HOST = a DNS name, `*.suffix`, an IPv4 address,
 *                          `[IPv6]`, or a CIDR (10.0.0.0/8, [fd00::]/8)
 *   unix:/DIR              a PostgreSQL Unix socket directory
 * A namespace policy may only narrow this further (see wf_egress_ctx_t). */
#ifndef WF_EGRESS_H
#define WF_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "platform/config.h"
#include "platform/egress_rule.h"

/* Who asks. `cfg` is required; namespace and domain say whose task it is,
 * for namespace policies and for messages. The caller owns the strings. */
typedef struct wf_egress_ctx {
    const wf_config_t *cfg;
    const char *namespace_;
    const char *domain;
    /* The namespace's policy (tenants/policy.h) or NULL: its `network` key
     * narrows what the rules allow ("none" refuses everything, Unix socket
     * directories included). The caller keeps it alive. */
    const struct wf_policy *policy;
} wf_egress_ctx_t;

/* 1 when `host`:`port` may be reached, 0 when refused (`reason` says why,
 * naming the host and the rule), -1 on a malformed host. A host starting with
 * '/' is a Unix socket directory (port ignored). */
int wf_egress_allowed(const wf_egress_ctx_t *ctx, const char *host, int port, char *reason,
                      size_t len);

/* 1 when the resolved address `sa` of `host`:`port` may be connected to,
 * 0 when refused with `reason`. */
int wf_egress_addr_allowed(const wf_egress_ctx_t *ctx, const char *host, int port,
                           const struct sockaddr *sa, char *reason, size_t len);

/* True for loopback, private, link-local, unique-local, shared (CGNAT),
 * unspecified, multicast and broadcast addresses (IPv4-mapped IPv6 too). */
bool wf_egress_addr_internal(const struct sockaddr *sa);

#endif
