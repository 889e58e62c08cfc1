#include "cli/out.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform/xmalloc.h"

/* ---- YAML --------------------------------------------------------------- */

/* Plain scalars that a YAML reader would type or misread must be quoted. */
static bool needs_quotes(const char *s)
{
    static const char *const special[] = {"",     "~",    "null",  "Null",  "NULL",  "true",
                                          "True", "TRUE", "false", "False", "FALSE", "yes",
                                          "no",   "on",   "off",   "y",     "n"};
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
        if (strcasecmp(s, special[i]) == 0)
            return true;
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) != NULL || s[0] == '.' || s[0] == '+')
        return true;
    /* Numbers, dates and times (YAML 1.1 readers type those too). */
    if (isdigit((unsigned char)s[0]) &&
        strspn(s, "0123456789.-+:_eExXoObBaAcCdDfFtTzZ ") == strlen(s))
        return true;
    size_t n = strlen(s);
    if (s[n - 1] == ' ' || s[n - 1] == ':')
        return true;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || (c == ':' && p[1] == ' ') || (c == ' ' && p[1] == '#'))
            return true;
    }
    return false;
}

static void put_string(FILE *f, const char *s)
{
    if (!needs_quotes(s)) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_scalar(FILE *f, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        put_string(f, json_string_value(v));
        break;
    case JSON_INTEGER:
        fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        fprintf(f, "%.17g", json_real_value(v));
        break;
    case JSON_TRUE:
        fputs("true", f);
        break;
    case JSON_FALSE:
        fputs("false", f);
        break;
    default:
        fputs("null", f);
        break;
    }
}

static bool is_empty_container(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

/* Multi-line strings (flow sources) read best as literal blocks. */
static bool block_string(const json_t *v)
{
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    if (strchr(s, '\n') == NULL)
        return false;
    for (const char *p = s; *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\n') || (*p == ' ' && p[1] == '\n'))
            return false;
    return s[0] != ' ' && s[0] != '\n';
}

static void put_block(FILE *f, const char *s, int indent)
{
    size_t n = strlen(s);
    fputs(n > 0 && s[n - 1] == '\n' ? (n > 1 && s[n - 2] == '\n' ? "|+" : "|") : "|-", f);
    fputc('\n', f);
    const char *p = s;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 0)
            fprintf(f, "%*s%.*s", indent, "", (int)len, p);
        fputc('\n', f);
        if (nl == NULL)
            break;
        p = nl + 1;
    }
}

/* Writes a container; the first line is indented by `first` (lets a list
 * item start its map on the "- " line). */
static void put_node(FILE *f, const json_t *v, int indent, int first);

/* Writes the value after "key:" or "- ". */
static void put_value(FILE *f, const json_t *v, int indent)
{
    if ((json_is_object(v) || json_is_array(v)) && !is_empty_container(v)) {
        fputc('\n', f);
        put_node(f, v, indent, indent);
    } else if (is_empty_container(v)) {
        fputs(json_is_object(v) ? " {}\n" : " []\n", f);
    } else if (block_string(v)) {
        fputc(' ', f);
        put_block(f, json_string_value(v), indent);
    } else {
        fputc(' ', f);
        put_scalar(f, v);
        fputc('\n', f);
    }
}

static void put_node(FILE *f, const json_t *v, int indent, int first)
{
    int pad = first;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            fprintf(f, "%*s", pad, "");
            pad = indent;
            put_string(f, k);
            fputc(':', f);
            put_value(f, x, indent + 2);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            fprintf(f, "%*s-", pad, "");
            pad = indent;
            if (json_is_object(x) && json_object_size(x) > 0) {
                fputc(' ', f);
                put_node(f, x, indent + 2, 0);
            } else {
                put_value(f, x, indent + 2);
            }
        }
    } else {
        fprintf(f, "%*s", pad, "");
        put_scalar(f, v);
        fputc('\n', f);
    }
}

void weft_out_yaml(FILE *f, const json_t *doc)
{
    if (is_empty_container(doc))
        fputs(json_is_object(doc) ? "{}\n" : "[]\n", f);
    else
        put_node(f, doc, 0, 0);
}

int weft_out_doc(const weft_t *w, const json_t *doc)
{
    if (w->fmt == WEFT_OUT_YAML) {
        weft_out_yaml(stdout, doc);
    } else {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    }
    return 0;
}

/* -o json|yaml: `doc`; for people: the line printf(`fmt`, ap). */
static void out_answer(const weft_t *w, const json_t *doc, const char *fmt, va_list ap)
{
    if (w->fmt != WEFT_OUT_TABLE) {
        weft_out_doc(w, doc);
    } else {
        vprintf(fmt, ap);
        fputc('\n', stdout);
    }
}

void weft_out_answer(const weft_t *w, const json_t *doc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out_answer(w, doc, fmt, ap);
    va_end(ap);
}

