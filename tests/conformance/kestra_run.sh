#!/usr/bin/env bash
# Runs Kestra's own core test flows (../shared/kestra-flows, see its README)
# through a real executor on a private PostgreSQL and prints, per flow, the
# final state, the task runs (task[value]=STATE/attempts), the flow outputs
# and the first ERROR lines: material to compare with Kestra's expectations
# (its RunnerTest cases), by hand. Flows that need triggers, inputs or other
# flows are left out. Not part of `make check`; never fails on a difference.
#   tests/conformance/kestra_run.sh [BUILDDIR]
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
export WF_SRCDIR=$src WF_BUILDDIR=${1:-${WF_BUILDDIR:-$src}}
flows=${KESTRA_FLOWS:-$src/../shared/kestra-flows}
if [ ! -f "$flows/core.txt" ]; then
    echo "SKIP: $flows not found (Kestra's test flows); nothing to compare with"
    exit 0
fi
. "$src/tests/lib/tap.sh"
. "$src/tests/lib/pg.sh"
. "$src/tests/lib/executor.sh"
pg_start || { echo "cannot start PostgreSQL" >&2; exit 2; }
trap 'ex_stop_all; pg_stop' EXIT
"$WF_BUILDDIR/weftd" migrate >/dev/null 2>&1 || { echo "migrate failed" >&2; exit 2; }
ex_domain kestra io.kestra
ex_start kestra --slots 4 || { echo "cannot start the executor" >&2; exit 2; }

skip() {
    case $1 in
    trigger-* | webhook* | schedule* | flow-trigger* | sla-* | for-each-item* | *concurrency* | \
        inputs-* | subflow-child* | subflow-grand*) return 0 ;;
    esac
    return 1
}
declare -A exec_of
while IFS= read -r f; do # every flow first: subflows find their children
    [ -n "$f" ] || continue
    id=$(sed -n 's/^id: *//p' "$flows/valids/$f" | head -1)
    ex_flow io.kestra.tests "$id" "$(cat "$flows/valids/$f")"
done <"$flows/core.txt"
while IFS= read -r f; do
    [ -n "$f" ] && ! skip "$f" || continue
    id=$(sed -n 's/^id: *//p' "$flows/valids/$f" | head -1)
    exec_of[$f]=$(ex_exec io.kestra.tests "$id")
done <"$flows/core.txt"
# Ended, or PAUSED waiting for a resume that never comes; one minute at most.
deadline=$((SECONDS + 60))
for f in "${!exec_of[@]}"; do
    while [ $SECONDS -lt $deadline ]; do
        case $(ex_state "${exec_of[$f]}") in
        SUCCESS | WARNING | FAILED | KILLED | CANCELLED | SKIPPED) break ;;
        PAUSED) [ "$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '${exec_of[$f]}' AND state = 'PAUSED'")" -gt 0 ] && sleep 2 && break ;;
        esac
        sleep 0.2
    done
done
for f in "${!exec_of[@]}"; do
    e=${exec_of[$f]}
    trs=$(pg_psql -c "SELECT string_agg(task_id || coalesce('[' || value || ']', '') || '=' || state || '/' || attempt, ' ' ORDER BY created_at) FROM task_runs WHERE execution_id = '$e'")
    outs=$(pg_psql -c "SELECT coalesce(outputs::text, '') FROM executions WHERE id = '$e'")
    errs=$(pg_psql -c "SELECT string_agg(line, ' | ') FROM (SELECT line FROM logs WHERE execution_id = '$e' AND level = 'ERROR' ORDER BY id LIMIT 3) l")
    echo "$f: $(ex_state "$e") :: $trs${outs:+ :: outputs $outs}${errs:+ :: $errs}"
done | sort
