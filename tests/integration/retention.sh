#!/usr/bin/env bash
# Retention (issue 15, item 8): the `retention` policy key is tighten-only;
# the domain's executor deletes exactly the ended executions past the
# retention of their namespace, with their task runs and logs, and nothing
# of other namespaces, other domains or the audit log; the PurgeExecutions
# and PurgeLogs tasks delete exactly what their date bounds say, in the
# flow's namespace and below only.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cli_setup

cli_domain sales sales
cli_domain ops ops
cli_admin
SALES=$(cli_token sales admin)
cli_bind sa:sales/admin admin sales

# Executors that look for old executions every second.
cat >"$CLI_TMP/weft.yaml" <<'YAML'
executor:
  retention_interval: 1
YAML
for d in sales ops; do
    WEFT_DATA_DIR=$CLI_TMP "$WEFTD" executor --domain "$d" --config "$CLI_TMP/weft.yaml" \
        >>"$CLI_TMP/executor-$d.log" 2>&1 &
    _cli_ex_pids+=($!)
done

q() { pg_psql -c "$1"; }
# rows IDS: "executions task_runs logs" of the executions listed ('a','b').
rows() {
    q "SELECT (SELECT count(*) FROM executions WHERE id IN ($1)) || ' ' ||
              (SELECT count(*) FROM task_runs WHERE execution_id IN ($1)) || ' ' ||
              (SELECT count(*) FROM logs WHERE execution_id IN ($1))"
}

# add_file ID: a stored output file of execution ID (one chunk), as the
# executor would store it; files IDS: the stored files of those executions
# and their chunks ("files chunks").
add_file() {
    local fid
    fid=$(q "INSERT INTO storage_files (domain, namespace, kind, path, execution_id, size, sha256,
            complete) SELECT domain, namespace, 'execution', '/' || replace(namespace, '.', '/') ||
            '/' || flow_id || '/executions/' || id || '/tasks/one/r1/out.txt', id, 3,
            encode(sha256('abc'), 'hex'), true FROM executions WHERE id = $1 RETURNING id")
    q "INSERT INTO storage_chunks (file_id, seq, domain, data)
        SELECT id, 0, domain, 'abc' FROM storage_files WHERE id = $fid" >/dev/null
}
files() {
    q "SELECT count(DISTINCT f.id) || ' ' || count(c.seq) FROM storage_files f
        LEFT JOIN storage_chunks c ON c.file_id = f.id WHERE f.execution_id IN ($1)"
}

# ---- the policy key: tighten-only ------------------------------------------
req "$WEFT_TOKEN" PUT /api/v1/namespaces/sales/policy '{"retention": "P7D"}'
t_is "$S" 200 "a platform-admin sets retention P7D on sales"
req "$SALES" PUT /api/v1/namespaces/sales.app/policy '{"retention": "P30D"}'
t_is "$S" 422 "a domain admin cannot loosen the inherited retention"
t_is "$(jx "$R" 'd.key + " " + d.inherited + " " + d.inheritedFrom')" "retention P7D sales" \
    "the refusal names the key, the inherited value and its namespace"
req "$SALES" PUT /api/v1/namespaces/sales.app/policy '{"retention": "1 day"}'
t_is "$S:$(jx "$R" d.pointer)" "422:/retention" "a retention that is no ISO-8601 duration is refused"
req "$SALES" PUT /api/v1/namespaces/sales.app/policy '{"retention": "P1D"}'
t_is "$S" 200 "a domain admin tightens sales.app to P1D"
req "$SALES" GET /api/v1/namespaces/sales.app/policy
t_is "$(jx "$R" 'd.policy.retention.value + " from " + d.policy.retention.from')" "P1D from sales.app" \
    "the effective retention of sales.app is P1D"

# ---- executions to keep and to lose ----------------------------------------
for ns in sales.app sales.keep ops; do
    req_apply "$WEFT_TOKEN" "
id: hello
namespace: $ns
tasks:
  - id: one
    type: io.kestra.plugin.core.log.Log
    message: first line
  - id: two
    type: io.kestra.plugin.core.log.Log
    message: second line
