/* platform/regex: PCRE2 with limits. Hostile patterns end within the budget
 * with WF_REGEX_TOO_COSTLY (timed here with a generous bound: the point is
 * "milliseconds, not seconds"); ordinary ones keep their meaning. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "platform/clock.h"
#include "platform/regex.h"
#include "tests/tap.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int full(const char *pattern, const char *subject)
{
    char err[200];
    return wf_regex_match_pattern(pattern, WF_REGEX_FULL, subject, strlen(subject), err,
                                  sizeof(err));
}

static int search(const char *pattern, const char *subject)
{
    char err[200];
    return wf_regex_match_pattern(pattern, WF_REGEX_SEARCH, subject, strlen(subject), err,
                                  sizeof(err));
}

/* Worst-case patterns against a subject that makes them backtrack, each
 * expected to stop at a limit. */
static const struct {
    const char *pattern;
    char fill;     /* the subject: `n` times `fill`, then `tail` */
    size_t n;
    const char *tail;
} hostile[] = {
    {"(a+)+$", 'a', 4000, "!"},
    {"(a|aa)*\\1b", 'a', 4000, "c"},
    {"(a|a)*b", 'a', 4000, "c"},
    {"(.*a){20}", 'a', 4000, "b"},
    {"((a*)*)*b", 'a', 4000, "c"},
    {"(?:(?=(a+))a)*b", 'a', 4000, "c"},
    {"(\\w+\\s?)+$", 'a', 4000, "!"},
    {"^(([a-z])+.)+[A-Z]([a-z])+$", 'a', 4000, "!"},
};

static void *hammer(void *arg)
{
    (void)arg;
    int bad = 0;
    char subject[64];
    for (int i = 0; i < 2000; i++) {
        char pattern[32];
        snprintf(pattern, sizeof(pattern), "v%d-[0-9]+", i % 300); /* > the cache size */
        snprintf(subject, sizeof(subject), "v%d-42", i % 300);
        bad += full(pattern, subject) != WF_REGEX_MATCH;
    }
    return (void *)(long)bad;
}

