/* Repeated denials counted per (actor, action, namespace) window; see
 * audit_agg.h. A chained hash table under one mutex: the lock is held for a
 * lookup and a few stores, never across I/O. */
#include "tenants/audit_agg.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"

typedef struct agg_entry agg_entry_t;
struct agg_entry {
    agg_entry_t *next; /* bucket chain, or the closed list */
    uint64_t hash;
    char *actor, *action, *namespace_; /* the key */
    char *target, *reason, *method;    /* as the window's first denial had them */
    uint64_t count;
    int64_t first_us, last_us;
};

struct wf_audit_agg {
    pthread_mutex_t lock;
    int64_t window_us;
    size_t max_keys;
    size_t n;            /* entries in the buckets and on the closed list */
    size_t n_buckets;    /* a power of two */
    agg_entry_t **buckets;
    agg_entry_t *closed; /* windows that closed while a new one began */
    struct {
        uint64_t count;
        int64_t first_us, last_us;
    } overflow;
};

static const char *nz(const char *s)
{
    return s != NULL ? s : "";
}

/* FNV-1a over the three key parts, each followed by a NUL so that
 * ("a.b", "c") and ("a", "b.c") differ. */
static uint64_t key_hash(const char *actor, const char *action, const char *ns)
{
    uint64_t h = UINT64_C(14695981039346656037);
    const char *parts[3] = {actor, action, ns};
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * UINT64_C(1099511628211);
        h = (h ^ 0) * UINT64_C(1099511628211);
    }
    return h;
}

wf_audit_agg_t *wf_audit_agg_create(int64_t window_us, size_t max_keys)
{
    wf_audit_agg_t *agg = wf_xcalloc(1, sizeof(*agg));
    pthread_mutex_init(&agg->lock, NULL);
    agg->window_us = window_us > 0 ? window_us : 1;
    agg->max_keys = max_keys > 0 ? max_keys : 1;
    agg->n_buckets = 16;
    while (agg->n_buckets < agg->max_keys && agg->n_buckets < ((size_t)1 << 20))
        agg->n_buckets <<= 1;
    agg->buckets = wf_xcalloc(agg->n_buckets, sizeof(agg_entry_t *));
    return agg;
}

static void entry_free(agg_entry_t *e)
{
    free(e->actor);
    free(e->action);
    free(e->namespace_);
    free(e->target);
    free(e->reason);
    free(e->method);
    free(e);
}

void wf_audit_agg_destroy(wf_audit_agg_t *agg)
{
    if (agg == NULL)
        return;
    for (size_t b = 0; b < agg->n_buckets; b++)
        for (agg_entry_t *e = agg->buckets[b], *next; e != NULL; e = next) {
            next = e->next;
            entry_free(e);
        }
    for (agg_entry_t *e = agg->closed, *next; e != NULL; e = next) {
        next = e->next;
        entry_free(e);
    }
    free(agg->buckets);
    pthread_mutex_destroy(&agg->lock);
    free(agg);
}

static agg_entry_t *entry_new(const wf_audit_denial_t *d, uint64_t hash, int64_t now_us)
{
    agg_entry_t *e = wf_xcalloc(1, sizeof(*e));
    e->hash = hash;
    e->actor = wf_xstrdup(nz(d->actor));
    e->action = wf_xstrdup(nz(d->action));
    e->namespace_ = wf_xstrdup(nz(d->namespace_));
    e->target = wf_xstrdup(nz(d->target));
    e->reason = wf_xstrdup(nz(d->reason));
    e->method = d->method != NULL ? wf_xstrdup(d->method) : NULL;
    e->count = 1;
    e->first_us = e->last_us = now_us;
    return e;
}

/* Counts a denial no key could be given to. Caller holds the lock. */
static void count_overflow(wf_audit_agg_t *agg, int64_t now_us)
{
    if (agg->overflow.count++ == 0)
        agg->overflow.first_us = now_us;
    agg->overflow.last_us = now_us;
}

