/* The syntax of one egress rule (`executor.egress_allow` entries):
 *   HOST:PORT | HOST:*     HOST = a DNS name, `*.suffix`, an IPv4 address,
 *                          `[IPv6]`, or a CIDR (10.0.0.0/8, [fd00::]/8)
 *   unix:/DIR              a PostgreSQL Unix socket directory
 * Part of the base layer so that the configuration check and the executor's
 * egress decisions (executor/egress.h) share one reading of the grammar. */
#ifndef WF_EGRESS_RULE_H
#define WF_EGRESS_RULE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { WF_EGRESS_NAME, WF_EGRESS_WILDCARD, WF_EGRESS_ADDR, WF_EGRESS_UNIX } wf_egress_kind_t;

typedef struct wf_egress_rule {
    wf_egress_kind_t kind;
    char host[256];     /* name, wildcard suffix (".example.com") or unix dir */
    int family;         /* WF_EGRESS_ADDR: AF_INET or AF_INET6 */
    unsigned char a[16];
    int prefix;         /* WF_EGRESS_ADDR: bits that must match */
    int port;           /* 0 = any */
} wf_egress_rule_t;

/* A parsed address: family and 4 or 16 bytes. */
typedef struct wf_egress_addr {
    int family;
    unsigned char a[16];
} wf_egress_addr_t;

/* Parses an IPv4 or IPv6 address literal. */
bool wf_egress_parse_ip(const char *s, wf_egress_addr_t *out);

/* True when `s` is a syntactically valid host name. */
bool wf_egress_name_valid(const char *s);

/* Copies `s` without a trailing dot (absolute DNS names). Returns 0, or -1
 * when `s` does not fit in `len` bytes (`dst` then holds a cut copy). */
int wf_egress_copy_name(char *dst, size_t len, const char *s);

/* Parses one rule; 0, or -1 with `why` saying what is wrong. */
int wf_egress_rule_parse(const char *text, wf_egress_rule_t *e, char *why, size_t len);

/* True when `entry` is a well-formed egress_allow entry (config check);
 * otherwise `why` says what is wrong. */
bool wf_egress_entry_valid(const char *entry, char *why, size_t len);

#endif
