/* Evaluator of the expression engine: variables, every operator, control
 * flow, strict undefined variables, typed evaluation, and the limits that
 * stop hostile templates. */
#include "tests/unit/flow/expr/expr_case.h"

static const expr_case_t cases[] = {
    /* text and variables */
    {"plain", "plain"},
    {"", ""},
    {"Hello {{ inputs.name }}!", "Hello ada!"},
    {"{{ outputs['t-1'].value }}", "v1"},
    {"{{ outputs.t.value }} {{ outputs.t.vars.x }}", "42 X"},
    {"{{ outputs['t']['vars']['x'] }}", "X"},
    {"{{ vars.greeting }} {{ labels.team }} {{ flow.namespace }} {{ flow.revision }}",
     "hi data company.team 3"},
    {"{{ execution.id }} {{ taskrun.value }} {{ envs.home }} {{ trigger.date }}",
     "exec1 a /root 2024-03-10T01:30:00Z"},
    {"{{ inputs.list[0] }}{{ inputs.list.1 }}{{ inputs.list[-1] }}", "312"},
    {"{{ inputs.name[0] }}", "a"},
    {"{{ 'héllo'[1] }}{{ 'héllo'[-1] }}", "éo"},
    {"{{ 'hé'[2] }}", "!1:8: index 2 is out of range (string has 2 characters)"},
    {"{{ inputs.map }}", "{\"b\":2,\"a\":1}"},
    {"{{ inputs.list }}", "[3,1,2]"},
    {"{{ inputs.nul }}|{{ inputs.flag }}|{{ inputs.no }}", "|true|false"},
    /* literals */
    {"{{ 'it''s' }}", "!1:8: expected '}}'"},
    {"{{ 'it\\'s' }} {{ \"dq\" }} {{ '\\u00e9\\t|' }}", "it's dq é\t|"},
    {"{{ 42 }} {{ -7 }} {{ 2.5 }} {{ 2.0 }} {{ 1e3 }} {{ 0.1 }}", "42 -7 2.5 2.0 1000.0 0.1"},
    {"{{ true }} {{ false }} {{ null }}|{{ none }}|", "true false ||"},
    {"{{ [1, 'a', [true, null], {'k': 2.5}] }}", "[1,\"a\",[true,null],{\"k\":2.5}]"},
    {"{{ {a: 1, 'b c': 'x', 3: []} }}", "{\"a\":1,\"b c\":\"x\",\"3\":[]}"},
    {"{{ {'a': {'b': 1}}['a']['b'] }}", "1"},
    /* arithmetic */
    {"{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 4 - 3 }}", "7 9 3"},
    {"{{ 7 / 2 }} {{ -7 / 2 }} {{ 8 / 2 }} {{ 7.0 / 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7.5 % 2 }}",
     "3 -3 4 3.5 1 -1 1.5"},
    {"{{ (-9223372036854775807 - 1) / -1 }}", "!1:31: integer overflow in '/'"},
    {"{{ inputs.n * inputs.f }} {{ inputs.n + 0.5 }} {{ -inputs.n }} {{ +inputs.neg }}",
     "12.5 5.5 -5 -3"},
    {"{{ 1 / 0 }}", "!1:6: division by zero"},
    {"{{ 1 % 0 }}", "!1:6: division by zero"},
    {"{{ 1.5 / 0 }}", "!1:8: division by zero"},
    {"{{ 9223372036854775807 + 1 }}", "!1:24: integer overflow in '+'"},
    {"{{ 4611686018427387904 * 2 }}", "!1:24: integer overflow in '*'"},
    {"{{ -9223372036854775807 - 2 }}", "!1:25: integer overflow in '-'"},
    {"{{ 'a' + 1 }} {{ 1 + 'b' }} {{ 'x' + 'y' }}", "a1 1b xy"},
    {"{{ 'a' - 1 }}", "!1:8: operator '-' expects a number, got string"},
    {"{{ [1] * 2 }}", "!1:8: expects a number, got list"},
    {"{{ -'a' }}", "!1:4: unary '-' expects a number, got string"},
    {"{{ 'a' ~ 1 ~ true ~ null ~ 2.5 }}", "a1true2.5"},
    /* comparison */
    {"{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 4 >= 5 }}", "true true false false"},
    {"{{ 1 == 1.0 }} {{ 'a' == 'a' }} {{ 'a' != 'b' }} {{ null == null }}", "true true true true"},
    {"{{ 1 == '1' }} {{ [1, 2] == [1, 2] }} {{ {'a': 1} == {'a': 1} }}", "false true true"},
    {"{{ 'abc' < 'abd' }} {{ 'b' > 'abc' }} {{ 'ab' < 'abc' }}", "true true true"},
    {"{{ 1 < 'a' }}", "!1:6: cannot compare integer with string"},
    {"{{ null < 1 }} {{ 1 >= null }} {{ inputs.nul <= inputs.nul }}", "false false false"},
    {"{{ 'a' equals 'a' }} {{ 1 equals 2 }}", "true false"},
    /* logic */
    {"{{ true and false }} {{ true or false }} {{ not true }} {{ !false }}",
     "false true false true"},
    {"{{ inputs.n > 1 and inputs.name == 'ada' }}", "true"},
    {"{{ false and undefinedvar }} {{ true or undefinedvar }}", "false true"},
    {"{{ 0 or '' }} {{ 'x' and [1] }} {{ not [] }} {{ not 'false' }}", "false true true true"},
    {"{{ not inputs.n > 10 }}", "true"},
    /* ternary and ?? */
    {"{{ inputs.flag ? 'y' : 'n' }} {{ inputs.no ? 'y' : 'n' }}", "y n"},
    {"{{ 1 > 2 ? 'a' : 2 > 1 ? 'b' : 'c' }}", "b"},
    {"{{ inputs.missing ?? 'dflt' }} {{ inputs.nul ?? 'was null' }} {{ inputs.name ?? 'x' }}",
     "dflt was null ada"},
    {"{{ nope.deeper.still ?? 'deep' }}", "deep"},
    {"{{ inputs.a ?? inputs.b ?? 'c' }}", "c"},
    {"{{ inputs.a ?? inputs.b }}", "!1:23: undefined variable 'inputs.b'"},
    {"{{ inputs.list[7] ?? 'out' }}", "out"},
    /* tests */
    {"{{ inputs.name is defined }} {{ inputs.nope is defined }} {{ x.y.z is not defined }}",
     "true false true"},
    {"{{ inputs.nul is null }} {{ inputs.name is null }} {{ inputs.name is not null }}",
     "true false true"},
    {"{{ inputs.empty is empty }} {{ [] is empty }} {{ {} is empty }} {{ inputs.nul is empty }} "
     "{{ 'x' is empty }}",
     "true true true true false"},
    {"{{ 4 is even }} {{ 4 is odd }} {{ inputs.n is odd }}", "true false true"},
    {"{{ 'a' is even }}", "!1:11: 'even' expects an integer, got string"},
    {"{{ inputs.list is iterable }} {{ inputs.map is map }} {{ 'a' is iterable }}",
     "true true false"},
    {"{{ inputs.nope is null }}", "!1:11: undefined variable 'inputs.nope'"},
    /* in / contains */
    {"{{ 1 in inputs.list }} {{ 9 in inputs.list }} {{ 'a' in inputs.map }} {{ 'big' in "
     "inputs.words }}",
     "true false true true"},
    {"{{ 9 not in inputs.list }} {{ inputs.list contains 3 }} {{ 'hello' contains 'ell' }}",
     "true true true"},
    {"{{ 1 in 5 }}", "!1:6: needs a list, map or string"},
    /* matches: Java's String.matches (the whole string), PCRE2 with limits */
    {"{{ 'hello' matches 'h.*o' }} {{ 'hello' matches 'ell' }} {{ inputs.n matches '[0-9]+' }} "
     "{{ inputs.nul matches '.*' }}",
     "true false true false"},
    {"{% if inputs.name matches '(?i)ADA|bob' %}yes{% endif %}", "yes"},
    {"{{ 'a' matches 1 }}", "!1:8: 'matches' expects a string pattern, got int"},
    {"{{ 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' matches '(a+)+$' }}",
     "!1:56: 'matches': regular expression too costly: limit reached"},
    {"{{ 'x' matches inputs.name ~ '(' }}", "!1:8: 'matches': invalid regular expression: "
     "missing closing parenthesis at offset 4"},
    /* ranges */
    {"{{ 1..4 }} {{ 3..1 }}", "[1,2,3,4] [3,2,1]"},
    {"{{ 'a'..'c' }}", "!1:7: '..' expects integers"},
    /* strict undefined variables */
    {"{{ nope }}", "!1:4: undefined variable 'nope'"},
    {"line1\n  {{ inputs.nme }}", "!2:13: undefined variable 'inputs.nme' (did you mean 'name'?)"},
    {"{{ input.name }}", "!1:4: undefined variable 'input' (did you mean 'inputs'?)"},
    {"{{ outputs['t-2'].value }}", "!1:11: undefined variable 'outputs['t-2']'"},
    {"{{ inputs.list[3] }}", "!1:15: index 3 is out of range (list has 3 items)"},
    {"{{ inputs.nul.x }}", "!1:15: cannot read 'x' of null"},
    {"{{ inputs.n.x }}", "!1:13: cannot read 'x' of integer"},
    {"{{ inputs.map[1] }}", "!1:14: undefined variable 'inputs.map[1]'"},
    {"{{ inputs.list['a'] }}", "!1:15: a list index must be an integer, got string"},
    {"{{ inputs.map[[1]] }}", "!1:14: a map key must be a string, got list"},
    /* if / elseif / else */
    {"{% if inputs.n > 3 %}big{% endif %}", "big"},
    {"{% if inputs.n > 9 %}big{% elseif inputs.n > 4 %}mid{% else %}small{% endif %}", "mid"},
    {"{% if false %}a{% elseif false %}b{% else %}c{% endif %}", "c"},
    {"{% if false %}a{% elif true %}b{% endif %}", "b"},
    {"{% if inputs.nope %}x{% endif %}", "!1:14: undefined variable 'inputs.nope'"},
    {"{% if inputs.nope is defined %}x{% else %}no{% endif %}", "no"},
    /* for */
    {"{% for x in inputs.list %}{{ x }},{% endfor %}", "3,1,2,"},
    {"{% for x in inputs.list %}{{ loop.index }}/{{ loop.length }}{{ loop.first ? 'F' : '' }}"
     "{{ loop.last ? 'L' : '' }} {% endfor %}",
     "0/3F 1/3 2/3L "},
    {"{% for x in [] %}x{% else %}empty{% endfor %}", "empty"},
    {"{% for x in inputs.nul %}x{% else %}none{% endfor %}", "none"},
    {"{% for k, v in inputs.map %}{{ k }}={{ v }};{% endfor %}", "b=2;a=1;"},
    {"{% for e in inputs.map %}{{ e.key }}:{{ e.value }} {% endfor %}", "b:2 a:1 "},
    {"{% for i, x in ['a', 'b'] %}{{ i }}{{ x }}{% endfor %}", "0a1b"},
    {"{% for x in 1..3 %}{% for y in 1..2 %}{{ x * y }}{% endfor %}|{% endfor %}", "12|24|36|"},
    {"{% for x in 'abc' %}{% endfor %}", "!1:13: needs a list or a map, got string"},
    {"{% for x in [1] %}{% endfor %}{{ x }}", "!1:34: undefined variable 'x'"},
    /* set */
    {"{% set x = inputs.n * 2 %}{{ x }}", "10"},
    {"{% set inputs = 'shadow' %}{{ inputs }}", "shadow"},
    {"{% set total = 0 %}{% for x in inputs.list %}{% set total = total + x %}{% endfor %}"
     "{{ total }}",
     "6"},
    {"{% set l = [1, 2] %}{{ l | length }}", "2"},
    /* whitespace control, comments, raw */
    {"a  {{- 'b' -}}  c", "abc"},
    {"{% if true -%}\n  x\n{%- endif %}", "x"},
    {"a {# comment {{ x }} #}b", "a b"},
    {"{% raw %}{{ not evaluated }}{% endraw %}", "{{ not evaluated }}"},
    {"{% verbatim %}{% if %}{% endverbatim %}", "{% if %}"},
    /* functions that read the context */
    {"{{ render(inputs.tmpl) }}", "ada!"},
    {"{{ render('{{ 1 + 1 }}') }}", "2"},
    {"{{ render(42) }}", "42"},
    {"{{ render('{{ nope }}') }}", "!1:4: render(): 1:4: undefined variable 'nope'"},
    {"{{ render('{{ ') }}", "!1:4: render(): 1:4:"},
    {"{{ render(inputs.self) }}", "!1:4: nested too deeply"},
    {"{{ secret('K') }}", "s3cr3t"},
    {"{{ secret('NOPE') }}", "!1:4: secret 'NOPE' not found"},
    {"{{ secret(1) }}", "!1:4: secret() expects a secret name"},
};

