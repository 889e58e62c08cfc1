/* Parser of the expression engine: what parses, and where and why what does
 * not parse is refused (wf_tmpl_check). */
#include <stdlib.h>

#include "flow/expr/expr.h"
#include "tests/tap.h"

typedef struct parse_case {
    const char *src;
    int line, col;   /* 0 when the template is valid */
    const char *msg; /* expected substring of the message */
} parse_case_t;

static const parse_case_t cases[] = {
    /* valid */
    {"plain text, no expression", 0, 0, NULL},
    {"Hello {{ inputs.name }}!", 0, 0, NULL},
    {"{{ outputs['t-1'].value }}", 0, 0, NULL},
    {"{{ outputs.t.vars.x ?? 'none' }}", 0, 0, NULL},
    {"{{ 1 + 2 * 3 - 4 / 2 % 3 }}", 0, 0, NULL},
    {"{{ a ~ 'b' ~ c }}", 0, 0, NULL},
    {"{{ not a and b or c }}", 0, 0, NULL},
    {"{{ a ? b : c ? d : e }}", 0, 0, NULL},
    {"{{ x is defined }}{{ x is not null }}{{ [] is empty }}", 0, 0, NULL},
    {"{{ 'a' in ['a', 'b'] }}{{ 'z' not in 'abc' }}{{ [1] contains 1 }}", 0, 0, NULL},
    {"{{ x matches '[a-z]+' }}{{ x matches y }}", 0, 0, NULL},
    {"{{ {'a': {'b': 1}} }}", 0, 0, NULL},
    {"{{ {a: 1, 'b': [1, 2.5, -3e2], 3: null} }}", 0, 0, NULL},
    {"{{ name | upper | trim }}", 0, 0, NULL},
    {"{{ now() | date(\"yyyy-MM-dd'T'HH:mm:ss\", timeZone='UTC') }}", 0, 0, NULL},
    {"{{ x | dateAdd(-1, 'DAYS') }}{{ x | timestamp }}", 0, 0, NULL},
    {"{{ secret('K') }}{{ range(1, 3) }}{{ 1..3 }}", 0, 0, NULL},
    {"{% if a %}A{% elseif b %}B{% else %}C{% endif %}", 0, 0, NULL},
    {"{% for x in [1,2] %}{{ loop.index }}{{ x }}{% else %}none{% endfor %}", 0, 0, NULL},
    {"{% for k, v in {'a': 1} %}{{ k }}={{ v }}{% endfor %}", 0, 0, NULL},
    {"{% set x = 1 + 2 %}{{ x }}", 0, 0, NULL},
    {"{# a comment {{ not parsed #}text", 0, 0, NULL},
    {"{% raw %}{{ not parsed }}{% endraw %}", 0, 0, NULL},
    {"  {{- x -}}  \n{%- if a -%} y {%- endif -%}", 0, 0, NULL},
    {"{{ '}}' }}{{ \"\\u00e9\\n\" }}", 0, 0, NULL},
    {"{ not a tag } {x}", 0, 0, NULL},
    {"{{ list.0 }}{{ a[b][0].c }}", 0, 0, NULL},
    /* invalid, with positions */
    {"Hello {{ inputs.name", 1, 21, "not closed"},
    {"{{ }}", 1, 4, "expected an expression"},
    {"a\n  {{ 1 + }}", 2, 10, "expected an expression"},
    {"{{ (1 + 2 }}", 1, 11, "expected ')'"},
    {"{{ 'abc }}", 1, 4, "unterminated string"},
    {"{{ x | uper }}", 1, 8, "unknown filter 'uper' (did you mean 'upper'?)"},
    {"{{ secrte('a') }}", 1, 4, "unknown function 'secrte'"},
    {"{{ x is defind }}", 1, 9, "unknown test 'defind'"},
    {"{{ x | upper(1) }}", 1, 8, "takes no arguments"},
    {"{{ x | default }}", 1, 8, "needs the argument 'default'"},
    {"{{ x | date(tz='UTC') }}", 1, 16, "has no parameter 'tz'"},
    {"{{ secret() }}", 1, 4, "needs the argument 'key'"},
    {"{% if a %}yes", 1, 1, "missing {% endif %}"},
    {"{% for x in y %}", 1, 1, "missing {% endfor %}"},
    {"{% for x of y %}{% endfor %}", 1, 10, "expected 'in'"},
    {"text {% endif %}", 1, 6, "unexpected {% endif %}"},
    {"{% iff a %}{% endif %}", 1, 4, "unknown tag 'iff' (did you mean 'if'?)"},
    {"{% set = 1 %}", 1, 8, "expected a variable name"},
    {"{# never closed", 1, 1, "unclosed comment"},
    {"{{ 1 2 }}", 1, 6, "expected '}}'"},
    {"{{ a.b() }}", 1, 7, "method calls are not supported"},
    {"{{ 'a\\q' }}", 1, 6, "unknown escape"},
    {"{{ 99999999999999999999 }}", 1, 4, "integer literal too large"},
    {"{{ 12abc }}", 1, 4, "invalid number"},
    {"{{ a @ b }}", 1, 6, "unexpected character '@'"},
    {"{{ x matches '(ab' }}", 1, 14, "invalid regular expression: missing closing parenthesis"},
    {"{{ [1, 2 }}", 1, 10, "expected ',' or ']'"},
    {"{{ {'a' 1} }}", 1, 9, "expected ':'"},
    {"{{ f(a=1, 2) }}", 1, 4, "unknown function 'f'"},
    {"{{ range(start=1, 2) }}", 1, 19, "positional argument after a named argument"},
    {"{{ x | date(format='a', format='b') }}", 1, 32, "given twice"},
    {"{% raw %}never ended", 1, 1, "missing {% endraw %}"},
    {"héllo {{ ! }}", 1, 12, "expected an expression"},
    {"{% if a %}{% else %}{% elseif b %}{% endif %}", 1, 21, "unexpected {% elseif %}"},
};

