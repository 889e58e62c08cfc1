/* Rate limit on failed authentication, per client address.
 *
 * Each address gets a window that starts with its first failure (a bad,
 * expired or forged token). Once `limit` failures are counted in the window,
 * the address is locked out until the window ends: wf_fail_limit_check then
 * answers how long to wait, and the caller refuses the request (429) before
 * any token is looked at — a valid token from that address too, because
 * telling it apart is the verification work the lockout is there to save.
 *
 * IPv4 addresses count one by one; IPv6 addresses by their /64 prefix, which
 * is what one host or one customer is usually handed (keying the full
 * address would give a single attacker 2^64 fresh budgets).
 *
 * The table is fixed in size: at most `max_addrs` addresses are tracked;
 * a new one evicts the least recently active address that is not locked out
 * (or, when every one is, the least recently active). Failures are also
 * what the log aggregates: wf_fail_limit_record says which failure to log
 * on its own, wf_fail_limit_take hands out one summary per closed window.
 * Thread-safe (one mutex, held for a lookup); times are microseconds passed
 * in by the caller. */
#ifndef WF_AUTH_FAIL_LIMIT_H
#define WF_AUTH_FAIL_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct wf_fail_limit wf_fail_limit_t;

/* A client address as the limiter keys it. */
typedef struct wf_fail_addr {
    uint8_t family; /* 4 or 6; 0: unknown (never limited) */
    uint8_t bytes[16];
} wf_fail_addr_t;

/* What a recorded failure means for the log. */
typedef enum {
    WF_FAIL_COUNTED = 0, /* counted for the window's summary */
    WF_FAIL_FIRST,       /* the first of its window: log it */
    WF_FAIL_LOCKED,      /* reached the limit: the address is locked out now */
} wf_fail_event_t;

/* One closed window of an address, for a log line. */
typedef struct wf_fail_summary {
    wf_fail_addr_t addr;
    uint64_t failures; /* failed authentications in the window */
    uint64_t refused;  /* requests refused during the lockout */
    int64_t first_us, last_us;
    const char *last_reason; /* a static reason code */
} wf_fail_summary_t;

/* Creates a limiter: `limit` failures per `window_us` per address, at most
 * `max_addrs` addresses tracked (both at least 1). */
wf_fail_limit_t *wf_fail_limit_create(uint32_t limit, int64_t window_us, size_t max_addrs);
void wf_fail_limit_destroy(wf_fail_limit_t *fl);

/* The key of a socket address (IPv4-mapped IPv6 counts as IPv4). Returns
 * -1 (out zeroed) for families that are not IP. */
int wf_fail_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, wf_fail_addr_t *out);
/* Parses a textual IPv4 or IPv6 address into a key; -1 when it is not one. */
int wf_fail_addr_parse(const char *text, wf_fail_addr_t *out);
/* "192.0.2.1" or "2001:db8::/64" into `buf`. */
void wf_fail_addr_format(const wf_fail_addr_t *a, char *buf, size_t len);

/* 0 when `a` may try to authenticate at `now_us`; otherwise the
 * microseconds until its lockout ends (the refusal is counted). */
int64_t wf_fail_limit_check(wf_fail_limit_t *fl, const wf_fail_addr_t *a, int64_t now_us);
/* Counts a failed authentication from `a`. `reason` must be a static
 * string (a refusal code, never anything from the request). */
wf_fail_event_t wf_fail_limit_record(wf_fail_limit_t *fl, const wf_fail_addr_t *a,
                                     const char *reason, int64_t now_us);
/* Takes out up to `max` summaries of windows closed at `now_us` (all of
 * them when `all`); a window with one failure and no refusal was logged
 * already and gives none. Returns how many were stored. */
size_t wf_fail_limit_take(wf_fail_limit_t *fl, int64_t now_us, bool all, wf_fail_summary_t *out,
                          size_t max);
/* Addresses tracked right now (tests). */
size_t wf_fail_limit_size(wf_fail_limit_t *fl);

#endif
