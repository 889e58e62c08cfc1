#!/usr/bin/env bash
# The JWT attack battery (TAP): starts the jose-based OIDC peer on loopback
# and runs tests/security/auth_battery against it.
set -u
src=${WF_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${WF_BUILDDIR:-.}
tmp=$(mktemp -d)
peer=
cleanup() {
    [ -n "$peer" ] && kill "$peer" 2>/dev/null && wait "$peer" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

. "$src/tests/lib/node.sh"
if ! node_setup; then
    echo "1..1"
    echo "not ok 1 - npm package jose is not installed (run scripts/deps.sh --test)"
    exit 1
fi
node "$NODE_LIB/oidc_peer.mjs" "$tmp/port" 2>"$tmp/peer.err" &
peer=$!
for _ in $(seq 1 100); do
    [ -s "$tmp/port" ] && break
    sleep 0.1
done
if [ ! -s "$tmp/port" ]; then
    echo "1..1"
    echo "not ok 1 - OIDC peer did not start: $(head -c 300 "$tmp/peer.err")"
    exit 1
fi
WEFT_LOG_LEVEL=${WEFT_LOG_LEVEL:-error} "$build/tests/security/auth_battery" "http://127.0.0.1:$(cat "$tmp/port")"