static void test_typed(void)
{
    json_t *ctx = json_loads(expr_ctx_text, 0, NULL);
    wf_expr_rt_t *rt = wf_expr_rt_create();
    wf_expr_env_t env = {.ctx = ctx};
    static const struct {
        const char *src;
        int bare;
        const char *want;
    } typed[] = {
        {"{{ inputs.list }}", 0, "[3,1,2]"},
        {"  {{ 1 < 2 }}\n", 0, "true"},
        {"{{ inputs.n }}", 0, "5"},
        {"{{ inputs.f }}", 0, "2.5"},
        {"{{ inputs.nul }}", 0, "null"},
        {"{{ inputs.map }}", 0, "{\"b\":2,\"a\":1}"},
        {"n={{ inputs.n }}", 0, "\"n=5\""},
        {"{{ 1 }}{{ 2 }}", 0, "\"12\""},
        {"inputs.n + 1", 1, "6"},
        {"[inputs.name, 1.5]", 1, "[\"ada\",1.5]"},
        {"outputs['t-1']", 1, "{\"value\":\"v1\"}"},
    };
    for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
        wf_expr_err_t err;
        const char *src = typed[i].src;
        wf_tmpl_t *t = typed[i].bare ? wf_expr_compile(src, strlen(src), &err)
                                     : wf_tmpl_compile(src, strlen(src), &err);
        json_t *v = t ? wf_tmpl_eval(t, &env, rt, &err) : NULL;
        char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        is_str(s, typed[i].want, "typed value of %s", src);
        free(s);
        json_decref(v);
        wf_tmpl_free(t);
    }

    /* truthiness shared with runIf/If */
    json_t *vals = json_loads("[true, 1, 0.5, \"x\", [0], {\"a\": 0}]", 0, NULL);
    json_t *falsy =
        json_loads("[false, 0, 0.0, \"\", \"false\", \"FALSE\", [], {}, null]", 0, NULL);
    size_t i;
    json_t *v;
    int all = 1;
    json_array_foreach(vals, i, v) all &= wf_expr_truthy(v);
    ok(all, "truthy values");
    all = 1;
    json_array_foreach(falsy, i, v) all &= !wf_expr_truthy(v);
    ok(all && !wf_expr_truthy(NULL), "falsy values");
    json_decref(vals);
    json_decref(falsy);

    /* render a whole JSON value */
    json_t *doc = json_loads("{\"msg\": \"hi {{ inputs.name }}\", \"n\": 1, \"keep\": \"{ x }\","
                             " \"list\": [\"{{ 1 + 1 }}\", true], \"{{ k }}\": \"k\"}",
                             0, NULL);
    wf_expr_err_t err;
    json_t *r = wf_expr_render_json(doc, &env, rt, &err);
    char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;
    is_str(s,
           "{\"msg\":\"hi ada\",\"n\":1,\"keep\":\"{ x }\",\"list\":[\"2\",true],"
           "\"{{ k }}\":\"k\"}",
           "render_json renders every string value, not keys");
    free(s);
    json_decref(r);
    json_decref(doc);
    doc = json_loads("{\"a\": [1, {\"b\": \"{{ nope }}\"}]}", 0, NULL);
    r = wf_expr_render_json(doc, &env, rt, &err);
    ok(r == NULL && strstr(err.msg, "$.a[1].b: ") == err.msg &&
           strstr(err.msg, "undefined variable 'nope'") && err.line == 1 && err.col == 4,
       "render_json error names the JSON path and position: %s", err.msg);
    json_decref(doc);

    wf_expr_rt_destroy(rt);
    json_decref(ctx);
}

