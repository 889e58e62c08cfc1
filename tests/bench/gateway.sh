#!/usr/bin/env bash
# Gateway throughput with wrk, run by hand (`make bench-gateway`), never part
# of `make check`: in one run, on one private PostgreSQL and one gateway,
#   1. GET /healthz (the reference),
#   2. GET /api/v1/flows/{ns}/{id} with a valid RS256 JWT (authenticated,
#      bindings loaded, RBAC-checked, flow read from PostgreSQL),
#   3. the same with first-seen tokens (each token verified once, not cached).
# Prints requests/s, p50/p99 latency and the ratio 2/1 (goal >= 50%).
# Never fails on speed. Env: DURATION (s, default 5), CONNS (default 32),
# THREADS (wrk threads, default 2), GW_THREADS (gateway loops, default 0 =
# one per core).
set -u
WF_BUILDDIR=${WF_BUILDDIR:-$(pwd)}
WF_SRCDIR=${WF_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export WF_BUILDDIR WF_SRCDIR
DURATION=${DURATION:-5}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/deps.sh --test)"; exit 1; }
. "$WF_SRCDIR/tests/lib/node.sh"
node_setup || { echo "npm package jose is missing (scripts/deps.sh --test)"; exit 1; }

pg_start || exit 1
"$WF_BUILDDIR/weftd" migrate >/dev/null 2>&1 || exit 1
node "$NODE_LIB/oidc_peer.mjs" "$PG_TMP/peer.port" 2>"$PG_TMP/peer.err" &
peer=$!
for _ in $(seq 1 100); do [ -s "$PG_TMP/peer.port" ] && break; sleep 0.1; done
IDP="http://127.0.0.1:$(cat "$PG_TMP/peer.port")"
cat >"$PG_TMP/weft.yaml" <<EOF
gateway:
  threads: ${GW_THREADS:-0}
log:
  level: warn
auth:
  oidc:
    - issuer: $IDP/a
      audience: weft
EOF
# The listening line is logged at info level: start at info, quiet by config.
WEFT_LOG_LEVEL=info gw_start --config "$PG_TMP/weft.yaml" || exit 1
trap 'kill $peer 2>/dev/null; wait $peer 2>/dev/null; _gw_cleanup' EXIT
ADMIN=$(gw_mint_token weft admin)
gw_bind sa:weft/admin platform-admin ''
curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"name":"sales","namespaces":["sales"]}' "$GW_URL/api/v1/domains" >/dev/null
printf 'id: daily\nnamespace: sales.reports\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hello\n' |
    curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/x-yaml' \
        --data-binary @- "$GW_URL/api/v1/flows" >/dev/null
gw_bind group:team-sales viewer sales
TOKEN=$(curl -s "$IDP/mint/ok-rs256")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "$GW_URL/api/v1/flows/sales.reports/daily")
[ "$code" = 200 ] || { echo "authenticated GET answered $code"; exit 1; }

# wrk --latency prints "Requests/sec:" and the 50%/99% lines.
run() { # name, wrk args...
    local name=$1 out rps p50 p99
    shift
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    printf '%-34s %10s req/s   p50 %8s   p99 %8s%s\n' "$name" "$rps" "$p50" "$p99" \
        "${non2xx:+   non-2xx: $non2xx}"
    LAST_RPS=$rps
}
echo "gateway benchmark: wrk -t$THREADS -c$CONNS -d${DURATION}s, $(nproc) cores, gateway threads ${GW_THREADS:-0} (0 = one per core)"
run "GET /healthz" "$GW_URL/healthz"
HEALTH=$LAST_RPS
run "GET flow (RS256 JWT, RBAC, DB)" -H "Authorization: Bearer $TOKEN" \
    "$GW_URL/api/v1/flows/sales.reports/daily"
AUTHED=$LAST_RPS
run "GET flow (service-account token)" -H "Authorization: Bearer $ADMIN" \
    "$GW_URL/api/v1/flows/sales.reports/daily"

# First-seen tokens: every request carries a token the gateway has not seen.
N=${FIRST_SEEN:-8000}
curl -s "$IDP/mintmany/ok-rs256?n=$N" >"$PG_TMP/tokens.txt"
cat >"$PG_TMP/first.lua" <<'EOF'
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i + 1
  if i > #tokens then i = 1 end
  return wrk.format("GET", "/api/v1/flows/sales.reports/daily",
                    { ["Authorization"] = "Bearer " .. tokens[i] })
end
EOF
# Each wrk thread has its own Lua state and walks the list from the start:
# one thread for one second, with more tokens than it can send, keeps every
# token unseen (checked below).
out=$(TOKENS=$PG_TMP/tokens.txt wrk -t1 -c8 -d1s -s "$PG_TMP/first.lua" "$GW_URL" 2>&1)
# "4000 requests in 1.23s, ..." (wrk prints ms, s or m units)
reqs=$(awk '/requests in/ {print $1}' <<<"$out")
secs=$(awk '/requests in/ { t = $4; sub(",", "", t); v = t + 0;
    if (t ~ /ms$/) v /= 1000; else if (t ~ /m$/) v *= 60; print v }' <<<"$out")
first=$(awk -v r="$reqs" -v s="$secs" 'BEGIN { printf "%.0f", r / s }')
if [ "$reqs" -le "$N" ]; then
    printf '%-34s %10s req/s   (%s requests, each with a token never seen before)\n' \
        "GET flow (first-seen RS256 JWTs)" "$first" "$reqs"
else
    printf '%-34s %10s req/s   (more than the %s tokens minted: a lower bound)\n' \
        "GET flow (first-seen RS256 JWTs)" "$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')" "$N"
fi

ratio=$(awk -v a="$AUTHED" -v h="$HEALTH" 'BEGIN { printf "%.1f", 100 * a / h }')
echo "authenticated GET / healthz: ${ratio}% (goal >= 50%)"
echo "verification of first-seen tokens alone (no HTTP, no database): see tests/bench/jwt_verify.sh"
