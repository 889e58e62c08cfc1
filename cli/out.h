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
/* The server's answer `doc` for -o json|yaml, else the line printf(`fmt`,
 * ...) for people. */
void weft_out_answer(const weft_t *w, const json_t *doc, const char *fmt, ...)
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

/* A computed cell: a new string (freed by the printer) or NULL, printed as
 * "-". `member` is the column's member. */
typedef char *(*weft_cell_fn)(const weft_t *w, const json_t *row, const char *member);
/* A computed cell a column spec may name (a list ends with a NULL name). */
typedef struct weft_cell {
    const char *name;
    weft_cell_fn fn;
} weft_cell_t;
/* Prints the array `rows` as a table described by the column spec `cols`:
 * columns separated by commas, each "HEADING=member" or
 * "HEADING=member:cell". HEADING is printed as written ('@' marks the state
 * column, as for weft_table_create); a row's text is its member as
 * weft_jtext gives it ("state.current" nests; "a|b": the first of a and b
 * that is present) or what the computed cell named `cell` returns, looked
 * up in `cells` (may be NULL), then among "yesno" and "join" below. The
 * spec is the program's own text: a malformed one aborts. */
void weft_print_table(const weft_t *w, const char *cols, const weft_cell_t *cells,
                      const json_t *rows);
/* Cells: "yesno" for a boolean member; "join": an array of strings as "a,b,c". */
char *weft_cell_yesno(const weft_t *w, const json_t *row, const char *member);
char *weft_cell_join(const weft_t *w, const json_t *row, const char *member);

/* How a verb shows an answer: -o json|yaml prints the answer (its member
 * `rows` when set, [] when that is absent), otherwise a table of the column
 * spec `cols` (with `cells`) over the rows (an object answer is a one-row
 * table) or, for answers that read better as lines, `print`. An answer that
 * is an array is the rows. */
typedef struct weft_view {
    const char *rows;
    const char *cols;
    const weft_cell_t *cells;
    void (*print)(const weft_t *w, const json_t *doc);
} weft_view_t;
/* Prints `doc` as `v` says. Returns 0. */
int weft_print(const weft_t *w, const json_t *doc, const weft_view_t *v);

/* Colour escape for an execution or task state ("" when colour is off). */
const char *weft_state_color(const weft_t *w, const char *state);
const char *weft_color_reset(const weft_t *w);

/* The strings of `arr` joined by `sep` (a new string; "" for none). */
char *weft_join(const json_t *arr, const char *sep);

/* Member of a JSON object as text: strings as they are, numbers and booleans
 * printed, null or absent as NULL. `buf` holds number texts. */
const char *weft_jtext(const json_t *o, const char *key, char *buf, size_t size);
/* Nested lookup "state.current". */
const json_t *weft_jpath(const json_t *o, const char *path);

#endif
