#include <stdlib.h>

#include "flow/time.h"
#include "tests/tap.h"

static int64_t dur(const char *s)
{
    char msg[256];
    int64_t ms = -1;
    return wf_duration_parse(s, &ms, msg, sizeof(msg)) == 0 ? ms : -1;
}

static int cron_ok(const char *s, bool secs)
{
    char msg[256];
    return wf_cron_check(s, secs, msg, sizeof(msg)) == 0;
}

int main(void)
{
    is_int(dur("PT5M"), 300000, "PT5M is five minutes");
    is_int(dur("P1D"), 86400000, "P1D is one day");
    is_int(dur("PT0.5S"), 500, "PT0.5S is half a second");
    is_int(dur("PT0.25S"), 250, "fraction of seconds");
    is_int(dur("P2DT3H4M5S"), ((2 * 24 + 3) * 60 + 4) * 60000LL + 5000, "all units together");
    is_int(dur("pt1h"), 3600000, "lower case letters are accepted as in Java");
    is_int(dur("PT1,5S"), 1500, "comma as decimal separator");
    is_int(dur("PT"), -1, "PT without a component is refused");
    is_int(dur("P"), -1, "P alone is refused");
    is_int(dur("5M"), -1, "missing P is refused");
    is_int(dur("PT5"), -1, "number without unit is refused");
    is_int(dur("P1H"), -1, "hours before T are refused");
    is_int(dur("PT1D"), -1, "days after T are refused");
    is_int(dur("PT1M1H"), -1, "units out of order are refused");
    is_int(dur("PT1.5M"), -1, "fraction on minutes is refused");
    is_int(dur("-PT5M"), -1, "negative duration is refused");
    is_int(dur("P1W"), -1, "weeks are not part of Java's Duration");
    is_int(dur("P99999999999999999999D"), -1, "overflow is refused, not wrapped");
    is_int(dur(""), -1, "empty string is refused");
    char msg[256];
    wf_duration_parse("PT", NULL, msg, sizeof(msg));
    ok(strstr(msg, "ISO-8601") != NULL, "message names the format: %s", msg);

    ok(cron_ok("*/5 * * * *", false), "every five minutes");
    ok(cron_ok("0 9-17 * * MON-FRI", false), "ranges and day names");
    ok(cron_ok("0 0 1,15 JAN,jul *", false), "lists and month names");
    ok(cron_ok("0 0 * * 7", false), "7 is Sunday too");
    ok(cron_ok("0 0 ? * *", false), "question mark in day of month");
    ok(cron_ok("@daily", false), "@daily macro");
    ok(cron_ok("@hourly", true), "macros also with seconds");
    ok(cron_ok("30 */5 * * * *", true), "six fields with seconds");
    ok(!cron_ok("30 */5 * * * *", false), "six fields without withSeconds");
    ok(!cron_ok("* * * *", false), "four fields");
    ok(!cron_ok("60 * * * *", false), "minute 60");
    ok(!cron_ok("* 24 * * *", false), "hour 24");
    ok(!cron_ok("* * 0 * *", false), "day of month 0");
    ok(!cron_ok("* * * 13 *", false), "month 13");
    ok(!cron_ok("* * * * 8", false), "day of week 8");
    ok(!cron_ok("*/0 * * * *", false), "step 0");
    ok(!cron_ok("5-1 * * * *", false), "reversed range");
    ok(!cron_ok("@sometimes", false), "unknown macro");
    ok(!cron_ok("a b c d e", false), "letters");
    ok(!cron_ok("1,,2 * * * *", false), "empty list item");
    ok(!cron_ok("", false), "empty expression");
    wf_cron_check("61 * * * *", false, msg, sizeof(msg));
    is_str(msg, "invalid cron expression '61 * * * *': minute value 61 out of range 0-59",
           "message names the field and the range");
    return tap_done();
}
