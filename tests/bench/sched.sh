#!/usr/bin/env bash
# Scheduler benchmark (issue 19 item 6): one executor, a private PostgreSQL,
# 10,000 flows of one domain each on a per-minute Schedule with a Log task.
# Prints, for each binary measured:
#   start     launch → registered, and → every schedule's trigger_state row
#   idle      CPU % of the executor and of its PostgreSQL backends over 20 s
#             before a tick (with how many executions ended meanwhile)
#   tick      executions the tick created, and the time from the tick to the
#             last one's creation; how many had ended a minute later
#   latency   p50/max of an unrelated Log flow (10 runs, creation → end):
#             with no schedules, and during the tick
# Never fails on speed.
#   make bench-sched                           (from a build directory)
#   SCHED_BASE=/path/to/old/weftd make bench-sched   the same run with an
#             older binary first (before/after in one run)
#   SCHED_FLOWS=2000 make bench-sched          fewer schedules
set -u
: "${WF_BUILDDIR:?set WF_BUILDDIR}" "${WF_SRCDIR:?set WF_SRCDIR}"
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
N=${SCHED_FLOWS:-10000}
OWN_BUILDDIR=$WF_BUILDDIR

ex_setup
ex_domain bench bench
ex_flow bench.other ping 'id: ping
namespace: bench.other
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: ping'

cpu_ticks() { # PIDS...: utime + stime summed, in clock ticks
    local t=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
    done
    echo "$t"
}
backends() {
    pg_psql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'
                AND pid <> pg_backend_pid() AND application_name <> 'psql'"
}
# p50 and max latency of 7 sequential runs of the unrelated flow (a run
# that has not ended within 10 s counts as 99999 ms).
ping_latency() {
    local ls=() i e
    for i in $(seq 1 7); do
        e=$(ex_exec bench.other ping)
        [ "$(ex_wait "$e" 10)" = SUCCESS ] || { ls+=(99999); continue; }
        ls+=("$(ex_latency "$e")")
    done
    printf '%s\n' "${ls[@]}" | sort -n | awk '{a[NR]=$1} END {printf "p50 %d ms, max %d ms", a[int((NR+1)/2)], a[NR]}'
}
# Sleeps until `SECONDS_INTO` seconds past the next (or this) minute.
sleep_until_sec() {
    local now target
    now=$(date +%s.%N)
    target=$(awk -v n="$now" -v s="$1" 'BEGIN { m = int(n / 60) * 60 + s; if (m <= n) m += 60; print m }')
    sleep "$(awk -v n="$now" -v t="$target" 'BEGIN { print t - n }')"
}

# stop_executors: ex_stop_all, but an executor busy in a long scheduler pass
# (an old binary) does not read its signals: SIGKILL after 10 s.
stop_executors() {
    local p
    for p in "${EX_PIDS[@]}"; do
        (sleep 10; kill -KILL "$p" 2>/dev/null) &
    done
    ex_stop_all
}

# cpu_window LABEL WHAT: CPU % of the executor and its backends over 20 s,
# with the executions that ended meanwhile.
cpu_window() {
    local pids ex0 pg0 ex1 pg1 ended0 ended1 hz
    hz=$(getconf CLK_TCK)
    pids=$(backends)
    ex0=$(cpu_ticks "$EX_PID")
    # shellcheck disable=SC2086
    pg0=$(cpu_ticks $pids)
    ended0=$(pg_psql -c "SELECT count(*) FROM executions WHERE ended_at IS NOT NULL")
    sleep 20
    ex1=$(cpu_ticks "$EX_PID")
    # shellcheck disable=SC2086
    pg1=$(cpu_ticks $pids)
    ended1=$(pg_psql -c "SELECT count(*) FROM executions WHERE ended_at IS NOT NULL")
    echo "# [$1] $2: executor $(awk -v d=$((ex1 - ex0)) -v h="$hz" 'BEGIN { printf "%.1f", d * 100 / h / 20 }')% CPU, its backends $(awk -v d=$((pg1 - pg0)) -v h="$hz" 'BEGIN { printf "%.1f", d * 100 / h / 20 }')% CPU; $((ended1 - ended0)) executions ended meanwhile"
}