/* Hostile templates end with a precise error, quickly, within memory. */
static void test_limits(void)
{
    json_t *ctx = json_loads(expr_ctx_text, 0, NULL);
    wf_expr_rt_t *rt = wf_expr_rt_create();
    wf_expr_limits_t small = {.max_output = 1000,
                              .max_iterations = 50,
                              .max_range = 100,
                              .max_steps = 5000,
                              .max_memory = 1 << 16};
    static const expr_case_t hostile[] = {
        {"{% for i in range(1, 10000) %}{% endfor %}", "!1:13: range of 10000 items exceeds"},
        {"{{ range(0, 9223372036854775807) }}", "!1:4: exceeds the limit"},
        {"{{ 0..9223372036854775807 }}", "!1:5: exceeds the limit"},
        {"{{ range(-9223372036854775807, 9223372036854775807, 1) }}", "!1:4: exceeds the limit"},
        {"{{ range(1, 5, 0) }}", "!1:4: range step must not be zero"},
        {"{% for i in 1..30 %}{% for j in 1..30 %}{% endfor %}{% endfor %}",
         "!1:21: loop iteration limit exceeded (50 iterations)"},
        {"{% for i in 1..40 %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}",
         "!1:21: rendered output exceeds the limit of 1000 bytes"},
        {"{% set s = 'xxxxxxxxxxxxxxxx' %}{% for i in 1..40 %}{% set s = s ~ s %}{% endfor %}",
         "!1:66: expression memory limit exceeded"},
        {"{% set s = 'ab' %}{% for i in 1..40 %}{% set s = s | replace('a', s ~ s) %}{% endfor %}",
         "memory limit exceeded"},
        {"{% for i in 1..45 %}{{ "
         "1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+"
         "1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+"
         "1+"
         "1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1 > 1 ? '' : '' }}{% endfor "
         "%}",
         "step limit exceeded (5000 steps)"},
        {"{{ render(inputs.self) }}", "!1:4: render() nested too deeply"},
        {"{% set s = 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' %}"
         "{% set s = s ~ s ~ s ~ s ~ s ~ s ~ s ~ s %}{% set s = s ~ s ~ s ~ s ~ s ~ s ~ s ~ s %}"
         "{{ s | split('') | length }}",
         "memory limit exceeded"},
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        const char *got = expr_run(hostile[i].tmpl, ctx, &small, rt);
        int same = hostile[i].want[0] == '!' ? expr_match(got, hostile[i].want)
                                             : got[0] == '!' && strstr(got, hostile[i].want);
        ok(same, "refused: %.60s => %s", hostile[i].tmpl, hostile[i].want);
        if (!same)
            printf("# got: %s\n", got);
    }
    /* The defaults stop an exponential template too. */
    const char *bomb =
        "{% set s = 'x' %}{% for i in 1..64 %}{% set s = s ~ s %}{% endfor %}{{ s }}";
    const char *got = expr_run(bomb, ctx, NULL, rt);
    ok(got[0] == '!' && strstr(got, "memory limit exceeded"),
       "doubling string stops at the default limit");
    const char *loops = "{% for a in 1..1000 %}{% for b in 1..1000 %}{% endfor %}{% endfor %}";
    got = expr_run(loops, ctx, NULL, rt);
    ok(got[0] == '!' && strstr(got, "loop iteration limit exceeded (100000"),
       "a million iterations stop at the default limit");
    /* The runtime works again after an error. */
    is_str(expr_run("{{ inputs.name }}", ctx, NULL, rt), "ada", "runtime is reusable after errors");
    wf_expr_rt_destroy(rt);
    json_decref(ctx);
}

