#!/usr/bin/env bash
# Conformance with Kestra's own test flows (../shared/kestra-flows relative to
# the source tree, see its README): every flow listed in core.txt should be
# accepted, every flow in invalids/ rejected with a positioned error. Prints
# the figures and each miss; skips when the folder is absent.
#   tests/conformance/kestra.sh [BUILDDIR]     (also: make conformance)
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${WF_BUILDDIR:-$src}}
weft=$build/weft
flows=${KESTRA_FLOWS:-$src/../shared/kestra-flows}
if [ ! -f "$flows/core.txt" ]; then
    echo "SKIP: $flows not found (Kestra's test flows); nothing to compare with"
    exit 0
fi
if [ ! -x "$weft" ]; then
    echo "weft not built: $weft" >&2
    exit 2
fi
crashed=0
accepted=0
total=0
while IFS= read -r name; do
    [ -n "$name" ] || continue
    total=$((total + 1))
    out=$("$weft" flow validate "$flows/valids/$name" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        accepted=$((accepted + 1))
    else
        [ $rc -gt 1 ] && crashed=1
        echo "REJECTED valids/$name"
        echo "$out" | grep -E ': (error|note): ' | sed 's/^/    /'
    fi
done < "$flows/core.txt"

rejected=0
ninvalid=0
for f in "$flows"/invalids/*.y*ml; do
    ninvalid=$((ninvalid + 1))
    out=$("$weft" flow validate "$f" 2>&1)
    rc=$?
    [ $rc -gt 1 ] && crashed=1
    if [ $rc -eq 1 ] && echo "$out" | grep -qE "^$f:[0-9]+:[0-9]+: error: "; then
        rejected=$((rejected + 1))
    else
        echo "ACCEPTED invalids/$(basename "$f") (exit $rc)"
    fi
done
echo "Kestra core flows accepted: $accepted/$total"
echo "Kestra invalid flows rejected with a position: $rejected/$ninvalid"
[ $crashed -eq 0 ]
