/* Governance policies: validation with JSON pointers, merging from the root
 * down with provenance, the tighten-only rule, and flow checks at the
 * position of the offending property. */
#include <stdlib.h>

#include "tenants/policy.h"
#include "tests/tap.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (v == NULL)
        printf("# bad test JSON: %s\n", text);
    return v;
}

static void invalid(const char *doc, const char *want_ptr, const char *name)
{
    char ptr[300] = "", msg[300] = "";
    json_t *d = J(doc);
    ok(wf_policy_validate(d, ptr, sizeof(ptr), msg, sizeof(msg)) == -1, "refused: %s", name);
    is_str(ptr, want_ptr, "pointer of %s", name);
    json_decref(d);
}

static void valid(const char *doc)
{
    char ptr[300] = "", msg[300] = "";
    json_t *d = J(doc);
    int rc = wf_policy_validate(d, ptr, sizeof(ptr), msg, sizeof(msg));
    ok(rc == 0, "accepted: %s", doc);
    if (rc != 0)
        printf("# %s: %s\n", ptr, msg);
    json_decref(d);
}

/* Policy of `ns` from layers given as (prefix, platform, doc) triples. */
static wf_policy_t *build(const char *ns, int n, const char *const *layers)
{
    wf_policy_t *p = wf_policy_create(ns);
    for (int i = 0; i < n; i++) {
        json_t *d = J(layers[3 * i + 2]);
        wf_policy_add(p, layers[3 * i], layers[3 * i + 1][0] == 'p', d);
        json_decref(d);
    }
    return p;
}

static int tighter(wf_policy_t *inh, const char *doc, char *key, char *from)
{
    wf_policy_violation_t v;
    json_t *d = J(doc);
    int rc = wf_policy_check_tighter(inh, d, &v);
    json_decref(d);
    if (rc != 0) {
        strcpy(key, v.key);
        strcpy(from, v.from);
        printf("# %s\n", v.message);
        json_decref(v.inherited);
    }
    return rc;
}

