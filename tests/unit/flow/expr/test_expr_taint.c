/* Taint tracking in the expression engine: a value computed from secret()
 * carries the secret's name through filters, operators, collections,
 * variables and loops; a render reports it with the printed text derived
 * from it, and errors about such values do not quote them. */
#include <stdlib.h>
#include <string.h>

#include "flow/expr/expr.h"
#include "tests/tap.h"

static char *resolve(void *ud, const char *name)
{
    (void)ud;
    if (strcmp(name, "K") == 0)
        return strdup("s3cr3t");
    if (strcmp(name, "K2") == 0)
        return strdup("other-value");
    return NULL;
}

/* The derived texts a render handed over, "|"-joined. */
static char derived[4096];

static void on_derived(void *ud, const char *text, size_t len)
{
    (void)ud;
    size_t l = strlen(derived);
    snprintf(derived + l, sizeof(derived) - l, "%s%.*s", l ? "|" : "", (int)len, text);
}

static wf_expr_taint_t acc = {.derived = on_derived};

/* Renders `src`; returns the text, or NULL with `err` filled. */
static const char *render(wf_expr_rt_t *rt, const json_t *ctx, const char *src, wf_expr_err_t *err)
{
    wf_expr_taint_clear(&acc);
    derived[0] = '\0';
    wf_tmpl_t *t = wf_tmpl_compile(src, strlen(src), err);
    if (t == NULL)
        return NULL;
    wf_expr_env_t env = {.ctx = ctx, .secret = resolve, .taint = &acc};
    const char *out = NULL;
    size_t len;
    if (wf_tmpl_render(t, &env, rt, &out, &len, err) != 0)
        out = NULL;
    wf_tmpl_free(t);
    return out;
}

typedef struct taint_case {
    const char *tmpl;
    const char *names; /* "" = not tainted */
    const char *piece; /* a derived text that must be handed over, or NULL */
} taint_case_t;

static const taint_case_t cases[] = {
    /* sources and filters */
    {"{{ secret('K') }}", "K", "s3cr3t"},
    {"{{ secret('K') | upper }}", "K", "S3CR3T"},
    {"{{ secret('K') | lower | title }}", "K", "S3cr3t"},
    {"{{ secret('K') | slice(0, 4) }}", "K", "s3cr"},
    {"{{ secret('K') | base64encode }}", "K", "czNjcjN0"},
    {"{{ secret('K') | urlencode }}", "K", "s3cr3t"},
    {"{{ secret('K') | sha256 }}", "K", NULL},
    {"{{ secret('K') | replace({'3': 'e'}) }}", "K", "secret"},
    {"{{ secret('K') | toJson }}", "K", "\"s3cr3t\""},
    {"{{ secret('K') | length }}", "K", "6"},
    {"{{ secret('K')[0] }}", "K", "s"},
    {"{{ secret('K') | split('3') | join('-') }}", "K", "s-cr-t"},
    /* operators and concatenation */
    {"{{ 'x' ~ secret('K') }}", "K", "xs3cr3t"},
    {"{{ secret('K') + '!' }}", "K", "s3cr3t!"},
    {"{{ secret('K') ~ secret('K2') }}", "K, K2", "s3cr3tother-value"},
    {"{{ secret('K') == 's3cr3t' }}", "K", "true"},
    {"{{ 'cr' in secret('K') }}", "K", "true"},
    {"{{ secret('K') is defined ? 'a' : 'b' }}", "K", "a"},
    {"{{ secret('NOPE') ?? secret('K') }}", "", NULL}, /* an error: see below */
    /* collections, variables, loops */
    {"{{ [secret('K'), 1] | first }}", "K", "s3cr3t"},
    {"{{ {'a': secret('K')}.a | upper }}", "K", "S3CR3T"},
    {"{{ {'a': secret('K')} | keys }}", "K", NULL},
    {"{% set v = secret('K') | upper %}[{{ v }}]", "K", "S3CR3T"},
    {"{% set v = [secret('K')] %}{% set w = v[0] %}{{ w }}", "K", "s3cr3t"},
    {"{% for c in secret('K') | split('') %}{{ c }}.{% endfor %}", "K", "s.3.c.r.3.t."},
    {"{% for k, v in {'a': secret('K')} %}{{ v }}{% endfor %}", "K", "s3cr3t"},
    {"{{ render('{{ secret(\"K\") | upper }}') }}", "K", "S3CR3T"},
    /* implicit flows: the whole render is tainted, nothing printed is */
    {"{% if secret('K') == 's3cr3t' %}yes{% endif %}", "K", NULL},
    {"{% for x in [secret('K')] %}one{% endfor %}", "K", NULL},
    /* nothing from a secret */
    {"{{ inputs.name | upper }}", "", NULL},
    {"{% set x = 'a' %}{{ x }}{{ 1 + 2 }}", "", NULL},
};

