/* Small text helpers shared by every layer: hex digits, UTF-8 encoding,
 * random identifiers and string members of JSON objects. */
#ifndef WF_TEXT_H
#define WF_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The value of hex digit `c` (either case), or -1. */
int wf_hexval(int c);

/* Writes the UTF-8 form of code point `cp` (at most 4 bytes, no NUL) to
 * `out`; returns the number of bytes written. */
size_t wf_utf8_put(char *out, unsigned cp);

/* Fills `out` with min(len - 1, 22) random characters of [0-9A-Za-z] from
 * the OpenSSL generator (22 characters carry 131 bits) and a NUL. */
void wf_random_id(char *out, size_t len);

/* The string member `key` of object `o`, or NULL when `o` is not an object,
 * the member is missing or is not a string. */
const char *wf_json_str(const json_t *o, const char *key);

/* The boolean member `key` of `o`: a JSON boolean, or the string "true"
 * (anything else a string holds is false); `dflt` when missing or of
 * another type. */
bool wf_json_bool(const json_t *o, const char *key, bool dflt);

/* Writes `len` bytes as 2 * len lowercase hex digits and a NUL. */
void wf_hex_put(char *out, const unsigned char *bytes, size_t len);

/* Writes `len` bytes as PostgreSQL's bytea hex text ("\x" and two
 * lowercase digits a byte) and a NUL: `out` holds 2 * len + 3 bytes. */
void wf_bytea_hex(char *out, const unsigned char *bytes, size_t len);

#endif
