/* PCRE2 with limits, and the shared cache of compiled patterns (regex.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "platform/regex.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"

/* The budget. PCRE2 counts "match calls" (one per backtracking point tried)
 * and stops at the match limit; the depth limit bounds nested backtracking
 * points in the interpreter, the heap limit (KiB) the frames it keeps. The
 * JIT honours the match limit and is bounded in depth by its 32 KiB stack.
 * Measured on the reference machine (2 vCPUs, PCRE2 10.42) with the worst
 * patterns we could write ((a+)+$, (.*a){20}, (\w+\s?)+$, nested
 * lookaheads, alternations of nested groups) against 60- and 4000-byte
 * subjects, best of 5: a call that reaches this limit returns in 0.15-0.25 ms
 * with the JIT (0.8 ms for six backreferences, (.*)(.*)...\2\3\4\5\6b) and
 * 1.1-1.5 ms without (up to 10 ms for one lookahead pattern); 10x the limit
 * costs 10x. Patterns written to validate labels or
 * inputs need a few hundred match calls. */
#define MATCH_LIMIT 100000
#define DEPTH_LIMIT 2000
#define HEAP_LIMIT_KIB 2048
/* The interpreter restarts its count at every start position: in search mode
 * the limit is shared out among positions so that the whole call stays in
 * the budget, each position getting at least this floor; which bounds the
 * subjects a search may scan (WF_REGEX_MAX_SEARCH, in regex.h). */
#define MATCH_LIMIT_PER_POSITION_FLOOR 100
_Static_assert(MATCH_LIMIT_PER_POSITION_FLOOR * WF_REGEX_MAX_SEARCH <= MATCH_LIMIT,
               "a search stays within the match budget");
/* wf_regex_find shares out this much among the positions of one subject. */
#define FIND_BUDGET (10 * MATCH_LIMIT)
_Static_assert(MATCH_LIMIT_PER_POSITION_FLOOR * WF_REGEX_MAX_FIND <= FIND_BUDGET,
               "the calls along one subject stay within their budget");

struct wf_regex {
    pcre2_code *code;
    wf_regex_mode_t mode;
    bool jit;
    int refs; /* atomic */
    char *pattern;
};

static uint32_t compile_options(wf_regex_mode_t mode)
{
    /* UTF-8 subjects, invalid sequences never match (instead of failing the
     * call); \C would split a character; \uhhhh as in Java. */
    uint32_t o = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C | PCRE2_ALT_BSUX;
    if (mode == WF_REGEX_FULL)
        o |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
    return o;
}

wf_regex_t *wf_regex_compile(const char *pattern, wf_regex_mode_t mode, char *err, size_t errlen,
                             size_t *offset)
{
    size_t n = strlen(pattern);
    if (offset != NULL)
        *offset = 0;
    if (n > WF_REGEX_MAX_PATTERN) {
        snprintf(err, errlen, "pattern longer than %d bytes", WF_REGEX_MAX_PATTERN);
        return NULL;
    }
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (cc == NULL)
        wf_out_of_memory(sizeof(void *));
    /* Java's \x{h..} next to \uhhhh (PCRE2_ALT_BSUX alone drops \x{}). */
    pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
    pcre2_set_max_pattern_length(cc, WF_REGEX_MAX_PATTERN);
    pcre2_set_parens_nest_limit(cc, 64);
    int code_err;
    PCRE2_SIZE at;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, n, compile_options(mode), &code_err, &at,
                                     cc);
    pcre2_compile_context_free(cc);
    if (code == NULL) {
        PCRE2_UCHAR msg[200];
        if (pcre2_get_error_message(code_err, msg, sizeof(msg)) < 0)
            snprintf((char *)msg, sizeof(msg), "error %d", code_err);
        snprintf(err, errlen, "%s at offset %zu", (const char *)msg, (size_t)at);
        if (offset != NULL)
            *offset = at;
        return NULL;
    }
    wf_regex_t *re = wf_xcalloc(1, sizeof(*re));
    re->code = code;
    re->mode = mode;
    re->refs = 1;
    re->pattern = wf_xstrdup(pattern);
    /* The JIT is optional: without it (no JIT on this CPU, or a pattern it
     * cannot take) the interpreter runs under the same limits. */
    re->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    return re;
}

wf_regex_t *wf_regex_ref(wf_regex_t *re)
{
    if (re != NULL)
        __atomic_add_fetch(&re->refs, 1, __ATOMIC_RELAXED);
    return re;
}