static void test_cases(void)
{
    json_t *ctx = json_pack("{s:{s:s}}", "inputs", "name", "ada");
    wf_expr_rt_t *rt = wf_expr_rt_create();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const taint_case_t *c = &cases[i];
        wf_expr_err_t err;
        const char *out = render(rt, ctx, c->tmpl, &err);
        if (strcmp(c->tmpl, "{{ secret('NOPE') ?? secret('K') }}") == 0) {
            ok(out == NULL && strstr(err.msg, "'NOPE' not found"), "%s: %s", c->tmpl, err.msg);
            continue;
        }
        ok(out != NULL, "%s renders (%s)", c->tmpl, out ? out : err.msg);
        if (c->names[0] == '\0') {
            ok(!acc.tainted && derived[0] == '\0', "%s: not tainted", c->tmpl);
            continue;
        }
        ok(acc.tainted && strcmp(acc.names, c->names) == 0, "%s: tainted by %s (got '%s')", c->tmpl,
           c->names, acc.names);
        if (c->piece != NULL) {
            ok(strstr(derived, c->piece) != NULL, "%s: hands over '%s' (got '%s')", c->tmpl,
               c->piece, derived);
        } else if (strstr(c->tmpl, "{% if") != NULL || strstr(c->tmpl, "one{%") != NULL) {
            /* An implicit flow prints only literal text: nothing to mask. */
            ok(derived[0] == '\0', "%s: no printed value is derived (got '%s')", c->tmpl, derived);
        }
    }
    /* One long derived value among text: handed over alone, so a log line
     * reads "user=****"; a short one brings the whole text along. */
    wf_expr_err_t err;
    render(rt, ctx, "user={{ secret('K2') | upper }}.", &err);
    is_str(derived, "OTHER-VALUE", "a long derived value is handed over alone");
    render(rt, ctx, "first={{ secret('K') | first }}.", &err);
    is_str(derived, "s|first=s.", "a short one comes with the whole text");
    wf_expr_rt_destroy(rt);
    json_decref(ctx);
}

