/* Execution inputs checked against the flow's declared inputs, execution ids
 * and states: pure helpers of the execution handlers (unit-tested). */
#ifndef WF_API_INPUTS_H
#define WF_API_INPUTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"

#define WF_EXECUTION_ID_LEN 22

/* Validates `given` (a JSON object, or NULL for none) against flow->inputs:
 * required inputs present unless they have defaults, values of the declared
 * type (form-style strings accepted for INT, FLOAT, BOOLEAN), no undeclared
 * input. Returns the inputs to store (new reference, defaults applied) or
 * NULL after appending {"path", "message"} objects to `errors`. */
json_t *wf_inputs_validate(const wf_flow_t *flow, const json_t *given, json_t *errors);
/* The same, with the URIs of the files the gateway stored for FILE inputs
 * in `files` ({input: "weft:///…"}, or NULL): a FILE input's value is its
 * uploaded file's URI, else its default (an nsfile:// URI); any value for
 * it in `given` is refused (a client cannot name a file it did not send). */
json_t *wf_inputs_validate_files(const wf_flow_t *flow, const json_t *given, const json_t *files,
                                 json_t *errors);

/* Seals every SECRET-typed value of `inputs` (validated by the function
 * above) in place: the value becomes {"weft:sealed": base64} sealed to the
 * owning domain's public key `pub` (tenants/seal.h wf_seal_input), and the
 * plaintext string is wiped. Returns the number sealed, -1 on a crypto
 * failure, or -2 when a SECRET value is present and `pub` is NULL (the
 * domain has no key yet). */
int wf_inputs_seal(const wf_flow_t *flow, json_t *inputs, const uint8_t *pub, const char *ns,
                   const char *flow_id, const char *execution_id);

/* A fresh random execution id (22 base62 characters). Returns 0 or -1. */
int wf_execution_id(char out[WF_EXECUTION_ID_LEN + 1]);
/* True when `id` could be an execution id (checked before any query). */
bool wf_execution_id_valid(const char *id);
/* True for SUCCESS, WARNING, FAILED, KILLED, CANCELLED, SKIPPED. */
bool wf_state_terminal(const char *state);

#endif
