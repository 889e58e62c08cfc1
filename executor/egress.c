/* Egress decisions (see egress.h). The allow list is parsed on each call:
 * it is short and read only when a connection is about to be made, and
 * parsing here keeps one reading of the grammar for the config check and
 * the decision. */
#include "executor/egress.h"
#include "tenants/policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

static bool addr_in(const wf_egress_rule_t *e, const wf_egress_addr_t *a)
{
    return e->kind == WF_EGRESS_ADDR && e->family == a->family && prefix_match(e->a, a->a, e->prefix);
}

/* Strips [ ] and a zone (%eth0) from an IPv6 host as URLs write it. */
static void bare_host(const char *host, char *out, size_t len)
{
    if (host[0] == '[') {
        const char *rb = strchr(host, ']');
        size_t n = rb ? (size_t)(rb - host - 1) : strlen(host + 1);
        snprintf(out, len, "%.*s", (int)n, host + 1);
    } else {
        snprintf(out, len, "%s", host);
    }
    char *pct = strchr(out, '%');
    if (pct)
        *pct = '\0';
}

static bool name_match(const wf_egress_rule_t *e, const char *name)
{
    if (e->kind == WF_EGRESS_NAME)
        return strcasecmp(e->host, name) == 0;
    if (e->kind == WF_EGRESS_WILDCARD) {
        size_t n = strlen(name), s = strlen(e->host);
        return n > s && strcasecmp(name + n - s, e->host) == 0;
    }
    return false;
}

/* Rule `i` of executor.egress_allow, when it parses and covers `port` (a
 * rule without a port covers every port). */
static bool rule_for_port(const wf_config_t *cfg, size_t i, int port, wf_egress_rule_t *e)
{
    char why[200];
    return wf_egress_rule_parse(cfg->executor.egress_allow[i], e, why, sizeof(why)) == 0 &&
           (e->port == 0 || e->port == port);
}

static const char *who(const wf_egress_ctx_t *ctx)
{
    return ctx->namespace_ ? ctx->namespace_ : "this executor";
}

/* The config's rules alone (executor.egress_allow). */
static int rules_allowed(const wf_egress_ctx_t *ctx, const char *host, int port, char *reason,
                         size_t len)
{
    char name[300];
    if (host == NULL || host[0] == '\0') {
        snprintf(reason, len, "egress refused: no host");
        return -1;
    }
    const wf_config_t *cfg = ctx->cfg;
    if (host[0] == '/') {
        char dir[300];
        snprintf(dir, sizeof(dir), "%s", host);
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/')
            dir[--n] = '\0';
        for (size_t i = 0; i < cfg->executor.n_egress_allow; i++) {
            wf_egress_rule_t e;
            char why[200];
            if (wf_egress_rule_parse(cfg->executor.egress_allow[i], &e, why, sizeof(why)) == 0 &&
                e.kind == WF_EGRESS_UNIX && strcmp(e.host, dir) == 0)
                return 1;
        }
        snprintf(reason, len,
                 "egress to Unix socket directory %s refused for %s: executor.egress_allow "
                 "has no 'unix:%s' entry",
                 dir, who(ctx), dir);
        return 0;
    }
    char raw[300];
    bare_host(host, raw, sizeof(raw));
    bool fits = wf_egress_copy_name(name, sizeof(name), raw) == 0;
    wf_egress_addr_t a;
    bool is_ip = fits && wf_egress_parse_ip(name, &a);
    if (!fits || (!is_ip && !wf_egress_name_valid(name))) {
        snprintf(reason, len, "egress refused: '%s' is not a valid host name", name);
        return -1;
    }
    for (size_t i = 0; i < cfg->executor.n_egress_allow; i++) {
        wf_egress_rule_t e;
        if (rule_for_port(cfg, i, port, &e) && (is_ip ? addr_in(&e, &a) : name_match(&e, name)))
            return 1;
    }
    snprintf(reason, len, "egress to %s:%d refused for %s: not allowed by executor.egress_allow",
             name, port, who(ctx));
    return 0;
}

/* The namespace policy's `network` key, after the rules allowed the target:
 * it can only refuse more. Its allowlist names host:port, so a Unix socket
 * directory is refused by any network policy. */
static int policy_allowed(const wf_egress_ctx_t *ctx, const char *host, int port, char *reason,
                          size_t len)
{
    char raw[300], name[300];
    const char *from = "";
    if (host[0] == '/') {
        snprintf(name, sizeof(name), "%s", host);
    } else {
        bare_host(host, raw, sizeof(raw));
        /* rules_allowed() already refused a name that does not fit. */
        if (wf_egress_copy_name(name, sizeof(name), raw) != 0) {
            snprintf(reason, len, "egress refused: host name too long");
            return 0;
        }
    }
    if (wf_policy_egress(ctx->policy, name, port, &from) != WF_POL_EGRESS_DENY)
        return 1;
    snprintf(reason, len,
             "egress to %s:%d refused for %s: not allowed by policy network of namespace %s",
             name, port, who(ctx), from[0] ? from : "\"\" (the root)");
    return 0;
}

