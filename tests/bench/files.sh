#!/usr/bin/env bash
# Internal storage throughput (run by hand: `make bench-files [BENCH_MB=N]`,
# or from the build dir:
#   WF_BUILDDIR=$PWD WF_SRCDIR=/path/to/src bash $WF_SRCDIR/tests/bench/files.sh [MB]):
# a MB-megabyte file (default 100) through the store with the executor's own
# code (tests/integration/storage_tool: put, then get), against `cp` of the
# same file on the same disk in the same run; then a file of that size from
# one task to the next in a real flow (outputFiles -> inputFiles). Prints
# MB/s and the ratios. Never fails on speed; fails only when the bytes do
# not arrive whole.
set -u
MB=${1:-100}
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
T="$WF_BUILDDIR/tests/integration/storage_tool"
ex_gw_setup
printf 'executor:\n  output_files_max: 1GiB\n' >"$PG_TMP/weft.yaml"
gw_admin
ex_ops_start --config "$PG_TMP/weft.yaml"
ms() { date +%s%N | cut -c1-13; }
rate() { awk -v mb="$MB" -v t="$1" 'BEGIN { printf "%.1f", (t > 0 ? mb * 1000 / t : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

# The files live next to the database's (both in $PG_TMP): the same disk.
D="$PG_TMP/bench"
mkdir -p "$D"
head -c $((MB * 1048576)) /dev/urandom >"$D/src.bin"
SUM=$(sha256sum "$D/src.bin" | cut -d' ' -f1)
sync
pg_psql -c "INSERT INTO flows (namespace, id, domain, source, source_sha256, model, updated_by)
              VALUES ('ops', 'bench', 'ops', 'src', '\x00', '{}', 't')" \
        -c "INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, started_by)
              VALUES ('e-bench', 'ops', 'bench', 1, 'ops', 'SUCCESS', 't')" >/dev/null
P=/ops/bench/executions/e-bench/tasks/t/r/src.bin

t0=$(ms); cp "$D/src.bin" "$D/copy.bin"; sync; t1=$(ms)
CP=$((t1 - t0))
t0=$(ms); "$T" ops put execution ops e-bench $P "$D/src.bin" >/dev/null; sync; t1=$(ms)
PUT=$((t1 - t0))
t0=$(ms); "$T" ops get execution - $P "$D/back.bin" >/dev/null; sync; t1=$(ms)
GET=$((t1 - t0))
t_is "$(sha256sum "$D/back.bin" | cut -d' ' -f1)" "$SUM" "the ${MB} MB file reads back whole"
rm -f "$D/copy.bin" "$D/back.bin" "$D/src.bin"

ex_apply "
id: bigpipe
namespace: ops
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - head -c $((MB * 1048576)) /dev/urandom > '{{ outputDir }}/big.bin'
      - sha256sum '{{ outputDir }}/big.bin' | cut -d' ' -f1 > '{{ outputDir }}/sum'
  - id: use
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      big.bin: \"{{ outputs.make.outputFiles['big.bin'] }}\"
    commands:
      - test \"\$(sha256sum big.bin | cut -d' ' -f1)\" = \"{{ read(outputs.make.outputFiles.sum) | trim }}\"
"
t0=$(ms)
http POST "/api/v1/executions/ops/bigpipe?wait=300" "${AU[@]}" "${J[@]}" -d '{}'
t1=$(ms)
FLOW=$((t1 - t0))
t_is "$(jget "$BODY" .state.current)" SUCCESS "a ${MB} MB file from one task to the next in a flow, SHA-256 checked"
EID=$(jget "$BODY" .id)
[ "$(jget "$BODY" .state.current)" = SUCCESS ] || t_diag "$STATUS $(printf %.300s "$BODY") $(ex_errors "$EID")"

echo "# ${MB} MB, same disk, same run"
echo "#   cp (+ sync):                                   ${CP} ms  $(rate "$CP") MB/s"
echo "#   store put (1 MiB chunks, SHA-256):             ${PUT} ms  $(rate "$PUT") MB/s  ($(ratio "$PUT" "$CP")x cp's time)"
echo "#   store get (a chunk per query, SHA-256 checked): ${GET} ms  $(rate "$GET") MB/s  ($(ratio "$GET" "$CP")x cp's time)"
echo "#   put + get, one task's file to the next:        $((PUT + GET)) ms  ($(ratio $((PUT + GET)) "$CP")x cp's time)"
echo "#   whole flow, end to end (two sandboxes, random data made and hashed twice): ${FLOW} ms"
t_done
