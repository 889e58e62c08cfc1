#!/usr/bin/env bash
# The flow corpus: every file in valid/ must pass `weft flow validate`; every
# file in invalid/ must fail with exactly the errors its "# expect:" lines list
# ("# expect: LINE:COL: PATH: message"), no more, no fewer; every file in
# warnings/ (flows Kestra accepts that will fail when they run) must pass with
# exactly the warnings its "# warn:" lines list. Emits TAP.
set -u
weft="${WF_BUILDDIR:-.}/weft"
dir="${WF_SRCDIR:-.}/tests/flows"
n=0
fail=0
say() { n=$((n + 1)); echo "$1 $n - $2"; }

for f in "$dir"/valid/*.y*ml; do
    name=valid/$(basename "$f")
    if out=$("$weft" flow validate "$f" 2>&1); then
        say ok "$name is accepted"
    else
        say "not ok" "$name is accepted"
        echo "$out" | sed 's/^/# /'
        fail=1
    fi
done

for f in "$dir"/invalid/*.y*ml; do
    name=invalid/$(basename "$f")
    expected=$(grep '^# expect: ' "$f" | sed 's/^# expect: //' | sort)
    if [ -z "$expected" ]; then
        say "not ok" "$name has no '# expect:' line"
        fail=1
        continue
    fi
    out=$("$weft" flow validate "$f" 2>&1 >/dev/null)
    rc=$?
    # "FILE:L:C: error: PATH: msg" -> "L:C: PATH: msg"
    got=$(echo "$out" | grep -F "$f:" | grep ': error: ' | sed "s|^$f:||; s|: error: |: |" | sort)
    if [ "$rc" -eq 1 ] && [ "$got" = "$expected" ]; then
        say ok "$name is rejected with the expected errors"
    else
        say "not ok" "$name is rejected with the expected errors (exit $rc)"
        diff <(echo "$expected") <(echo "$got") | sed 's/^/# /'
        fail=1
    fi
done

for f in "$dir"/warnings/*.y*ml; do
    name=warnings/$(basename "$f")
    expected=$(grep '^# warn: ' "$f" | sed 's/^# warn: //' | sort)
    if [ -z "$expected" ]; then
        say "not ok" "$name has no '# warn:' line"
        fail=1
        continue
    fi
    out=$("$weft" flow validate "$f" 2>&1 >/dev/null)
    rc=$?
    got=$(echo "$out" | grep -F "$f:" | grep ': warning: ' | sed "s|^$f:||; s|: warning: |: |" | sort)
    errors=$(echo "$out" | grep -c ': error: ')
    if [ "$rc" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$got" = "$expected" ]; then
        say ok "$name is accepted with the expected warnings"
    else
        say "not ok" "$name is accepted with the expected warnings (exit $rc)"
        diff <(echo "$expected") <(echo "$got") | sed 's/^/# /'
        fail=1
    fi
done

# Exit codes of the command itself.
"$weft" flow validate "$dir/valid" >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] && say ok "a folder of valid flows exits 0" || say "not ok" "valid folder exits 0 (got $rc)"
"$weft" flow validate "$dir/valid" "$dir/invalid" >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ] && say ok "any invalid flow makes the exit 1" || say "not ok" "invalid exits 1 (got $rc)"
"$weft" flow validate >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && say ok "no argument is a usage error (2)" || say "not ok" "usage exits 2 (got $rc)"
"$weft" flow validate --format xml "$dir/valid" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && say ok "unknown format is a usage error (2)" || say "not ok" "bad format exits 2 (got $rc)"
"$weft" flow validate --bogus >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && say ok "unknown option is a usage error (2)" || say "not ok" "bad option exits 2 (got $rc)"
"$weft" flow validate /nonexistent/flow.yaml >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ] && say ok "a missing file is an invalid flow (1)" || say "not ok" "missing file exits 1 (got $rc)"

# JSON form: one object per error with file, line, col, path, message.
first=$(ls "$dir"/invalid/*.y*ml | head -1)
json=$("$weft" flow validate --format json "$first" 2>/dev/null)
if echo "$json" | python3 -c '
import json, sys
errs = json.load(sys.stdin)
assert isinstance(errs, list) and errs
for e in errs:
    assert {"file", "line", "col", "path", "message"} <= set(e), e
    assert isinstance(e["line"], int) and e["line"] > 0
' 2>/dev/null; then
    say ok "--format json gives a list of positioned errors"
else
    say "not ok" "--format json gives a list of positioned errors"
    echo "$json" | head -20 | sed 's/^/# /'
fi
first=$(ls "$dir"/warnings/*.y*ml | head -1)
json=$("$weft" flow validate --format json "$first" 2>/dev/null)
rc=$?
if [ $rc -eq 0 ] && echo "$json" | python3 -c '
import json, sys
ws = json.load(sys.stdin)
assert isinstance(ws, list) and ws
assert all(w.get("severity") == "warning" for w in ws), ws
' 2>/dev/null; then
    say ok "--format json marks warnings with severity"
else
    say "not ok" "--format json marks warnings with severity (exit $rc)"
    echo "$json" | head -20 | sed 's/^/# /'
fi
valid_json=$("$weft" flow validate --format json "$dir/valid" 2>/dev/null)
[ "$(echo "$valid_json" | tr -d ' \n')" = "[]" ] && say ok "--format json on valid flows is []" \
    || say "not ok" "--format json on valid flows is []"

echo "1..$n"
