#!/usr/bin/env bash
# weft run / execution / logs against a real gateway, and against the real
# executor when this build has one: run --wait exits 0 on SUCCESS and 1 on
# FAILED or KILLED, --follow streams the logs, inputs are checked by the
# server, kill/restart/resume, --timeout.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain sales sales
cli_admin
F=$CLI_TMP/flows
mkdir -p "$F"
cat >"$F/ok.yaml" <<'EOF'
id: ok
namespace: sales.jobs
inputs:
  - id: who
    type: STRING
    defaults: world
  - id: n
    type: INT
    required: false
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ inputs.who }}"
EOF
cat >"$F/bad.yaml" <<'EOF'
id: bad
namespace: sales.jobs
tasks:
  - id: boom
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo about to fail
      - exit 3
    retry: {type: constant, interval: PT0.1S, maxAttempt: 2}
EOF
cat >"$F/slow.yaml" <<'EOF'
id: slow
namespace: sales.jobs
tasks:
  - id: nap
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 30
EOF
# Long enough for run --wait to poll it at least once while it runs.
cat >"$F/brief.yaml" <<'EOF'
id: brief
namespace: sales.jobs
tasks:
  - id: nap
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 1.5
EOF
weft flow apply -f "$F" >/dev/null 2>&1 || t_bail "cannot apply the test flows"
state() { pg_psql -c "SELECT state FROM executions WHERE id = '$1'"; }

# ---- what the gateway alone answers ----
cli_run out weft run sales.jobs ok --input who=team --input n=4
t_is "$out_RC" 0 "run: exit 0 once the execution is created"
t_match "$out" "^[A-Za-z0-9_-]{16,64}$" "prints the execution id alone"
E1=$out
t_is "$(pg_psql -c "SELECT inputs->>'who' || ',' || (inputs->>'n') FROM executions WHERE id = '$E1'")" \
    "team,4" "the inputs reached the server"
printf 'from a file' >"$CLI_TMP/who.txt"
cli_run out weft run sales.jobs ok --input who=@"$CLI_TMP/who.txt" -o json
t_is "$(jx "$out" d.state.current)" CREATED "run -o json: the created execution"
t_is "$(pg_psql -c "SELECT inputs->>'who' FROM executions WHERE id = '$(jx "$out" d.id)'")" \
    "from a file" "--input K=@FILE sends the file's text"
cli_run out weft run sales.jobs ok --input n=notanumber
t_is "$out_RC" 1 "an input of the wrong type: exit 1"
t_match "$out_ERR" "Unprocessable Content \(422\): invalid inputs" "one clear line"
t_match "$out_ERR" "error: inputs\.n: expected an integer" "then each input error"
cli_run out weft run sales.jobs ok --input 'n:={bad'
t_is "$out_RC" 2 "--input K:=JSON that is not JSON: exit 2"
cli_run out weft run sales.jobs ok --input novalue
t_is "$out_RC" 2 "--input without = : exit 2"
cli_run out weft run sales.jobs ok --input who=@"$CLI_TMP/nope.txt"
t_is "$out_RC" 2 "--input K=@FILE of a missing file: exit 2"
cli_run out weft run sales.jobs nosuch
t_is "$out_RC" 1 "an unknown flow: exit 1"
t_match "$out_ERR" "Not Found \(404\)" "with the 404 line"

cli_run out weft execution get "$E1"
t_match "$out" "execution +$E1" "execution get"
t_match "$out" "flow +sales.jobs/ok" "shows the flow"
cli_run out weft execution get "$E1" -o yaml
t_ok "execution get -o yaml" grep -Eqx "id: \"?$E1\"?" <<<"$out"
cli_run out weft execution list sales --flow ok
t_is "$(grep -cE "sales.jobs +ok " <<<"$out")" 2 "execution list --flow"
cli_run out weft execution list --limit 1 -o json
t_is "$(jx "$out" 'd.length + ":" + d[0].namespace')" "1:sales.jobs" \
    "execution list without a namespace, --limit"
cli_run out weft execution list sales --state SUCCESS -o json
t_is "$out" "[]" "execution list --state filters"
cli_run out weft execution get nosuchexecution
t_is "$out_RC" 1 "an unknown execution: exit 1"
cli_run out weft logs "$E1"
t_is "$out_RC" 0 "logs of an execution"
cli_run out weft execution resume "$E1"
t_is "$out_RC" 1 "resume of an execution that is not paused: exit 1"
t_match "$out_ERR" "Conflict \(409\)" "with the 409 line"

if ! cli_executor sales; then
    # No executor in this build: an execution stays CREATED.
    cli_run out weft run sales.jobs ok --wait --timeout 1
    t_is "$out_RC" 1 "run --wait --timeout: exit 1 when the end does not come"
    t_match "$out_ERR" "still CREATED after 1 s" "and says in which state it was left"
    cli_run out weft run sales.jobs ok --follow --timeout 1
    t_is "$out_RC" 1 "run --follow --timeout: exit 1 when the end does not come"
    t_match "$out_ERR" "has not ended after 1 s" "saying so"
    cli_run out weft execution kill "$E1"
    t_is "$out_RC:$(state "$E1")" "0:KILLING" "execution kill"
    t_skip "run --wait exit codes with the executor" "weftd has no executor subcommand in this build"
    t_done
    exit
fi

