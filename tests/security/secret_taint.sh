#!/usr/bin/env bash
# Values derived from a secret stay secret. A tenant sets a secret through the
# secret API, then tries to get it out of the domain transformed, where
# masking of the exact value (and its base64) does not look:
#   - logs: Log tasks print secret('K') upper-cased, concatenated, sliced,
#     reversed, lower-cased inside JSON; a shell task prints its hex (both
#     cases) and percent-encoded forms and returns the hex as a task output;
#   - flow outputs (sent to grantees in completion events), labels, subflow
#     inputs and flow-trigger inputs (stored in clear, shown by the API).
# Logs and task outputs must show **** in their place; the other four must
# be refused, the execution (or task) FAILED with a message naming the
# secret and never holding its value. None of the strings may appear in any
# log line, task run, execution row or completion event.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cli_setup

cli_domain acme acme
cli_admin
cli_executor acme

K='Zq7#Rw/9 t!Lp@Vx~4'
req "$WEFT_TOKEN" PUT /api/v1/namespaces/acme/secrets/K "{\"value\": \"$K\"}"
[ "$S" = 200 ] || t_bail "secret set: $S $R"

upper=$(tr a-z A-Z <<<"$K")
lower=$(tr A-Z a-z <<<"$K")
hex=$(printf %s "$K" | od -An -tx1 -v | tr -d ' \n')
HEX=$(tr a-f A-F <<<"$hex")
pct=$(sed 's/../%&/g' <<<"$HEX")
url=$(printf %s "$K" | od -An -tu1 -v | awk '{for(i=1;i<=NF;i++){c=$i; if((c>=48&&c<=57)||(c>=65&&c<=90)||(c>=97&&c<=122)||c==45||c==46||c==95||c==126) printf "%c",c; else printf "%%%02X",c}}')
rev=$(rev <<<"$K")
# Every string that must never be seen: the value and what is made of it.
FORMS=("$K" "$upper" "$lower" "x$K" "Zq7#" "$rev" "$hex" "$HEX" "$pct" "$url")
nowhere() { # DESCRIPTION TEXT: no form of the secret in TEXT
    local f found=
    for f in "${FORMS[@]}"; do grep -qF -- "$f" <<<"$2" && found+=" [$f]"; done
    t_is "$found" "" "$1"
}
exec_row() { pg_psql -c "SELECT executions::text FROM executions WHERE id = '$1'"; }

# ---- logs and task outputs: masked -----------------------------------------
req_apply "$WEFT_TOKEN" "$(cat <<'EOF'
id: logs
namespace: acme.app
tasks:
  - id: upper
    type: io.kestra.plugin.core.log.Log
    message: "upper={{ secret('K') | upper }}"
  - id: concat
    type: io.kestra.plugin.core.log.Log
    message: "concat={{ 'x' ~ secret('K') }}"
  - id: slice
    type: io.kestra.plugin.core.log.Log
    message: "slice={{ secret('K') | slice(0, 4) }}"
  - id: reversed
    type: io.kestra.plugin.core.log.Log
    message: "reversed={{ secret('K') | reverse }}"
  - id: json
    type: io.kestra.plugin.core.log.Log
    message: "json={{ {'k': secret('K') | lower} | toJson }}"
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      K: "{{ secret('K') }}"
    commands:
      - |
        hex=$(printf %s "$K" | od -An -tx1 -v | tr -d ' \n')
        echo "hex=$hex"
        echo "HEX=$(printf %s "$hex" | tr a-f A-F)"
        echo "pct=$(printf %s "$hex" | tr a-f A-F | sed 's/../%&/g')"
        echo "url=$(printf %s "$K" | od -An -tu1 -v | awk '{for(i=1;i<=NF;i++){c=$i; if((c>=48&&c<=57)||(c>=65&&c<=90)||(c>=97&&c<=122)||c==45||c==46||c==95||c==126) printf "%c",c; else printf "%%%02X",c}}')"
        echo "::{\"outputs\":{\"hex\":\"$hex\"}}::"
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values:
      up: "{{ secret('K') | upper }}"
EOF
)" || t_bail "cannot apply the logs flow"
cli_exec_wait acme.app logs
t_is "$ST" SUCCESS "the flow that prints derived values runs"
task_log() { pg_psql -c "SELECT string_agg(l.line, ' ') FROM logs l JOIN task_runs t ON t.id = l.task_run_id WHERE l.execution_id = '$EID' AND t.task_id = '$1'"; }
for w in upper concat reversed json; do
    t_is "$(task_log $w)" "$w=****" "the $w task logged its line, the derived value masked"
done
# four characters are too short a pattern on their own: the line goes whole
t_is "$(task_log slice)" "****" "the slice task logged its line, masked whole"

L=$(task_log sh)
for w in hex HEX pct url; do
    t_match "$L" "$w=\\*\\*\\*\\*" "the shell task printed the $w form, masked"
done
L=$(ex_logs "$EID")
nowhere "no derived form of the secret in the execution's logs" "$L"
t_is "$(ex_var "$EID" hex)" "****" "a task output carrying the hex form is masked"
t_is "$(pg_psql -c "SELECT outputs #>> '{values,up}' FROM task_runs WHERE execution_id = '$EID' AND task_id = 'values'")" \
    "****" "OutputValues of a derived value are stored masked"
