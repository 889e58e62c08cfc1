/* KV value typing (flow/kv.h): the key rule, the type a value gets, and
 * coercion to an asked type, the same for the API, executors and client. */
#include <stdlib.h>
#include <string.h>

#include "flow/kv.h"
#include "tests/tap.h"

/* The type `text` (a PUT body) gets, by name. */
static const char *typed(const char *text)
{
    json_t *v = wf_kv_parse_text(text, strlen(text));
    const char *t = v ? wf_kv_type_name(wf_kv_type_of(v, true)) : "(none)";
    json_decref(v);
    return t;
}

/* `text` parsed then coerced to `type`, as compact JSON ("" when refused). */
static char *coerced(const char *text, wf_kv_type_t type)
{
    static char out[256];
    char msg[200];
    json_t *v = wf_kv_parse_text(text, strlen(text));
    json_t *c = wf_kv_coerce(type, v, msg, sizeof(msg));
    char *d = c ? json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    snprintf(out, sizeof(out), "%s", d ? d : "");
    free(d);
    json_decref(c);
    json_decref(v);
    return out;
}

int main(void)
{
    ok(wf_kv_key_valid("a"), "one letter is a key");
    ok(wf_kv_key_valid("0.b_c-d"), "digits, dots, underscores and dashes");
    ok(!wf_kv_key_valid(".a"), "a key starts with a letter or digit");
    ok(!wf_kv_key_valid("a/b"), "no slash");
    ok(!wf_kv_key_valid(""), "not empty");
    char longkey[300];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    ok(!wf_kv_key_valid(longkey), "at most 255 characters");

    is_str(typed("\"hello\""), "STRING", "a JSON string");
    is_str(typed("hello world"), "STRING", "plain text is a string");
    is_str(typed("42"), "NUMBER", "a number");
    is_str(typed("-1.5e3"), "NUMBER", "a decimal");
    is_str(typed("true"), "BOOLEAN", "a boolean");
    is_str(typed("{\"a\": [1]}"), "JSON", "an object");
    is_str(typed("[1, 2]"), "JSON", "a list");
    is_str(typed("2026-01-02T03:04:05Z"), "DATETIME", "a date-time in UTC");
    is_str(typed("\"2026-01-02T03:04:05.123+02:00\""), "DATETIME", "with fraction and offset");
    is_str(typed("2026-01-02T03:04:05"), "STRING", "a date-time without a zone stays a string");
    is_str(typed("2026-01-02"), "DATE", "a date");
    is_str(typed("2026-13-02"), "STRING", "month 13 is no date");
    is_str(typed("PT5M"), "DURATION", "a duration");
    is_str(typed("P"), "STRING", "P alone is a string");
    is_str(typed("   "), "(none)", "blank text is no value");
    is_str(typed("null"), "(none)", "null is no value");

    is_str(coerced("\"42\"", WF_KV_NUMBER), "42", "NUMBER parses a string");
    is_str(coerced("\"12.5\"", WF_KV_NUMBER), "12.5", "and decimals");
    is_str(coerced("\"4x\"", WF_KV_NUMBER), "", "and refuses what is not one");
    is_str(coerced("42", WF_KV_STRING), "\"42\"", "STRING keeps a number's text");
    is_str(coerced("\"false\"", WF_KV_BOOLEAN), "false", "BOOLEAN parses true/false");
    is_str(coerced("\"yes\"", WF_KV_BOOLEAN), "", "and nothing else");
    is_str(coerced("\"{\\\"a\\\":1}\"", WF_KV_JSON), "{\"a\":1}", "JSON parses a string");
    is_str(coerced("\"{oops\"", WF_KV_JSON), "", "and refuses malformed text");
    is_str(coerced("\"PT1H\"", WF_KV_DURATION), "\"PT1H\"", "DURATION checks the syntax");
    is_str(coerced("\"1 hour\"", WF_KV_DURATION), "", "and refuses other text");
    is_str(coerced("\"2026-01-02\"", WF_KV_DATETIME), "", "a date is no DATETIME");
    is_str(coerced("7", WF_KV_DATE), "", "a number is no DATE");

    char msg[200];
    json_t *s = json_string("abc");
    ok(wf_kv_coerce(WF_KV_NUMBER, s, msg, sizeof(msg)) == NULL, "refused");
    is_str(msg, "'abc' is not a NUMBER value", "with a message naming the value and type");
    json_decref(s);
    ok(wf_kv_type_parse("json") == WF_KV_JSON, "type names read in any case");
    ok(wf_kv_type_parse("TEXT") == -1, "unknown type names are refused");
    return tap_done();
}
