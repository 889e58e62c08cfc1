/* Clocks: monotonic time for deadlines and durations (never the wall clock,
 * which can jump), wall time for timestamps stored and shown. */
#ifndef WF_CLOCK_H
#define WF_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t wf_clock_mono_ms(void);
/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t wf_clock_wall_ms(void);
/* `ms` since the epoch as an ISO-8601 UTC timestamp with milliseconds
 * ("2026-01-31T12:00:00.000Z"). */
void wf_clock_iso_from_ms(int64_t ms, char *buf, size_t len);
/* The current wall time as wf_clock_iso_from_ms writes it. */
void wf_clock_iso_now(char *buf, size_t len);

#endif
