/* auth/fail_limit: N failures per window per address, then a lockout until
 * the window ends; other addresses unaffected; IPv6 by /64; the table is
 * bounded; summaries for the log. */
#include <stdio.h>
#include <string.h>

#include "auth/fail_limit.h"
#include "tests/tap.h"

#define S INT64_C(1000000)

int main(void)
{
    wf_fail_limit_t *fl = wf_fail_limit_create(3, 60 * S, 2);
    wf_fail_addr_t a, b, v6a, v6b, mapped;
    ok(wf_fail_addr_parse("127.0.0.1", &a) == 0, "IPv4 parses");
    ok(wf_fail_addr_parse("127.0.0.2", &b) == 0, "another");
    ok(wf_fail_addr_parse("2001:db8:1:2::1", &v6a) == 0, "IPv6 parses");
    ok(wf_fail_addr_parse("2001:db8:1:2:ffff::9", &v6b) == 0, "same /64");
    ok(wf_fail_addr_parse("::ffff:127.0.0.1", &mapped) == 0, "IPv4-mapped parses");
    ok(wf_fail_addr_parse("localhost", &a) != 0, "a host name is not an address");
    wf_fail_addr_parse("127.0.0.1", &a);
    ok(memcmp(&mapped, &a, sizeof(a)) == 0, "IPv4-mapped IPv6 counts as IPv4");
    ok(memcmp(&v6a, &v6b, sizeof(v6a)) == 0, "IPv6 is keyed by its /64");
    char text[64];
    wf_fail_addr_format(&v6a, text, sizeof(text));
    is_str(text, "2001:db8:1:2::/64", "formatted with its prefix");

    is_int(wf_fail_limit_check(fl, &a, 10 * S), 0, "a fresh address may try");
    is_int(wf_fail_limit_record(fl, &a, "expired", 10 * S), WF_FAIL_FIRST, "first failure: logged");
    is_int(wf_fail_limit_record(fl, &a, "expired", 11 * S), WF_FAIL_COUNTED, "second: counted");
    is_int(wf_fail_limit_check(fl, &a, 11 * S), 0, "under the limit: may try");
    is_int(wf_fail_limit_record(fl, &a, "malformed", 12 * S), WF_FAIL_LOCKED, "third: locked out");
    is_int(wf_fail_limit_check(fl, &a, 20 * S), 50 * S, "locked until the window ends");
    is_int(wf_fail_limit_check(fl, &b, 20 * S), 0, "another address is unaffected");
    is_int(wf_fail_limit_check(fl, &a, 70 * S), 0, "after the window it may try again");

    wf_fail_summary_t out[4];
    size_t n = wf_fail_limit_take(fl, 70 * S, false, out, 4);
    is_int(n, 1, "one summary for the closed window");
    is_int(out[0].failures, 3, "with its failures");
    is_int(out[0].refused, 1, "and the one refusal");
    is_str(out[0].last_reason, "malformed", "and the last reason");

    /* Bounded: a third address evicts the least recently active one that is
     * not locked out. */
    wf_fail_limit_record(fl, &a, "expired", 100 * S);
    wf_fail_limit_record(fl, &a, "expired", 100 * S);
    wf_fail_limit_record(fl, &a, "expired", 100 * S); /* a is locked */
    wf_fail_limit_record(fl, &b, "expired", 101 * S);
    wf_fail_limit_record(fl, &v6a, "expired", 102 * S);
    is_int(wf_fail_limit_size(fl), 2, "the table stays at its size");
    ok(wf_fail_limit_check(fl, &a, 103 * S) > 0, "the locked-out address was kept");
    n = wf_fail_limit_take(fl, 0, true, out, 4);
    is_int(wf_fail_limit_size(fl), 0, "shutdown takes every window");

    wf_fail_addr_t unknown = {0};
    for (int i = 0; i < 10; i++)
        wf_fail_limit_record(fl, &unknown, "expired", 200 * S);
    is_int(wf_fail_limit_check(fl, &unknown, 200 * S), 0, "an address of no IP family is never limited");

    wf_fail_limit_destroy(fl);
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}