static void collect(void *ud, const wf_tmpl_ref_t *r)
{
    char *buf = ud;
    size_t l = strlen(buf);
    snprintf(buf + l, 512 - l, "%s%s%s@%d:%d%s;", r->root, r->key ? "." : "", r->key ? r->key : "",
             r->line, r->col, r->guarded ? "?" : "");
}

static const char *refs_of(const char *src)
{
    static char buf[512];
    wf_expr_err_t err;
    buf[0] = '\0';
    wf_tmpl_t *t = wf_tmpl_compile(src, strlen(src), &err);
    if (t == NULL)
        return "(does not parse)";
    wf_tmpl_refs(t, collect, buf);
    wf_tmpl_free(t);
    return buf;
}

static void test_refs(void)
{
    is_str(refs_of("{{ outputs.t1.value }} {{ outputs['t-2'] }}\n{{ inputs }}"),
           "outputs.t1@1:4;outputs.t-2@1:27;inputs@2:4;",
           "references with their keys and positions");
    is_str(
        refs_of(
            "{{ outputs.a ?? outputs.b }}{{ outputs.c is defined }}{{ outputs.d | default(1) }}"),
        "outputs.a@1:4?;outputs.b@1:17;outputs.c@1:32?;outputs.d@1:58?;",
        "reads guarded by ??, is defined and default are marked");
    is_str(refs_of("{{ 'outputs.fake' }} {# outputs.b #}{% raw %}{{ outputs.c }}{% endraw %}"), "",
           "text in strings, comments and raw blocks is not a reference");
    is_str(refs_of("{% for x in outputs.list %}{{ x.value }}{{ loop.index }}{% endfor %}"
                   "{% set y = vars.a %}{{ y.b }}"),
           "outputs.list@1:13;vars.a@1:80;", "loop and set variables are not context reads");
    is_str(refs_of("{{ outputs[taskrun.value].x }}{{ {'k': inputs.v} }}"),
           "outputs@1:4;taskrun.value@1:12;inputs.v@1:40;", "dynamic keys and map values");
}

