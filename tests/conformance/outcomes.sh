#!/usr/bin/env bash
# Kestra's outcomes for its own test flows, asserted: every row of
# expected.tsv (a flow of ../shared/kestra-flows, the inputs Kestra's test
# gives it, the final state, the task-run count and the key task states,
# outputs and log lines its Java test asserts) runs through a real executor
# on a private PostgreSQL and is checked. Rows Weft does not reproduce yet
# are TAP TODOs, so the figure printed at the end ("N/M Kestra outcomes
# reproduced") stays honest while the suite stays green; a TODO row that
# passes is reported (XPASS) so the table gets updated. Skips when the
# flows are absent.
#   tests/conformance/outcomes.sh      (in make check; WF_SRCDIR/WF_BUILDDIR)
. "$WF_SRCDIR/tests/lib/tap.sh"
flows=${KESTRA_FLOWS:-$WF_SRCDIR/../shared/kestra-flows}/valids
table=$WF_SRCDIR/tests/conformance/expected.tsv
if [ ! -d "$flows" ]; then
    echo "1..0 # SKIP $flows not found (Kestra's test flows)"
    exit 0
fi
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain kestra io.kestra
ex_start kestra --slots 4 || t_bail "cannot start the executor"

rows=()
while IFS= read -r line; do
    case $line in '#'* | '') continue ;; esac
    rows+=("$line")
done <"$table"

# Stores a flow once, with the flows its Subflow tasks call (found by id
# among Kestra's flows, as its test loads them beside it).
declare -A stored
store() {
    local file=$1 dep
    [ -z "${stored[$file]:-}" ] || return 0
    [ -f "$flows/$file" ] || t_bail "$flows/$file missing"
    ex_flow io.kestra.tests "$(sed -n 's/^id: *//p' "$flows/$file" | head -1)" "$(cat "$flows/$file")"
    stored[$file]=1
    for dep in $(sed -n 's/^ *flowId: *//p' "$flows/$file"); do
        dep=$(grep -l -x "id: $dep" "$flows"/*.y*ml | head -1)
        [ -z "$dep" ] || store "$(basename "$dep")"
    done
}

# Every flow once, then one execution per row, all running side by side.
execs=()
for row in "${rows[@]}"; do
    IFS=$'\t' read -r file inputs _ <<<"$row"
    store "$file"
    [ "$inputs" = - ] && inputs='{}'
    execs+=("$(ex_exec io.kestra.tests "$(sed -n 's/^id: *//p' "$flows/$file" | head -1)" "$inputs")")
done
# A state "PAUSED>resume>SUCCESS": the execution pauses, is resumed as the
# gateway's resume route does (RUNNING after PAUSED, a notification to its
# domain), then must end SUCCESS.
deadline=$((SECONDS + 120)) # the machine is shared: generous
i=0
for row in "${rows[@]}"; do
    IFS=$'\t' read -r _ _ state _ <<<"$row"
    e=${execs[$i]}
    i=$((i + 1))
    case $state in *'>resume>'*)
        while [ $SECONDS -lt $deadline ] && [ "$(ex_state "$e")" != "${state%%>*}" ]; do sleep 0.2; done
        pg_psql -v e="$e" >/dev/null <<'SQL'
WITH r AS (UPDATE executions SET state = 'RUNNING', updated_at = now(),
  state_history = state_history || jsonb_build_array(jsonb_build_object('state', 'RUNNING', 'date', now()))
  WHERE id = :'e' AND state = 'PAUSED' RETURNING domain, id)
SELECT pg_notify('weft_domain_' || r.domain, r.id) FROM r
SQL
        ;;
    esac
done
for e in "${execs[@]}"; do
    while [ $SECONDS -lt $deadline ]; do
        case $(ex_state "$e") in SUCCESS | WARNING | FAILED | KILLED | CANCELLED | SKIPPED) break ;; esac
        sleep 0.2
    done
done

# check EXEC CHECK: prints what differs, nothing when it holds.
check() {
    local e=$1 c=$2 task want got
    case $c in
    '!'*)
        got=$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$e' AND task_id = '${c#!}'")
        [ "$got" = 0 ] || echo "${c#!}: $got task runs, want none"
        ;;
    log~*)
        pg_psql -v e="$e" -v t="${c#log~}" <<<"SELECT 1 FROM logs WHERE execution_id = :'e' AND strpos(line, :'t') > 0 LIMIT 1" | grep -q 1 ||
            echo "no log line contains: ${c#log~}"
        ;;
    *@*)
        task=${c%%@*} want=${c#*@}
        got=$(pg_psql -v e="$e" -v t="$task" -v k="${want%%=*}" <<<"SELECT outputs ->> :'k' FROM task_runs WHERE execution_id = :'e' AND task_id = :'t' ORDER BY created_at LIMIT 1")
        [ "$got" = "${want#*=}" ] || echo "$task output ${want%%=*}: '$got', want '${want#*=}'"
        ;;
    *=*)
        task=${c%%=*} want=${c#*=}
        got=$(pg_psql -v e="$e" -v t="$task" <<<"SELECT state FROM task_runs WHERE execution_id = :'e' AND task_id = :'t' ORDER BY created_at LIMIT 1")
        [ "$got" = "$want" ] || echo "$task: '${got:-no task run}', want $want"
        ;;
    esac
}

reproduced=0
i=0
for row in "${rows[@]}"; do
    IFS=$'\t' read -r file inputs state runs checks todo source <<<"$row"
    e=${execs[$i]}
    i=$((i + 1))
    diff=""
    got=$(ex_state "$e")
    [ "$state" = - ] || [ "$got" = "${state##*>}" ] || diff+="state $got, want $state"$'\n'
    if [ "$runs" != - ]; then
        n=$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$e'")
        [ "$n" = "$runs" ] || diff+="$n task runs, want $runs"$'\n'
    fi
    if [ "$checks" != - ]; then
        IFS=';' read -ra cs <<<"$checks"
        for c in "${cs[@]}"; do
            out=$(check "$e" "$c")
            [ -z "$out" ] || diff+="$out"$'\n'
        done
    fi
    desc="$file ${inputs/#-/} ($source)"
    if [ -z "$diff" ]; then
        reproduced=$((reproduced + 1))
        [ "$todo" = - ] && echo "ok $((_t_n + 1)) - $desc" || echo "ok $((_t_n + 1)) - $desc # TODO $todo"
        _t_n=$((_t_n + 1))
    else
        diff+="task runs: $(pg_psql -c "SELECT string_agg(task_id || coalesce('[' || value || ']', '') || '=' || state, ' ' ORDER BY created_at) FROM task_runs WHERE execution_id = '$e'")"
        diff+=$'\n'"errors: $(ex_errors "$e")"
        _t_n=$((_t_n + 1))
        if [ "$todo" = - ]; then
            _t_failed=$((_t_failed + 1))
            echo "not ok $_t_n - $desc"
        else
            echo "not ok $_t_n - $desc # TODO $todo"
        fi
        printf '%s\n' "$diff" | sed 's/^/# /'
    fi
done
echo "# $reproduced/${#rows[@]} Kestra outcomes reproduced"
t_done
