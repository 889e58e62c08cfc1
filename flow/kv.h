/* Values of the namespace key-value store (Kestra's KV store): the key
 * syntax, the seven value types and how a value gets one. Shared by the
 * gateway (PUT .../kv/{key}), the executor (kv.Set) and the client, so a
 * value is typed the same way whoever writes it. */
#ifndef WF_FLOW_KV_H
#define WF_FLOW_KV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Kestra's KVType. */
typedef enum {
    WF_KV_STRING = 0,
    WF_KV_NUMBER,
    WF_KV_BOOLEAN,
    WF_KV_DATETIME,
    WF_KV_DATE,
    WF_KV_DURATION,
    WF_KV_JSON,
    WF_KV_TYPE_COUNT
} wf_kv_type_t;

#define WF_KV_KEY_MAX 255
/* What a refused key is told (the rule of kv.key in migration 0014). */
#define WF_KV_KEY_RULE "a KV key is [a-zA-Z0-9][a-zA-Z0-9._-]*, at most 255 characters"

const char *wf_kv_type_name(wf_kv_type_t t);
/* The type named `name` (upper or lower case), or -1. */
int wf_kv_type_parse(const char *name);
bool wf_kv_key_valid(const char *key);

/* The type a value has when none is asked for. Numbers, booleans, objects
 * and lists are NUMBER, BOOLEAN and JSON; a string is STRING, or, with
 * `sniff` (the API, which receives text), DATETIME, DATE or DURATION when it
 * reads as one, as Kestra's API does. */
wf_kv_type_t wf_kv_type_of(const json_t *v, bool sniff);

/* The value stored for `v` as type `t` (kvType, --type): a string is parsed
 * into the type (NUMBER "42" -> 42, JSON "{...}" -> the object), a value of
 * the right JSON kind is kept, anything else is refused. Returns a new
 * reference, or NULL with the reason in `msg`. */
json_t *wf_kv_coerce(wf_kv_type_t t, const json_t *v, char *msg, size_t msglen);

/* Reads a PUT body as Kestra's API does: JSON text is the value it denotes
 * ("\"a\"", 42, true, {...}); any other text is a string. NULL when the body
 * is empty or JSON null. */
json_t *wf_kv_parse_text(const char *text, size_t len);

#endif
