/* Handlers named by the route table, one file per resource (api/h_*.c). */
#ifndef WF_API_HANDLERS_H
#define WF_API_HANDLERS_H

#include "api/call.h"

/* api/h_health.c */
void wf_h_healthz(wf_call_t *call);
void wf_h_readyz(wf_call_t *call);
/* api/h_openapi.c */
void wf_h_openapi(wf_call_t *call);
/* api/h_me.c */
void wf_h_me(wf_call_t *call);
void wf_h_can_i(wf_call_t *call);
/* api/h_bindings.c */
void wf_h_binding_create(wf_call_t *call);
void wf_h_binding_list(wf_call_t *call);
void wf_h_binding_delete(wf_call_t *call);
/* api/h_sa.c */
void wf_h_sa_create(wf_call_t *call);
void wf_h_sa_list(wf_call_t *call);
void wf_h_sa_token_create(wf_call_t *call);
void wf_h_sa_token_list(wf_call_t *call);
void wf_h_sa_token_revoke(wf_call_t *call);
void wf_h_sa_delete(wf_call_t *call);
/* api/h_domains.c */
void wf_h_domain_create(wf_call_t *call);
void wf_h_domain_list(wf_call_t *call);
void wf_h_domain_add_namespace(wf_call_t *call);
/* api/h_flows.c */
void wf_h_flow_apply(wf_call_t *call);
void wf_h_flow_validate(wf_call_t *call);
void wf_h_flow_list(wf_call_t *call);
void wf_h_flow_get(wf_call_t *call);
void wf_h_flow_delete(wf_call_t *call);
void wf_h_flow_revisions(wf_call_t *call);
void wf_h_flow_triggers(wf_call_t *call);
/* True when `s` can be a flow id (letters, digits, '-', '_', '.'; 1..100). */
bool wf_h_flow_id_ok(const char *s);
/* api/h_executions.c */
void wf_h_execution_create(wf_call_t *call);
void wf_h_execution_list(wf_call_t *call);
void wf_h_execution_get(wf_call_t *call);
void wf_h_execution_kill(wf_call_t *call);
void wf_h_execution_restart(wf_call_t *call);
void wf_h_execution_resume(wf_call_t *call);
void wf_h_execution_logs(wf_call_t *call);
/* api/h_logs.c: the logs of the execution `call` names, once authorised. */
void wf_execution_logs_then(wf_call_t *call, const PGresult *meta);
void wf_h_webhook(wf_call_t *call);
/* api/h_files.c: an execution's files (list, download, size) */
void wf_h_execution_files(wf_call_t *call);
void wf_h_execution_file(wf_call_t *call);
void wf_h_execution_file_metas(wf_call_t *call);
/* api/h_secrets.c */
void wf_h_secret_put(wf_call_t *call);
void wf_h_secret_list(wf_call_t *call);
void wf_h_secret_delete(wf_call_t *call);
/* api/h_kv.c */
void wf_h_kv_put(wf_call_t *call);
void wf_h_kv_get(wf_call_t *call);
void wf_h_kv_list(wf_call_t *call);
void wf_h_kv_delete(wf_call_t *call);
/* api/h_nsfiles.c */
void wf_h_nsfile_get(wf_call_t *call);
void wf_h_nsfile_put(wf_call_t *call);
void wf_h_nsfile_delete(wf_call_t *call);
void wf_h_nsfile_move(wf_call_t *call);
void wf_h_nsfile_list(wf_call_t *call);
void wf_h_nsfile_mkdir(wf_call_t *call);
void wf_h_nsfile_stats(wf_call_t *call);
/* api/h_grants.c */
void wf_h_grant_create(wf_call_t *call);
void wf_h_grant_list(wf_call_t *call);
void wf_h_grant_revoke(wf_call_t *call);
/* api/h_policy.c */
void wf_h_policy_put(wf_call_t *call);
void wf_h_policy_get(wf_call_t *call);
struct wf_policy;
/* The policy of `ns` from the rows of a WF_SQL_POLICY_CHAIN callback;
 * `skip_own_domain` leaves out the domain layer of `ns` itself, `skip_own`
 * both of its layers (what a write of that layer must not loosen). Answers
 * (5xx for a failed query, 500 when out of memory) and returns NULL when
 * there is none; the caller destroys the policy. */
struct wf_policy *wf_h_policy_chain(wf_call_t *call, const PGresult *res, const char *ns,
                                    bool skip_own_domain, bool skip_own);
/* api/h_audit.c */
void wf_h_audit_list(wf_call_t *call);

#endif