# ---- with the real executor ----
sleep 0.3
kill -0 "${_cli_ex_pids[0]}" 2>/dev/null || { cat "$CLI_TMP/executor-sales.log" >&2; t_bail "the executor exited"; }
cli_run out weft run sales.jobs ok --wait --timeout 60
t_is "$out_RC" 0 "run --wait of a succeeding flow: exit 0"
t_match "$out" "state +SUCCESS" "reports SUCCESS"
t_match "$out" "hello +- +SUCCESS" "with its task runs"
cli_run out weft run sales.jobs bad --wait --timeout 60
t_is "$out_RC" 1 "run --wait of a failing flow: exit 1"
t_match "$out" "state +FAILED" "reports FAILED"
EB=$(grep -o '^execution  *[^ ]*' <<<"$out" | awk '{print $2}')
cli_run out weft run sales.jobs ok --follow --timeout 60 --input who=followers
t_is "$out_RC" 0 "run --follow: exit 0 on SUCCESS"
# A streamed line can reach the client before its task run's row commits (the
# executor writes logs and states in separate batches); such a line is named
# by its task-run id. Finished executions are always named by task (below).
t_match "$out" "INFO +(hello|[0-9A-Za-z]{22})#1 +hello followers" "streams the log lines with their task and attempt"
cli_run out weft run sales.jobs bad --follow --timeout 60
t_is "$out_RC" 1 "run --follow of a failing flow: exit 1"
t_match "$out" "boom#2 +about to fail" "streams the failing task's output, each attempt named"
cli_run out weft run sales.jobs ok --wait --timeout 60 -o json
t_is "$(jx "$out" d.state.current):$out_RC" "SUCCESS:0" "run --wait -o json: the final document"
cli_run out weft logs "$EB"
t_match "$out" "boom#1 +about to fail" "logs of a finished execution, named by task id and attempt"
t_match "$out" "boom#2 +about to fail" "the second attempt's lines are told apart"
t_fails "no line shows a bare task-run id" grep -Eq "INFO +[A-Za-z0-9_-]{16,}  " <<<"$out"
cli_run out weft logs "$EB" -o json
t_is "$(jx "$(grep 'about to fail' <<<"$out" | tail -1)" 'd.taskId + "#" + d.attempt + " " + (typeof d.taskRunId)')" \
    "boom#2 string" "logs -o json: taskId, attempt and taskRunId on every task line"
cli_run out weft logs "$EB" --follow -o json
t_match "$(head -1 <<<"$out")" '^\{"id":' "logs --follow -o json: one JSON object per line"
t_is "$(jx "$(grep 'about to fail' <<<"$out" | head -1)" 'd.taskId + "#" + d.attempt')" "boom#1" \
    "logs --follow -o json names the task and attempt too"
cli_run out weft execution restart "$EB"
t_is "$out_RC" 0 "execution restart of a failed execution"
t_is "$(pg_psql -c "SELECT original_id FROM executions WHERE id = '$out'")" "$EB" \
    "prints the new execution, chained to the old one"

# ---- the progress line follows the terminal, not the colour setting ----
# script(1) gives weft a terminal on stdout and stderr. NO_COLOR only removes
# colour: the "waiting for" line still shows, drawn without escape sequences.
WAITING="waiting for [A-Za-z0-9_-]{16,64}: (CREATED|RUNNING) \([0-9]+ s\)"
if command -v script >/dev/null; then
    tty_out=$(NO_COLOR=1 script -qec "$WEFT run sales.jobs brief --wait --timeout 60" /dev/null)
    t_match "$tty_out" "$WAITING" "run --wait on a terminal shows its progress line with NO_COLOR=1"
    t_fails "with NO_COLOR=1 nothing on the terminal is an escape sequence" grep -q $'\033' <<<"$tty_out"
    t_match "$tty_out" "state +SUCCESS" "and the final execution is printed"
    tty_out=$(env -u NO_COLOR script -qec "$WEFT run sales.jobs brief --wait --timeout 60" /dev/null)
    t_match "$tty_out" "$WAITING" "with colour on the terminal too"
    # stdout on the terminal, stderr to a file: the line follows stderr alone.
    tty_out=$(env -u NO_COLOR script -qec \
        "$WEFT run sales.jobs brief --wait --timeout 60 2>$CLI_TMP/brief.err" /dev/null)
    t_match "$tty_out" "state +"$'\033'"\[[0-9;]*mSUCCESS" "stdout on a terminal, stderr not: the run is reported, coloured"
    t_fails "but no progress line goes to the stderr that is not a terminal" \
        grep -q "waiting for" "$CLI_TMP/brief.err"
else
    t_skip "progress line on a terminal" "no script(1)"
fi
cli_run out weft run sales.jobs brief --wait --timeout 60
t_is "$out_RC" 0 "run --wait with no terminal at all: exit 0"
t_fails "and no progress line" grep -q "waiting for" <<<"$out_ERR"

# Kill while a run --wait is waiting on it: the waiter exits 1.
weft run sales.jobs slow --wait --timeout 60 >"$CLI_TMP/slow.out" 2>&1 &
WAITER=$!
for i in $(seq 1 100); do
    ES=$(pg_psql -c "SELECT id FROM executions WHERE flow_id = 'slow' AND state = 'RUNNING'")
    [ -n "$ES" ] && break
    sleep 0.1
done
cli_run out weft execution kill "$ES"
t_is "$out_RC" 0 "execution kill of a running execution"
wait "$WAITER"
t_is "$?" 1 "the run --wait waiting on it exits 1"
t_match "$(cat "$CLI_TMP/slow.out")" "state +KILLED" "reporting KILLED"

t_done
