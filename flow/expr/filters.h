/* Implementations behind the rows of the filter/function/test table
 * (funcs.c). Internal to the expression engine. */
#ifndef WF_EXPR_FILTERS_H
#define WF_EXPR_FILTERS_H

#include "flow/expr/internal.h"

#define WF_IMPL(name) int name(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)

/* filters.c: strings, collections, encodings */
WF_IMPL(wf_f_upper);
WF_IMPL(wf_f_lower);
WF_IMPL(wf_f_title);
WF_IMPL(wf_f_capitalize);
WF_IMPL(wf_f_trim);
WF_IMPL(wf_f_replace);
WF_IMPL(wf_f_split);
WF_IMPL(wf_f_starts_with);
WF_IMPL(wf_f_ends_with);
WF_IMPL(wf_f_urlencode);
WF_IMPL(wf_f_base64encode);
WF_IMPL(wf_f_base64decode);
WF_IMPL(wf_f_sha256);
WF_IMPL(wf_f_default);
WF_IMPL(wf_f_length);
WF_IMPL(wf_f_first);
WF_IMPL(wf_f_last);
WF_IMPL(wf_f_join);
WF_IMPL(wf_f_slice);
WF_IMPL(wf_f_keys);
WF_IMPL(wf_f_values);
WF_IMPL(wf_f_sort);
WF_IMPL(wf_f_abs);
WF_IMPL(wf_f_number);
WF_IMPL(wf_f_to_json);
WF_IMPL(wf_f_from_json);
WF_IMPL(wf_f_jq);
WF_IMPL(wf_f_reverse);
WF_IMPL(wf_f_rsort);
WF_IMPL(wf_f_merge);
WF_IMPL(wf_f_abbreviate);

/* date.c: dates */
WF_IMPL(wf_f_date);
WF_IMPL(wf_f_date_add);
WF_IMPL(wf_f_timestamp);
WF_IMPL(wf_f_timestamp_milli);
WF_IMPL(wf_f_timestamp_micro);
WF_IMPL(wf_f_timestamp_nano);
WF_IMPL(wf_fn_now);

/* Characters (code points) in a UTF-8 string. */
size_t wf_utf8_len(const char *s, size_t n);
/* The k-th character of a UTF-8 string, as a string value. */
void wf_utf8_char(const char *s, size_t n, size_t k, wf_val_t *out);
/* a..b and range(): integers from `from` to `to` inclusive by `step`. */
int wf_ev_range(wf_eval_t *ev, const wf_node_t *n, int64_t from, int64_t to, int64_t step,
                wf_val_t *out);

#endif
