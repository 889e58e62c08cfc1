/* libFuzzer driver for the flow parser and validator: any byte string must
 * give either a model or diagnostics, never a crash, a leak or a hang.
 * Seeds: the flow corpus in tests/flows (see `make fuzz-flow`). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wf_diags_t diags;
    wf_flow_t *flow = wf_flow_parse((const char *)data, size, "fuzz.yaml", &diags);
    if (flow != NULL) {
        /* A valid model must serialise, and its serialisation must be valid. */
        json_t *j = wf_flow_to_json(flow);
        char *s = json_dumps(j, JSON_COMPACT);
        wf_diags_t again;
        wf_flow_t *back = s != NULL ? wf_flow_parse(s, strlen(s), "fuzz.json", &again) : NULL;
        if (s != NULL && back == NULL)
            abort();
        /* ...and describe the same flow. */
        json_t *j2 = back != NULL ? wf_flow_to_json(back) : NULL;
        if (back != NULL && !json_equal(j, j2))
            abort();
        json_decref(j2);
        if (s != NULL)
            wf_diags_dispose(&again);
        wf_flow_free(back);
        free(s);
        json_decref(j);
    } else {
        json_t *j = wf_diags_to_json(&diags);
        json_decref(j);
    }
    wf_diags_dispose(&diags);
    wf_flow_free(flow);
    return 0;
}