void weft_out_result(const weft_t *w, json_t *doc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out_answer(w, doc, fmt, ap);
    va_end(ap);
    json_decref(doc);
}

/* ---- tables ------------------------------------------------------------- */

struct weft_table {
    int ncols;
    char **cells; /* rows * ncols, the header row first */
    size_t rows, cap;
    int state_col;
};

static weft_table_t *table_new(int ncols)
{
    weft_table_t *t = wf_xcalloc(1, sizeof(*t));
    t->ncols = ncols;
    t->state_col = -1;
    return t;
}

/* Makes room for one more row. */
static void table_grow(weft_table_t *t)
{
    if (t->rows < t->cap)
        return;
    t->cap = t->cap ? t->cap * 2 : 16;
    t->cells = wf_xreallocarray(t->cells, t->cap * (size_t)t->ncols, sizeof(char *));
}

/* Cell `i` of the row being added (t->rows); the header row marks the state
 * column with '@'. */
static void put_cell(weft_table_t *t, int i, const char *s, bool header)
{
    if (header && s[0] == '@') {
        t->state_col = i;
        s++;
    }
    t->cells[t->rows * (size_t)t->ncols + (size_t)i] = wf_xstrdup(s && s[0] ? s : "-");
}

static void add_row(weft_table_t *t, va_list ap, bool header)
{
    table_grow(t);
    for (int i = 0; i < t->ncols; i++)
        put_cell(t, i, va_arg(ap, const char *), header);
    t->rows++;
}

weft_table_t *weft_table_create(int ncols, ...)
{
    weft_table_t *t = table_new(ncols);
    va_list ap;
    va_start(ap, ncols);
    add_row(t, ap, true);
    va_end(ap);
    return t;
}

void weft_table_row(weft_table_t *t, ...)
{
    va_list ap;
    va_start(ap, t);
    add_row(t, ap, false);
    va_end(ap);
}

/* Display width of UTF-8 text: count code points, not bytes. */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

void weft_table_print(const weft_t *w, weft_table_t *t)
{
    size_t *wd = wf_xcalloc((size_t)t->ncols, sizeof(size_t));
    for (size_t r = 0; r < t->rows; r++)
        for (int c = 0; c < t->ncols; c++) {
            size_t n = width(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (n > wd[c])
                wd[c] = n;
        }
    for (size_t r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
            const char *on = "", *off = "";
            if (r == 0 && w->color) {
                on = "\033[1m";
                off = "\033[0m";
            } else if (r > 0 && c == t->state_col) {
                on = weft_state_color(w, s);
                off = on[0] ? weft_color_reset(w) : "";
            }
            bool last = c == t->ncols - 1;
            fprintf(stdout, "%s%s%s", on, s, off);
            if (!last)
                fprintf(stdout, "%*s", (int)(wd[c] - width(s) + 2), "");
        }
        fputc('\n', stdout);
    }
    for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(wd);
    free(t);
}

/* ---- tables described by columns --------------------------------------- */

/* The text of `member` in `row`; "a|b" is the first of a and b present. */
static const char *member_text(const json_t *row, const char *member, char *buf, size_t size)
{
    char key[64];
    for (const char *p = member;;) {
        size_t n = strcspn(p, "|");
        if (n >= sizeof(key))
            return NULL; /* no member has so long a name */
        memcpy(key, p, n);
        key[n] = '\0';
        const char *v = weft_jtext(row, key, buf, size);
        if (v != NULL || p[n] == '\0')
            return v;
        p += n + 1;
    }
}

static const weft_cell_t builtin_cells[] = {
    {"yesno", weft_cell_yesno},
    {"join", weft_cell_join},
    {NULL, NULL},
};

static weft_cell_fn find_cell(const weft_cell_t *cells, const char *name, size_t n)
{
    const weft_cell_t *lists[] = {cells, builtin_cells};
    for (size_t l = 0; l < 2; l++)
        for (const weft_cell_t *c = lists[l]; c != NULL && c->name != NULL; c++)
            if (strlen(c->name) == n && strncmp(c->name, name, n) == 0)
                return c->fn;
    return NULL;
}

/* One column of a spec, parsed. */
typedef struct {
    char *heading, *member;
    weft_cell_fn cell;
} col_t;

/* Parses the column spec (weft_print_table) into `*out`; returns the number
 * of columns. */