TR=$(pg_psql -c "SELECT string_agg(task_runs::text, ' ') FROM task_runs WHERE execution_id = '$EID'")
nowhere "none in the task runs" "$TR"
nowhere "none in the execution row" "$(exec_row "$EID")"

# ---- flow outputs: refused -------------------------------------------------
req_apply "$WEFT_TOKEN" "$(cat <<'EOF'
id: outleak
namespace: acme.app
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: hi
outputs:
  - id: o
    type: STRING
    value: "{{ secret('K') | upper }}"
EOF
)" || t_bail "cannot apply the outputs flow"
cli_exec_wait acme.app outleak
t_is "$ST" FAILED "a flow output derived from a secret fails the execution"
L=$(ex_logs "$EID")
t_match "$L" "flow output 'o': a value derived from secret 'K' cannot be used in flow outputs" \
    "the message names the output and the secret"
nowhere "the message and logs hold no form of it" "$L"
nowhere "the execution row holds none" "$(exec_row "$EID")"
t_is "$(pg_psql -c "SELECT count(*) FROM events WHERE execution_id = '$EID' AND outputs ? 'o'")" 0 \
    "the completion event carries no such output"

# ---- labels: refused -------------------------------------------------------
req_apply "$WEFT_TOKEN" "$(cat <<'EOF'
id: labelleak
namespace: acme.app
tasks:
  - id: l
    type: io.kestra.plugin.core.execution.Labels
    labels:
      lbl: "{{ secret('K') | upper }}"
EOF
)" || t_bail "cannot apply the labels flow"
cli_exec_wait acme.app labelleak
t_is "$ST" FAILED "a label derived from a secret fails the task"
L=$(ex_logs "$EID")
t_match "$L" "derived from secret 'K' cannot be used in labels" "the message names the secret"
nowhere "no form of it in the logs" "$L"
nowhere "nor in the labels or the execution row" "$(exec_row "$EID")"

# ---- subflow inputs: refused -----------------------------------------------
req_apply "$WEFT_TOKEN" "$(cat <<'EOF'
id: child
namespace: acme.app
inputs:
  - id: x
    type: STRING
tasks:
  - id: l
    type: io.kestra.plugin.core.log.Log
    message: "child got {{ inputs.x }}"
EOF
)" || t_bail "cannot apply the child flow"
req_apply "$WEFT_TOKEN" "$(cat <<'EOF'
id: subleak
namespace: acme.app
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: acme.app
    flowId: child
    inputs:
      x: "{{ secret('K') | lower }}"
EOF
)" || t_bail "cannot apply the subflow flow"
cli_exec_wait acme.app subleak
t_is "$ST" FAILED "a subflow input derived from a secret fails the task"
L=$(ex_logs "$EID")
t_match "$L" "derived from secret 'K' cannot be used in a subflow's inputs" "the message names the secret"
nowhere "no form of it in the logs" "$L"
t_is "$(ex_count acme.app child)" 0 "no child execution was created with it"

# ---- flow-trigger inputs: refused ------------------------------------------
req_apply "$WEFT_TOKEN" "$(cat <<'EOF'
id: ontrig
namespace: acme.app
inputs:
  - id: x
    type: STRING
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "consumer got {{ inputs.x }}"
triggers:
  - id: on_producer
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      x: "{{ secret('K') | upper }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: acme.app
        flowId: producer
EOF
)" || t_bail "cannot apply the consumer flow"
req_apply "$WEFT_TOKEN" "$(cat <<'EOF'
id: producer
namespace: acme.app
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: produced
EOF
)" || t_bail "cannot apply the producer flow"
cli_settle
cli_exec_wait acme.app producer
t_is "$ST" SUCCESS "the producer runs"
CID=
for _ in $(seq 1 100); do
    CID=$(pg_psql -c "SELECT id FROM executions WHERE flow_id = 'ontrig' AND state IN ('SUCCESS', 'FAILED', 'WARNING') LIMIT 1")
    [ -n "$CID" ] && break
    sleep 0.2
done
t_ok "the trigger fired" test -n "$CID"
t_is "$(ex_state "$CID")" FAILED "a trigger input derived from a secret fails the triggered execution"
L=$(ex_logs "$CID")
t_match "$L" "derived from secret 'K' cannot be used in flow trigger inputs" "the message names the secret"
nowhere "the triggered execution's logs hold no form of it" "$L"
nowhere "nor its inputs" "$(pg_psql -c "SELECT inputs::text FROM executions WHERE id = '$CID'")"

# ---- nowhere at all --------------------------------------------------------
nowhere "no form of the secret in any log line" "$(pg_psql -c "SELECT string_agg(line, ' ') FROM logs")"
nowhere "nor in any task run" "$(pg_psql -c "SELECT string_agg(task_runs::text, ' ') FROM task_runs")"
nowhere "nor in any execution" "$(pg_psql -c "SELECT string_agg(executions::text, ' ') FROM executions")"
nowhere "nor in any completion event" "$(pg_psql -c "SELECT string_agg(events::text, ' ') FROM events")"
t_fails "nor in the executor's own log" grep -qF -e "$K" -e "$upper" -e "$lower" "$CLI_TMP/executor-acme.log"

t_done
