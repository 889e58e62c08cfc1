#!/usr/bin/env bash
# Attack: a task of team A writes 3 GiB (dd from /dev/zero in 1 MiB chunks)
# into its /tmp and its work dir, to fill the host's disk under every other
# team. Each task's work dir and /tmp share a disk budget (executor.task_disk,
# lowered by policy maxDisk) enforced by the kernel: a tmpfs of that size. The
# task fails at its budget with a message naming it, a task of team B running
# meanwhile on the same host succeeds, and the host's free disk never drops by
# more than the budget while A writes.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP the sandbox needs root"
    exit 0
fi
ex_gw_setup
gw_admin

# The executors' work base: where a task's work dir would land on disk.
WORK_BASE=$PG_TMP/work-base
mkdir -p "$WORK_BASE"
BUDGET_MIB=256
POLICY_MIB=128
cat >"$PG_TMP/weft.yaml" <<EOF
executor:
  task_disk: ${BUDGET_MIB}MiB
sandbox:
  work_base: $WORK_BASE
EOF
for d in teama teamb; do
    http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d "{\"name\":\"$d\",\"namespaces\":[\"$d\"]}"
    t_is "$STATUS" 201 "domain $d created"
    ex_start "$d" --config "$PG_TMP/weft.yaml" || t_bail "executor of $d did not start"
done

apply() {
    http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary "$1"
    t_match "$STATUS" '^20[01]$' "flow applied: $(head -1 <<<"$1")"
}
apply "id: fill
namespace: teama
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - dd if=/dev/zero of=/tmp/fill bs=1M count=1536 2>/dev/null || echo '/tmp refused more'
      - dd if=/dev/zero of=fill bs=1M count=1536"
apply "id: steady
namespace: teamb
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - dd if=/dev/zero of=data bs=1M count=32 2>/dev/null
      - sleep 3
      - test \$(stat -c %s data) -eq 33554432 && echo intact"

avail() { df -B1 --output=avail "$WORK_BASE" | tail -1 | tr -d ' '; }
# Lowest free space seen on the work base's file system while A runs.
sample_min() {
    local min cur
    min=$(avail)
    while [ ! -e "$PG_TMP/stop-sampling" ]; do
        cur=$(avail)
        [ "$cur" -lt "$min" ] && min=$cur
        echo "$min" >"$PG_TMP/min-avail"
        sleep 0.05
    done
}

before=$(avail)
sample_min &
sampler=$!
# B starts first and is still running when A fills its budget.
http POST "/api/v1/executions/teamb/steady" "${AU[@]}" "${J[@]}" -d '{}'
EID_B=$(jget "$BODY" .id)
http POST "/api/v1/executions/teama/fill?wait=120" "${AU[@]}" "${J[@]}" -d '{}'
BODY_A=$BODY
EID_A=$(jget "$BODY_A" .id)
t_is "$(jget "$BODY_A" .state.current)" FAILED "team A's 3 GiB writer ends FAILED"
err=$(ex_errors "$EID_A")
t_match "$err" "disk budget of $BUDGET_MIB MiB exceeded" "the error names the budget: $err"
t_match "$(ex_logs "$EID_A")" "/tmp refused more" "/tmp stopped at the budget too (same tmpfs)"
t_is "$(ex_wait "$EID_B" 60)" SUCCESS "team B's task on the same host succeeds meanwhile"
t_match "$(pg_psql -c "SELECT string_agg(line, ' ') FROM logs WHERE execution_id = '$EID_B'")" \
    intact "team B's 32 MiB file was written whole"
touch "$PG_TMP/stop-sampling"
wait "$sampler"
min=$(cat "$PG_TMP/min-avail")
drop=$(((before - min) / 1048576))
t_ok "the host's free disk dropped by at most the budget (${drop} MiB)" [ "$drop" -le "$BUDGET_MIB" ]

# Policy maxDisk lowers the budget (and only lowers it).
ex_policy teama "{\"maxDisk\": \"${POLICY_MIB}MiB\"}"
sleep 1.2 # the executor re-reads a policy at most once a second
http POST "/api/v1/executions/teama/fill?wait=120" "${AU[@]}" "${J[@]}" -d '{}'
EID_A=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" FAILED "with maxDisk the writer fails again"
t_match "$(ex_errors "$EID_A")" "disk budget of $POLICY_MIB MiB exceeded" \
    "policy maxDisk $POLICY_MIB MiB is the budget"
http PUT /api/v1/namespaces/teama/policy "${AU[@]}" "${J[@]}" -d '{"maxDisk": "10kB"}'
t_match "$STATUS" '^4' "a maxDisk below 1MiB is refused ($STATUS)"
t_match "$BODY" "maxDisk" "and the refusal names the key"

leftover=$(find "$WORK_BASE" -name fill 2>/dev/null | wc -l)
t_is "$leftover" 0 "nothing of the writer reached the work base"
t_done
