#!/usr/bin/env bash
# Quick start: installs what Weft needs, builds it in ./build, starts the
# platform on the embedded default (private PostgreSQL in ./weft-data) with
# two team domains, applies the demo flows of examples/flows and runs one.
# Ctrl-C stops everything.
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

# The demo steps use the client with a context made from the admin token
# (read from its file on stdin; the token never appears on a command line).
export WEFT_CONFIG_DIR="$data/client"
if "$weft" login --help >/dev/null 2>&1; then
    "$weft" login --url "$url" --token-stdin <"$data/admin.token" >/dev/null
    echo "==> applying the demo flows (examples/flows)"
    "$weft" flow apply -f examples/flows || true
    echo "==> running logistics.shipments/daily_shipments"
    "$weft" run logistics.shipments daily_shipments --input region=eu --wait || true
fi

cat <<MSG

Weft is running at $url
  bootstrap admin token: $data/admin.token (mode 0600, shown nowhere else)
  next, in another terminal:
    export WEFT_CONFIG_DIR=$data/client
    $weft flow list
    $weft run logistics.shipments daily_shipments --follow
Press Ctrl-C to stop.
MSG
wait "$up_pid"
