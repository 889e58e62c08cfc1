/* A small table of keys with a slot count each, under one mutex. Only keys
 * with a request in flight have a row (a row goes when its count reaches
 * zero), so the table is as long as the number of callers being served at
 * once: a linear search is cheaper than a hash table at that size. */
#include "api/heavy.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"

typedef struct {
    char *key;
    int count;
} slot_t;

struct wf_heavy {
    pthread_mutex_t lock;
    int max_per_key;
    slot_t *slots;
    size_t n, cap;
};

wf_heavy_t *wf_heavy_create(int max_per_key)
{
    wf_heavy_t *h = wf_xcalloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    h->max_per_key = max_per_key;
    return h;
}

void wf_heavy_destroy(wf_heavy_t *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->slots[i].key);
    free(h->slots);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static slot_t *find(wf_heavy_t *h, const char *key)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->slots[i].key, key) == 0)
            return &h->slots[i];
    return NULL;
}

bool wf_heavy_acquire(wf_heavy_t *h, const char *key)
{
    bool taken = true;
    pthread_mutex_lock(&h->lock);
    slot_t *s = find(h, key);
    if (s == NULL) {
        if (h->n == h->cap) {
            h->cap = h->cap ? 2 * h->cap : 16;
            h->slots = wf_xreallocarray(h->slots, h->cap, sizeof(*h->slots));
        }
        s = &h->slots[h->n++];
        s->key = wf_xstrdup(key);
        s->count = 0;
    }
    if (s->count >= h->max_per_key)
        taken = false;
    else
        s->count++;
    pthread_mutex_unlock(&h->lock);
    return taken;
}

void wf_heavy_release(wf_heavy_t *h, const char *key)
{
    pthread_mutex_lock(&h->lock);
    slot_t *s = find(h, key);
    if (s != NULL && --s->count <= 0) {
        free(s->key);
        *s = h->slots[--h->n];
    }
    pthread_mutex_unlock(&h->lock);
}
