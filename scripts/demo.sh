#!/usr/bin/env bash
# Quick start: installs what Weft needs, builds it in ./build, starts the
# platform on the embedded default (private PostgreSQL in ./weft-data) with
# two team domains, and plays the data-mesh scenario with the flows of
# examples/flows: logistics produces shipment figures, sales consumes them
# once logistics grants it. Ctrl-C stops everything.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    exec sudo -E "$0" "$@"
fi
cd "$(dirname "$0")/.."
top=$(pwd)
data=${WEFT_DATA_DIR:-$top/weft-data}
listen=${WEFT_LISTEN:-127.0.0.1:8080}
url="http://$listen"

echo "==> installing dependencies"
scripts/deps.sh
echo "==> building"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then autoreconf -fi >/dev/null 2>&1; fi
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -s -j"$(nproc)" >/dev/null)
weftd=$top/build/weftd
weft=$top/build/weft

echo "==> starting Weft (data in $data)"
mkdir -p "$data"
"$weftd" up --config examples/weft.yaml --data-dir "$data" --listen "$listen" &
up_pid=$!
stop() { kill -TERM "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; exit 0; }
trap stop INT TERM
for _ in $(seq 1 600); do
    curl -sf -o /dev/null "$url/readyz" && break
    kill -0 "$up_pid" 2>/dev/null || { echo "weftd up failed to start"; exit 1; }
    sleep 0.05
done

# The demo is the data-mesh scenario, every step through `weft`: the platform
# team gives each team an admin service account and sets a root policy;
# logistics keeps a secret, applies its flow and runs it; sales applies a flow
# triggered by it, which waits — and says why — until logistics grants it the
# completion events; then it fires with exactly logistics' declared outputs.
# Tokens travel through standard input and 0600 files, never command lines.
export WEFT_CONFIG_DIR="$data/client"
w() { "$weft" "$@"; }
# as CONTEXT ARGS...: weft as one of the saved identities
as() { local ctx=$1; shift; WEFT_CONTEXT=$ctx "$weft" "$@"; }
step() { printf '\n==> %s\n' "$*"; }
# wait_until SECONDS CMD...: polls CMD until it succeeds
wait_until() {
    local n=$(($1 * 5))
    shift
    for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}
trigger_status() { as sales flow triggers sales.reporting shipment_report -o json | grep -q "$1"; }
sales_ran() { as sales execution list sales.reporting -o json | grep -q '"SUCCESS"'; }

demo() {
    w login --url "$url" --token-stdin --name platform <"$data/admin.token" >/dev/null
    step "platform team: a root policy (every flow names an owner; 512MiB per task)"
    as platform policy set '*' 'requiredLabels={"owner":"[a-z-]+"}' maxMemory=512MiB
    step "platform team: an admin service account for each team"
    local team
    for team in logistics sales; do
        as platform sa create "$team" admin >/dev/null 2>&1 || true
        as platform rbac bind "sa:$team/admin" admin "$team" >/dev/null 2>&1 || true
        (umask 077 && as platform sa token create "$team" admin >"$data/client/$team.token" 2>/dev/null)
        w login --url "$url" --token-stdin --name "$team" <"$data/client/$team.token" >/dev/null
        echo "sa:$team/admin  (context $team)"
    done
    step "logistics: its warehouse API key, sealed to the logistics domain"
    head -c 18 /dev/urandom | base64 | as logistics secret set logistics.shipments WAREHOUSE_API_KEY
    step "both teams apply their flows (examples/flows)"
    as logistics flow apply -f examples/flows/logistics
    as sales flow apply -f examples/flows/sales
    step "logistics runs daily_shipments"
    as logistics run logistics.shipments daily_shipments --input region=eu --wait || true
    step "sales' trigger does not fire without a grant, and says why"
    wait_until 15 trigger_status "no grant" || true
    as sales flow triggers sales.reporting shipment_report
    step "logistics grants sales.reporting the SUCCESS events of daily_shipments"
    as logistics grant create logistics.shipments --to sales.reporting \
        --flows daily_shipments --events SUCCESS
    step "logistics runs daily_shipments again: sales' flow fires with the declared outputs only"
    as logistics run logistics.shipments daily_shipments --input region=us --wait || true
    wait_until 30 sales_ran || true
    as sales execution list sales.reporting
    local sid
    sid=$(as sales execution list sales.reporting -o json | grep -o '"id": *"[^"]*"' | head -1 | cut -d'"' -f4)
    [ -n "$sid" ] && { step "sales reads its execution's logs"; as sales logs "$sid"; }
    step "the audit log (platform team)"
    as platform audit list --limit 12
    w context use platform >/dev/null
}
demo || echo "(a demo step failed; Weft keeps running)"

cat <<MSG

Weft is running at $url
  bootstrap admin token: $data/admin.token (mode 0600, shown nowhere else)
  next, in another terminal:
    export WEFT_CONFIG_DIR=$data/client
    $weft flow list
    WEFT_CONTEXT=logistics $weft run logistics.shipments daily_shipments --follow
    WEFT_CONTEXT=sales $weft execution list sales.reporting
Press Ctrl-C to stop.
MSG
wait "$up_pid"