void wf_regex_release(wf_regex_t *re)
{
    if (re == NULL || __atomic_sub_fetch(&re->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    pcre2_code_free(re->code);
    free(re->pattern);
    free(re);
}

const char *wf_regex_pattern(const wf_regex_t *re)
{
    return re->pattern;
}

int wf_regex_check_syntax(const char *pattern, char *err, size_t errlen, size_t *offset)
{
    wf_regex_t *re = wf_regex_compile(pattern, WF_REGEX_FULL, err, errlen, offset);
    if (re == NULL)
        return -1;
    wf_regex_release(re);
    return 0;
}

/* One pcre2_match from `from` with `limit` match calls per start position;
 * rc as pcre2_match, and [*start, *end) of the match when rc >= 0. */
static int match_limited(const wf_regex_t *re, const char *subject, size_t len, size_t from,
                         uint32_t limit, size_t *start, size_t *end)
{
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (mc == NULL || md == NULL)
        wf_out_of_memory(sizeof(void *));
    pcre2_set_match_limit(mc, limit);
    pcre2_set_depth_limit(mc, DEPTH_LIMIT);
    pcre2_set_heap_limit(mc, HEAP_LIMIT_KIB);
    /* NULL: the JIT uses 32 KiB of the calling thread's stack, no more. */
    pcre2_jit_stack_assign(mc, NULL, NULL);
    int rc = pcre2_match(re->code, (PCRE2_SPTR)(subject != NULL ? subject : ""), len, from, 0, md,
                         mc);
    if (rc >= 0 && start != NULL) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        *start = ov[0];
        *end = ov[1];
    }
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    return rc;
}

static wf_regex_result_t result_of(int rc)
{
    if (rc >= 0)
        return WF_REGEX_MATCH;
    if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
        return WF_REGEX_NOMATCH;
    /* PCRE2_ERROR_MATCHLIMIT, DEPTHLIMIT, HEAPLIMIT, JIT_STACKLIMIT, NOMEMORY:
     * all mean "more than the budget"; anything else is treated the same way
     * rather than as a match. */
    return WF_REGEX_TOO_COSTLY;
}

wf_regex_result_t wf_regex_find(const wf_regex_t *re, const char *subject, size_t len, size_t from,
                                size_t *start, size_t *end)
{
    if (re->mode != WF_REGEX_SEARCH || len > WF_REGEX_MAX_FIND || from > len)
        return WF_REGEX_TOO_COSTLY;
    size_t share = FIND_BUDGET / (len + 1);
    uint32_t limit = share < MATCH_LIMIT_PER_POSITION_FLOOR ? MATCH_LIMIT_PER_POSITION_FLOOR
                     : share > MATCH_LIMIT                  ? MATCH_LIMIT
                                                            : (uint32_t)share;
    return result_of(match_limited(re, subject, len, from, limit, start, end));
}

wf_regex_result_t wf_regex_match(const wf_regex_t *re, const char *subject, size_t len)
{
    if (re->mode == WF_REGEX_SEARCH && len > WF_REGEX_MAX_SEARCH)
        return WF_REGEX_TOO_COSTLY;
    uint32_t limit = MATCH_LIMIT;
    if (re->mode == WF_REGEX_SEARCH && len > 0) {
        size_t share = MATCH_LIMIT / (len + 1);
        limit = share < MATCH_LIMIT_PER_POSITION_FLOOR ? MATCH_LIMIT_PER_POSITION_FLOOR
                                                       : (uint32_t)share;
    }
    return result_of(match_limited(re, subject, len, 0, limit, NULL, NULL));
}

/* ---- the cache ------------------------------------------------------------ */

/* A small array searched linearly: WF_REGEX_CACHE_SIZE string compares cost
 * less than the match itself, and the array needs no hashing. Each entry
 * holds one reference; callers get their own, so an entry dropped while in
 * use stays alive until its last match ends. */
static struct {
    pthread_mutex_t lock;
    wf_regex_t *slot[WF_REGEX_CACHE_SIZE];
    unsigned long used[WF_REGEX_CACHE_SIZE]; /* tick of last use: the oldest goes first */
    unsigned long tick;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static wf_regex_t *cache_find(const char *pattern, wf_regex_mode_t mode)
{
    for (size_t i = 0; i < WF_REGEX_CACHE_SIZE; i++) {
        wf_regex_t *re = cache.slot[i];
        if (re != NULL && re->mode == mode && strcmp(re->pattern, pattern) == 0) {
            cache.used[i] = ++cache.tick;
            return wf_regex_ref(re);
        }
    }
    return NULL;
}

wf_regex_t *wf_regex_cached(const char *pattern, wf_regex_mode_t mode, char *err, size_t errlen,
                            size_t *offset)
{
    pthread_mutex_lock(&cache.lock);
    wf_regex_t *re = cache_find(pattern, mode);
    pthread_mutex_unlock(&cache.lock);
    if (re != NULL)
        return re;
    /* Compiled outside the lock: another thread may compile the same
     * pattern meanwhile; the second to finish finds the first's entry. */
    re = wf_regex_compile(pattern, mode, err, errlen, offset);
    if (re == NULL)
        return NULL;
    pthread_mutex_lock(&cache.lock);
    wf_regex_t *raced = cache_find(pattern, mode);
    if (raced != NULL) {
        pthread_mutex_unlock(&cache.lock);
        wf_regex_release(re);
        return raced;
    }
    size_t victim = 0;
    for (size_t i = 0; i < WF_REGEX_CACHE_SIZE; i++) {
        if (cache.slot[i] == NULL) {
            victim = i;
            break;
        }
        if (cache.used[i] < cache.used[victim])
            victim = i;
    }
    wf_regex_t *old = cache.slot[victim];
    cache.slot[victim] = wf_regex_ref(re);
    cache.used[victim] = ++cache.tick;
    pthread_mutex_unlock(&cache.lock);
    wf_regex_release(old);
    return re;
}

wf_regex_result_t wf_regex_match_pattern(const char *pattern, wf_regex_mode_t mode,
                                         const char *subject, size_t len, char *err,
                                         size_t errlen)
{
    wf_regex_t *re = wf_regex_cached(pattern, mode, err, errlen, NULL);
    if (re == NULL)
        return WF_REGEX_INVALID;
    wf_regex_result_t r = wf_regex_match(re, subject, len);
    wf_regex_release(re);
    return r;
}
