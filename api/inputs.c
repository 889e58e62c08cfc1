#include "api/inputs.h"

#include "platform/regex.h"
#include "tenants/seal.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static void add_error(json_t *errors, const char *id, const char *message)
{
    json_array_append_new(errors,
                          json_pack("{s:s, s:s}", "path", id ? id : "inputs", "message", message));
}

static bool in_values(const json_t *spec, const char *v)
{
    json_t *values = json_object_get(spec, "values");
    if (!json_is_array(values))
        return true; /* nothing to compare with: the flow library checked the spec */
    size_t i;
    json_t *x;
    json_array_foreach(values, i, x) if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
        return true;
    return false;
}

/* A STRING input's `validator`: the whole value must match (Java's
 * String.matches, as Kestra does), within the limits of platform/regex.h,
 * since the gateway's threads evaluate it. Returns 0, or -1 with `why`. */
static int check_validator(const wf_flow_input_t *in, const json_t *v, char *why, size_t len)
{
    const char *pattern = json_string_value(json_object_get(in->spec, "validator"));
    if (in->type != WF_INPUT_STRING || pattern == NULL || !json_is_string(v))
        return 0;
    char err[256];
    switch (wf_regex_match_pattern(pattern, WF_REGEX_FULL, json_string_value(v),
                                   json_string_length(v), err, sizeof(err))) {
    case WF_REGEX_MATCH:
        return 0;
    case WF_REGEX_NOMATCH:
        snprintf(why, len, "the value does not match the validator /%.200s/", pattern);
        return -1;
    case WF_REGEX_TOO_COSTLY:
        snprintf(why, len, "the validator /%.200s/ could not be checked: " WF_REGEX_TOO_COSTLY_MSG,
                 pattern);
        return -1;
    case WF_REGEX_INVALID:
        break;
    }
    /* Refused when the flow was written; a flow stored before that check. */
    snprintf(why, len, "the validator /%.200s/ is not a valid regular expression: %s", pattern,
             err);
    return -1;
}

/* Checks one value against its declared type; returns the value to store
 * (a new reference, possibly converted from a form-style string) or NULL. */
static json_t *check_value(const wf_flow_input_t *in, json_t *v, const char **why)
{
    switch (in->type) {
    case WF_INPUT_STRING:
    case WF_INPUT_SECRET:
    case WF_INPUT_DATETIME:
    case WF_INPUT_DATE:
    case WF_INPUT_TIME:
    case WF_INPUT_DURATION:
    case WF_INPUT_URI:
    case WF_INPUT_YAML:
        if (!json_is_string(v)) {
            *why = "expected a string";
            return NULL;
        }
        return json_incref(v);
    case WF_INPUT_EMAIL:
        if (!json_is_string(v) || strchr(json_string_value(v), '@') == NULL) {
            *why = "expected an e-mail address";
            return NULL;
        }
        return json_incref(v);
    case WF_INPUT_SELECT:
    case WF_INPUT_ENUM:
        if (!json_is_string(v) || !in_values(in->spec, json_string_value(v))) {
            *why = "expected one of the declared values";
            return NULL;
        }
        return json_incref(v);
    case WF_INPUT_MULTISELECT: {
        if (!json_is_array(v)) {
            *why = "expected an array of declared values";
            return NULL;
        }
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (!json_is_string(x) || !in_values(in->spec, json_string_value(x))) {
                *why = "expected an array of declared values";
                return NULL;
            }
        }
        return json_incref(v);
    }
    case WF_INPUT_INT:
        if (json_is_integer(v))
            return json_incref(v);
        if (json_is_string(v)) {
            char *end;
            const char *s = json_string_value(v);
            long long n = strtoll(s, &end, 10);
            if (*s != '\0' && *end == '\0')
                return json_integer(n);
        }
        *why = "expected an integer";
        return NULL;
    case WF_INPUT_FLOAT:
        if (json_is_number(v))
            return json_real(json_number_value(v));
        if (json_is_string(v)) {
            char *end;
            const char *s = json_string_value(v);
            double d = strtod(s, &end);
            if (*s != '\0' && *end == '\0')
                return json_real(d);
        }
        *why = "expected a number";
        return NULL;
    case WF_INPUT_BOOLEAN:
        if (json_is_boolean(v))
            return json_incref(v);
        if (json_is_string(v) && strcmp(json_string_value(v), "true") == 0)
            return json_true();
        if (json_is_string(v) && strcmp(json_string_value(v), "false") == 0)
            return json_false();
        *why = "expected true or false";
        return NULL;
    case WF_INPUT_JSON:
        return json_incref(v);
    case WF_INPUT_ARRAY:
        if (!json_is_array(v)) {
            *why = "expected an array";
            return NULL;
        }
        return json_incref(v);
    case WF_INPUT_FILE:
        *why = "a FILE input is uploaded: send the request as multipart/form-data with a file "
               "part named after the input (weft run --input ID=@FILE)";
        return NULL;
    }
    *why = "unsupported input type";
    return NULL;
}