" || t_bail "cannot apply $ns/hello"
done
run() {
    cli_exec_wait "$1" hello
    [ "$ST" = SUCCESS ] || t_bail "$1/hello ended $ST: $R"
    printf "'%s'" "$EID"
}
OLD1=$(run sales.app) OLD2=$(run sales.app) NEW1=$(run sales.app) NEW2=$(run sales.app)
KEEP=$(run sales.keep) OPS=$(run ops)
OLD="$OLD1,$OLD2" NEW="$NEW1,$NEW2"
ALL=$(q "SELECT count(*) FROM executions")
# The logs are written in batches: wait for every line before counting.
for i in $(seq 1 100); do
    [ "$(q "SELECT count(*) FROM logs WHERE execution_id IN ($OLD,$NEW,$KEEP,$OPS)")" -ge 12 ] && break
    sleep 0.1
done
t_is "$(rows "$OLD")" "2 4 4" "before: the two old executions with their task runs and logs"
add_file "$OLD1"
add_file "$NEW1"
t_is "$(files "$OLD,$NEW")" "2 2" "before: an old and a recent execution have a stored file each"
# Two of sales.app ended three days ago (past P1D), so did those of sales.keep
# (within P7D) and of ops (no retention at all).
BEFORE_NEW=$(rows "$NEW") BEFORE_KEEP=$(rows "$KEEP") BEFORE_OPS=$(rows "$OPS")
q "UPDATE executions SET ended_at = now() - interval '3 days' WHERE id IN ($OLD,$KEEP,$OPS)" >/dev/null
AUDIT=$(q "SELECT count(*) || '/' || max(seq) FROM audit_log")

# ---- the housekeeping pass ---------------------------------------------------
for i in $(seq 1 150); do
    [ "$(q "SELECT count(*) FROM executions WHERE id IN ($OLD)")" = 0 ] && break
    sleep 0.1