int main(void)
{
    test_refs();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const parse_case_t *c = &cases[i];
        int line = -1, col = -1;
        char msg[256] = "";
        int rc = wf_tmpl_check(c->src, strlen(c->src), &line, &col, msg, sizeof(msg));
        if (c->line == 0) {
            ok(rc == 0, "parses: %s", c->src);
            if (rc != 0)
                printf("# %d:%d: %s\n", line, col, msg);
            continue;
        }
        ok(rc == -1 && line == c->line && col == c->col && strstr(msg, c->msg) != NULL,
           "refused at %d:%d (%s): %s", c->line, c->col, c->msg, c->src);
        if (!(rc == -1 && line == c->line && col == c->col && strstr(msg, c->msg) != NULL))
            printf("# got rc=%d %d:%d: %s\n", rc, line, col, msg);
    }

    /* Hostile nesting is refused with an error, not a crashed stack. */
    size_t n = 100000;
    char *deep = malloc(n * 2 + 16);
    strcpy(deep, "{{ ");
    for (size_t i = 0; i < n; i++)
        deep[3 + i] = '(';
    deep[3 + n] = '\0';
    char msg[256];
    int line, col;
    ok(wf_tmpl_check(deep, strlen(deep), &line, &col, msg, sizeof(msg)) == -1 &&
           strstr(msg, "nested too deeply"),
       "100000 nested parentheses are refused");
    strcpy(deep, "{{ ");
    for (size_t i = 0; i < n; i++)
        deep[3 + i] = '-';
    strcpy(deep + 3 + n, "1 }}");
    ok(wf_tmpl_check(deep, strlen(deep), &line, &col, msg, sizeof(msg)) == -1 &&
           strstr(msg, "nested too deeply"),
       "100000 unary minus are refused");
    deep[0] = '\0';
    for (size_t i = 0; i < 2000; i++)
        strcat(deep, "{% if a %}");
    ok(wf_tmpl_check(deep, strlen(deep), &line, &col, msg, sizeof(msg)) == -1 &&
           strstr(msg, "blocks nested too deeply"),
       "2000 nested if blocks are refused");
    /* Long chains are parsed by loops but evaluated recursively. */
    static const char *const chains[] = {"1 + ", ".x", " | upper", " ?? a", " and a", "[0]"};
    for (size_t k = 0; k < sizeof(chains) / sizeof(chains[0]); k++) {
        strcpy(deep, "{{ a");
        size_t len = strlen(deep), cl = strlen(chains[k]);
        for (size_t i = 0; i < 20000 && len + cl + 8 < n * 2; i++, len += cl)
            memcpy(deep + len, chains[k], cl);
        strcpy(deep + len, chains[k][0] == '1' ? "1 }}" : " }}");
        ok(wf_tmpl_check(deep, strlen(deep), &line, &col, msg, sizeof(msg)) == -1 &&
               strstr(msg, "expression too complex"),
           "a chain of 20000 '%s' is refused: %s", chains[k], msg);
    }
    strcpy(deep, "{{ a");
    for (size_t i = 0; i < 200; i++)
        strcat(deep, ".x");
    strcat(deep, " }}");
    ok(wf_tmpl_check(deep, strlen(deep), &line, &col, msg, sizeof(msg)) == 0,
       "a chain of 200 attributes is fine");
    /* A 100 kB unknown name costs no quadratic "did you mean" search. */
    memset(deep, 'f', 100000);
    memcpy(deep, "{{ x | ", 7);
    strcpy(deep + 100000, " }}");
    ok(wf_tmpl_check(deep, strlen(deep), &line, &col, msg, sizeof(msg)) == -1 &&
           strstr(msg, "unknown filter") && !strstr(msg, "did you mean"),
       "huge unknown filter name is refused without a suggestion");
    free(deep);

    /* Embedded NUL bytes are not the end of the template. */
    ok(wf_tmpl_check("{{ 1 }}\0{{", 10, &line, &col, msg, sizeof(msg)) == -1 && line == 1 &&
           col == 11 && strstr(msg, "end of input"),
       "text after a NUL byte is still parsed");

    wf_expr_err_t err;
    wf_tmpl_t *t = wf_expr_compile("inputs.x == 'a'", 15, &err);
    ok(t != NULL, "bare expression compiles");
    wf_tmpl_free(t);
    t = wf_expr_compile("inputs.x ==", 11, &err);
    ok(t == NULL && err.line == 1 && err.col == 12, "bare expression error at its end");
    t = wf_tmpl_compile("static text", 11, &err);
    ok(t != NULL && wf_tmpl_is_static(t), "text-only template is static");
    wf_tmpl_free(t);
    return tap_done();
}
