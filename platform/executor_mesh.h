/* The executor's side of the data mesh: its domain's sealing key, secret()
 * resolution for one task run, and redaction of the values it resolved.
 *
 * The private key is read (or created) from KEY_DIR/DOMAIN.key at start and
 * its public half registered for the gateway to seal to; an executor whose key
 * file is not the registered key refuses to start (secrets sealed to the
 * registered key would never open). A secret is looked up at the moment a
 * task's properties are rendered, nearest namespace first, through the
 * executor's own database role (row-level security shows it only its domain's
 * rows), and opened with the (namespace, key, version) it was sealed for, so a
 * new version applies to the next task run without a restart. Every value a
 * task run resolved is redacted from its log lines, error and outputs. */
#ifndef WF_EXECUTOR_MESH_H
#define WF_EXECUTOR_MESH_H

#include <jansson.h>
#include <stddef.h>

#include "platform/executor.h"

/* Loads or creates the domain's key and registers its public half, using the
 * superuser `url` (the domain role cannot write `domains`). 0 or -1 with err. */
int wf_xmesh_open(wf_executor_t *ex, const char *url, char *err, size_t errlen);
/* Wipes the key. */
void wf_xmesh_close(wf_executor_t *ex);
/* Renders a task's properties with secret() available; every value resolved
 * is added to the task run's redactor. New reference, or NULL with err. */
json_t *wf_xmesh_render_props(wf_executor_t *ex, wf_trun_t *tr, json_t *props, json_t *ctx,
                              char *err, size_t errlen);
/* Redacted malloc'd copy of s[0..len) when the task run resolved secrets,
 * else NULL (use the text as is). */
char *wf_xmesh_redact(const wf_trun_t *tr, const char *s, size_t len, size_t *out_len);
/* Redacts every string inside `v` in place. */
void wf_xmesh_redact_json(const wf_trun_t *tr, json_t *v);
/* Frees the task run's redactor (wiping the values it holds). */
void wf_xmesh_trun_free(wf_trun_t *tr);

#endif
