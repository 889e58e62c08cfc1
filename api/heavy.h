/* The per-caller share of heavy requests (log reads, lists): at most N in
 * flight per principal, counted over every event loop of the gateway, so one
 * caller cannot hold every loop's database connections and memory at once.
 * Thread-safe; created before the loops start, destroyed after they end. */
#ifndef WF_API_HEAVY_H
#define WF_API_HEAVY_H

#include <stdbool.h>

typedef struct wf_heavy wf_heavy_t;

/* A counter allowing `max_per_key` requests in flight per key. */
wf_heavy_t *wf_heavy_create(int max_per_key);
void wf_heavy_destroy(wf_heavy_t *h);

/* Takes one slot for `key` (copied): true when taken, to be given back with
 * wf_heavy_release; false when the key holds all its slots. */
bool wf_heavy_acquire(wf_heavy_t *h, const char *key);
/* Gives back a slot wf_heavy_acquire took for `key`. */
void wf_heavy_release(wf_heavy_t *h, const char *key);

#endif