int main(void)
{
    char err[200];
    size_t at = 99;

    /* Syntax: PCRE2's message and the offset of the problem. */
    ok(wf_regex_compile("(ab", WF_REGEX_FULL, err, sizeof(err), &at) == NULL, "'(ab' refused");
    ok(strstr(err, "missing closing parenthesis") != NULL, "message: %s", err);
    is_int(at, 3, "offset of the problem");
    ok(wf_regex_check_syntax("a**", err, sizeof(err), &at) < 0, "'a**' refused: %s", err);
    ok(wf_regex_check_syntax("[z-a]", err, sizeof(err), &at) < 0, "'[z-a]' refused: %s", err);
    ok(wf_regex_check_syntax("\\", err, sizeof(err), &at) < 0, "dangling backslash refused");
    ok(wf_regex_check_syntax("^[a-z][a-z0-9_-]{2,30}$", err, sizeof(err), &at) == 0,
       "ordinary pattern accepted");
    char *longp = malloc(WF_REGEX_MAX_PATTERN + 2);
    memset(longp, 'a', WF_REGEX_MAX_PATTERN + 1);
    longp[WF_REGEX_MAX_PATTERN + 1] = '\0';
    ok(wf_regex_check_syntax(longp, err, sizeof(err), &at) < 0, "overlong pattern: %s", err);
    free(longp);

    /* Meaning: full match is Java's String.matches, search is regexec's. */
    is_int(full("[a-z]+", "abc"), WF_REGEX_MATCH, "full: whole subject");
    is_int(full("[a-z]+", "abc1"), WF_REGEX_NOMATCH, "full: not a prefix");
    is_int(full("b", "abc"), WF_REGEX_NOMATCH, "full: not a substring");
    is_int(full("a|ab", "ab"), WF_REGEX_MATCH, "full: alternation tries every branch");
    is_int(full("abc$", "abc\n"), WF_REGEX_NOMATCH, "full: no trailing newline slack");
    is_int(search("b", "abc"), WF_REGEX_MATCH, "search: substring");
    is_int(search("^b", "abc"), WF_REGEX_NOMATCH, "search: ^ anchors");
    is_int(full("(?i)prod", "PROD"), WF_REGEX_MATCH, "inline flags as in Java");
    is_int(full("\\u00e9t\\xe9", "\xc3\xa9t\xc3\xa9"), WF_REGEX_MATCH, "\\uhhhh and \\xhh as in Java");
    is_int(full(".", "\xc3\xa9"), WF_REGEX_MATCH, "'.' is one character of UTF-8");
    is_int(full("a.c", "a\xff" "c"), WF_REGEX_NOMATCH, "invalid UTF-8 never matches");
    is_int(full("(a)\\1", "aa"), WF_REGEX_MATCH, "backreference");
    is_int(full("[[:alpha:]]+", "abc"), WF_REGEX_MATCH, "POSIX classes still work");

    /* Hostile patterns stop at a limit, quickly. */
    double worst = 0;
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        size_t tl = strlen(hostile[i].tail);
        char *s = malloc(hostile[i].n + tl + 1);
        memset(s, hostile[i].fill, hostile[i].n);
        memcpy(s + hostile[i].n, hostile[i].tail, tl + 1);
        for (int mode = 0; mode < 2; mode++) {
            size_t len = mode == WF_REGEX_SEARCH ? WF_REGEX_MAX_SEARCH : strlen(s);
            wf_regex_t *re = wf_regex_compile(hostile[i].pattern, mode, err, sizeof(err), NULL);
            ok(re != NULL, "%s compiles", hostile[i].pattern);
            if (re == NULL)
                continue;
            double t0 = now_ms();
            int r = wf_regex_match(re, mode == WF_REGEX_SEARCH ? s + strlen(s) - len : s, len);
            double ms = now_ms() - t0;
            if (ms > worst)
                worst = ms;
            ok(r == WF_REGEX_TOO_COSTLY || r == WF_REGEX_NOMATCH,
               "%s (%s, %zu bytes): %s in %.2f ms", hostile[i].pattern,
               mode ? "full" : "search", len,
               r == WF_REGEX_TOO_COSTLY ? "too costly" : r == WF_REGEX_NOMATCH ? "no match" : "?",
               ms);
            ok(ms < 100, "%s ends in milliseconds", hostile[i].pattern);
            wf_regex_release(re);
        }
        free(s);
    }
    printf("# worst hostile match: %.2f ms\n", worst);
    is_int(full("(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"), WF_REGEX_TOO_COSTLY,
           "the classic (a+)+$ is refused as too costly");
    char big[WF_REGEX_MAX_SEARCH + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    is_int(search("y", big), WF_REGEX_TOO_COSTLY, "search refuses subjects past the bound");
    is_int(full("x+", big), WF_REGEX_MATCH, "full match takes long subjects");

    /* wf_regex_find: successive matches along one subject (splitting). */
    wf_regex_t *sep = wf_regex_compile("[,;]+", WF_REGEX_SEARCH, err, sizeof(err), NULL);
    size_t ms = 0, me = 0;
    is_int(wf_regex_find(sep, "ab,;cd;e", 8, 0, &ms, &me), WF_REGEX_MATCH, "find: first match");
    ok(ms == 2 && me == 4, "at [2, 4): [%zu, %zu)", ms, me);
    is_int(wf_regex_find(sep, "ab,;cd;e", 8, me, &ms, &me), WF_REGEX_MATCH, "find: from its end");
    ok(ms == 6 && me == 7, "at [6, 7): [%zu, %zu)", ms, me);
    is_int(wf_regex_find(sep, "ab,;cd;e", 8, me, &ms, &me), WF_REGEX_NOMATCH, "find: no more");
    static char along[WF_REGEX_MAX_FIND + 2];
    memset(along, 'a', sizeof(along) - 1);
    is_int(wf_regex_find(sep, along, WF_REGEX_MAX_FIND, 0, &ms, &me), WF_REGEX_NOMATCH,
           "find scans WF_REGEX_MAX_FIND bytes");
    is_int(wf_regex_find(sep, along, WF_REGEX_MAX_FIND + 1, 0, &ms, &me), WF_REGEX_TOO_COSTLY,
           "and refuses a longer subject");
    wf_regex_release(sep);
    wf_regex_t *evil = wf_regex_compile("(a+)+$", WF_REGEX_SEARCH, err, sizeof(err), NULL);
    along[4000] = '!';
    int64_t t0 = wf_clock_mono_ms();
    wf_regex_result_t fr = WF_REGEX_MATCH;
    for (size_t from = 0; fr == WF_REGEX_MATCH && from < 4001; from = me + 1)
        fr = wf_regex_find(evil, along, 4001, from, &ms, &me);
    int64_t took = wf_clock_mono_ms() - t0;
    is_int(fr, WF_REGEX_TOO_COSTLY, "a hostile delimiter along a subject is too costly");
    ok(took < 1000, "and stops within the budget (%lld ms)", (long long)took);
    wf_regex_release(evil);

    /* The cache: same object for the same pattern, thread-safe under churn. */
    wf_regex_t *a = wf_regex_cached("c[a-z]+", WF_REGEX_FULL, err, sizeof(err), NULL);
    wf_regex_t *b = wf_regex_cached("c[a-z]+", WF_REGEX_FULL, err, sizeof(err), NULL);
    wf_regex_t *c = wf_regex_cached("c[a-z]+", WF_REGEX_SEARCH, err, sizeof(err), NULL);
    ok(a != NULL && a == b, "a cached pattern is compiled once");
    ok(c != NULL && c != a, "the mode is part of the key");
    wf_regex_release(a);
    wf_regex_release(b);
    wf_regex_release(c);
    is_int(wf_regex_match_pattern("(x", WF_REGEX_FULL, "x", 1, err, sizeof(err)),
           WF_REGEX_INVALID, "an invalid pattern through the cache");
    ok(strstr(err, "offset") != NULL, "with its message: %s", err);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, NULL);
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (long)r;
    }
    is_int(bad, 0, "four threads matching through an evicting cache agree");

    return tap_done();
}