static int parse_cols(const char *spec, const weft_cell_t *cells, col_t **out)
{
    int n = 0;
    col_t *cols = NULL;
    for (const char *p = spec; *p != '\0';) {
        p += strspn(p, " ");
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len), *colon = memchr(p, ':', len);
        weft_cell_fn cell = NULL;
        if (colon != NULL &&
            (cell = find_cell(cells, colon + 1, (size_t)(p + len - colon - 1))) == NULL)
            eq = NULL;
        if (eq == NULL || eq == p || (colon != NULL && colon < eq)) {
            fprintf(stderr, "weft: bad table column '%.*s'\n", (int)len, p);
            abort();
        }
        cols = wf_xreallocarray(cols, (size_t)n + 1, sizeof(*cols));
        cols[n].heading = wf_xstrndup(p, (size_t)(eq - p));
        cols[n].member = wf_xstrndup(eq + 1, (size_t)((colon ? colon : p + len) - eq - 1));
        cols[n].cell = cell;
        n++;
        p += len + (p[len] == ',');
    }
    *out = cols;
    return n;
}

void weft_print_table(const weft_t *w, const char *spec, const weft_cell_t *cells,
                      const json_t *rows)
{
    col_t *cols;
    int ncols = parse_cols(spec, cells, &cols);
    weft_table_t *t = table_new(ncols);
    table_grow(t);
    for (int c = 0; c < ncols; c++)
        put_cell(t, c, cols[c].heading, true);
    t->rows++;
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
    {
        table_grow(t);
        for (int c = 0; c < ncols; c++) {
            if (cols[c].cell != NULL) {
                char *text = cols[c].cell(w, row, cols[c].member);
                put_cell(t, c, text, false);
                free(text);
            } else {
                char buf[64];
                put_cell(t, c, member_text(row, cols[c].member, buf, sizeof(buf)), false);
            }
        }
        t->rows++;
    }
    weft_table_print(w, t);
    for (int c = 0; c < ncols; c++) {
        free(cols[c].heading);
        free(cols[c].member);
    }
    free(cols);
}

int weft_print(const weft_t *w, const json_t *doc, const weft_view_t *v)
{
    const json_t *rows = doc;
    json_t *none = NULL;
    if (v->rows != NULL && !json_is_array(doc))
        rows = json_object_get(doc, v->rows);
    if (v->rows != NULL && rows == NULL)
        rows = none = json_array();
    if (w->fmt != WEFT_OUT_TABLE) {
        weft_out_doc(w, rows);
    } else if (v->print != NULL) {
        v->print(w, doc);
    } else if (json_is_object(rows)) {
        json_t *one = json_pack("[O]", rows);
        weft_print_table(w, v->cols, v->cells, one);
        json_decref(one);
    } else {
        weft_print_table(w, v->cols, v->cells, rows);
    }
    json_decref(none);
    return 0;
}

char *weft_cell_yesno(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    return wf_xstrdup(json_is_true(json_object_get(row, member)) ? "yes" : "no");
}

char *weft_join(const json_t *arr, const char *sep)
{
    size_t i, len = 1;
    const json_t *x;
    json_array_foreach(arr, i, x) len += json_string_length(x) + strlen(sep);
    char *s = wf_xcalloc(1, len);
    json_array_foreach(arr, i, x)
    {
        if (i > 0)
            strcat(s, sep);
        strcat(s, json_string_value(x) ? json_string_value(x) : "");
    }
    return s;
}

char *weft_cell_join(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    return weft_join(json_object_get(row, member), ",");
}

/* ---- colours and JSON helpers --------------------------------------------- */

static const struct {
    const char *state, *color;
} state_colors[] = {
    {"SUCCESS", "\033[32m"},  {"WARNING", "\033[33m"},  {"FAILED", "\033[31m"},
    {"KILLED", "\033[31m"},   {"KILLING", "\033[33m"},  {"CANCELLED", "\033[31m"},
    {"RUNNING", "\033[36m"},  {"RETRYING", "\033[33m"}, {"PAUSED", "\033[35m"},
    {"CREATED", "\033[2m"},   {"QUEUED", "\033[2m"},    {"SKIPPED", "\033[2m"},
    {"created", "\033[32m"},  {"updated", "\033[33m"},  {"deleted", "\033[31m"},
    {"unchanged", "\033[2m"}, {"invalid", "\033[31m"},
};

const char *weft_state_color(const weft_t *w, const char *state)
{
    if (!w->color || state == NULL)
        return "";
    for (size_t i = 0; i < sizeof(state_colors) / sizeof(state_colors[0]); i++)
        if (strcmp(state_colors[i].state, state) == 0)
            return state_colors[i].color;
    return "";
}

const char *weft_color_reset(const weft_t *w)
{
    return w->color ? "\033[0m" : "";
}

const json_t *weft_jpath(const json_t *o, const char *path)
{
    char key[64];
    const char *p = path;
    while (o != NULL && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        o = json_object_get(o, key);
        p += n;
        if (*p == '.')
            p++;
    }
    return o;
}

const char *weft_jtext(const json_t *o, const char *key, char *buf, size_t size)
{
    const json_t *v = weft_jpath(o, key);
    if (v == NULL)
        return NULL;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_value(v);
    case JSON_INTEGER:
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        snprintf(buf, size, "%g", json_real_value(v));
        return buf;
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return NULL;
    }
}
