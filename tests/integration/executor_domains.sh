#!/usr/bin/env bash
# Two domains: stopping domain A's executor, then flooding it, must not delay
# domain B's executions (each domain has its own executor, role and queue).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain dom-a a
ex_domain dom-b b
for ns in a b; do
    ex_flow $ns quick "
id: quick
namespace: $ns
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [\"true\"]
"
    ex_flow $ns busy "
id: busy
namespace: $ns
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [\"sleep 0.5\"]
"
done
ex_start dom-a --slots 2
A=$EX_PID
ex_start dom-b --slots 2
sleep 0.5

base=$(ex_worst_latency b quick)
t_diag "domain B alone: worst latency ${base} ms"

kill -STOP "$A"
EA=$(ex_exec a quick)
stopped=$(ex_worst_latency b quick)
t_diag "domain A's executor stopped: B's worst latency ${stopped} ms"
t_ok "A stopped: B's executions still finish promptly (${stopped} ms)" test "$stopped" -lt 2000
t_is "$(ex_state "$EA")" "CREATED" "A's execution waits for A's executor"
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE domain = 'dom-a' AND claimed_by LIKE 'dom-b/%'")" "0" \
    "B's executor never claims A's executions"
kill -CONT "$A"
t_is "$(ex_wait "$EA" 10)" "SUCCESS" "A resumes its own work when it is back"

for i in $(seq 1 60); do ex_exec a busy >/dev/null; done
flooded=$(ex_worst_latency b quick)
t_diag "domain A flooded with 60 executions: B's worst latency ${flooded} ms"
t_ok "A flooded: B's executions still finish promptly (${flooded} ms)" test "$flooded" -lt 2000
drain_start=$(date +%s)
for i in $(seq 1 600); do
    left=$(pg_psql -c "SELECT count(*) FROM executions WHERE domain = 'dom-a' AND state <> 'SUCCESS'")
    [ "$left" = 0 ] && break
    sleep 0.1
done
t_diag "A's backlog: $left left after $(( $(date +%s) - drain_start )) s"
if [ "$left" != 0 ]; then # what the rows and A's executor say, to tell a stall from slowness
    t_diag "$(pg_psql -c "SELECT state || ' ' || coalesce(claimed_by, '-') || ' ' || count(*) FROM executions WHERE domain = 'dom-a' AND state <> 'SUCCESS' GROUP BY state, claimed_by")"
    t_diag "$(grep -vi ' info ' "$PG_TMP/executor-dom-a.log" | tail -20)"
fi
t_is "$left" "0" "A's own executor works through its backlog"
t_is "$(pg_psql -c "SELECT count(*) FROM task_runs WHERE domain = 'dom-a' AND claimed_by NOT LIKE 'dom-a/%'")" "0" \
    "every task run of A was run by A's executor"
t_done
