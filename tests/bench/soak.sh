#!/usr/bin/env bash
# Soak: `weftd up` with two domains takes executions of a Log + shell flow at
# a steady rate (default 50/s, alternating domains) for a while (default
# 10 min), and prints per minute: executions created, ended, failed, HTTP
# errors, latency percentiles (created → ended) and the resident memory of
# the gateway and executors; at the end RSS start/end, crashes (a child that
# died is restarted by `weftd up` and logged) and totals. Never fails on
# speed; exits 1 when a process crashed or an execution failed.
#   make soak                                  (from a build directory)
#   SOAK_SECONDS=120 SOAK_RATE=20 make soak    shorter, slower
# Under the sanitizers, run it from an --enable-sanitizers build
# (scripts/test.sh --sanitizers makes one in ./build-asan): a crash or a
# sanitizer report ends up in the log it prints.
set -u
: "${WF_BUILDDIR:?set WF_BUILDDIR}" "${WF_SRCDIR:?set WF_SRCDIR}"
W="$WF_BUILDDIR/weftd"
SECONDS_TOTAL=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-50}
T=$(mktemp -d /tmp/weft-soak.XXXXXX)
chmod 755 "$T"
PORT=$((20000 + RANDOM % 20000))
UP_PID=
cleanup() {
    if [ -n "$UP_PID" ]; then
        kill -TERM "$UP_PID" 2>/dev/null
        sleep 0.2
        kill -TERM "$UP_PID" 2>/dev/null
        for _ in $(seq 1 400); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$UP_PID" 2>/dev/null
    fi
    if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
cat >"$T/weft.yaml" <<YAML
listen: 127.0.0.1:$PORT
log:
  level: warn
domains:
  - name: alpha
    namespaces: [alpha]
  - name: beta
    namespaces: [beta]
YAML
D=$T/data
"$W" up --config "$T/weft.yaml" --data-dir "$D" >"$T/up.out" 2>&1 &
UP_PID=$!
for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && break
    sleep 0.1
done
TOKEN=$(cat "$D/admin.token")
q() { PGPASSFILE=$D/secrets/pgpass psql -XAtqw "host=$D/run port=55432 dbname=weft user=weft" -c "$1"; }
for ns in alpha beta; do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-yaml' \
        --data-binary "id: soak
namespace: $ns
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: 'soak {{ execution.id }}'
  - id: shell
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo shell of {{ execution.id }}" "http://127.0.0.1:$PORT/api/v1/flows"
done
rss() { # NAME PATTERN: resident kB summed over the matching processes
    local kb=0 p v
    for p in $(pgrep -f "$1"); do
        v=$(awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null) # gone meanwhile: ""
        kb=$((kb + ${v:-0}))
    done
    echo "$kb"
}
gw_pat="weftd gateway --config $T/weft.yaml"
ex_pat="weftd executor --domain .* --config $T/weft.yaml"
rss_gw0=$(rss "$gw_pat")
rss_ex0=$(rss "$ex_pat")
echo "soak: $RATE executions/s for $SECONDS_TOTAL s on two domains (gateway RSS ${rss_gw0} kB," \
    "executors ${rss_ex0} kB at start); log in $T/up.out"

# The driver: paced POSTs, HTTP outcomes counted per minute.
node - "$PORT" "$TOKEN" "$RATE" "$SECONDS_TOTAL" >"$T/driver.out" 2>&1 <<'JS' &
const [port, token, rate, secs] = process.argv.slice(2);
const http = require('http');
const agent = new http.Agent({keepAlive: true, maxSockets: 64});
let sent = 0, ok = 0, bad = 0;
const start = Date.now();
function post(ns) {
    const req = http.request({host: '127.0.0.1', port, method: 'POST', agent,
        path: `/api/v1/executions/${ns}/soak`, headers: {Authorization: `Bearer ${token}`}}, res => {
        res.resume();
        if (res.statusCode >= 200 && res.statusCode < 300) ok++; else bad++;
    });
    req.on('error', () => bad++);
    req.end();
}
const timer = setInterval(() => {
    const due = Math.floor((Date.now() - start) / 1000 * rate);
    while (sent < due) post(sent++ % 2 ? 'beta' : 'alpha');
    if (Date.now() - start >= secs * 1000) {
        clearInterval(timer);
        setTimeout(() => { console.log(`sent ${sent} ok ${ok} bad ${bad}`); process.exit(0); }, 2000);
    }
}, 20);
setInterval(() => console.log(`progress ${sent} ${ok} ${bad}`), 60000);
JS
DRV=$!
t0=$(date +%s)
minute=0
printf '%-6s %8s %8s %7s %9s %8s %8s %8s %10s %10s\n' minute created ended failed http_bad \
    p50_ms p95_ms p99_ms gw_rss_kB ex_rss_kB
while kill -0 "$DRV" 2>/dev/null; do
    sleep 60 &
    wait $!
    minute=$((minute + 1))
    from="to_timestamp($t0 + ($minute - 1) * 60)"
    to="to_timestamp($t0 + $minute * 60)"
    row=$(q "SELECT count(*), count(ended_at), count(*) FILTER (WHERE state = 'FAILED'),
        coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - created_at)) * 1000), 0),
        coalesce(round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - created_at)) * 1000), 0),
        coalesce(round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - created_at)) * 1000), 0)
        FROM executions WHERE flow_id = 'soak' AND created_at >= $from AND created_at < $to" | tr '|' ' ')
    bad=$(grep '^progress' "$T/driver.out" | tail -1 | awk '{print $4}')
    set -- $row
    printf '%-6s %8s %8s %7s %9s %8s %8s %8s %10s %10s\n' "$minute" "$1" "$2" "$3" "${bad:-0}" \
        "$4" "$5" "$6" "$(rss "$gw_pat")" "$(rss "$ex_pat")"
done
wait "$DRV"
# Let the backlog finish before the totals.
for _ in $(seq 1 120); do
    [ "$(q "SELECT count(*) FROM executions WHERE flow_id = 'soak' AND ended_at IS NULL")" = 0 ] && break
    sleep 1
done
total=$(q "SELECT count(*) || ' created, ' || count(ended_at) || ' ended, ' || count(*) FILTER (WHERE state = 'FAILED') || ' failed, ' || count(*) FILTER (WHERE ended_at IS NULL) || ' unfinished' FROM executions WHERE flow_id = 'soak'")
crashes=$(grep -cE "(killed by signal|exited with status [1-9]).*restart" "$T/up.out")
echo "driver: $(tail -1 "$T/driver.out")"
echo "executions: $total"
echo "RSS: gateway ${rss_gw0} -> $(rss "$gw_pat") kB, executors ${rss_ex0} -> $(rss "$ex_pat") kB"
echo "crashes (children restarted by weftd up): $crashes"
grep -E "killed by signal|ERROR: AddressSanitizer|runtime error" "$T/up.out" | head -5
failed=$(q "SELECT count(*) FROM executions WHERE flow_id = 'soak' AND state <> 'SUCCESS'")
[ "$crashes" = 0 ] && [ "$failed" = 0 ]
