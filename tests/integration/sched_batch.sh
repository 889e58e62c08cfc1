#!/usr/bin/env bash
# Schedules fired in batches (executor/sched.c) across two replicas: 300
# flows on a per-second Schedule written in one statement, two executors of
# the domain; every tick fires exactly once, every schedule fires, a flow
# changed to a new revision fires with it (its schedule seen within the
# check interval), a deleted one stops, a flow added later starts with the
# next tick (no backfill).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain sb sb

src() { # ID MESSAGE
    printf 'id: %s\nnamespace: sb.s\ntriggers:\n  - id: tick\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "*/1 * * * * *"\n    withSeconds: true\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: "%s {{ trigger.date }}"\n' "$1" "$2"
}
pg_psql >/dev/null <<'SQL'
INSERT INTO flows (namespace, id, domain, revision, source, source_sha256, model, updated_by)
SELECT 'sb.s', 'f' || i, 'sb', 1, src, sha256(convert_to(src, 'UTF8')), '{}', 'test'
FROM (SELECT i, 'id: f' || i || E'\nnamespace: sb.s\ntriggers:\n  - id: tick\n'
        || E'    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "*/1 * * * * *"\n'
        || E'    withSeconds: true\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n'
        || E'    message: "one {{ trigger.date }}"\n' AS src
      FROM generate_series(1, 300) i) s;
SQL
ex_start sb --slots 4 || t_bail "first executor did not start"
ex_start sb --slots 4 || t_bail "second executor did not start"
sleep 4
t_is "$(pg_q "SELECT count(*) FROM trigger_state WHERE domain = 'sb'")" 300 \
    "one trigger_state row per schedule"
# A new revision of f1, f2 deleted, f301 added.
ex_flow sb.s f1 "$(src f1 two)"
pg_q "UPDATE flows SET deleted = true, updated_at = now() WHERE namespace = 'sb.s' AND id = 'f2'" >/dev/null
ex_flow sb.s f301 "$(src f301 new)"
# The check runs every 5 s (and at executions' ends): give it a few ticks after.
sleep 9
cut=$(pg_q "SELECT now()")
sleep 3
dups=$(pg_q "SELECT count(*) FROM (SELECT flow_id, trigger->>'date' FROM executions
             WHERE namespace = 'sb.s' GROUP BY 1, 2 HAVING count(*) > 1) d")
t_is "$dups" 0 "exactly one execution per schedule and tick across two replicas"
t_is "$(pg_q "SELECT count(DISTINCT flow_id) FROM executions WHERE namespace = 'sb.s' AND flow_id <> 'f301'")" 300 \
    "every schedule fired"
per_tick=$(pg_q "SELECT min(c) FROM (SELECT trigger->>'date' d, count(*) c FROM executions
                 WHERE namespace = 'sb.s' AND flow_id NOT IN ('f2', 'f301')
                 AND created_at > '$cut' GROUP BY 1) t")
t_diag "fewest executions of one tick after the changes: $per_tick (of 299)"
t_ok "the ticks after the changes fire the unchanged schedules" test "${per_tick:-0}" -ge 250
t_is "$(pg_q "SELECT count(*) FROM executions WHERE flow_id = 'f2' AND created_at > '$cut'")" 0 \
    "a deleted flow's schedule stops"
t_ok "a new revision fires with its schedule" \
    test "$(pg_q "SELECT count(*) FROM executions WHERE flow_id = 'f1' AND flow_revision = 2")" -ge 1
first=$(pg_q "SELECT extract(epoch FROM min((trigger->>'date')::timestamptz) - min(s.last))::int
              FROM executions, (SELECT min(created_at) AS last FROM flows WHERE id = 'f301') s
              WHERE flow_id = 'f301'")
t_ok "a flow added later fires from its next tick on (first tick ${first}s after it was written)" \
    test "${first:-99}" -ge 0 -a "${first:-99}" -le 7
t_is "$(pg_q "SELECT count(*) FROM executions WHERE namespace = 'sb.s' AND started_by NOT LIKE 'schedule:sb.s/%/tick'")" 0 \
    "scheduled executions record their schedule"
t_done