# measure LABEL BUILDDIR: one executor of that build over two ticks.
measure() {
    local label=$1
    WF_BUILDDIR=$2
    pg_psql -c "SET client_min_messages = warning" \
        -c "TRUNCATE executions, task_runs, logs, trigger_state, events CASCADE" >/dev/null
    pg_psql -c "UPDATE flows SET deleted = true WHERE namespace = 'bench.s'" >/dev/null
    echo "# [$label] $WF_BUILDDIR/weftd"
    ex_start bench || { echo "# [$label] executor did not start"; return; }
    echo "# [$label] latency with no schedules: $(ping_latency)"
    stop_executors
    pg_psql -c "UPDATE flows SET deleted = false WHERE namespace = 'bench.s'" >/dev/null
    pg_psql -c "SET client_min_messages = warning" \
        -c "TRUNCATE executions, task_runs, logs, trigger_state CASCADE" >/dev/null
    # Not across a tick: start a few seconds after one.
    sleep_until_sec 3
    local t0 t_reg t_all
    t0=$(date +%s%N)
    ex_start bench || { echo "# [$label] executor did not start"; return; }
    t_reg=$(date +%s%N)
    local i
    for i in $(seq 1 600); do # 30 s at most
        [ "$(pg_psql -c "SELECT count(*) FROM trigger_state")" -ge "$N" ] && break
        sleep 0.05
    done
    t_all=$(date +%s%N)
    echo "# [$label] start: registered in $(((t_reg - t0) / 1000000)) ms, $N schedules loaded in $(((t_all - t0) / 1000000)) ms"
    # Idle: schedules loaded, none due, no execution.
    sleep_until_sec 36
    cpu_window "$label" "idle (20 s before the first tick)"
    # Tick 1.
    sleep_until_sec 0
    local tick
    tick=$(date -u +%Y-%m-%dT%H:%M:00.000Z)
    # The unrelated flow during the tick: one run a second, read later.
    local pings=()
    for i in 1 2 3 4 5; do
        sleep 1
        pings+=("'$(ex_exec bench.other ping)'")
    done
    sleep_until_sec 30
    echo "# [$label] tick $tick after 30 s: $(pg_psql -c "SELECT count(*) || ' executions created (' ||
        count(*) FILTER (WHERE created_at <= '$tick'::timestamptz + interval '5 s') ||
        ' within 5 s), the last ' ||
        coalesce(round(extract(epoch FROM max(created_at) - '$tick'::timestamptz)::numeric, 2), 0) ||
        ' s after the tick' FROM executions WHERE trigger->>'date' = '$tick'")"
    sleep_until_sec 38
    cpu_window "$label" "busy (20 s before the next tick)"
    local ids
    ids=$(IFS=,; echo "${pings[*]}")
    echo "# [$label] latency during the tick (5 runs started 1-5 s after it): $(pg_psql -c "SELECT
        coalesce('p50 ' || (percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - created_at)) * 1000)::int || ' ms, max ' ||
        (max(extract(epoch FROM ended_at - created_at)) * 1000)::int || ' ms', 'none') || ' over ' || count(ended_at) ||
        ' ended of ' || count(*) FROM executions WHERE id IN ($ids)")"
    echo "# [$label] tick $tick a minute later: $(pg_psql -c "SELECT count(*) FILTER (WHERE ended_at IS NOT NULL
        AND ended_at < '$tick'::timestamptz + interval '60 s') || ' of ' || count(*) || ' ended within the minute' ||
        coalesce(', the last ' || round(extract(epoch FROM max(ended_at) - '$tick'::timestamptz)::numeric, 1) ||
        ' s after the tick', '') FROM executions WHERE trigger->>'date' = '$tick'")"
    stop_executors
    WF_BUILDDIR=$OWN_BUILDDIR
}

# The schedules: one statement.
pg_psql >/dev/null <<SQL
INSERT INTO flows (namespace, id, domain, revision, source, source_sha256, model, updated_by)
SELECT 'bench.s', 'f' || i, 'bench', 1, src, sha256(convert_to(src, 'UTF8')), '{}', 'bench'
FROM (SELECT i, 'id: f' || i || E'\nnamespace: bench.s\ntasks:\n  - id: hello\n'
        || E'    type: io.kestra.plugin.core.log.Log\n    message: tick {{ trigger.date }}\n'
        || E'triggers:\n  - id: every-minute\n    type: io.kestra.plugin.core.trigger.Schedule\n'
        || E'    cron: "* * * * *"\n' AS src
      FROM generate_series(1, $N) i) s;
SQL
echo "# $N flows on a per-minute Schedule, one executor ($(nproc) cores)"
if [ -n "${SCHED_BASE:-}" ]; then
    base_dir=$(mktemp -d /tmp/weft-sched-base.XXXXXX)
    cp "$SCHED_BASE" "$base_dir/weftd"
    measure before "$base_dir"
    rm -rf "$base_dir"
fi
measure after "$OWN_BUILDDIR"