bool wf_audit_agg_note(wf_audit_agg_t *agg, const wf_audit_denial_t *d, int64_t now_us)
{
    const char *actor = nz(d->actor), *action = nz(d->action), *ns = nz(d->namespace_);
    uint64_t h = key_hash(actor, action, ns);
    bool write_now = true;
    pthread_mutex_lock(&agg->lock);
    agg_entry_t **slot = &agg->buckets[h & (agg->n_buckets - 1)];
    agg_entry_t *e = *slot;
    while (e != NULL && !(e->hash == h && strcmp(e->actor, actor) == 0 &&
                          strcmp(e->action, action) == 0 && strcmp(e->namespace_, ns) == 0)) {
        slot = &e->next;
        e = e->next;
    }
    if (e != NULL && now_us - e->first_us < agg->window_us) {
        /* Inside the window: counted, not written. */
        e->count++;
        if (now_us > e->last_us)
            e->last_us = now_us;
        write_now = false;
        goto out;
    }
    if (e != NULL) {
        /* The window closed before the sweep took it: a lone denial needs no
         * summary, so its entry starts the new window; otherwise the old
         * window moves to the closed list for the next take. */
        if (e->count == 1) {
            free(e->target);
            free(e->reason);
            free(e->method);
            e->target = wf_xstrdup(nz(d->target));
            e->reason = wf_xstrdup(nz(d->reason));
            e->method = d->method != NULL ? wf_xstrdup(d->method) : NULL;
            e->count = 1;
            e->first_us = e->last_us = now_us;
            goto out;
        }
        *slot = e->next;
        e->next = agg->closed;
        agg->closed = e;
    }
    if (agg->n >= agg->max_keys) {
        /* Full: the denial is counted in the overflow bucket; writing it would
         * let whoever fills the table write without limit again. */
        count_overflow(agg, now_us);
        write_now = false;
        goto out;
    }
    agg_entry_t *fresh = entry_new(d, h, now_us);
    agg_entry_t **bucket = &agg->buckets[h & (agg->n_buckets - 1)];
    fresh->next = *bucket;
    *bucket = fresh;
    agg->n++;
out:
    pthread_mutex_unlock(&agg->lock);
    return write_now;
}

/* Moves an entry's strings into a summary and frees the entry. */
static void entry_to_summary(agg_entry_t *e, wf_audit_agg_summary_t *s)
{
    *s = (wf_audit_agg_summary_t){
        .actor = e->actor, .action = e->action, .namespace_ = e->namespace_,
        .target = e->target, .reason = e->reason, .method = e->method,
        .count = e->count, .first_us = e->first_us, .last_us = e->last_us,
    };
    free(e);
}

size_t wf_audit_agg_take(wf_audit_agg_t *agg, int64_t now_us, bool all,
                         wf_audit_agg_summary_t *out, size_t max)
{
    size_t k = 0;
    pthread_mutex_lock(&agg->lock);
    while (k < max && agg->closed != NULL) {
        agg_entry_t *e = agg->closed;
        agg->closed = e->next;
        agg->n--;
        entry_to_summary(e, &out[k++]);
    }
    for (size_t b = 0; b < agg->n_buckets && k < max; b++) {
        agg_entry_t **slot = &agg->buckets[b];
        while (*slot != NULL && k < max) {
            agg_entry_t *e = *slot;
            if (!all && now_us - e->first_us < agg->window_us) {
                slot = &e->next;
                continue;
            }
            *slot = e->next;
            agg->n--;
            if (e->count > 1)
                entry_to_summary(e, &out[k++]);
            else
                entry_free(e);
        }
    }
    if (k < max && agg->overflow.count > 0 &&
        (all || now_us - agg->overflow.first_us >= agg->window_us)) {
        out[k++] = (wf_audit_agg_summary_t){.overflow = true,
                                            .count = agg->overflow.count,
                                            .first_us = agg->overflow.first_us,
                                            .last_us = agg->overflow.last_us};
        agg->overflow.count = 0;
    }
    pthread_mutex_unlock(&agg->lock);
    return k;
}

size_t wf_audit_agg_size(wf_audit_agg_t *agg)
{
    pthread_mutex_lock(&agg->lock);
    size_t n = agg->n;
    pthread_mutex_unlock(&agg->lock);
    return n;
}

void wf_audit_agg_summary_dispose(wf_audit_agg_summary_t *s)
{
    free(s->actor);
    free(s->action);
    free(s->namespace_);
    free(s->target);
    free(s->reason);
    free(s->method);
    memset(s, 0, sizeof(*s));
}
