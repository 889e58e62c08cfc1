/* The executor's single event loop: epoll over file descriptors (signalfd,
 * the database socket, sandbox pidfds and output pipes) plus one-shot timers.
 * No thread per task: everything the executor does is a callback from here. */
#ifndef WF_EXECUTOR_LOOP_H
#define WF_EXECUTOR_LOOP_H

#include "platform/clock.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct wf_loop wf_loop_t;
typedef struct wf_io wf_io_t;
typedef struct wf_timer wf_timer_t;

typedef void (*wf_io_cb)(wf_io_t *io, uint32_t events);
typedef void (*wf_timer_cb)(wf_timer_t *timer);

/* A watched descriptor. Caller-owned storage; stays valid until removed. */
struct wf_io {
    int fd;
    wf_io_cb cb;
    void *arg;
    bool active;
};

/* A one-shot timer. Caller-owned storage; re-arm from the callback to repeat. */
struct wf_timer {
    int64_t due_ms; /* monotonic */
    wf_timer_cb cb;
    void *arg;
    bool armed;
    wf_timer_t *next;
};

wf_loop_t *wf_loop_create(void);
void wf_loop_destroy(wf_loop_t *loop);
/* Watches io->fd for `events` (EPOLLIN…); io->cb runs with the ready events. */
int wf_loop_io_add(wf_loop_t *loop, wf_io_t *io, int fd, uint32_t events, wf_io_cb cb,
                   void *arg);
int wf_loop_io_mod(wf_loop_t *loop, wf_io_t *io, uint32_t events);
/* Stops watching; events already fetched for `io` in this round are dropped,
 * so the caller may free it right after. Does not close the descriptor. */
void wf_loop_io_del(wf_loop_t *loop, wf_io_t *io);
/* (Re)arms `t` to fire after `delay_ms`. */
void wf_loop_timer_arm(wf_loop_t *loop, wf_timer_t *t, int64_t delay_ms, wf_timer_cb cb,
                       void *arg);
void wf_loop_timer_cancel(wf_loop_t *loop, wf_timer_t *t);
/* Waits at most `max_wait_ms` (-1: until the next timer) and dispatches what
 * is ready. Returns the number of callbacks run, or -1 on an epoll error. */
int wf_loop_run_once(wf_loop_t *loop, int max_wait_ms);

#endif
