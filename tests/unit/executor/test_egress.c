/* Egress rules (executor/egress.h): entry grammar, name and address matching,
 * internal address ranges, IPv4 hidden in IPv6 forms, Unix socket dirs. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "platform/config.h"
#include "executor/egress.h"
#include "tests/tap.h"

static struct sockaddr_storage sa_of(const char *ip, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((unsigned short)port);
    } else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)port);
    }
    return ss;
}

static int name_ok(const wf_egress_ctx_t *c, const char *host, int port)
{
    char why[512];
    return wf_egress_allowed(c, host, port, why, sizeof(why));
}

static int addr_ok(const wf_egress_ctx_t *c, const char *host, const char *ip, int port)
{
    char why[512];
    struct sockaddr_storage ss = sa_of(ip, port);
    return wf_egress_addr_allowed(c, host, port, (struct sockaddr *)&ss, why, sizeof(why));
}

static bool internal(const char *ip)
{
    struct sockaddr_storage ss = sa_of(ip, 80);
    return wf_egress_addr_internal((struct sockaddr *)&ss);
}

int main(void)
{
    char why[300];
    /* Grammar. */
    static const char *const good[] = {"api.example.com:443", "api.example.com:*",
                                       "*.example.com:443",   "10.0.0.1:80",
                                       "10.0.0.0/8:*",        "[::1]:8080",
                                       "[fd00::]/8:443",      "unix:/run/postgresql"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ok(wf_egress_entry_valid(good[i], why, sizeof(why)), "valid entry %s", good[i]);
    static const char *const bad[] = {"example.com", "example.com:0", "example.com:70000",
                                      "::1:80",      "[::1:80",       "10.0.0.0/33:80",
                                      "unix:relative", "bad host:80", ":80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ok(!wf_egress_entry_valid(bad[i], why, sizeof(why)), "invalid entry %s (%s)", bad[i],
           why);

    /* Nothing allowed without rules. */
    wf_config_t cfg;
    wf_config_defaults(&cfg);
    wf_egress_ctx_t c = {.cfg = &cfg, .namespace_ = "ops", .domain = "ops"};
    is_int(name_ok(&c, "example.com", 443), 0, "no rules: refused");
    ok(wf_egress_allowed(&c, "example.com", 443, why, sizeof(why)) == 0 &&
           strstr(why, "egress to example.com:443 refused for ops") != NULL,
       "the reason names host, port and namespace: %s", why);

    char *rules[] = {"api.example.com:443", "*.svc.example.com:*", "10.1.0.0/16:5432",
                     "127.0.0.1:8080",      "[::1]:8080",          "unix:/run/pg/"};
    cfg.executor.egress_allow = rules;
    cfg.executor.n_egress_allow = sizeof(rules) / sizeof(rules[0]);
    is_int(name_ok(&c, "api.example.com", 443), 1, "listed name and port");
    is_int(name_ok(&c, "API.Example.COM.", 443), 1, "case and a trailing dot do not matter");
    is_int(name_ok(&c, "api.example.com", 80), 0, "listed name, other port: refused");
    is_int(name_ok(&c, "evil.com", 443), 0, "unlisted name: refused");
    is_int(name_ok(&c, "api.example.com.evil.com", 443), 0, "listed name as a prefix: refused");
    is_int(name_ok(&c, "a.svc.example.com", 9), 1, "wildcard, any port");
    is_int(name_ok(&c, "svc.example.com", 9), 0, "wildcard does not match the bare suffix");
    is_int(name_ok(&c, "xsvc.example.com", 9), 0, "wildcard matches whole labels");
    is_int(name_ok(&c, "10.1.2.3", 5432), 1, "address inside a CIDR");
    is_int(name_ok(&c, "10.2.0.1", 5432), 0, "address outside the CIDR");
    is_int(name_ok(&c, "[::1]", 8080), 1, "bracketed IPv6 host");
    is_int(name_ok(&c, "127.0.0.1", 8081), 0, "listed address, other port");
    is_int(name_ok(&c, "/run/pg", 5432), 1, "listed socket dir");
    is_int(name_ok(&c, "/run/pg/", 5432), 1, "listed socket dir with a slash");
    is_int(name_ok(&c, "/run/pgx", 5432), 0, "socket dir sharing a prefix: refused");
    is_int(name_ok(&c, "/tmp", 5432), 0, "unlisted socket dir");
    is_int(name_ok(&c, "10.1.2.3", 5432) && name_ok(&c, "10.1.2.3.nip.io", 5432), 0,
           "a name embedding a listed address is a name");

    /* Addresses behind names. */
    is_int(addr_ok(&c, "api.example.com", "93.184.216.34", 443), 1, "public address of a name");
    is_int(addr_ok(&c, "api.example.com", "127.0.0.1", 443), 0,
           "an allowed name resolving to loopback: refused");
    is_int(addr_ok(&c, "api.example.com", "169.254.169.254", 443), 0, "to the metadata address");
    is_int(addr_ok(&c, "api.example.com", "::ffff:10.0.0.1", 443), 0, "to a mapped private v4");
    is_int(addr_ok(&c, "x.svc.example.com", "10.1.5.5", 5432), 1,
           "internal address inside a listed CIDR with its port");
    is_int(addr_ok(&c, "x.svc.example.com", "10.1.5.5", 80), 0, "same address, other port");
    is_int(addr_ok(&c, "localhost", "127.0.0.1", 8080), 1, "loopback listed by address");
    is_int(addr_ok(&c, "localhost", "::ffff:127.0.0.1", 8080), 1,
           "the same address written as mapped IPv6");
    struct sockaddr_storage other = sa_of("93.184.216.34", 444);
    is_int(wf_egress_addr_allowed(&c, "api.example.com", 443, (struct sockaddr *)&other, why,
                                  sizeof(why)),
           0, "a connection to another port than the one checked: refused");

    /* Internal ranges. */
    static const char *const in[] = {"127.0.0.1", "10.9.9.9",  "172.16.0.1", "172.31.255.255",
                                     "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                                     "224.0.0.1", "255.255.255.255", "::", "::1", "fe80::1",
                                     "fd12::1", "ff02::1", "::ffff:127.0.0.1", "64:ff9b::a00:1"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        ok(internal(in[i]), "%s is internal", in[i]);
    static const char *const out[] = {"93.184.216.34", "172.32.0.1", "8.8.8.8",
                                      "2606:4700::1111", "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
        ok(!internal(out[i]), "%s is public", out[i]);

    /* The config check reports a bad entry at its position. */
    wf_config_t cfg2;
    wf_config_defaults(&cfg2);
    wf_diags_t d;
    wf_diags_init(&d, "weft.yaml");
    const char *text = "executor:\n  egress_allow:\n    - \"ok.example.com:443\"\n"
                       "    - \"no-port.example.com\"\n";
    is_int(wf_config_load_text(&cfg2, text, strlen(text), &d), -1, "a bad entry fails the config");
    char *msg = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&msg, &mlen);
    wf_diags_print(&d, f);
    fclose(f);
    ok(msg && strstr(msg, "weft.yaml:4:7: error: executor.egress_allow[1]: 'no-port.example.com'"),
       "at file:line:col with the entry: %s", msg ? msg : "");
    free(msg);
    wf_diags_dispose(&d);
    wf_config_dispose(&cfg2);
    cfg.executor.egress_allow = NULL;
    cfg.executor.n_egress_allow = 0;
    wf_config_dispose(&cfg);
    return tap_done();
}
