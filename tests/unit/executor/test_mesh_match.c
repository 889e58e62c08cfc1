/* The event matcher of event-driven Flow triggers (executor_mesh_match.c):
 * the three trigger forms against events, the upstream default states, the
 * all-of entries of preconditions and the producers a trigger names. */
#include <stdlib.h>
#include <string.h>

#include "platform/diag.h"
#include "executor/mesh.h"
#include "tests/tap.h"

static wf_flow_t *parse(const char *src)
{
    wf_diags_t d;
    wf_flow_t *f = wf_flow_parse(src, strlen(src), "t.yaml", &d);
    wf_diags_dispose(&d);
    return f;
}

static bool holds(const wf_flow_t *f, size_t entry, const char *ns, const char *flow,
                  const char *state)
{
    json_t *labels = json_pack("{s:s}", "team", "logistics");
    wf_xmesh_event_t e = {ns, flow, state, labels};
    bool r = wf_xmesh_entry_holds(&f->triggers[0], entry, &e);
    json_decref(labels);
    return r;
}

static void count_producer(void *ud, const char *ns, const char *flow, json_t *states)
{
    (void)states;
    char *buf = ud;
    strcat(buf, ns ? ns : "?");
    strcat(buf, "/");
    strcat(buf, flow ? flow : "*");
    strcat(buf, " ");
}

#define HEAD                                                                                       \
    "id: c\nnamespace: sales.reporting\ntasks:\n  - id: t\n"                                       \
    "    type: io.kestra.plugin.core.log.Log\n    message: m\ntriggers:\n  - id: tr\n"             \
    "    type: io.kestra.plugin.core.trigger.Flow\n"

int main(void)
{
    wf_flow_t *c = parse(HEAD "    conditions:\n"
                              "      - type: io.kestra.plugin.core.condition.ExecutionFlow\n"
                              "        namespace: logistics.shipments\n"
                              "        flowId: daily\n"
                              "      - type: io.kestra.plugin.core.condition.ExecutionStatus\n"
                              "        in: [SUCCESS, WARNING]\n");
    ok(c != NULL, "conditions form parses");
    is_int((int)wf_xmesh_n_entries(&c->triggers[0]), 1, "one entry");
    ok(holds(c, 0, "logistics.shipments", "daily", "SUCCESS"), "the named flow in a listed state");
    ok(!holds(c, 0, "logistics.shipments", "daily", "FAILED"), "not in another state");
    ok(!holds(c, 0, "logistics.shipments", "weekly", "SUCCESS"), "not another flow");
    ok(!holds(c, 0, "logistics.shipmentsx", "daily", "SUCCESS"), "not another namespace");
    char names[256] = "";
    wf_xmesh_producers(&c->triggers[0], count_producer, names);
    is_str(names, "logistics.shipments/daily ", "the producer it names");

    wf_flow_t *p = parse(HEAD "    preconditions:\n      id: both\n      flows:\n"
                              "        - namespace: logistics.shipments\n          flowId: a\n"
                              "        - namespace: logistics.stock\n          flowId: b\n"
                              "          states: [FAILED]\n"
                              "          labels: {team: logistics}\n");
    ok(p != NULL, "preconditions form parses");
    is_int((int)wf_xmesh_n_entries(&p->triggers[0]), 2, "two entries, all needed");
    ok(holds(p, 0, "logistics.shipments", "a", "SUCCESS"), "entry 0: a, SUCCESS by default");
    ok(!holds(p, 0, "logistics.shipments", "a", "WARNING"), "upstream states default to SUCCESS");
    ok(!holds(p, 1, "logistics.shipments", "a", "SUCCESS"), "a does not satisfy entry 1");
    ok(holds(p, 1, "logistics.stock", "b", "FAILED"), "entry 1: b FAILED with the label");
    names[0] = '\0';
    wf_xmesh_producers(&p->triggers[0], count_producer, names);
    is_str(names, "logistics.shipments/a logistics.stock/b ", "both producers named");

    wf_flow_t *w = parse(HEAD "    preconditions:\n      id: w\n      where:\n"
                              "        - id: any_logistics\n          operand: AND\n"
                              "          filters:\n"
                              "            - field: NAMESPACE\n              type: STARTS_WITH\n"
                              "              value: logistics.\n"
                              "            - field: STATE\n              type: IN\n"
                              "              values: [SUCCESS]\n");
    ok(w != NULL, "where form parses");
    ok(holds(w, 0, "logistics.x", "any", "SUCCESS"), "where: prefix and state");
    ok(!holds(w, 0, "logistics.x", "any", "FAILED"), "where: AND of its filters");
    ok(!holds(w, 0, "sales.x", "any", "SUCCESS"), "where: other namespace");
    names[0] = '\0';
    wf_xmesh_producers(&w->triggers[0], count_producer, names);
    is_str(names, "logistics./* ", "the namespace filter names a producer prefix");

    /* REGEX: searched in the field (as regexec did), through PCRE2's limits. */
    wf_flow_t *rx = parse(HEAD "    preconditions:\n      id: w\n      where:\n"
                               "        - id: rx\n          filters:\n"
                               "            - field: FLOW_ID\n              type: REGEX\n"
                               "              value: 'load_[0-9]+'\n"
                               "            - field: NAMESPACE\n              type: REGEX\n"
                               "              value: '(a+)+$'\n");
    ok(rx != NULL, "REGEX filters parse");
    ok(rx != NULL && holds(rx, 0, "xaaaa", "daily_load_12", "SUCCESS"),
       "REGEX: found anywhere in the field");
    ok(rx != NULL && !holds(rx, 0, "xaaaa", "daily_unload", "SUCCESS"), "REGEX: no match");
    ok(rx != NULL && !holds(rx, 0, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
                            "load_1", "SUCCESS"),
       "REGEX: a pattern too costly for the value does not match (and returns)");
    wf_flow_free(rx);
    ok(parse(HEAD "    preconditions:\n      id: w\n      where:\n"
                  "        - id: rx\n          filters:\n"
                  "            - field: FLOW_ID\n              type: REGEX\n"
                  "              value: 'load_[0-9'\n") == NULL,
       "a REGEX value that does not compile is refused when the flow is parsed");

    ok(wf_xmesh_ns_covers("sales", "sales.reporting"), "a prefix covers its children");
    ok(!wf_xmesh_ns_covers("sales", "salesforce"), "but not a longer name");
    ok(wf_xmesh_ns_covers("a_b", "a_b") && !wf_xmesh_ns_covers("a_b", "axb"), "'_' is no wildcard");
    wf_flow_free(c);
    wf_flow_free(p);
    wf_flow_free(w);
    return tap_done();
}
