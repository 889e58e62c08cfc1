#include "platform/signals.h"

#include <pthread.h>

void wf_sig_block(sigset_t *set, const int *sigs)
{
    sigemptyset(set);
    for (; *sigs != 0; sigs++)
        sigaddset(set, *sigs);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

void wf_sig_block_stop(sigset_t *set)
{
    wf_sig_block(set, (const int[]){SIGTERM, SIGINT, 0});
    signal(SIGPIPE, SIG_IGN);
}
