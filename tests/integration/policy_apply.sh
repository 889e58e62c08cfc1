#!/usr/bin/env bash
# Policies enforced when a flow is applied (POST /api/v1/flows and
# `weft flow apply`): a forbidden task type, a missing or malformed required
# label, a timeout above maxTaskDuration and an oversize flow are each
# refused with 422 at the offending property's file:line:col, naming the
# policy key and the namespace it comes from; nothing is stored and the
# refusal is audited.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain sales sales
PLAT=$(cli_token weft platform)
cli_bind sa:weft/platform platform-admin ''
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales

P=/api/v1/namespaces
req "$PLAT" PUT "$P/*/policy" '{"requiredLabels": {"owner": "[a-z]+"}}'
t_is "$S" 200 "root policy: every flow names an owner"
req "$PLAT" PUT $P/sales/policy '{"allowedTaskTypes": ["io.kestra.plugin.core.*"], "maxTaskDuration": "PT1M", "maxFlowSize": 1024}'
t_is "$S" 200 "sales policy: core tasks only, one minute, 1 KiB"

good='id: report
namespace: sales.team
labels:
  owner: alice
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
    timeout: PT30S
'
req "$DEV" POST /api/v1/flows "$good" application/x-yaml
t_is "$S" 201 "a flow within the policy is applied"

shell='id: shell
namespace: sales.team
labels:
  owner: alice
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["id"]
'
req "$DEV" POST /api/v1/flows "$shell" application/x-yaml
t_is "$S" 422 "a forbidden task type is refused"
t_is "$(jx "$R" 'd.errors.map(e => e.line + ":" + e.col + " " + e.path).join()')" "10:11 tasks[1].type" \
    "at the type's position"
t_match "$(jx "$R" 'd.errors[0].message')" "allowedTaskTypes of namespace sales" "naming the key and its namespace"
t_is "$(pg_psql -c "SELECT count(*) FROM flows WHERE id = 'shell'")" 0 "nothing stored"

nolabel='id: nolabel
namespace: sales.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
'
req "$DEV" POST /api/v1/flows "$nolabel" application/x-yaml
t_is "$S" 422 "a missing required label is refused"
t_is "$(jx "$R" 'd.errors[0].path')" "labels.owner" "at labels.owner"
t_match "$(jx "$R" 'd.errors[0].message')" 'requiredLabels of namespace "" \(the root\)' "from the root"

badlabel='id: badlabel
namespace: sales.team
labels:
  owner: Alice Smith
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
'
req "$DEV" POST /api/v1/flows "$badlabel" application/x-yaml
t_is "$(jx "$R" 'd.errors[0].line + ":" + d.errors[0].col + " " + d.errors[0].path')" "4:10 labels.owner" \
    "a label not matching the pattern: at its value"

slow='id: slow
namespace: sales.team
labels: {owner: alice}
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: hello
        type: io.kestra.plugin.core.log.Log
        message: hi
        timeout: PT2H
'
req "$DEV" POST /api/v1/flows "$slow" application/x-yaml
t_is "$S" 422 "a timeout above maxTaskDuration is refused"
t_is "$(jx "$R" 'd.errors[0].line + ":" + d.errors[0].col + " " + d.errors[0].path')" \
    "11:18 tasks[0].tasks[0].timeout" "at the nested task's timeout"
t_match "$(jx "$R" 'd.errors[0].message')" "maxTaskDuration.*namespace sales" "naming key and namespace"

big="id: big
namespace: sales.team
labels: {owner: alice}
description: $(head -c 1200 /dev/zero | tr '\0' x)
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
"
req "$DEV" POST /api/v1/flows "$big" application/x-yaml
t_is "$S" 422 "an oversize flow is refused"
t_match "$(jx "$R" 'd.errors[0].message')" "maxFlowSize \(1024 bytes\) of namespace sales" "naming maxFlowSize"

t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'flow.write' AND result = 'denied' AND reason = 'policy'")" 5 \
    "every refusal is audited"
t_match "$(pg_psql -c "SELECT details->'errors'->0->>'message' FROM audit_log WHERE reason = 'policy' ORDER BY seq LIMIT 1")" \
    "allowedTaskTypes" "with the breaches"

# weft flow apply shows the breach at the file's own position.
mkdir -p "$CLI_TMP/flows"
printf '%s' "$shell" >"$CLI_TMP/flows/shell.yaml"
cli_run OUT with_token "$DEV" flow apply -f "$CLI_TMP/flows/shell.yaml"
t_is "$OUT_RC" 1 "weft flow apply fails"
t_match "$OUT_ERR" "shell.yaml:10:11: error: tasks\[1\]\.type: task type io.kestra.plugin.scripts.shell.Commands is not allowed by policy allowedTaskTypes of namespace sales" \
    "file:line:col, key and namespace"

# A flow applied before a policy was tightened cannot be re-applied unchanged.
req "$PLAT" PUT $P/sales/policy '{"allowedTaskTypes": ["io.kestra.plugin.core.flow.*"], "maxTaskDuration": "PT1M", "maxFlowSize": 1024}'
req "$DEV" POST /api/v1/flows "$good" application/x-yaml
t_is "$S" 422 "after tightening, the unchanged flow is refused too"
req "$PLAT" PUT $P/sales/policy '{}'
req "$DEV" POST /api/v1/flows "$shell" application/x-yaml
t_is "$S" 201 "with the sales policy cleared, the shell flow is accepted"
t_done