int wf_egress_allowed(const wf_egress_ctx_t *ctx, const char *host, int port, char *reason,
                      size_t len)
{
    int r = rules_allowed(ctx, host, port, reason, len);
    if (r != 1 || ctx->policy == NULL)
        return r;
    return policy_allowed(ctx, host, port, reason, len);
}

static bool v4_internal(const unsigned char *b)
{
    static const struct {
        unsigned char a[4];
        int bits;
    } nets[] = {
        {{0, 0, 0, 0}, 8},       {{10, 0, 0, 0}, 8},     {{100, 64, 0, 0}, 10},
        {{127, 0, 0, 0}, 8},     {{169, 254, 0, 0}, 16}, {{172, 16, 0, 0}, 12},
        {{192, 0, 0, 0}, 24},    {{192, 168, 0, 0}, 16}, {{198, 18, 0, 0}, 15},
        {{224, 0, 0, 0}, 4},     {{240, 0, 0, 0}, 4},
    };
    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
        if (prefix_match(b, nets[i].a, nets[i].bits))
            return true;
    return false;
}

static void addr_of(const struct sockaddr *sa, wf_egress_addr_t *a, int *port)
{
    memset(a, 0, sizeof(*a));
    *port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        a->family = AF_INET;
        memcpy(a->a, &in->sin_addr, 4);
        *port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        a->family = AF_INET6;
        memcpy(a->a, &in6->sin6_addr, 16);
        *port = ntohs(in6->sin6_port);
    }
}

/* An IPv6 address carrying an IPv4 one (mapped ::ffff:a.b.c.d, compatible
 * ::a.b.c.d, NAT64 64:ff9b::a.b.c.d) is judged by the IPv4 address. */
static void unwrap_v4(wf_egress_addr_t *a)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char compat[12] = {0};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (a->family != AF_INET6)
        return;
    if (memcmp(a->a, mapped, 12) == 0 || memcmp(a->a, nat64, 12) == 0 ||
        (memcmp(a->a, compat, 12) == 0 && (a->a[12] | a->a[13]) != 0)) {
        memmove(a->a, a->a + 12, 4);
        memset(a->a + 4, 0, 12);
        a->family = AF_INET;
    }
}

static bool internal(const wf_egress_addr_t *a)
{
    if (a->family == AF_INET)
        return v4_internal(a->a);
    if (a->family != AF_INET6)
        return true;
    static const unsigned char zero[16] = {0};
    if (memcmp(a->a, zero, 15) == 0 && (a->a[15] == 0 || a->a[15] == 1))
        return true;                      /* :: and ::1 */
    return (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80) || /* fe80::/10 link-local */
           (a->a[0] & 0xfe) == 0xfc ||                      /* fc00::/7 unique local */
           a->a[0] == 0xff;                                 /* multicast */
}

bool wf_egress_addr_internal(const struct sockaddr *sa)
{
    wf_egress_addr_t a;
    int port;
    addr_of(sa, &a, &port);
    unwrap_v4(&a);
    return internal(&a);
}

int wf_egress_addr_allowed(const wf_egress_ctx_t *ctx, const char *host, int port,
                           const struct sockaddr *sa, char *reason, size_t len)
{
    wf_egress_addr_t a;
    int aport;
    addr_of(sa, &a, &aport);
    char text[INET6_ADDRSTRLEN] = "?";
    if (a.family != 0)
        inet_ntop(a.family, a.a, text, sizeof(text));
    if (a.family == 0) {
        snprintf(reason, len, "egress to %s refused: not an IP address", host);
        return 0;
    }
    if (aport != port) {
        snprintf(reason, len, "egress to %s:%d refused: connection attempted to port %d", host,
                 port, aport);
        return 0;
    }
    wf_egress_addr_t v = a;
    unwrap_v4(&v);
    if (!internal(&v))
        return 1;
    const wf_config_t *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->executor.n_egress_allow; i++) {
        wf_egress_rule_t e;
        if (rule_for_port(cfg, i, port, &e) && (addr_in(&e, &a) || addr_in(&e, &v)))
            return 1;
    }
    snprintf(reason, len,
             "egress to %s:%d refused for %s: it resolves to the internal address %s, which "
             "executor.egress_allow does not list",
             host, port, who(ctx), text);
    return 0;
}