done
t_is "$(rows "$OLD")" "0 0 0" "the executions past the retention are gone, with their task runs and logs"
t_is "$(files "$OLD")" "0 0" "and with their stored files"
t_is "$(files "$NEW")" "1 1" "the recent execution's file is kept"
t_is "$(rows "$NEW")" "$BEFORE_NEW" "the recent executions of sales.app are untouched"
t_is "$(rows "$KEEP")" "$BEFORE_KEEP" "sales.keep's old execution (within P7D) is untouched"
t_is "$(rows "$OPS")" "$BEFORE_OPS" "another domain's old execution (no retention) is untouched"
t_is "$(q "SELECT count(*) FROM executions")" "$((ALL - 2))" "exactly two executions were deleted"
t_is "$(q "SELECT count(*) || '/' || max(seq) FROM audit_log WHERE seq <= ${AUDIT#*/}")" "$AUDIT" \
    "the audit log is untouched"
t_match "$(cat "$CLI_TMP/executor-sales.log")" "retention: purged 2 executions \(4 task runs, 4 log lines" \
    "the executor logs how much it purged"

# ---- PurgeLogs and PurgeExecutions ------------------------------------------
A=$(run sales.app) B=$(run sales.app) C=$(run sales.app) D=$(run sales.app)
SUB=$(run sales.app)
for i in $(seq 1 100); do
    [ "$(q "SELECT count(*) FROM logs WHERE execution_id IN ($A,$B,$C,$D,$SUB)")" -ge 10 ] && break
    sleep 0.1
done
q "UPDATE executions SET namespace = 'sales.app.sub' WHERE id = $SUB" >/dev/null
q "UPDATE logs SET ts = '2020-01-05T00:00:00Z' WHERE execution_id = $A" >/dev/null
q "UPDATE logs SET ts = '2020-02-05T00:00:00Z' WHERE execution_id = $B" >/dev/null
q "UPDATE logs SET level = 'ERROR' WHERE execution_id = $A AND line = 'second line'" >/dev/null
q "UPDATE executions SET started_at = '2020-03-05T00:00:00Z', created_at = '2020-03-05T00:00:00Z'
    WHERE id IN ($C,$SUB,$KEEP,$OPS)" >/dev/null
q "UPDATE executions SET started_at = '2020-04-05T00:00:00Z', created_at = '2020-04-05T00:00:00Z'
    WHERE id = $D" >/dev/null
req_apply "$WEFT_TOKEN" '
id: purger
namespace: sales.app
tasks:
  - id: logs
    type: io.kestra.plugin.core.log.PurgeLogs
    startDate: "2020-01-01T00:00:00Z"
    endDate: "2020-02-01T00:00:00Z"
    logLevels: [INFO, WARN]
  - id: execs
    type: io.kestra.plugin.core.execution.PurgeExecutions
    startDate: "2020-03-01T00:00:00Z"
    endDate: "2020-04-01T00:00:00Z"
    states: [SUCCESS]
    batchSize: 1
' || t_bail "cannot apply the purger"
cli_exec_wait sales.app purger
t_is "$ST" SUCCESS "the purge flow succeeds"
[ "$ST" = SUCCESS ] || t_diag "$(ex_errors "$EID") $R $(tail -5 "$CLI_TMP/executor-sales.log")"
t_is "$(ex_task_out "$R" logs 'o.count')" 1 "PurgeLogs counts the one INFO line of January"
t_is "$(q "SELECT string_agg(level, ',') FROM logs WHERE execution_id = $A")" ERROR \
    "only the ERROR line of January is left (logLevels)"
t_is "$(rows "$B")" "1 2 2" "February's logs are outside the bounds and kept"
t_is "$(ex_task_out "$R" execs 'o.executionsCount + "/" + o.logsCount + "/" + o.metricsCount')" "2/4/0" \
    "PurgeExecutions deletes the two executions of March (outputs executionsCount, logsCount)"
t_is "$(rows "$C,$SUB")" "0 0 0" "March's executions of sales.app and below are gone with their rows"
t_is "$(rows "$D")" "1 2 2" "April's execution is outside the bounds and kept"
t_is "$(rows "$KEEP")" "$BEFORE_KEEP" "a sibling namespace's execution of March is kept"
t_is "$(rows "$OPS")" "$BEFORE_OPS" "another domain's execution of March is kept"
t_match "$(q "SELECT string_agg(action, ',') FROM audit_log WHERE actor = 'executor:sales'")" \
    "log.purge.*execution.purge" "both purges are audited"

# purgeStorage alone: the files go, the execution and its rows stay.
add_file "$D"
req_apply "$WEFT_TOKEN" '
id: storage_purger
namespace: sales.app
tasks:
  - id: files
    type: io.kestra.plugin.core.execution.PurgeExecutions
    startDate: "2020-04-01T00:00:00Z"
    endDate: "2020-05-01T00:00:00Z"
    purgeExecution: false
    purgeLog: false
    purgeStorage: true
' || t_bail "cannot apply the storage purger"
cli_exec_wait sales.app storage_purger
t_is "$ST" SUCCESS "a purge of storage only succeeds"
t_is "$(files "$D")" "0 0" "April's execution has lost its stored file"
t_is "$(rows "$D")" "1 2 2" "but kept itself, its task runs and its logs"

# A flow reaches no namespace beside or above its own, nor another domain.
for ns in sales.keep ops; do
    req_apply "$WEFT_TOKEN" "
id: reach
namespace: sales.app
tasks:
  - id: execs
    type: io.kestra.plugin.core.execution.PurgeExecutions
    namespace: $ns
    endDate: \"2030-01-01T00:00:00Z\"
" || t_bail "cannot apply reach"
    cli_exec_wait sales.app reach
    t_is "$ST" FAILED "PurgeExecutions of $ns from sales.app fails"
    t_match "$(ex_errors "$EID")" "a flow of sales.app may purge only sales.app and the namespaces below it, not $ns" \
        "naming what it may purge"
done
t_is "$(rows "$KEEP,$OPS")" "2 4 4" "and deletes nothing there"
req_apply "$WEFT_TOKEN" '
id: baddate
namespace: sales.app
tasks:
  - id: logs
    type: io.kestra.plugin.core.log.PurgeLogs
    endDate: "last tuesday"
' || t_bail "cannot apply baddate"
cli_exec_wait sales.app baddate
t_match "$(ex_errors "$EID")" "not an ISO-8601 date" "a bad endDate fails the task with a clear message"

# Domain B's executor role deletes none of A's rows, even by naming them.
O_URL=${WEFT_DATABASE_URL/user=weft/user=weft_domain_ops}
as_ops() { psql -XAtq -v ON_ERROR_STOP=1 "$O_URL" "$@"; }
as_ops -c "DELETE FROM logs WHERE execution_id = $D" >/dev/null 2>&1
as_ops -c "DELETE FROM executions WHERE id = $D" >/dev/null 2>&1
t_is "$(rows "$D")" "1 2 2" "ops' executor role deletes nothing of sales"
t_fails "and cannot touch the audit log" as_ops -c "DELETE FROM audit_log"
t_done
