/* FILE inputs of a new execution, sent as multipart/form-data (Kestra's
 * API): file parts named after the flow's FILE inputs, other inputs as
 * fields. Each file becomes an execution file at
 *   weft:///<ns as a path>/<flow>/executions/<ID>/inputs/<input>/<filename>
 * written in the same transaction as the execution row, so a failure leaves
 * neither, and the input's value is that URI (the executor places the
 * content where a task asks for it). */
#ifndef WF_API_UPLOADS_H
#define WF_API_UPLOADS_H

#include <jansson.h>
#include <stdbool.h>

#include "api/call.h"
#include "api/db.h"
#include "flow/flow.h"

typedef struct wf_upload wf_upload_t;

/* True when the request carries a multipart/form-data body. */
bool wf_upload_is_multipart(h2o_req_t *req);

/* Reads the multipart body of `call` against `flow`'s inputs for execution
 * `exec_id`: file parts of FILE inputs are checked (a file part, not a
 * field; allowedFileExtensions; a usable file name) and kept as views into
 * the body, and every other part becomes a text value in `*fields` (new
 * reference) with the URIs of the files in `*files` ({input: uri}, new
 * reference), both for wf_inputs_validate_files. Returns the upload (in the
 * request's pool), or NULL after appending {"path", "message"} objects to
 * `errors` or, for a malformed body, setting `*bad` to the parser's reason. */
wf_upload_t *wf_upload_read(wf_call_t *call, const wf_flow_t *flow, const char *exec_id,
                            json_t **fields, json_t **files, json_t *errors, const char **bad);

/* The fingerprint of a multipart start for Idempotency-Key: SHA-256 over
 * the parts' names, file names and contents, not the raw body (whose
 * boundary a client picks at random). Returns 0, or -1 when the body is
 * not well-formed multipart (the raw body's hash is used then). */
int wf_upload_fingerprint(h2o_req_t *req, unsigned char md[32]);

/* Wipes the SECRET inputs' values in the request body (once sealed); the
 * files, still to be written, are left as they are. */
void wf_upload_wipe_secrets(wf_upload_t *u);

/* Number of files the upload holds (0: an ordinary creation will do). */
int wf_upload_count(const wf_upload_t *u);

/* The domain's storage quota (policy maxStorage, bytes; -1: none) and the
 * prefix setting it, checked before the files are written and again before
 * COMMIT (other writers may have used the room meanwhile). */
void wf_upload_set_quota(wf_upload_t *u, int64_t max_storage, const char *from);
/* After `done` was called with NULL: the quota refusal's message, or NULL
 * when the database was the reason. */
const char *wf_upload_refusal(const wf_upload_t *u);

/* Runs statement `stmt` (the execution's INSERT) then writes every file,
 * 1 MiB chunk after chunk, in one transaction; `done` gets the INSERT's
 * result once committed, or the failing statement's result (NULL: no
 * database) after a rollback. */
void wf_upload_commit(wf_call_t *call, wf_upload_t *u, wf_sql_id_t stmt, int nparams,
                      const char *const *params, wf_db_cb done, void *arg);

#endif