json_t *wf_inputs_validate(const wf_flow_t *flow, const json_t *given, json_t *errors)
{
    return wf_inputs_validate_files(flow, given, NULL, errors);
}

json_t *wf_inputs_validate_files(const wf_flow_t *flow, const json_t *given, const json_t *files,
                                 json_t *errors)
{
    json_t *out = json_object();
    size_t before = json_array_size(errors);
    if (given != NULL && !json_is_object(given)) {
        add_error(errors, "inputs", "the body must be a JSON object of inputs");
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < flow->n_inputs; i++) {
        const wf_flow_input_t *in = &flow->inputs[i];
        json_t *v = given ? json_object_get(given, in->id) : NULL;
        char path[160];
        /* A very long id is cut in the error path, as unknown keys are below. */
        snprintf(path, sizeof(path), "inputs.%.*s", (int)(sizeof(path) - sizeof("inputs.")),
                 in->id);
        json_t *uploaded = in->type == WF_INPUT_FILE ? json_object_get(files, in->id) : NULL;
        if (uploaded != NULL) {
            /* The gateway wrote the file: its URI is the value. */
            json_object_set(out, in->id, uploaded);
            continue;
        }
        if (v == NULL || json_is_null(v)) {
            if (in->defaults != NULL)
                json_object_set(out, in->id, in->defaults);
            else if (in->required && in->type == WF_INPUT_FILE)
                add_error(errors, path,
                          "required FILE input is missing: upload it as a file part of a "
                          "multipart/form-data request");
            else if (in->required)
                add_error(errors, path, "required input is missing");
            continue;
        }
        const char *why = NULL;
        json_t *ok = check_value(in, v, &why);
        if (ok == NULL) {
            add_error(errors, path, why);
            continue;
        }
        char vwhy[512];
        if (check_validator(in, ok, vwhy, sizeof(vwhy)) != 0) {
            json_decref(ok);
            add_error(errors, path, vwhy);
            continue;
        }
        json_object_set_new(out, in->id, ok);
    }
    if (given != NULL) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)given, key, v)
        {
            bool known = false;
            for (size_t i = 0; i < flow->n_inputs && !known; i++)
                known = strcmp(flow->inputs[i].id, key) == 0;
            if (!known) {
                char path[160];
                snprintf(path, sizeof(path), "inputs.%.100s", key);
                add_error(errors, path, "the flow declares no such input");
            }
        }
    }
    if (json_array_size(errors) > before) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int wf_execution_id(char out[WF_EXECUTION_ID_LEN + 1])
{
    /* 22 characters of base62 from 128 random bits (Kestra-like ids). */
    static const char alphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char raw[WF_EXECUTION_ID_LEN];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    for (int i = 0; i < WF_EXECUTION_ID_LEN; i++) {
        /* 248 = 4 * 62: rejection keeps the distribution uniform. */
        while (raw[i] >= 248)
            if (RAND_bytes(&raw[i], 1) != 1)
                return -1;
        out[i] = alphabet[raw[i] % 62];
    }
    out[WF_EXECUTION_ID_LEN] = '\0';
    return 0;
}

bool wf_execution_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return false;
    for (; *id; id++)
        if (!((*id >= '0' && *id <= '9') || (*id >= 'a' && *id <= 'z') ||
              (*id >= 'A' && *id <= 'Z') || *id == '-' || *id == '_'))
            return false;
    return true;
}

bool wf_state_terminal(const char *state)
{
    static const char *const terminal[] = {"SUCCESS", "WARNING", "FAILED", "KILLED",
                                           "CANCELLED", "SKIPPED", NULL};
    for (int i = 0; state && terminal[i]; i++)
        if (strcmp(state, terminal[i]) == 0)
            return true;
    return false;
}

int wf_inputs_seal(const wf_flow_t *flow, json_t *inputs, const uint8_t *pub, const char *ns,
                   const char *flow_id, const char *execution_id)
{
    int n = 0;
    for (size_t i = 0; i < flow->n_inputs; i++) {
        const wf_flow_input_t *in = &flow->inputs[i];
        json_t *v = json_object_get(inputs, in->id);
        if (in->type != WF_INPUT_SECRET || !json_is_string(v))
            continue;
        if (pub == NULL)
            return -2;
        uint8_t *sealed = NULL;
        size_t slen = 0;
        char *b64 = NULL;
        const char *plain = json_string_value(v);
        size_t plen = json_string_length(v);
        int rc = wf_seal_input(pub, ns, flow_id, execution_id, in->id, (const uint8_t *)plain,
                               plen, &sealed, &slen);
        /* The string may be shared with the parsed request body: wipe it in
         * place so no copy of the value outlives this call. */
        OPENSSL_cleanse((char *)plain, plen);
        if (rc == 0)
            b64 = wf_seal_b64_encode(sealed, slen);
        free(sealed);
        if (b64 == NULL)
            return -1;
        json_object_set_new(inputs, in->id, json_pack("{s:s}", WF_SEAL_INPUT_ENVELOPE, b64));
        free(b64);
        n++;
    }
    return n;
}
