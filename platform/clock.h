/* Monotonic time for deadlines and durations (never the wall clock, which
 * can jump). */
#ifndef WF_CLOCK_H
#define WF_CLOCK_H

#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC. */
static inline long wf_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

#endif
