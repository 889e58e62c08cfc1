#!/usr/bin/env bash
# JWT verification benchmark (by hand, not part of make check):
#   tests/bench/jwt_verify.sh [BUILDDIR] [TOKENS_PER_ALG]
# Starts the jose-based OIDC peer on loopback, prints verifications per second.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${WF_BUILDDIR:-$src}}
n=${2:-4000}
tmp=$(mktemp -d)
peer=
cleanup() {
    [ -n "$peer" ] && kill "$peer" 2>/dev/null && wait "$peer" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$src/tests/lib/node.sh"
node_setup || { echo "npm package jose is missing (scripts/deps.sh --test)"; exit 1; }
[ -x "$build/tests/bench/jwt_verify" ] || make -C "$build" tests/bench/jwt_verify >/dev/null
node "$NODE_LIB/oidc_peer.mjs" "$tmp/port" &
peer=$!
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
"$build/tests/bench/jwt_verify" "http://127.0.0.1:$(cat "$tmp/port")" "$n"
