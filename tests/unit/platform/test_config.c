#include <stdlib.h>

#include "platform/config.h"
#include "tests/tap.h"

static int load(wf_config_t *cfg, wf_diags_t *d, const char *text)
{
    wf_config_defaults(cfg);
    wf_diags_init(d, "weft.yaml");
    return wf_config_load_text(cfg, text, strlen(text), d);
}

static int has_error(const wf_diags_t *d, int line, int col, const char *needle)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->items[i].line == line && d->items[i].col == col &&
            strstr(d->items[i].message, needle) != NULL)
            return 1;
    return 0;
}

int main(void)
{
    wf_config_t cfg;
    wf_diags_t d;

    is_int(load(&cfg, &d, ""), 0, "empty config is valid");
    is_str(cfg.listen, "127.0.0.1:8080", "default listen");
    is_str(cfg.data_dir, "./weft-data", "default data dir");
    ok(cfg.database.url == NULL, "embedded database by default");
    is_int(cfg.gateway.max_body, 1 << 20, "default body limit is 1 MiB");
    wf_diags_dispose(&d);
    wf_config_dispose(&cfg);

    const char *good = "listen: 0.0.0.0:9000\n"
                       "database: {url: \"postgresql:///weft\"}\n"
                       "gateway: {max_body: 2MiB}\n"
                       "auth:\n"
                       "  oidc:\n"
                       "    - issuer: https://idp.example.com\n"
                       "      audience: weft\n"
                       "domains:\n"
                       "  - name: logistics\n"
                       "    namespaces: [logistics]\n"
                       "  - name: sales\n"
                       "    namespaces: [sales, marketing.sales]\n";
    is_int(load(&cfg, &d, good), 0, "full config is valid");
    is_str(cfg.listen, "0.0.0.0:9000", "listen read");
    is_str(cfg.database.url, "postgresql:///weft", "database url read");
    is_int(cfg.gateway.max_body, 2 << 20, "size with unit");
    is_int(cfg.auth.n_oidc, 1, "one issuer");
    is_str(cfg.auth.oidc[0].groups_claim, "groups", "groups_claim default");
    is_int(cfg.n_domains, 2, "two domains");
    is_int(cfg.domains[1].n_namespaces, 2, "two prefixes");
    ok(wf_config_domain_for(&cfg, "sales.reporting") == &cfg.domains[1], "prefix lookup");
    ok(wf_config_domain_for(&cfg, "salesforce") == NULL, "prefix stops at a dot");
    setenv("WEFT_LISTEN", "127.0.0.1:7000", 1);
    wf_config_apply_env(&cfg);
    unsetenv("WEFT_LISTEN");
    is_str(cfg.listen, "127.0.0.1:7000", "WEFT_LISTEN overrides");
    wf_diags_dispose(&d);
    wf_config_dispose(&cfg);

    const char *bad = "listen: 8080\n"          /* line 1: not ADDR:PORT */
                      "lisen: x\n"              /* line 2: unknown, suggest */
                      "gateway:\n"
                      "  max_body: lots\n"      /* line 4: wrong type */
                      "  threads: 1000\n"       /* line 5: out of range */
                      "auth:\n"
                      "  oidc:\n"
                      "    - issuer: https://x\n" /* line 8: audience missing */
                      "domains:\n"
                      "  - name: Sales\n"        /* line 10: invalid name */
                      "    namespaces: [sales]\n"
                      "  - name: other\n"
                      "    namespaces: [sales.eu]\n" /* line 13: overlap */
                      "log: {level: loud}\n";    /* line 14: bad enum */
    is_int(load(&cfg, &d, bad), -1, "bad config is refused");
    ok(has_error(&d, 1, 9, "not ADDR:PORT"), "listen error at 1:9");
    ok(has_error(&d, 2, 1, "unknown key 'lisen'"), "unknown key at 2:1");
    ok(d.count > 1 && d.items[1].note && strstr(d.items[1].note, "'listen'"),
       "suggests 'listen'");
    ok(has_error(&d, 4, 13, "expected a size"), "wrong type at 4:13");
    ok(has_error(&d, 5, 12, "out of range"), "range at 5:12");
    ok(has_error(&d, 8, 7, "missing required key 'audience'"), "missing key at 8:7");
    ok(has_error(&d, 10, 11, "invalid domain name"), "domain name at 10:11");
    ok(has_error(&d, 13, 18, "overlaps 'sales'"), "overlap at 13:18");
    ok(has_error(&d, 14, 14, "invalid value 'loud'"), "enum at 14:14");
    is_int(d.count, 8, "every error reported at once");
    wf_diags_print(&d, stderr);
    wf_diags_dispose(&d);
    wf_config_dispose(&cfg);

    ok(wf_namespace_valid("a.b-c_d.E1"), "namespace valid");
    ok(!wf_namespace_valid("a..b") && !wf_namespace_valid(".a") && !wf_namespace_valid("a/b"),
       "namespace invalid forms");
    char host[64];
    int port;
    ok(wf_parse_listen("[::1]:80", host, sizeof(host), &port) == 0 && strcmp(host, "::1") == 0 &&
           port == 80,
       "IPv6 listen");
    return tap_done();
}
