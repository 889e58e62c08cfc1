#!/usr/bin/env bash
# Secrets through the whole path: `weft secret set` -> gateway seals to the
# domain key -> the domain's executor resolves {{ secret('K') }} when a task
# renders it (nearest namespace wins, a new version applies to the next run
# without a restart) -> the value reaches the sandbox as an environment
# variable -> logs and outputs show **** instead of the value or its base64;
# a flow output, label or subflow input made of it is refused.
# Attacks: another domain's executor never resolves it, not even when handed
# the ciphertext in its own namespace.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cli_setup

cli_domain logistics logistics
cli_domain sales sales
cli_admin
cli_executor logistics
cli_executor sales

PW='Tr0ub4dor&3-horse-battery'
NEAR_PARENT='parent-api-key-value'
NEAR_CHILD='child-api-key-value'
weft secret set logistics DB_PASSWORD <<<"$PW" >/dev/null || t_bail "secret set"
weft secret set logistics API_KEY <<<"$NEAR_PARENT" >/dev/null || t_bail "secret set"
weft secret set logistics.shipments API_KEY <<<"$NEAR_CHILD" >/dev/null || t_bail "secret set"

USE='
id: use
namespace: logistics.shipments
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      PW: "{{ secret(\"DB_PASSWORD\") }}"
      NEAR: "{{ secret(\"API_KEY\") }}"
    commands:
      - echo "pw=$PW"
      - echo "b64=$(printf %s "$PW" | base64)"
      - echo "::{\"outputs\":{\"pwsha\":\"$(printf %s "$PW" | sha256sum | cut -c1-64)\",\"nearsha\":\"$(printf %s "$NEAR" | sha256sum | cut -c1-64)\",\"leak\":\"$PW\"}}::"
'
req_apply "$WEFT_TOKEN" "$USE" || t_bail "cannot apply the flow"
cli_exec_wait logistics.shipments use
t_is "$ST" SUCCESS "a task using two secrets succeeds"
t_is "$(ex_var "$EID" pwsha)" "$(sha256_hex "$PW")" "the value reached the sandbox intact (parent namespace)"
t_is "$(ex_var "$EID" nearsha)" "$(sha256_hex "$NEAR_CHILD")" "the nearest namespace wins"
t_is "$(ex_var "$EID" leak)" "****" "an output carrying the value is redacted"
L=$(ex_logs "$EID")
t_match "$L" "pw=\*\*\*\*" "the log line shows **** in place of the value"
t_fails "the value is in no log line" grep -qF "$PW" <<<"$L"
t_fails "nor its base64 form" grep -qF "$(printf %s "$PW" | base64)" <<<"$L"
t_fails "the value is in no task run row" \
    grep -qF "$PW" <<<"$(pg_psql -c "SELECT task_runs::text FROM task_runs")"
t_fails "nor in the execution row" \
    grep -qF "$PW" <<<"$(pg_psql -c "SELECT executions::text FROM executions")"

req_apply "$WEFT_TOKEN" '
id: outleak
namespace: logistics.shipments
tasks:
  - id: l
    type: io.kestra.plugin.core.log.Log
    message: hi
outputs:
  - id: leaked
    type: STRING
    value: "{{ secret(\"DB_PASSWORD\") }}"
' || t_bail "cannot apply the outputs flow"
cli_exec_wait logistics.shipments outleak
t_is "$ST" FAILED "a declared flow output made of a secret fails the execution"
t_match "$(ex_logs "$EID")" "flow output 'leaked': a value derived from secret 'DB_PASSWORD'" \
    "and names the output and the secret"
t_fails "the value does not leave the domain" \
    grep -qF "$PW" <<<"$(pg_psql -c "SELECT executions::text FROM executions WHERE id = '$EID'")"

NEW='a-brand-new-password-v2'
weft secret set logistics DB_PASSWORD <<<"$NEW" >/dev/null
cli_exec_wait logistics.shipments use
t_is "$(ex_var "$EID" pwsha)" "$(sha256_hex "$NEW")" "a new version applies to the next run, no restart"
t_fails "and is redacted too" grep -qF "$NEW" <<<"$(ex_logs "$EID")"

req_apply "$WEFT_TOKEN" '
id: missing
namespace: logistics.shipments
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      X: "{{ secret(\"NOPE\") }}"
    commands: ["true"]
'
cli_exec_wait logistics.shipments missing
t_is "$ST" FAILED "a missing secret fails the task"
t_match "$(ex_logs "$EID")" "secret 'NOPE' not found" "and says which"

# ---- scope: secret() is looked up for the task that uses it, as it starts ----
SCOPE='
id: scope
namespace: logistics.shipments
tasks:
  - id: both
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: plain
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo plain"]
      - id: uses
        type: io.kestra.plugin.scripts.shell.Commands
        env:
          X: "{{ secret(\"SCOPED\") }}"
          Y: "{{ secret(\"SCOPED\") }}"
        commands:
          - test "$X" = "$Y"
          - echo "::{\"outputs\":{\"sha\":\"$(printf %s "$X" | sha256sum | cut -c1-64)\"}}::"
'
req_apply "$WEFT_TOKEN" "$SCOPE" || t_bail "cannot apply the scope flow"
trs() { pg_psql -c "SELECT string_agg(task_id || '::' || state, ' ' ORDER BY task_id) FROM task_runs WHERE execution_id = '$EID'"; }
lookups() { grep -F "execution $EID, " "$CLI_TMP/executor-logistics.log" | grep -F "secret SCOPED"; }
cli_exec_wait logistics.shipments scope
t_is "$(trs)" "both::FAILED plain::SUCCESS uses::FAILED" \
    "a missing secret fails only the task that uses it; its sibling runs"
