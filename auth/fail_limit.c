/* Failed-authentication windows per client address; see fail_limit.h. A
 * chained hash over at most max_addrs entries under one mutex. */
#include "auth/fail_limit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"

typedef struct fl_entry fl_entry_t;
struct fl_entry {
    fl_entry_t *next;
    wf_fail_addr_t addr;
    uint64_t failures, refused;
    int64_t first_us, last_us;
    bool locked; /* reached the limit in this window */
    const char *last_reason;
};

struct wf_fail_limit {
    pthread_mutex_t lock;
    uint32_t limit;
    int64_t window_us;
    size_t max_addrs, n, n_buckets;
    fl_entry_t **buckets;
};

wf_fail_limit_t *wf_fail_limit_create(uint32_t limit, int64_t window_us, size_t max_addrs)
{
    wf_fail_limit_t *fl = wf_xcalloc(1, sizeof(*fl));
    pthread_mutex_init(&fl->lock, NULL);
    fl->limit = limit > 0 ? limit : 1;
    fl->window_us = window_us > 0 ? window_us : 1;
    fl->max_addrs = max_addrs > 0 ? max_addrs : 1;
    fl->n_buckets = 16;
    while (fl->n_buckets < fl->max_addrs && fl->n_buckets < ((size_t)1 << 20))
        fl->n_buckets <<= 1;
    fl->buckets = wf_xcalloc(fl->n_buckets, sizeof(fl_entry_t *));
    return fl;
}

void wf_fail_limit_destroy(wf_fail_limit_t *fl)
{
    if (fl == NULL)
        return;
    for (size_t b = 0; b < fl->n_buckets; b++)
        for (fl_entry_t *e = fl->buckets[b], *next; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
    free(fl->buckets);
    pthread_mutex_destroy(&fl->lock);
    free(fl);
}

int wf_fail_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, wf_fail_addr_t *out)
{
    memset(out, 0, sizeof(*out));
    if (sa == NULL)
        return -1;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        out->family = 4;
        memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            out->family = 4;
            memcpy(out->bytes, &a6->s6_addr[12], 4);
            return 0;
        }
        out->family = 6;
        memcpy(out->bytes, a6->s6_addr, 8); /* the /64 prefix; the rest stays zero */
        return 0;
    }
    return -1;
}

int wf_fail_addr_parse(const char *text, wf_fail_addr_t *out)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, text, &sin.sin_addr) == 1)
        return wf_fail_addr_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), out);
    if (inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1)
        return wf_fail_addr_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), out);
    memset(out, 0, sizeof(*out));
    return -1;
}

void wf_fail_addr_format(const wf_fail_addr_t *a, char *buf, size_t len)
{
    char text[INET6_ADDRSTRLEN];
    if (a->family == 4 && inet_ntop(AF_INET, a->bytes, text, sizeof(text)) != NULL)
        snprintf(buf, len, "%s", text);
    else if (a->family == 6 && inet_ntop(AF_INET6, a->bytes, text, sizeof(text)) != NULL)
        snprintf(buf, len, "%s/64", text);
    else
        snprintf(buf, len, "unknown");
}

static size_t bucket_of(const wf_fail_limit_t *fl, const wf_fail_addr_t *a)
{
    uint64_t h = UINT64_C(14695981039346656037) ^ a->family;
    for (size_t i = 0; i < sizeof(a->bytes); i++)
        h = (h ^ a->bytes[i]) * UINT64_C(1099511628211);
    return (size_t)(h & (fl->n_buckets - 1));
}

static bool same_addr(const wf_fail_addr_t *x, const wf_fail_addr_t *y)
{
    return x->family == y->family && memcmp(x->bytes, y->bytes, sizeof(x->bytes)) == 0;
}

/* The entry of `a`, or NULL. Caller holds the lock. */
static fl_entry_t *find(wf_fail_limit_t *fl, const wf_fail_addr_t *a)
{
    for (fl_entry_t *e = fl->buckets[bucket_of(fl, a)]; e != NULL; e = e->next)
        if (same_addr(&e->addr, a))
            return e;
    return NULL;
}

