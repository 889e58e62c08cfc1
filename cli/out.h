/* Output of `weft`: aligned tables for people, JSON or YAML for scripts
 * (the API's field names, unchanged, so they stay stable), colour only when
 * weft_t says so (a TTY without NO_COLOR). */
#ifndef WF_CLI_OUT_H
#define WF_CLI_OUT_H

#include <jansson.h>
#include <stdio.h>

#include "cli/args.h"

/* Prints `doc` as -o asks (JSON or YAML). Returns 0. */
int weft_out_doc(const weft_t *w, const json_t *doc);
/* The outcome of a mutation that has no document of its own: `doc` (stolen)
 * for -o json|yaml, else the line printf(`fmt`, ...) for people. */
void weft_out_result(const weft_t *w, json_t *doc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes `doc` as a YAML document (block style, strings quoted when needed). */
void weft_out_yaml(FILE *f, const json_t *doc);

/* A table: column headers, then rows of strings, printed aligned. */
typedef struct weft_table weft_table_t;
/* `ncols` headers follow. A header starting with '@' marks a state column
 * (coloured by value); the '@' is not printed. */
weft_table_t *weft_table_create(int ncols, ...);
/* Adds a row of `ncols` strings (NULL prints as "-"); copies them. */
void weft_table_row(weft_table_t *t, ...);
/* Prints and frees the table. */
void weft_table_print(const weft_t *w, weft_table_t *t);

/* Colour escape for an execution or task state ("" when colour is off). */
const char *weft_state_color(const weft_t *w, const char *state);
const char *weft_color_reset(const weft_t *w);

/* Member of a JSON object as text: strings as they are, numbers and booleans
 * printed, null or absent as NULL. `buf` holds number texts. */
const char *weft_jtext(const json_t *o, const char *key, char *buf, size_t size);
/* Nested lookup "state.current". */
const json_t *weft_jpath(const json_t *o, const char *path);

#endif
