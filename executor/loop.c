#include "executor/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "platform/log.h"
#include "platform/xmalloc.h"

#define WF_LOOP_BATCH 64

struct wf_loop {
    int epfd;
    wf_timer_t *timers; /* sorted by due_ms */
    /* The batch being dispatched, so that removing an io drops its pending
     * event (callbacks routinely free other ios, e.g. a pipe on child exit). */
    struct epoll_event batch[WF_LOOP_BATCH];
    int batch_n, batch_i;
};

wf_loop_t *wf_loop_create(void)
{
    wf_loop_t *loop = wf_xcalloc(1, sizeof(*loop));
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        free(loop);
        return NULL;
    }
    return loop;
}

void wf_loop_destroy(wf_loop_t *loop)
{
    if (loop == NULL)
        return;
    close(loop->epfd);
    free(loop);
}

int wf_loop_io_add(wf_loop_t *loop, wf_io_t *io, int fd, uint32_t events, wf_io_cb cb, void *arg)
{
    io->fd = fd;
    io->cb = cb;
    io->arg = arg;
    struct epoll_event ev = {.events = events, .data.ptr = io};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return -1;
    io->active = true;
    return 0;
}

int wf_loop_io_mod(wf_loop_t *loop, wf_io_t *io, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void wf_loop_io_del(wf_loop_t *loop, wf_io_t *io)
{
    /* EBADF here is a bug of the caller: the fd was closed while watched,
     * and epoll may go on reporting it (the file lives on in any process
     * that inherited it) with a pointer to an io that is about to be freed. */
    if (io->active && epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL) != 0 && errno == EBADF)
        wf_error("event loop: fd %d was closed before it was unwatched", io->fd);
    io->active = false;
    /* Scrub pending events even for an io already removed: its owner may be
     * about to free it while this round still holds its pointer. */
    for (int i = loop->batch_i + 1; i < loop->batch_n; i++)
        if (loop->batch[i].data.ptr == io)
            loop->batch[i].data.ptr = NULL;
}

void wf_loop_timer_cancel(wf_loop_t *loop, wf_timer_t *t)
{
    if (!t->armed)
        return;
    for (wf_timer_t **p = &loop->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = NULL;
}

void wf_loop_timer_arm(wf_loop_t *loop, wf_timer_t *t, int64_t delay_ms, wf_timer_cb cb, void *arg)
{
    wf_loop_timer_cancel(loop, t);
    t->due_ms = wf_clock_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->cb = cb;
    t->arg = arg;
    t->armed = true;
    wf_timer_t **p = &loop->timers;
    while (*p && (*p)->due_ms <= t->due_ms)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
}

int wf_loop_run_once(wf_loop_t *loop, int max_wait_ms)
{
    int wait = max_wait_ms;
    if (loop->timers) {
        int64_t d = loop->timers->due_ms - wf_clock_mono_ms();
        if (d < 0)
            d = 0;
        if (wait < 0 || d < wait)
            wait = (int)d;
    }
    int n = epoll_wait(loop->epfd, loop->batch, WF_LOOP_BATCH, wait);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    int ran = 0;
    loop->batch_n = n;
    for (loop->batch_i = 0; loop->batch_i < n; loop->batch_i++) {
        wf_io_t *io = loop->batch[loop->batch_i].data.ptr;
        if (io == NULL || !io->active)
            continue;
        io->cb(io, loop->batch[loop->batch_i].events);
        ran++;
    }
    loop->batch_n = loop->batch_i = 0;
    int64_t now = wf_clock_mono_ms();
    /* Only the timers due when the round started run: one that re-arms
     * itself for "now" waits for the next round and cannot starve the fds. */
    int n_due = 0;
    for (wf_timer_t *t = loop->timers; t && t->due_ms <= now; t = t->next)
        n_due++;
    while (n_due-- > 0 && loop->timers && loop->timers->due_ms <= now) {
        wf_timer_t *t = loop->timers;
        loop->timers = t->next;
        t->next = NULL;
        t->armed = false;
        t->cb(t);
        ran++;
    }
    return ran;
}
