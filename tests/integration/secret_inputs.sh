#!/usr/bin/env bash
# SECRET-typed execution inputs: the gateway seals them to the owning domain's
# key before the execution row is written; only that domain's executor opens
# them, when a task renders them; GET execution shows "****"; logs and outputs
# are redacted; a restart keeps them. Attacks: the row read as the gateway's
# database role holds no value, a ciphertext copied into another execution
# does not open there, a domain without a key refuses SECRET inputs rather
# than storing them in clear.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cli_setup

cli_domain logistics logistics
cli_admin
cli_executor logistics

PW='input-Tr0ub4dor&3-staple'
A=(-H "Authorization: Bearer $WEFT_TOKEN")
J=(-H 'Content-Type: application/json')
# wait_end ID -> final state in $ST
wait_end() {
    for _ in $(seq 1 300); do
        ST=$(pg_psql -c "SELECT state FROM executions WHERE id = '$1'")
        case $ST in SUCCESS | FAILED | KILLED | WARNING) return ;; esac
        sleep 0.2
    done
}

flow() {
    cat <<EOF
id: $1
namespace: logistics.app
inputs:
  - id: pw
    type: SECRET
  - id: who
    type: STRING
    defaults: team
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      PW: "{{ inputs.pw }}"
    commands:
      - echo "pw=\$PW who={{ inputs.who }}"
      - echo "b64=\$(printf %s "\$PW" | base64)"
      - echo "::{\"outputs\":{\"pwsha\":\"\$(printf %s "\$PW" | sha256sum | cut -c1-64)\",\"leak\":\"\$PW\"}}::"
      - $2
EOF
}
req_apply "$WEFT_TOKEN" "$(flow deploy true)" || t_bail "cannot apply the flow"
req_apply "$WEFT_TOKEN" "$(flow flaky "exit 3")" || t_bail "cannot apply the flow"

# ---- the path: sealed at the gateway, opened by the executor ----
cli_exec_wait logistics.app deploy "{\"pw\": \"$PW\", \"who\": \"ops\"}"
t_is "$ST" SUCCESS "an execution with a SECRET input succeeds"
t_is "$(ex_var "$EID" pwsha)" "$(sha256_hex "$PW")" "the task received the value intact"
t_is "$(jq -r .inputs.pw <<<"$R"):$(jq -r .inputs.who <<<"$R")" "****:ops" \
    "the ?wait answer masks the SECRET input, not the others"
t_fails "the answer never holds the value" grep -qF "$PW" <<<"$R"
D=$(curl -s "${A[@]}" "$WEFT_URL/api/v1/executions/$EID")
t_is "$(jq -r .inputs.pw <<<"$D")" "****" "GET execution masks it"
t_fails "GET execution never holds the value" grep -qF "$PW" <<<"$D"
cli_run o weft execution get "$EID" -o json
t_fails "nor weft execution get -o json" grep -qF "$PW" <<<"$o"
L=$(ex_logs "$EID")
t_match "$L" "pw=\*\*\*\* who=ops" "the log line shows **** in place of the value"
t_fails "the value is in no log line" grep -qF "$PW" <<<"$L"
t_fails "nor its base64 form" grep -qF "$(printf %s "$PW" | base64)" <<<"$L"
t_is "$(ex_var "$EID" leak)" "****" "a task output carrying it is redacted"

# ---- attack: the row as the gateway's database role sees it ----
t_is "$(pg_psql -c "SELECT jsonb_typeof(inputs->'pw') || ' ' || (inputs->'pw' ? 'weft:sealed') FROM executions WHERE id = '$EID'")" \
    "object true" "the stored input is a sealed envelope"
t_fails "the execution row never holds the value" \
    grep -qF "$PW" <<<"$(pg_psql -c "SELECT executions::text FROM executions")"
t_fails "nor its base64 form" \
    grep -qF "$(printf %s "$PW" | base64)" <<<"$(pg_psql -c "SELECT executions::text FROM executions")"
t_fails "nor any audit row" grep -qF "$PW" <<<"$(pg_psql -c "SELECT audit_log::text FROM audit_log")"
t_fails "nor any task run row" grep -qF "$PW" <<<"$(pg_psql -c "SELECT task_runs::text FROM task_runs")"

# ---- a restart keeps the sealed value (bound to the first execution) ----
cli_exec_wait logistics.app flaky "{\"pw\": \"$PW\"}"
t_is "$ST" FAILED "a failing execution with a SECRET input"
FIRST=$EID
R=$(curl -s -X POST "${A[@]}" "$WEFT_URL/api/v1/executions/$FIRST/restart")
RE=$(jq -r .id <<<"$R")
wait_end "$RE"
t_is "$(ex_var "$RE" pwsha)" "$(sha256_hex "$PW")" "the restarted execution opens the same value"
t_is "$(pg_psql -c "SELECT inputs = (SELECT inputs FROM executions WHERE id = '$FIRST') FROM executions WHERE id = '$RE'")" \
    t "without the gateway ever unsealing it"

# ---- attack: a ciphertext copied into another execution does not open ----
MOVED=movedCiphertextAttack1
pg_psql -c "INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state,
    state_history, inputs, labels, trigger, started_by)
    SELECT '$MOVED', namespace, flow_id, flow_revision, domain, 'CREATED',
    jsonb_build_array(jsonb_build_object('state', 'CREATED', 'date', now())), inputs, labels,
    trigger, started_by FROM executions WHERE id = '$EID'" >/dev/null
pg_psql -c "SELECT pg_notify('weft_domain_logistics', '$MOVED')" >/dev/null
wait_end "$MOVED"
t_is "$(ex_var "$MOVED" pwsha)" "$(sha256_hex "")" "a copied ciphertext opens to nothing in another execution"
t_match "$(ex_logs "$MOVED")" "input pw does not open with this domain's key" \
    "and the execution's log says so"
t_fails "the value is in none of its log lines" grep -qF "$PW" <<<"$(ex_logs "$MOVED")"

# ---- bad input, and a domain without a key ----
R=$(curl -s -o /dev/null -w '%{http_code}' "${A[@]}" "${J[@]}" --data '{"pw": {"weft:sealed": "AAAA"}}' \
    "$WEFT_URL/api/v1/executions/logistics.app/deploy")
t_is "$R" 422 "a forged envelope as a SECRET input: 422"
pg_psql -c "INSERT INTO domains (name) VALUES ('keyless')" >/dev/null
pg_psql -c "INSERT INTO namespaces (prefix, domain) VALUES ('keyless', 'keyless')" >/dev/null
req_apply "$WEFT_TOKEN" "$(flow deploy true | sed 's/^namespace: logistics.app/namespace: keyless/')" ||
    t_bail "cannot apply the keyless flow"
N=$(pg_psql -c "SELECT count(*) FROM executions")
R=$(curl -s -w '\n%{http_code}' "${A[@]}" "${J[@]}" --data "{\"pw\": \"$PW\"}" \
    "$WEFT_URL/api/v1/executions/keyless/deploy")
t_is "$(tail -1 <<<"$R")" 422 "a domain without a sealing key refuses SECRET inputs: 422"
t_match "$R" "no sealing key" "saying why"
t_fails "the refusal does not echo the value" grep -qF "$PW" <<<"$R"
t_is "$(pg_psql -c "SELECT count(*) FROM executions")" "$N" "and stores nothing"

t_done
