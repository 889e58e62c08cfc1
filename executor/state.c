/* Execution and task run states: their names as stored and shown (Kestra's),
 * which ones are final, and how siblings' outcomes merge. Pure functions, so
 * the walker, the store and the tests share one definition. */
#include <string.h>

#include "executor/executor.h"

static const char *const state_names[WF_ST__COUNT] = {
    [WF_ST_CREATED] = "CREATED",     [WF_ST_QUEUED] = "QUEUED",     [WF_ST_RUNNING] = "RUNNING",
    [WF_ST_PAUSED] = "PAUSED",       [WF_ST_SUCCESS] = "SUCCESS",   [WF_ST_WARNING] = "WARNING",
    [WF_ST_FAILED] = "FAILED",       [WF_ST_KILLING] = "KILLING",   [WF_ST_KILLED] = "KILLED",
    [WF_ST_CANCELLED] = "CANCELLED", [WF_ST_RETRYING] = "RETRYING", [WF_ST_SKIPPED] = "SKIPPED",
};

/* Severity used to merge the outcomes of siblings; higher wins. */
static const int state_rank[WF_ST__COUNT] = {
    [WF_ST_SKIPPED] = 0,   [WF_ST_SUCCESS] = 1, [WF_ST_WARNING] = 2,
    [WF_ST_CANCELLED] = 3, [WF_ST_KILLED] = 4,  [WF_ST_FAILED] = 5,
};

const char *wf_xstate_name(wf_state_t s)
{
    return s < WF_ST__COUNT ? state_names[s] : "FAILED";
}

int wf_xstate_parse(const char *name)
{
    for (int i = 0; i < WF_ST__COUNT; i++)
        if (strcmp(state_names[i], name) == 0)
            return i;
    return -1;
}

bool wf_xstate_terminal(wf_state_t s)
{
    return s == WF_ST_SUCCESS || s == WF_ST_WARNING || s == WF_ST_FAILED || s == WF_ST_KILLED ||
           s == WF_ST_CANCELLED || s == WF_ST_SKIPPED;
}

wf_state_t wf_xstate_worst(wf_state_t a, wf_state_t b)
{
    wf_state_t r = state_rank[a] >= state_rank[b] ? a : b;
    return r == WF_ST_SKIPPED ? WF_ST_SUCCESS : r;
}
