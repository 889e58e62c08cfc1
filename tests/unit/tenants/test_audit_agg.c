/* tenants/audit_agg: the first denial of a window is written, the others are
 * counted into one summary; keys are separate; the table is bounded with one
 * overflow summary; shutdown takes open windows. */
#include <stdlib.h>
#include <string.h>

#include "tenants/audit_agg.h"
#include "tests/tap.h"

#define S INT64_C(1000000)

static wf_audit_denial_t denial(const char *actor, const char *ns)
{
    return (wf_audit_denial_t){.actor = actor, .action = "flow.read", .namespace_ = ns,
                               .target = "/api/v1/flows/x", .reason = "denied:no-binding",
                               .method = "GET"};
}

int main(void)
{
    wf_audit_agg_t *agg = wf_audit_agg_create(60 * S, 4);
    wf_audit_denial_t b = denial("sa:teamb/viewer", "teama");
    wf_audit_agg_summary_t out[8] = {0};

    ok(wf_audit_agg_note(agg, &b, 100 * S), "the first denial is written");
    int written = 0;
    for (int i = 1; i < 500; i++)
        written += wf_audit_agg_note(agg, &b, 100 * S + i * 1000);
    is_int(written, 0, "the 499 following ones in the window are only counted");
    is_int(wf_audit_agg_take(agg, 159 * S, false, out, 8), 0, "nothing to take while the window is open");
    size_t n = wf_audit_agg_take(agg, 160 * S, false, out, 8);
    is_int(n, 1, "one summary when the window closes");
    is_int(out[0].count, 500, "it counts all 500 denials");
    is_int(out[0].first_us, 100 * S, "first time");
    is_int(out[0].last_us, 100 * S + 499 * 1000, "last time");
    is_str(out[0].actor, "sa:teamb/viewer", "actor");
    is_str(out[0].namespace_, "teama", "namespace");
    is_str(out[0].method, "GET", "method");
    ok(!out[0].overflow, "not the overflow bucket");
    wf_audit_agg_summary_dispose(&out[0]);
    is_int(wf_audit_agg_size(agg), 0, "the key is forgotten");

    /* A lone denial gives no summary. */
    ok(wf_audit_agg_note(agg, &b, 200 * S), "a new window writes its first denial");
    is_int(wf_audit_agg_take(agg, 300 * S, false, out, 8), 0, "a lone denial needs no summary");

    /* Keys are separate; a window closed before the sweep is kept. */
    wf_audit_denial_t c = denial("sa:teamc/viewer", "teama");
    wf_audit_denial_t d = denial("sa:teamb/viewer", "teamd");
    ok(wf_audit_agg_note(agg, &b, 400 * S), "B on A: written");
    ok(wf_audit_agg_note(agg, &c, 400 * S), "C on A: another actor, written");
    ok(wf_audit_agg_note(agg, &d, 400 * S), "B on D: another namespace, written");
    ok(!wf_audit_agg_note(agg, &b, 401 * S), "B on A again: counted");
    ok(wf_audit_agg_note(agg, &b, 470 * S), "after the window, unswept: written again");
    n = wf_audit_agg_take(agg, 470 * S, false, out, 8);
    int got_b = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(out[i].actor, "sa:teamb/viewer") == 0 && strcmp(out[i].namespace_, "teama") == 0)
            got_b = (int)out[i].count;
        wf_audit_agg_summary_dispose(&out[i]);
    }
    is_int(got_b, 2, "the closed window's summary survives the new window");

    /* Bounded: past max_keys, one overflow bucket. */
    n = wf_audit_agg_take(agg, 0, true, out, 8);
    for (size_t i = 0; i < n; i++)
        wf_audit_agg_summary_dispose(&out[i]);
    char ns[32];
    int direct = 0;
    for (int i = 0; i < 100; i++) {
        snprintf(ns, sizeof(ns), "teama.x%d", i);
        wf_audit_denial_t v = denial("sa:teamb/viewer", ns);
        direct += wf_audit_agg_note(agg, &v, 1000 * S + i);
    }
    is_int(direct, 4, "only max_keys distinct keys are written");
    ok(wf_audit_agg_size(agg) <= 4, "the table holds at most max_keys");
    n = wf_audit_agg_take(agg, 1000 * S, true, out, 8);
    int overflow = 0;
    for (size_t i = 0; i < n; i++) {
        if (out[i].overflow) {
            is_int(out[i].count, 96, "the overflow summary counts the other 96");
            ok(out[i].actor == NULL, "and names no actor");
            overflow++;
        }
        wf_audit_agg_summary_dispose(&out[i]);
    }
    is_int(overflow, 1, "one overflow summary");
    is_int(wf_audit_agg_size(agg), 0, "shutdown takes every window");

    wf_audit_agg_destroy(agg);
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}
