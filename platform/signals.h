/* Signal masks for the roles that take their signals synchronously
 * (sigwait or a signalfd) instead of through handlers. */
#ifndef WF_SIGNALS_H
#define WF_SIGNALS_H

#include <signal.h>

/* Fills `set` with the signals of `sigs` (a list ended by 0) and blocks
 * them in the calling thread; threads it starts later inherit the mask. */
void wf_sig_block(sigset_t *set, const int *sigs);

/* Blocks SIGTERM and SIGINT (into `set`), the stop requests of a long-running
 * role, and ignores SIGPIPE so a peer that goes away fails a write instead. */
void wf_sig_block_stop(sigset_t *set);

#endif
