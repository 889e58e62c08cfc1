/* Regular expressions written by tenants (policy requiredLabels, input
 * validators, the `matches` operator, REGEX trigger conditions), through
 * PCRE2 with a bounded cost.
 *
 * A pattern is compiled once (wf_regex_compile, or wf_regex_cached for the
 * patterns met while rendering, which keeps a small shared cache) and matched
 * with a match limit, a depth (backtracking) limit and a heap limit, with the
 * JIT when the platform has one (its stack is the 32 KiB block PCRE2 takes on
 * the machine stack). A pattern that would backtrack for longer than the
 * budget gives WF_REGEX_TOO_COSTLY, never a hang: the caller turns it into a
 * refusal. Budget: on the reference machine (Debian 12, 2 vCPUs) a call
 * that reaches the limit returns in 0.2-0.8 ms with the JIT, ~1.5 ms
 * without (figures in regex.c).
 *
 * Syntax: PCRE2, which is close to Java's (Kestra's) regular expressions:
 * \uhhhh escapes (\x takes two hex digits), (?i), lookaround, possessive
 * quantifiers, backreferences, POSIX classes, UTF-8 subjects. Compiled
 * objects are immutable and may be matched from several threads at once.
 * Includes nothing else of Weft but the allocation module. */
#ifndef WF_REGEX_H
#define WF_REGEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wf_regex wf_regex_t;

/* How a pattern applies to its subject. */
typedef enum {
    WF_REGEX_SEARCH = 0, /* anywhere in the subject (grep, POSIX regexec) */
    WF_REGEX_FULL = 1,   /* the whole subject (Java String.matches) */
} wf_regex_mode_t;

typedef enum {
    WF_REGEX_NOMATCH = 0,
    WF_REGEX_MATCH = 1,
    WF_REGEX_TOO_COSTLY = -1, /* a limit was reached: refuse, do not retry */
    WF_REGEX_INVALID = -2,    /* wf_regex_match_pattern only: the pattern did not compile */
} wf_regex_result_t;

/* The sentence callers put in a refusal when a match is too costly. */
#define WF_REGEX_TOO_COSTLY_MSG "regular expression too costly: limit reached"

/* Longest subject a WF_REGEX_SEARCH pattern scans, in bytes (a longer one
 * is WF_REGEX_TOO_COSTLY: every start position costs its share of the
 * budget). Full matches take subjects of any length. */
#define WF_REGEX_MAX_SEARCH 1000

/* Longest pattern accepted, in bytes. */
#define WF_REGEX_MAX_PATTERN 4096

/* Compiles `pattern` (NUL-terminated). Returns a new object with one
 * reference, or NULL with `err` holding PCRE2's message and the 0-based byte
 * offset of the problem ("missing closing parenthesis at offset 4"), and
 * `*offset` (when not NULL) that offset. */
wf_regex_t *wf_regex_compile(const char *pattern, wf_regex_mode_t mode, char *err, size_t errlen,
                             size_t *offset);

/* Adds a reference (returns `re`); wf_regex_release drops one and frees the
 * object with the last. Both are thread-safe. */
wf_regex_t *wf_regex_ref(wf_regex_t *re);
void wf_regex_release(wf_regex_t *re);

/* The source pattern (owned by `re`). */
const char *wf_regex_pattern(const wf_regex_t *re);

/* Matches `subject` (`len` bytes; need not be NUL-terminated) within the
 * limits. Invalid UTF-8 in the subject never matches across the bad bytes. */
wf_regex_result_t wf_regex_match(const wf_regex_t *re, const char *subject, size_t len);

/* Longest subject wf_regex_find scans, in bytes: its calls on one subject
 * share out a budget of 10x the match limit among the positions. */
#define WF_REGEX_MAX_FIND 10000

/* The first match of `re` (compiled WF_REGEX_SEARCH) in subject[from, len):
 * WF_REGEX_MATCH with its bytes [*start, *end), WF_REGEX_NOMATCH, or
 * WF_REGEX_TOO_COSTLY (also for a subject longer than WF_REGEX_MAX_FIND).
 * Meant to be called repeatedly along one subject (splitting): each position
 * gets the same share of the budget, so that all the calls along a subject
 * together stay within 10x the match limit. */
wf_regex_result_t wf_regex_find(const wf_regex_t *re, const char *subject, size_t len, size_t from,
                                size_t *start, size_t *end);

/* The compiled form of `pattern` from the process-wide cache (compiled and
 * added when missing; the cache holds WF_REGEX_CACHE_SIZE patterns and drops
 * the least recently used). Returns a new reference (wf_regex_release it),
 * or NULL as wf_regex_compile does. Thread-safe. */
#define WF_REGEX_CACHE_SIZE 128
wf_regex_t *wf_regex_cached(const char *pattern, wf_regex_mode_t mode, char *err, size_t errlen,
                            size_t *offset);

/* wf_regex_cached then wf_regex_match; WF_REGEX_INVALID with `err` filled
 * when the pattern does not compile. */
wf_regex_result_t wf_regex_match_pattern(const char *pattern, wf_regex_mode_t mode,
                                         const char *subject, size_t len, char *err,
                                         size_t errlen);

/* Checks that `pattern` compiles; 0, or -1 with `err` and `*offset` as
 * wf_regex_compile fills them. */
int wf_regex_check_syntax(const char *pattern, char *err, size_t errlen, size_t *offset);

#endif
