/* Parsing of egress rules (see egress_rule.h). */
#include "platform/egress_rule.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool wf_egress_parse_ip(const char *s, wf_egress_addr_t *out)
{
    if (inet_pton(AF_INET, s, out->a) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, out->a) == 1) {
        out->family = AF_INET6;
        return true;
    }
    return false;
}

bool wf_egress_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
            return false;
    return true;
}

/* Copies `s` without a trailing dot (absolute DNS names). */
int wf_egress_copy_name(char *dst, size_t len, const char *s)
{
    int w = snprintf(dst, len, "%s", s);
    if (w < 0 || (size_t)w >= len)
        return -1;
    size_t n = strlen(dst);
    if (n > 1 && dst[n - 1] == '.')
        dst[n - 1] = '\0';
    return 0;
}

int wf_egress_rule_parse(const char *text, wf_egress_rule_t *e, char *why, size_t len)
{
    memset(e, 0, sizeof(*e));
    if (strncmp(text, "unix:", 5) == 0) {
        const char *p = text + 5;
        if (p[0] != '/' || strstr(p, "/..") != NULL || strlen(p) >= sizeof(e->host)) {
            snprintf(why, len, "'%s': unix: needs an absolute directory", text);
            return -1;
        }
        e->kind = WF_EGRESS_UNIX;
        snprintf(e->host, sizeof(e->host), "%s", p);
        size_t n = strlen(e->host);
        while (n > 1 && e->host[n - 1] == '/')
            e->host[--n] = '\0';
        return 0;
    }
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text) {
        snprintf(why, len, "'%s': expected HOST:PORT or HOST:* (or unix:/DIR)", text);
        return -1;
    }
    const char *ps = colon + 1;
    if (strcmp(ps, "*") == 0) {
        e->port = 0;
    } else {
        char *end;
        long p = strtol(ps, &end, 10);
        if (*ps == '\0' || *end != '\0' || p < 1 || p > 65535) {
            snprintf(why, len, "'%s': the port must be 1..65535 or *", text);
            return -1;
        }
        e->port = (int)p;
    }
    char host[300];
    size_t hl = (size_t)(colon - text);
    if (hl >= sizeof(host)) {
        snprintf(why, len, "'%s': host too long", text);
        return -1;
    }
    memcpy(host, text, hl);
    host[hl] = '\0';
    /* Brackets around IPv6 (the port's colon is then unambiguous). */
    char bare[300];
    const char *slash = NULL;
    if (host[0] == '[') {
        char *rb = strchr(host, ']');
        if (rb == NULL || (rb[1] != '\0' && rb[1] != '/')) {
            snprintf(why, len, "'%s': unbalanced [ ] around the IPv6 address", text);
            return -1;
        }
        snprintf(bare, sizeof(bare), "%.*s%s", (int)(rb - host - 1), host + 1, rb + 1);
    } else {
        if (strchr(host, ':') != NULL) {
            snprintf(why, len, "'%s': write IPv6 addresses in brackets: [::1]:PORT", text);
            return -1;
        }
        snprintf(bare, sizeof(bare), "%s", host);
    }
    slash = strchr(bare, '/');
    int maxbits = 0;
    if (slash != NULL) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        char ip[300];
        snprintf(ip, sizeof(ip), "%.*s", (int)(slash - bare), bare);
        wf_egress_addr_t a;
        if (!wf_egress_parse_ip(ip, &a) || slash[1] == '\0' || *end != '\0') {
            snprintf(why, len, "'%s': a CIDR is ADDRESS/BITS", text);
            return -1;
        }
        maxbits = a.family == AF_INET ? 32 : 128;
        if (bits < 0 || bits > maxbits) {
            snprintf(why, len, "'%s': prefix length must be 0..%d", text, maxbits);
            return -1;
        }
        e->kind = WF_EGRESS_ADDR;
        e->family = a.family;
        memcpy(e->a, a.a, sizeof(e->a));
        e->prefix = (int)bits;
        return 0;
    }
    wf_egress_addr_t a;
    if (wf_egress_parse_ip(bare, &a)) {
        e->kind = WF_EGRESS_ADDR;
        e->family = a.family;
        memcpy(e->a, a.a, sizeof(e->a));
        e->prefix = a.family == AF_INET ? 32 : 128;
        return 0;
    }
    if (strncmp(bare, "*.", 2) == 0 && wf_egress_name_valid(bare + 2)) {
        e->kind = WF_EGRESS_WILDCARD;
        /* keeps the leading dot */
        if (wf_egress_copy_name(e->host, sizeof(e->host), bare + 1) != 0)
            goto too_long;
        return 0;
    }
    if (!wf_egress_name_valid(bare)) {
        snprintf(why, len, "'%s': '%s' is not a host name, address or CIDR", text, bare);
        return -1;
    }
    e->kind = WF_EGRESS_NAME;
    if (wf_egress_copy_name(e->host, sizeof(e->host), bare) != 0)
        goto too_long;
    return 0;
too_long:
    snprintf(why, len, "'%s': host too long", text);
    return -1;
}

bool wf_egress_entry_valid(const char *entry, char *why, size_t len)
{
    wf_egress_rule_t e;
    return wf_egress_rule_parse(entry, &e, why, len) == 0;
}