t_is "$(pg_psql -c "SELECT count(*) FROM logs l JOIN task_runs t ON t.id = l.task_run_id WHERE l.execution_id = '$EID' AND t.task_id = 'uses' AND l.line LIKE '%secret ''SCOPED'' not found%'")" \
    1 "the error is on the task that uses it"
t_is "$(lookups | wc -l)" 1 "one lookup, made for that task"
t_match "$(lookups)" ", uses: secret SCOPED not found" "the executor log names the task, not the other one"
V1='scoped-value-version-one'
weft secret set logistics SCOPED <<<"$V1" >/dev/null || t_bail "secret set"
cli_exec_wait logistics.shipments scope
t_is "$ST" SUCCESS "once set, the next run succeeds without a restart"
t_is "$(pg_psql -c "SELECT outputs #>> '{vars,sha}' FROM task_runs WHERE execution_id = '$EID' AND task_id = 'uses'")" \
    "$(sha256_hex "$V1")" "the value reached the sandbox as an environment variable"
t_is "$(lookups | wc -l)" 1 "one lookup for the attempt, though two properties use it"
ver1=$(lookups | sed -n 's/.*version \([0-9]*\)).*/\1/p')
V2='scoped-value-version-two'
weft secret set logistics SCOPED <<<"$V2" >/dev/null || t_bail "secret set"
cli_exec_wait logistics.shipments scope
t_is "$(pg_psql -c "SELECT outputs #>> '{vars,sha}' FROM task_runs WHERE execution_id = '$EID' AND task_id = 'uses'")" \
    "$(sha256_hex "$V2")" "a new version is used by the next task run"
ver2=$(lookups | sed -n 's/.*version \([0-9]*\)).*/\1/p')
t_ok "the lookup records the newer version ($ver1 then $ver2)" test "${ver2:-0}" -gt "${ver1:-0}"
t_fails "no executor log line holds either value" grep -qF -e "$V1" -e "$V2" "$CLI_TMP"/executor-*.log

req_apply "$WEFT_TOKEN" '
id: labelleak
namespace: logistics.shipments
tasks:
  - id: l
    type: io.kestra.plugin.core.execution.Labels
    labels:
      pw: "{{ secret(\"DB_PASSWORD\") }}"
'
cli_exec_wait logistics.shipments labelleak
t_is "$ST" FAILED "a secret value put in labels fails the task"
t_match "$(ex_logs "$EID")" "cannot be used in labels" "and says why"
t_fails "the labels do not hold it" grep -qF "$NEW" <<<"$(pg_psql -c "SELECT labels::text FROM executions WHERE id = '$EID'")"
req_apply "$WEFT_TOKEN" '
id: child
namespace: logistics.shipments
inputs:
  - id: x
    type: STRING
tasks:
  - id: l
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.x }}"
'
req_apply "$WEFT_TOKEN" '
id: subleak
namespace: logistics.shipments
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: logistics.shipments
    flowId: child
    inputs:
      x: "{{ secret(\"DB_PASSWORD\") }}"
'
cli_exec_wait logistics.shipments subleak
t_is "$ST" FAILED "a secret value passed to a subflow fails the task"
t_match "$(ex_logs "$EID")" "cannot be used in a subflow's inputs" "and says why"
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE flow_id = 'child'")" 0 "no child execution holds it"

# A secret made of digits must not leave as a number through a typed output.
PIN=73914682
weft secret set logistics PIN <<<"$PIN" >/dev/null || t_bail "secret set"
req_apply "$WEFT_TOKEN" '
id: pin
namespace: logistics.shipments
tasks:
  - id: l
    type: io.kestra.plugin.core.log.Log
    message: hi
outputs:
  - id: code
    type: INT
    value: "{{ secret(\"PIN\") }}"
'
cli_exec_wait logistics.shipments pin
t_is "$ST" FAILED "an INT flow output made of a secret fails rather than leak it as a number"
t_match "$(ex_logs "$EID")" "flow output 'code': a value derived from secret 'PIN'" \
    "the message names the secret, not the value"
t_fails "the digits are nowhere in the execution row" \
    grep -qF "$PIN" <<<"$(pg_psql -c "SELECT executions::text FROM executions WHERE id = '$EID'")"
t_fails "nor in its logs" grep -qF "$PIN" <<<"$(ex_logs "$EID")"

# ---- attacks from the other domain ----
req_apply "$WEFT_TOKEN" '
id: steal
namespace: sales.app
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      X: "{{ secret(\"DB_PASSWORD\") }}"
    commands: ["echo \"x=$X\""]
'
cli_exec_wait sales.app steal
t_is "$ST" FAILED "a sales flow cannot resolve a logistics secret"
t_match "$(ex_logs "$EID")" "secret 'DB_PASSWORD' not found" "it does not exist for sales"
# Hand the sales executor logistics' ciphertext in its own namespace, as
# though the row had been copied: the sales key does not open it.
pg_psql -c "INSERT INTO secrets (namespace, key, domain, version, sealed, created_by)
            SELECT 'sales.app', key, 'sales', version, sealed, 'attacker' FROM secrets
            WHERE namespace = 'logistics' AND key = 'DB_PASSWORD'" >/dev/null
cli_exec_wait sales.app steal
t_is "$ST" FAILED "given the ciphertext, the sales executor still cannot open it"
t_fails "nothing of the value appears" grep -qF "$NEW" <<<"$(ex_logs "$EID")"
t_match "$(cat "$CLI_TMP/executor-sales.log")" "does not open" "the executor logs why (no value)"
t_fails "no executor log shows a value" grep -qF -e "$PW" -e "$NEW" "$CLI_TMP"/executor-*.log

t_done