int main(void)
{
    /* Validation: every key, with the pointer of what is wrong. */
    valid("{}");
    valid("{\"maxMemory\": \"512MiB\", \"maxCpu\": 1.5, \"maxPids\": 64, \"maxTaskDuration\": "
          "\"PT10M\", \"maxConcurrentTaskRuns\": 4, \"maxExecutionsPerMinute\": 30, "
          "\"maxFlowSize\": \"64KiB\", \"allowedTaskTypes\": [\"io.kestra.plugin.core.log.Log\", "
          "\"io.kestra.plugin.scripts.*\"], \"network\": [\"api.example.com:443\", "
          "\"*.internal:*\"], \"requiredLabels\": {\"owner\": \".+\", \"class\": "
          "\"public|internal\"}}");
    valid("{\"network\": \"none\", \"maxCpu\": \"500m\", \"maxMemory\": 67108864}");
    invalid("{\"maxMemroy\": \"1GiB\"}", "/maxMemroy", "unknown key");
    invalid("{\"maxMemory\": \"lots\"}", "/maxMemory", "bad size");
    invalid("{\"maxMemory\": 10}", "/maxMemory", "size below the bound");
    invalid("{\"maxPids\": 0}", "/maxPids", "zero pids");
    invalid("{\"maxPids\": \"8\"}", "/maxPids", "pids as a string");
    invalid("{\"maxTaskDuration\": \"10 minutes\"}", "/maxTaskDuration", "bad duration");
    invalid("{\"allowedTaskTypes\": [\"io.kestra.plugin.core.log.Log\", \"no.such.Type\"]}",
            "/allowedTaskTypes/1", "unknown task type");
    invalid("{\"network\": [\"example.com:443\", \"example.com\"]}", "/network/1",
            "network entry without port");
    invalid("{\"network\": \"all\"}", "/network", "network word");
    invalid("{\"requiredLabels\": {\"owner\": \"(\"}}", "/requiredLabels/owner", "bad regex");
    invalid("[1]", "", "not an object");
    char ptr[300], msg[300];
    json_t *d = J("{\"maxMemroy\": 1}");
    wf_policy_validate(d, ptr, sizeof(ptr), msg, sizeof(msg));
    ok(strstr(msg, "did you mean maxMemory") != NULL, "unknown key suggests the close one (%s)",
       msg);
    json_decref(d);

    /* Merging: the tightest value wins, with the prefix it comes from. */
    const char *const chain[] = {
        "", "p", "{\"maxMemory\": \"1GiB\", \"maxPids\": 128, \"network\": \"none\"}",
        "sales", "p", "{\"maxMemory\": \"512MiB\", \"allowedTaskTypes\": [\"io.kestra.plugin.core.*\", \"io.kestra.plugin.scripts.shell.Commands\"]}",
        "sales", "d", "{\"maxPids\": 256, \"requiredLabels\": {\"owner\": \"[a-z]+\"}}",
        "sales.team", "d", "{\"maxMemory\": \"256MiB\", \"allowedTaskTypes\": [\"io.kestra.plugin.core.log.Log\"], \"requiredLabels\": {\"class\": \"public|internal\"}}",
    };
    wf_policy_t *p = build("sales.team", 4, chain);
    int64_t v;
    const char *from = NULL;
    ok(wf_policy_limit(p, WF_POL_MAX_MEMORY, &v, &from) && v == 256 << 20, "maxMemory: the tightest");
    is_str(from, "sales.team", "maxMemory comes from sales.team");
    ok(wf_policy_limit(p, WF_POL_MAX_PIDS, &v, &from) && v == 128, "a looser child value does not loosen");
    is_str(from, "", "maxPids comes from the root");
    ok(!wf_policy_limit(p, WF_POL_MAX_CPU, &v, &from), "maxCpu unset");
    ok(wf_policy_task_type_allowed(p, "io.kestra.plugin.core.log.Log", &from), "Log allowed");
    ok(!wf_policy_task_type_allowed(p, "io.kestra.plugin.scripts.shell.Commands", &from),
       "Commands refused below sales.team");
    is_str(from, "sales.team", "refused by sales.team's list");
    ok(wf_policy_egress(p, "example.com", 443, &from) == WF_POL_EGRESS_DENY, "network none denies");
    json_t *eff = wf_policy_effective_json(p);
    char *txt = json_dumps(eff, JSON_COMPACT | JSON_SORT_KEYS);
    printf("# effective %s\n", txt);
    is_str(json_string_value(json_object_get(json_object_get(eff, "maxMemory"), "from")),
           "sales.team", "GET shape: maxMemory.from");
    is_str(json_string_value(json_object_get(json_object_get(eff, "maxMemory"), "value")),
           "256MiB", "GET shape: maxMemory.value as written");
    is_str(json_string_value(json_object_get(
               json_object_get(json_object_get(eff, "requiredLabels"), "from"), "owner")),
           "sales", "GET shape: requiredLabels.from.owner");
    ok(json_object_get(json_object_get(eff, "allowedTaskTypes"), "constraints") != NULL,
       "allowedTaskTypes lists both levels");
    free(txt);
    json_decref(eff);

    /* maxStorage, the domain's storage quota: a size, and tighten-only. */
    valid("{\"maxStorage\": \"10GiB\"}");
    invalid("{\"maxStorage\": \"1KiB\"}", "/maxStorage", "maxStorage below 1MiB");
    invalid("{\"maxStorage\": \"lots\"}", "/maxStorage", "maxStorage not a size");
    {
        const char *const st[] = {"", "p", "{\"maxStorage\": \"10GiB\"}", "sales", "d",
                                  "{\"maxStorage\": \"1GiB\"}"};
        wf_policy_t *ps = build("sales.team", 2, st);
        int64_t sv;
        const char *sfrom;
        ok(wf_policy_limit(ps, WF_POL_MAX_STORAGE, &sv, &sfrom) && sv == (INT64_C(1) << 30) &&
               strcmp(sfrom, "sales") == 0,
           "maxStorage: the smallest level wins, with where it comes from");
        char sk[64] = "", ss[256] = "";
        ok(tighter(ps, "{\"maxStorage\": \"20GiB\"}", sk, ss) == -1 &&
               strcmp(sk, "maxStorage") == 0,
           "maxStorage: a domain admin cannot loosen it");
        ok(tighter(ps, "{\"maxStorage\": \"512MiB\"}", sk, ss) == 0,
           "maxStorage: a smaller quota is tighter");
        wf_policy_destroy(ps);
    }

    /* Tighten only: what sales.team inherits is the root and sales. */
    wf_policy_t *inh = build("sales.team", 3, chain);
    char key[64] = "", src[256] = "";
    ok(tighter(inh, "{\"maxMemory\": \"128MiB\", \"maxPids\": 16}", key, src) == 0, "smaller caps are tighter");
    ok(tighter(inh, "{\"maxMemory\": \"512MiB\"}", key, src) == 0, "an equal value is allowed");
    ok(tighter(inh, "{\"maxMemory\": \"2GiB\"}", key, src) == -1, "a larger memory cap is looser");
    is_str(key, "maxMemory", "violation names the key");
    is_str(src, "sales", "and the namespace of the inherited value");
    ok(tighter(inh, "{\"maxPids\": 129}", key, src) == -1 && strcmp(src, "") == 0,
       "pids above the root's cap: from the root");
    ok(tighter(inh, "{\"allowedTaskTypes\": [\"io.kestra.plugin.core.flow.Sequential\"]}", key, src) == 0,
       "a type inside an allowed pattern");
    ok(tighter(inh, "{\"allowedTaskTypes\": [\"io.kestra.plugin.scripts.python.Script\"]}", key, src) == -1,
       "a type outside the inherited list is looser");
    ok(tighter(inh, "{\"allowedTaskTypes\": [\"io.kestra.plugin.*\"]}", key, src) == -1,
       "a wider pattern is looser");
    ok(tighter(inh, "{\"network\": [\"example.com:443\"]}", key, src) == -1 && strcmp(key, "network") == 0,
       "an allowlist under network none is looser");
    ok(tighter(inh, "{\"network\": \"none\"}", key, src) == 0, "none stays none");
    ok(tighter(inh, "{\"requiredLabels\": {\"owner\": \".*\"}}", key, src) == 0,
       "label requirements add up (never looser)");
    wf_policy_destroy(inh);

    const char *const net[] = {"", "p", "{\"network\": [\"*.example.com:443\", \"db.internal:*\"]}"};
    inh = build("x", 1, net);
    ok(tighter(inh, "{\"network\": [\"api.example.com:443\", \"db.internal:5432\"]}", key, src) == 0,
       "narrower hosts and ports are tighter");
    ok(tighter(inh, "{\"network\": [\"*.example.com:*\"]}", key, src) == -1, "any port is looser");
    ok(tighter(inh, "{\"network\": [\"example.org:443\"]}", key, src) == -1, "another host is looser");
    ok(wf_policy_egress(inh, "API.example.com", 443, NULL) == WF_POL_EGRESS_ALLOW, "egress allowed by a wildcard");
    ok(wf_policy_egress(inh, "example.com", 443, NULL) == WF_POL_EGRESS_DENY, "*.d does not cover d");
    ok(wf_policy_egress(inh, "api.example.com", 80, NULL) == WF_POL_EGRESS_DENY, "wrong port denied");
    ok(wf_policy_egress(inh, "db.internal", 6543, NULL) == WF_POL_EGRESS_ALLOW, "any port");
    wf_policy_destroy(inh);
    wf_policy_t *none = wf_policy_create("x");
    ok(wf_policy_egress(none, "example.com", 443, NULL) == WF_POL_EGRESS_UNSET, "no network key: unset");
    wf_policy_destroy(none);

    /* Flows: errors at the offending property, naming key and namespace. */
    const char *const fl[] = {"sales", "p",
                              "{\"maxTaskDuration\": \"PT1M\", \"maxFlowSize\": 400, "
                              "\"allowedTaskTypes\": [\"io.kestra.plugin.core.*\"], "
                              "\"requiredLabels\": {\"owner\": \"[a-z]+\", \"class\": \"public\"}}"};
    wf_policy_t *fp = build("sales.team", 1, fl);
    const char *flow = "id: f\n"
                       "namespace: sales.team\n"
                       "labels:\n"
                       "  owner: Bob\n"
                       "tasks:\n"
                       "  - id: a\n"
                       "    type: io.kestra.plugin.core.log.Log\n"
                       "    message: hi\n"
                       "    timeout: PT2M\n"
                       "  - id: b\n"
                       "    type: io.kestra.plugin.core.flow.Sequential\n"
                       "    tasks:\n"
                       "      - id: c\n"
                       "        type: io.kestra.plugin.scripts.shell.Commands\n"
                       "        commands: [\"true\"]\n";
    wf_diags_t dg;
    wf_diags_init(&dg, "flow.yaml");
    int n = wf_policy_check_flow(fp, flow, strlen(flow), &dg);
    wf_diags_print(&dg, stdout);
    is_int(n, 4, "four breaches");
    int seen = 0;
    for (size_t i = 0; i < dg.count; i++) {
        wf_diag_t *g = &dg.items[i];
        if (strcmp(g->path, "labels.owner") == 0 && g->line == 4 && g->col == 10)
            seen |= 1;
        if (strcmp(g->path, "labels.class") == 0 && g->line == 3)
            seen |= 2;
        if (strcmp(g->path, "tasks[0].timeout") == 0 && g->line == 9 && g->col == 14 &&
            strstr(g->message, "maxTaskDuration") && strstr(g->message, "sales"))
            seen |= 4;
        if (strcmp(g->path, "tasks[1].tasks[0].type") == 0 && g->line == 14 && g->col == 15 &&
            strstr(g->message, "allowedTaskTypes") && strstr(g->message, "namespace sales"))
            seen |= 8;
    }
    is_int(seen, 15, "each error at its property, naming key and namespace");
    wf_diags_dispose(&dg);
    wf_diags_init(&dg, "flow.yaml");
    char big[600];
    memset(big, '#', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    char *bigflow = NULL;
    if (asprintf(&bigflow, "id: f\nnamespace: sales.team\nlabels: {owner: bob, class: public}\n"
                           "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n"
                           "    message: hi\n%s\n", big) < 0)
        return 1;
    n = wf_policy_check_flow(fp, bigflow, strlen(bigflow), &dg);
    ok(n == 1 && dg.count == 1 && strstr(dg.items[0].message, "maxFlowSize"), "oversize flow refused");
    free(bigflow);
    wf_diags_dispose(&dg);
    wf_policy_destroy(fp);
    wf_policy_destroy(p);
    return tap_done();
}
