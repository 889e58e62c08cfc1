/* Cron next-fire times (executor/cron.c): UTC is computed without zone data
 * (gmtime/timegm) and must agree with the zone-file path ("UTC0", a POSIX
 * zone string the C library evaluates); a named zone still follows its
 * offsets and its DST gap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/cron.h"
#include "tests/tap.h"

static wf_xcron_t parse(const char *expr, bool secs)
{
    wf_xcron_t c;
    char err[128];
    if (wf_xcron_parse(&c, expr, secs, err, sizeof(err)) != 0) {
        printf("# %s: %s\n", expr, err);
        memset(&c, 0, sizeof(c));
    }
    return c;
}

int main(void)
{
    static const struct {
        const char *expr;
        bool secs;
    } crons[] = {
        {"* * * * *", false},       {"*/5 * * * *", false},     {"0 11 * * *", false},
        {"0 0 29 2 *", false},      {"30 2 * * SUN", false},    {"0 9-17 * * MON-FRI", false},
        {"*/1 * * * * *", true},    {"15 0 0 1 JAN *", true},   {"@hourly", false},
        {"0 0 31 * *", false},
    };
    /* 2024-02-28 23:59:30 UTC: a leap day and a month end ahead. */
    const time_t starts[] = {1709164770, 1700000000, 1735689599};
    for (size_t i = 0; i < sizeof(crons) / sizeof(crons[0]); i++) {
        wf_xcron_t c = parse(crons[i].expr, crons[i].secs);
        for (size_t j = 0; j < sizeof(starts) / sizeof(starts[0]); j++) {
            time_t t = starts[j], u = starts[j];
            bool same = true;
            for (int k = 0; k < 5 && same; k++) {
                t = wf_xcron_next(&c, t, "UTC");
                u = wf_xcron_next(&c, u, "UTC0");
                same = t == u && t > 0;
            }
            ok(same, "%s from %lld: UTC without zone data = the zone path (%lld)",
               crons[i].expr, (long long)starts[j], (long long)t);
        }
    }
    wf_xcron_t daily = parse("0 11 * * *", false);
    /* 2026-05-31 00:00 UTC: 11:00 in Paris (UTC+2) is 09:00 UTC. */
    is_int(wf_xcron_next(&daily, 1780185600, "Europe/Paris"), 1780185600 + 9 * 3600,
           "a named zone keeps its offset");
    is_int(wf_xcron_next(&daily, 1780185600, NULL), 1780185600 + 11 * 3600,
           "no zone is UTC");
    is_int(wf_xcron_utc_offset(1780185600, "Europe/Paris"), 7200, "the offset of a named zone");
    is_int(wf_xcron_utc_offset(1780185600, "UTC"), 0, "the offset of UTC");
    /* 2026-03-29 in Paris: 02:30 does not exist; the next is the 30th's. */
    wf_xcron_t gap = parse("30 2 * * *", false);
    time_t after = 1774738800; /* 2026-03-28 23:00 UTC = 29th 00:00 CET */
    is_int(wf_xcron_next(&gap, after, "Europe/Paris"), 1774830600,
           "a time in the DST gap moves to the next day that has it");
    return tap_done();
}
