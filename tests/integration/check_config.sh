#!/usr/bin/env bash
# `weftd check-config`: valid files exit 0; every error at FILE:LINE:COL, exit 1.
. "$WF_SRCDIR/tests/lib/tap.sh"
W="$WF_BUILDDIR/weftd"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

t_ok "the shipped example is valid" "$W" check-config "$WF_SRCDIR/examples/weft.yaml"
printf 'listen: 127.0.0.1:8080\ndomains:\n  - name: a\n    namespaces: [a]\n    colour: red\n  - namespaces: [b]\ngateway: {max_body: [1]}\n' >"$T/bad.yaml"
out=$("$W" check-config "$T/bad.yaml" 2>&1)
t_is "$?" "1" "invalid config exits 1"
t_match "$out" "$T/bad.yaml:5:5: error: domains\[0\].colour: unknown key 'colour'" "unknown key at 5:5"
t_match "$out" "$T/bad.yaml:6:5: error: domains\[1\]: missing required key 'name'" "missing key at 6:5"
t_match "$out" "$T/bad.yaml:7:21: error: gateway.max_body: expected a size" "wrong type at 7:21"
json=$("$W" check-config --format json "$T/bad.yaml")
t_match "$json" '"line": 5' "JSON form carries positions"
printf 'a: 1\n\tb: 2\n' >"$T/tab.yaml"
out=$("$W" check-config "$T/tab.yaml" 2>&1)
t_match "$out" "$T/tab.yaml:2:1: error: YAML syntax" "YAML syntax error positioned"
t_match "$out" "note: tabs are not allowed" "with a note about tabs"
out=$("$W" check-config "$T/missing.yaml" 2>&1)
t_match "$out" "cannot open" "missing file reported"
"$W" check-config >/dev/null 2>&1
t_is "$?" "2" "usage error exits 2"
# Every subcommand listed by --help answers --help itself.
for cmd in $("$W" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}'); do
    t_ok "weftd $cmd --help" "$W" "$cmd" --help
done
for cmd in $("$WF_BUILDDIR/weft" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}'); do
    t_ok "weft $cmd --help" "$WF_BUILDDIR/weft" "$cmd" --help
done
t_match "$("$W" --version)" "^weftd [0-9]+\.[0-9]+\.[0-9]+" "weftd --version"
t_match "$("$WF_BUILDDIR/weft" --version)" "^weft [0-9]+\.[0-9]+\.[0-9]+" "weft --version"
t_done
