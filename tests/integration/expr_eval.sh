#!/usr/bin/env bash
# `weft expr eval`: output, exit codes (0 ok, 1 expression error, 2 usage)
# and positioned errors, through the real binary. Emits TAP.
set -u
weft="${WF_BUILDDIR:-.}/weft"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
check() { # name, expected rc, expected stdout ("~x": contains x), stderr substring, args...
    local name=$1 want_rc=$2 want_out=$3 want_err=$4
    shift 4
    local out err rc
    out=$("$weft" expr "$@" 2>"$tmp/err")
    rc=$?
    err=$(cat "$tmp/err")
    n=$((n + 1))
    local same_out=0
    if [ "${want_out#\~}" != "$want_out" ]; then # "~text": stdout contains text
        [[ "$out" == *"${want_out#\~}"* ]] && same_out=1
    elif [ "$out" = "$want_out" ]; then
        same_out=1
    fi
    if [ "$rc" = "$want_rc" ] && [ $same_out = 1 ] && [[ "$err" == *"$want_err"* ]]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        echo "# rc=$rc stdout=[$out] stderr=[$err]"
        fail=1
    fi
}

cat >"$tmp/vars.json" <<'JSON'
{"inputs": {"name": "ada", "items": [3, 1, 2]}, "outputs": {"t-1": {"value": "v"}},
 "vars": {"env": "prod"}}
JSON
echo '{"inputs": ' >"$tmp/bad.json"
echo '[1, 2]' >"$tmp/list.json"

check "template with variables" 0 "Hello ada!" "" eval 'Hello {{ inputs.name }}!' --vars "$tmp/vars.json"
check "--vars=FILE form" 0 "v" "" eval "{{ outputs['t-1'].value }}" --vars="$tmp/vars.json"
check "bare expression gives a typed value" 0 "[1,2,3]" "" eval 'inputs.items | sort' --vars "$tmp/vars.json"
check "bare arithmetic" 0 "7" "" eval '1 + 2 * 3'
check "negative literal is an expression, not an option" 0 "5" "" eval '-5 | abs'
check "boolean" 0 "true" "" eval "vars.env == 'prod'" --vars "$tmp/vars.json"
check "string result printed as text" 0 "a-b" "" eval "['a', 'b'] | join('-')"
check "if block" 0 "many" "" eval '{% if inputs.items | length > 2 %}many{% endif %}' --vars "$tmp/vars.json"
check "undefined variable is an error with position" 1 "" "<expr>:1:11: error: undefined variable 'inputs.nme' (did you mean 'name'?)" \
    eval '{{ inputs.nme }}' --vars "$tmp/vars.json"
check "syntax error with position" 1 "" "<expr>:1:7: error: expected an expression, found '}}'" eval '{{ 1 +}}'
check "unknown filter suggests" 1 "" "unknown filter 'uper' (did you mean 'upper'?)" eval "'a' | uper"
check "secrets are not available offline" 1 "" "only by the executor" eval "{{ secret('K') }}"
check "bad JSON vars file" 2 "" "bad.json:2:0: error:" eval '1' --vars "$tmp/bad.json"
check "vars must be an object" 2 "" "must be a JSON object" eval '1' --vars "$tmp/list.json"
check "missing vars file" 2 "" "unable to open" eval '1' --vars "$tmp/nope.json"
check "no expression is a usage error" 2 "" "usage: weft expr eval" eval
check "unknown subcommand" 2 "" "usage:" run '1'
check "unknown option" 2 "" "unexpected argument '--bogus'" eval '1' --bogus
check "list names every filter" 0 "~filter    dateAdd(amount, unit, [format], [timeZone])" "" list
check "--help" 0 "~usage: weft expr eval 'EXPR' [--vars FILE.json]" "" eval --help

echo "1..$n"
exit $fail
