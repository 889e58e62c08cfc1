#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs dependencies, builds in
# ./build, runs `make check` (unit, integration, security), prints a closing
# line "N passed, N failed, N skipped".
#   scripts/test.sh                 normal build (-Werror)
#   scripts/test.sh --sanitizers    ASan + UBSan build in ./build-asan
set -uo pipefail
if [ "$(id -u)" -ne 0 ]; then
    exec sudo -E "$0" "$@"
fi
cd "$(dirname "$0")/.."
top=$(pwd)

builddir=build
flags=(--enable-werror)
if [ "${1:-}" = "--sanitizers" ]; then
    builddir=build-asan
    flags+=(--enable-sanitizers)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

scripts/deps.sh --test || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; echo "0 passed, 1 failed"; exit 1; }
fi
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ]; then
    "$top/configure" -q "${flags[@]}" || { echo "configure failed"; echo "0 passed, 1 failed"; exit 1; }
fi
jobs=$(nproc)
if ! make -s -j"$jobs" >/dev/null; then
    make -j1 2>&1 | tail -30
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
started=$(date +%s)
make -j"$jobs" check >check.out 2>&1
status=$?
grep -aE '^(PASS|FAIL|ERROR|XPASS|SKIP):' check.out | grep -Ev '^PASS:' || true
# The harness writes one .trs file per test program; count their results.
pass=0; fail=0; skip=0
while IFS= read -r line; do
    case "$line" in
    ":test-result: PASS"*|":test-result: XFAIL"*) pass=$((pass + 1)) ;;
    ":test-result: SKIP"*) skip=$((skip + 1)) ;;
    ":test-result: "*) fail=$((fail + 1)) ;;
    esac
done < <(find . -name '*.trs' -exec cat {} + 2>/dev/null)
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
    tail -40 check.out
    fail=1
fi
echo "suite time: $(( $(date +%s) - started )) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