static void unlink_entry(wf_fail_limit_t *fl, fl_entry_t *victim)
{
    for (fl_entry_t **slot = &fl->buckets[bucket_of(fl, &victim->addr)]; *slot != NULL;
         slot = &(*slot)->next)
        if (*slot == victim) {
            *slot = victim->next;
            fl->n--;
            return;
        }
}

/* Makes room for one more address: the least recently active entry that is
 * not locked out goes (a full scan, only when the table is full). Its counts
 * are dropped without a summary. Caller holds the lock. */
static void evict_one(wf_fail_limit_t *fl)
{
    fl_entry_t *oldest = NULL, *oldest_locked = NULL;
    for (size_t b = 0; b < fl->n_buckets; b++)
        for (fl_entry_t *e = fl->buckets[b]; e != NULL; e = e->next) {
            fl_entry_t **pick = e->locked ? &oldest_locked : &oldest;
            if (*pick == NULL || e->last_us < (*pick)->last_us)
                *pick = e;
        }
    fl_entry_t *victim = oldest != NULL ? oldest : oldest_locked;
    if (victim != NULL) {
        unlink_entry(fl, victim);
        free(victim);
    }
}

int64_t wf_fail_limit_check(wf_fail_limit_t *fl, const wf_fail_addr_t *a, int64_t now_us)
{
    if (a->family == 0)
        return 0;
    int64_t wait = 0;
    pthread_mutex_lock(&fl->lock);
    fl_entry_t *e = find(fl, a);
    if (e != NULL && e->locked && now_us - e->first_us < fl->window_us) {
        wait = e->first_us + fl->window_us - now_us;
        e->refused++;
        e->last_us = now_us;
    }
    pthread_mutex_unlock(&fl->lock);
    return wait;
}

wf_fail_event_t wf_fail_limit_record(wf_fail_limit_t *fl, const wf_fail_addr_t *a,
                                     const char *reason, int64_t now_us)
{
    if (a->family == 0)
        return WF_FAIL_FIRST;
    wf_fail_event_t ev = WF_FAIL_COUNTED;
    pthread_mutex_lock(&fl->lock);
    fl_entry_t *e = find(fl, a);
    if (e != NULL && now_us - e->first_us >= fl->window_us) {
        /* A window the sweep has not taken yet: it was logged when its
         * summary was due; start over. */
        unlink_entry(fl, e);
        free(e);
        e = NULL;
    }
    if (e == NULL) {
        if (fl->n >= fl->max_addrs)
            evict_one(fl);
        e = wf_xcalloc(1, sizeof(*e));
        e->addr = *a;
        e->first_us = now_us;
        size_t b = bucket_of(fl, a);
        e->next = fl->buckets[b];
        fl->buckets[b] = e;
        fl->n++;
        ev = WF_FAIL_FIRST;
    }
    e->failures++;
    e->last_us = now_us;
    e->last_reason = reason;
    if (!e->locked && e->failures >= fl->limit) {
        e->locked = true;
        ev = WF_FAIL_LOCKED;
    }
    pthread_mutex_unlock(&fl->lock);
    return ev;
}

size_t wf_fail_limit_take(wf_fail_limit_t *fl, int64_t now_us, bool all, wf_fail_summary_t *out,
                          size_t max)
{
    size_t k = 0;
    pthread_mutex_lock(&fl->lock);
    for (size_t b = 0; b < fl->n_buckets && k < max; b++) {
        fl_entry_t **slot = &fl->buckets[b];
        while (*slot != NULL && k < max) {
            fl_entry_t *e = *slot;
            if (!all && now_us - e->first_us < fl->window_us) {
                slot = &e->next;
                continue;
            }
            *slot = e->next;
            fl->n--;
            if (e->failures > 1 || e->refused > 0)
                out[k++] = (wf_fail_summary_t){.addr = e->addr,
                                               .failures = e->failures,
                                               .refused = e->refused,
                                               .first_us = e->first_us,
                                               .last_us = e->last_us,
                                               .last_reason = e->last_reason};
            free(e);
        }
    }
    pthread_mutex_unlock(&fl->lock);
    return k;
}

size_t wf_fail_limit_size(wf_fail_limit_t *fl)
{
    pthread_mutex_lock(&fl->lock);
    size_t n = fl->n;
    pthread_mutex_unlock(&fl->lock);
    return n;
}
