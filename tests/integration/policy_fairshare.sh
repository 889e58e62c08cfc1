#!/usr/bin/env bash
# Fair share between domains under governance quotas: domain A floods far
# past its maxExecutionsPerMinute; A's extra executions wait QUEUED (none is
# refused or lost) while domain B's executions keep their latency. A's quota
# counts only A's rows even though the policy is set on the root, so B's
# budget is untouched by A's flood.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain dom-a a
ex_domain dom-b b
# The platform's root policy: 10 executions a minute, per domain; A's own
# prefix is tighter.
pg_psql -c "INSERT INTO policies (namespace, policy, updated_by) VALUES
            ('', '{\"maxExecutionsPerMinute\": 10}', 'test'),
            ('a', '{\"maxExecutionsPerMinute\": 5}', 'test')" >/dev/null
for ns in a b; do
    ex_flow $ns quick "
id: quick
namespace: $ns
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [\"true\"]
"
done
ex_start dom-a --slots 2 || t_bail "executor A"
ex_start dom-b --slots 2 || t_bail "executor B"

base=$(ex_worst_latency b quick)
t_diag "domain B alone: worst latency ${base} ms"

flood_start=$(date +%s%N)
for i in $(seq 1 60); do ex_exec a quick >/dev/null; done
flooded=$(ex_worst_latency b quick)
t_diag "domain A flooded with 60 executions past its quota of 5/min: B's worst latency ${flooded} ms (alone: ${base} ms)"
t_ok "A floods past its quota: B's executions still finish promptly (${flooded} ms)" test "$flooded" -lt 2000
sleep 2
a_done=$(pg_psql -c "SELECT count(*) FROM executions WHERE domain = 'dom-a' AND state = 'SUCCESS'")
a_queued=$(pg_psql -c "SELECT count(*) FROM executions WHERE domain = 'dom-a' AND state = 'QUEUED'")
t_is "$a_done" 5 "A ran exactly its quota of 5 in the minute"
t_is "$a_queued" 55 "A's 55 others wait QUEUED"
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE domain = 'dom-a' AND state IN ('FAILED', 'CANCELLED', 'KILLED')")" 0 \
    "none of A's executions was refused or lost"
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE domain = 'dom-b' AND state = 'SUCCESS'")" 10 \
    "B ran all 10 of its executions: A's flood did not use B's budget of the root quota"
e=$(ex_exec b quick)
sleep 2
t_is "$(ex_state "$e")" QUEUED "B's own 11th execution in the minute is held by the root quota of 10"
t_done
