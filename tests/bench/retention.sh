#!/usr/bin/env bash
# Retention figures (run by hand from the build dir:
#   WF_BUILDDIR=$PWD WF_SRCDIR=/path/to/src bash $WF_SRCDIR/tests/bench/retention.sh [N]):
# N task runs (default 1,000,000: N/10 ended executions of 10 task runs and
# 2 log lines each, ended three days ago) under a namespace with retention
# P1D; a real executor purges them while pgbench inserts small rows into the
# same tables (one log line per transaction, what executors do all day).
# Prints the purge time and the latency of the concurrent inserts before and
# during the purge (avg, p99, max). Never fails on speed.
set -u
N=${1:-1000000}
E=$((N / 10))
WEFTD="$WF_BUILDDIR/weftd"
WEFT="$WF_BUILDDIR/weft"
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup
cli_domain bench bench
cli_domain other other
ms() { date +%s%N | cut -c1-13; }
q() { pg_psql -c "$1"; }

echo "generating $E executions, $N task runs, $((E * 2)) log lines..."
t0=$(ms)
q "INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, started_by,
                           created_at, started_at, ended_at)
   SELECT 'old' || i, 'bench.app', 'f', 1, 'bench', 'SUCCESS', 'bench',
          now() - interval '3 days', now() - interval '3 days',
          now() - interval '3 days' + i * interval '1 millisecond'
     FROM generate_series(1, $E) i"
q "INSERT INTO task_runs (id, execution_id, namespace, domain, task_id, state, ended_at)
   SELECT 'tr' || i || '-' || j, 'old' || i, 'bench.app', 'bench', 't' || j, 'SUCCESS', now()
     FROM generate_series(1, $E) i, generate_series(1, 10) j"
q "INSERT INTO logs (execution_id, namespace, domain, line)
   SELECT 'old' || i, 'bench.app', 'bench', 'line ' || j
     FROM generate_series(1, $E) i, generate_series(1, 2) j"
# A live execution of each domain the inserts write to.
q "INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, started_by)
   VALUES ('live', 'bench.app', 'f', 1, 'bench', 'RUNNING', 'bench'),
          ('otherlive', 'other', 'f', 1, 'other', 'RUNNING', 'other')"
q "ANALYZE"
echo "  generated in $(($(ms) - t0)) ms; database $(q "SELECT pg_size_pretty(pg_database_size(current_database()))")"

cat >"$CLI_TMP/insert.sql" <<'SQL'
INSERT INTO logs (execution_id, namespace, domain, line) VALUES ('live', 'bench.app', 'bench', 'x');
INSERT INTO task_runs (id, execution_id, namespace, domain, task_id) VALUES (md5(random()::text), 'otherlive', 'other', 'other', 't');
SQL
# bench LABEL SECONDS: pgbench's per-transaction latencies, summarised.
bench() {
    (cd "$CLI_TMP" && rm -f "lat_$1".* && pgbench -n -c 2 -T "$2" -f insert.sql -l \
        --log-prefix="lat_$1" "$WEFT_DATABASE_URL" >/dev/null 2>&1)
    cat "$CLI_TMP"/lat_"$1".* | awk '{print $3 / 1000}' | sort -n | awk -v l="$1" '
        { a[NR] = $1; s += $1 } END {
            if (NR == 0) { print "  " l ": no transactions"; exit }
            i = int(NR * 0.99); if (i < 1) i = 1
            printf "  %-16s %6d inserts  avg %.2f ms  p99 %.2f ms  max %.2f ms\n", l, NR, s / NR,
                   a[i], a[NR] }'
}
echo "concurrent small inserts (2 clients, one log line + one task run per transaction):"
bench "before purge" 5

# The purge: the domain's executor with a pass every second.
printf 'executor:\n  retention_interval: 1\n' >"$CLI_TMP/weft.yaml"
q "INSERT INTO policies (namespace, policy, updated_by) VALUES ('bench', '{\"retention\": \"P1D\"}', 'bench')" >/dev/null 2>&1 ||
    q "UPDATE policies SET policy = '{\"retention\": \"P1D\"}' WHERE namespace = 'bench'"
t0=$(ms)
WEFT_DATA_DIR=$CLI_TMP "$WEFTD" executor --domain bench --config "$CLI_TMP/weft.yaml" \
    >>"$CLI_TMP/executor-bench.log" 2>&1 &
_cli_ex_pids+=($!)
bench "during purge" 40 &
bp=$!
while [ "$(q "SELECT count(*) FROM executions WHERE domain = 'bench' AND id <> 'live'")" != 0 ]; do
    sleep 0.5
done
t1=$(ms)
wait "$bp"
echo "purge of $E executions / $N task runs / $((E * 2)) log lines: $((t1 - t0)) ms from the executor's start"
grep -o 'retention: purged.*' "$CLI_TMP/executor-bench.log" | sed 's/^/  executor: /'
echo "  left: $(q "SELECT count(*) FROM task_runs WHERE domain = 'bench'") task runs of bench, $(q "SELECT count(*) FROM logs WHERE execution_id LIKE 'old%'") old log lines"