static char *short_secret(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return strdup("ab");
}

static void test_secrets(void)
{
    wf_expr_err_t err;
    wf_expr_rt_t *rt = wf_expr_rt_create();
    wf_tmpl_t *t = wf_tmpl_compile("{{ secret('K') }}", 17, &err);
    wf_expr_env_t env = {0}; /* no resolver: gateway, validation */
    const char *out;
    size_t len;
    ok(wf_tmpl_render(t, &env, rt, &out, &len, &err) == -1 &&
           strstr(err.msg, "only by the executor") && err.line == 1 && err.col == 4,
       "secret() without a resolver is an error, not an empty string");
    env.secret = expr_test_secret;
    ok(wf_tmpl_render(t, &env, rt, &out, &len, &err) == 0 && strcmp(out, "s3cr3t") == 0,
       "secret() through the resolver");
    /* The next render wipes the buffer that held the secret. */
    char *buf = (char *)out;
    wf_tmpl_t *t2 = wf_tmpl_compile("x", 1, &err);
    ok(wf_tmpl_render(t2, &env, rt, &out, &len, &err) == 0 && out == buf &&
           memmem(buf, 8, "s3cr3t", 6) == NULL,
       "output buffer that held a secret is wiped before reuse");
    wf_tmpl_free(t);
    wf_tmpl_free(t2);

    /* Error messages quote values; a secret value never appears in one. */
    static const char *const leaks[] = {
        "{{ secret('K') | number }}",
        "{{ secret('K') | date }}",
        "{{ {'a': 1}[secret('K')] }}",
        "{{ [1][secret('K')] }}",
        "{{ (secret('K') ~ ' and then a long tail that pushes the value to the end of the "
        "message buffer, which is bounded, so only a prefix of the secret value fits in it: "
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "x"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ' ~ secret('K')) | number }}",
        "{{ render('{{ ' ~ secret('K') ~ ' }}') }}",
    };
    for (size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++) {
        t = wf_tmpl_compile(leaks[i], strlen(leaks[i]), &err);
        int rc = t ? wf_tmpl_render(t, &env, rt, &out, &len, &err) : 0;
        ok(t != NULL && rc == -1 && strstr(err.msg, "s3cr") == NULL && err.line == 1,
           "error message does not reveal the secret: %s", err.msg);
        wf_tmpl_free(t);
    }
    /* a secret cut by the end of the bounded message buffer: its prefix goes too */
    char cut[512];
    snprintf(cut, sizeof(cut), "{{ inputs.n['%0238d' ~ secret('K')] }}", 0);
    json_t *ctx = json_loads(expr_ctx_text, 0, NULL);
    env.ctx = ctx;
    t = wf_tmpl_compile(cut, strlen(cut), &err);
    ok(t != NULL && wf_tmpl_render(t, &env, rt, &out, &len, &err) == -1 &&
           strstr(err.msg, "withheld") && strstr(err.msg, "'K'") &&
           memmem(err.msg, sizeof(err.msg), "s3c", 3) == NULL,
       "a key derived from a secret: the message is withheld, not cut: %s", err.msg);
    wf_tmpl_free(t);
    env.ctx = NULL;
    json_decref(ctx);
    env.secret = short_secret;
    t = wf_tmpl_compile("{{ secret('S') | number }}", 26, &err);
    ok(t != NULL && wf_tmpl_render(t, &env, rt, &out, &len, &err) == -1 &&
           strstr(err.msg, "withheld") && strstr(err.msg, "'ab'") == NULL,
       "a message holding a short secret is withheld: %s", err.msg);
    wf_tmpl_free(t);

    /* kv(), read(), errorLogs() parse everywhere but need the executor. */
    t = wf_tmpl_compile("{{ kv('k') }}", 13, &err);
    ok(t != NULL && wf_tmpl_render(t, &env, rt, &out, &len, &err) == -1 &&
           strstr(err.msg, "kv() is not available here") && err.col == 4,
       "kv() without a host is an error naming the function: %s", err.msg);
    wf_tmpl_free(t);
    wf_expr_rt_destroy(rt);
}

int main(void)
{
    expr_cases(cases, sizeof(cases) / sizeof(cases[0]));
    test_typed();
    test_limits();
    test_secrets();
    return tap_done();
}