static void test_render_json_and_eval(void)
{
    wf_expr_rt_t *rt = wf_expr_rt_create();
    wf_expr_env_t env = {.secret = resolve, .taint = &acc};
    wf_expr_err_t err;

    /* Every string of a document: the record accumulates over them. */
    wf_expr_taint_clear(&acc);
    derived[0] = '\0';
    json_t *doc =
        json_pack("{s:s,s:[s,s]}", "a", "plain", "b", "{{ 1 }}", "{{ secret('K2') | upper }}");
    json_t *r = wf_expr_render_json(doc, &env, rt, &err);
    ok(r != NULL && acc.tainted && strcmp(acc.names, "K2") == 0 &&
           strstr(derived, "OTHER-VALUE") != NULL,
       "render_json: a tainted string in a nested list taints the document (%s)", acc.names);
    json_decref(r);
    json_decref(doc);

    /* A typed evaluation reports its taint too. */
    wf_expr_taint_clear(&acc);
    derived[0] = '\0';
    wf_tmpl_t *t = wf_tmpl_compile("{{ secret('K') | upper }}", 25, &err);
    json_t *v = wf_tmpl_eval(t, &env, rt, &err);
    ok(json_is_string(v) && acc.tainted && strcmp(derived, "S3CR3T") == 0,
       "wf_tmpl_eval: tainted, derived text handed over ('%s')", derived);
    json_decref(v);
    wf_tmpl_free(t);
    wf_expr_taint_clear(&acc);
    t = wf_tmpl_compile("{{ [secret('K')] | length > 0 }}", 32, &err);
    v = wf_tmpl_eval(t, &env, rt, &err);
    ok(json_is_true(v) && acc.tainted, "wf_tmpl_eval: a boolean about a secret is tainted");
    json_decref(v);
    wf_tmpl_free(t);

    /* The runtime does not carry taint from one render to the next. */
    wf_expr_taint_clear(&acc);
    t = wf_tmpl_compile("{{ 'clean' | upper }}", 21, &err);
    const char *out;
    size_t len;
    ok(wf_tmpl_render(t, &env, rt, &out, &len, &err) == 0 && !acc.tainted,
       "a clean render after a tainted one is clean");
    wf_tmpl_free(t);

    /* Without a record, renders work as before. */
    env.taint = NULL;
    t = wf_tmpl_compile("{{ secret('K') | upper }}", 25, &err);
    ok(wf_tmpl_render(t, &env, rt, &out, &len, &err) == 0 && strcmp(out, "S3CR3T") == 0,
       "no record: the render is unchanged");
    wf_tmpl_free(t);
    wf_expr_rt_destroy(rt);
}

static void test_errors(void)
{
    wf_expr_rt_t *rt = wf_expr_rt_create();
    json_t *ctx = json_pack("{s:{}}", "inputs");
    wf_expr_err_t err;
    /* Messages quote operands; a derived one is no exact match of the
     * secret, so the message about it is withheld (names only). */
    static const char *const withheld[] = {
        "{{ (secret('K') | upper) | number }}", "{{ secret('K') | slice(1, 5) | date }}",
        "{{ {'a': 1}[secret('K') | upper] }}",  "{{ inputs[secret('K') | upper] }}",
        "{{ (secret('K') ~ 'x') * 2 }}",
    };
    for (size_t i = 0; i < sizeof(withheld) / sizeof(withheld[0]); i++) {
        const char *out = render(rt, ctx, withheld[i], &err);
        ok(out == NULL && strstr(err.msg, "withheld") && strstr(err.msg, "'K'") &&
               memmem(err.msg, sizeof(err.msg), "S3CR", 4) == NULL &&
               memmem(err.msg, sizeof(err.msg), "3cr3", 4) == NULL &&
               memmem(err.msg, sizeof(err.msg), "3CR3", 4) == NULL && err.line == 1,
           "%s: %s", withheld[i], err.msg);
    }
    /* An error about a clean operand keeps its detail. */
    const char *out = render(rt, ctx, "{{ secret('K') ~ inputs.nope }}", &err);
    ok(out == NULL && strstr(err.msg, "undefined variable 'inputs.nope'"),
       "a clean operand's error is told in full: %s", err.msg);
    json_decref(ctx);
    wf_expr_rt_destroy(rt);
}

static void test_names(void)
{
    /* The names list dedupes and says when it is cut. */
    wf_expr_taint_t t = {0};
    wf_expr_rt_t *rt = wf_expr_rt_create();
    wf_expr_env_t env = {.secret = resolve, .taint = &t};
    wf_expr_err_t err;
    const char *out;
    size_t len;
    wf_tmpl_t *a = wf_tmpl_compile("{{ secret('K2') }}{{ secret('K') }}", 35, &err);
    ok(wf_tmpl_render(a, &env, rt, &out, &len, &err) == 0 &&
           wf_tmpl_render(a, &env, rt, &out, &len, &err) == 0 && strcmp(t.names, "K2, K") == 0,
       "two renders of the same secrets name each once: '%s'", t.names);
    wf_tmpl_free(a);
    wf_expr_rt_destroy(rt);
}

int main(void)
{
    test_cases();
    test_render_json_and_eval();
    test_errors();
    test_names();
    return tap_done();
}
