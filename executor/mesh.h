/* Flow triggers driven by completion events (the data-mesh contract).
 *
 * Every execution's terminal state is written as an events row (the flow's
 * declared outputs and labels only) in the transaction that saves that
 * state, and announced on the weft_events channel. A Flow trigger that names
 * a producer outside its own domain, or that waits for several flows
 * (preconditions), reads events instead of being matched in-process: through
 * row-level security it sees its domain's events and the events a live grant
 * shares with its domain; it fires only when a grant covers the producer
 * flow, the consumer's namespace and the state. Its cursor in trigger_state
 * advances in the transaction that creates the execution, under a row lock,
 * so no event is lost across restarts and none fires twice across replicas.
 *
 * Contents: the event as matched, the pure matcher (mesh_match.c),
 * and the executor's entry points (mesh.c). */
#ifndef WF_EXECUTOR_MESH_H
#define WF_EXECUTOR_MESH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "executor/executor.h"

/* One completion event as the matcher sees it (borrowed strings). */
typedef struct wf_xmesh_event {
    const char *ns, *flow, *state;
    json_t *labels; /* object (may be empty) */
} wf_xmesh_event_t;

/* ---- matching (pure) ---- */

/* True when `ns` is `prefix` or below it. */
bool wf_xmesh_ns_covers(const char *prefix, const char *ns);
/* The trigger's preconditions (or dependsOn) object, or NULL. */
json_t *wf_xmesh_preconditions(const wf_trigger_t *t);
/* How many entries must all have happened: preconditions.flows plus
 * preconditions.where, or 1 for the conditions form. */
size_t wf_xmesh_n_entries(const wf_trigger_t *t);
/* The conditions form alone: true when the trigger has `conditions` and
 * event `e` passes them all and the trigger's `states`. */
bool wf_xmesh_conditions_hold(const wf_trigger_t *t, const wf_xmesh_event_t *e);
/* True when event `e` satisfies entry `i` of the trigger (and passes the
 * trigger's states and conditions). */
bool wf_xmesh_entry_holds(const wf_trigger_t *t, size_t i, const wf_xmesh_event_t *e);
/* Calls `fn` for every producer the trigger names: namespace (or prefix),
 * flow id or NULL, states wanted or NULL. */
void wf_xmesh_producers(const wf_trigger_t *t,
                        void (*fn)(void *ud, const char *ns, const char *flow, json_t *states),
                        void *ud);

/* ---- executor entry points ---- */

struct wf_xmesh *wf_xmesh_create(wf_executor_t *ex);
void wf_xmesh_destroy(struct wf_xmesh *m);
/* Reads new events and fires the event-driven triggers (every second and on
 * a weft_events notification). */
void wf_xmesh_tick(wf_executor_t *ex);
/* True when namespace `ns` belongs to another domain (or to none). */
bool wf_xmesh_foreign(wf_executor_t *ex, const char *ns);
/* Starts subflow `ns`.`flow` of parent `x` when `ns` is in another domain:
 * returns 0 with the child id, -1 with the reason in `why` (no grant with
 * "subflow": true, ...), or 1 when `ns` is in this domain (the caller starts
 * it as usual). */
int wf_xmesh_subflow_start(wf_executor_t *ex, wf_xexec_t *x, const char *ns, const char *flow,
                           json_t *inputs, json_t *labels, json_t *trigger, char *id_out,
                           size_t id_len, char *why, size_t why_len);
/* A Flow trigger of `flow` whose inputs could not be rendered (`why`):
 * audited (trigger.fire, failed) and a FAILED execution of the consumer with
 * the reason in its log, as Kestra 2 leaves one. Returns 0 or -1. */
int wf_xmesh_inputs_failed(wf_executor_t *ex, wf_flow_t *flow, const wf_trigger_t *trig,
                           json_t *trigger, const char *why, int chain_depth);
/* A trigger of `flow` that a limit refuses (`why` names it: maxChainDepth,
 * maxActiveExecutions): audited (trigger.fire, denied) and a FAILED
 * execution of the consumer at `chain_depth` with `why` in its log, so the
 * refusal shows where its users look. Returns 0 or -1. */
int wf_xmesh_trigger_refused(wf_executor_t *ex, wf_flow_t *flow, const wf_trigger_t *trig,
                             json_t *trigger, const char *why, int chain_depth);
/* True when the trigger is event-driven (so the in-process matcher of
 * sched.c leaves it alone). */
bool wf_xmesh_handles(wf_executor_t *ex, const wf_trigger_t *t);

#endif
