#!/usr/bin/env bash
# Governance policies over HTTP and `weft policy` against a real gateway and
# PostgreSQL: the platform team sets any prefix, domain admins only tighten,
# the effective policy names where each value comes from, bad documents are
# refused at their JSON pointer, and every attempt to loosen or to reach
# another domain's policy is refused and audited.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain sales sales
cli_domain logistics logistics
PLAT=$(cli_token weft platform)
cli_bind sa:weft/platform platform-admin ''
SALES=$(cli_token sales admin)
cli_bind sa:sales/admin admin sales
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales
VIEWER=$(cli_token sales viewer)
cli_bind sa:sales/viewer viewer sales.team
LOG=$(cli_token logistics admin)
cli_bind sa:logistics/admin admin logistics

P=/api/v1/namespaces

# ---- the platform team sets the root and a domain's prefix ----
req "$PLAT" PUT "$P/*/policy" '{"maxMemory": "1GiB", "maxPids": 128, "network": "none", "requiredLabels": {"owner": "[a-z][a-z0-9-]*"}}'
t_is "$S" 200 "a platform-admin sets the root policy"
t_is "$(jx "$R" d.layer)" platform "written to the platform layer"
req "$PLAT" PUT $P/sales/policy '{"maxMemory": "512MiB", "maxExecutionsPerMinute": 100, "allowedTaskTypes": ["io.kestra.plugin.core.*", "io.kestra.plugin.scripts.shell.Commands"]}'
t_is "$S" 200 "a platform-admin sets the sales prefix"

req "$VIEWER" GET $P/sales.team/policy
t_is "$S" 200 "a viewer reads the effective policy"
t_is "$(jx "$R" 'd.policy.maxMemory.value + " from " + d.policy.maxMemory.from')" "512MiB from sales" \
    "maxMemory: the tightest value with its namespace"
t_is "$(jx "$R" 'd.policy.maxPids.value + " from [" + d.policy.maxPids.from + "]"')" "128 from []" \
    "maxPids from the root"
t_is "$(jx "$R" 'd.policy.requiredLabels.from.owner')" "" "requiredLabels.owner from the root"
t_is "$(jx "$R" 'd.layers.map(l => l.namespace).join(",")')" ",sales" "the layers it was merged from"

# ---- a domain admin tightens ----
req "$SALES" PUT $P/sales.team/policy '{"maxMemory": "256MiB", "maxPids": 32, "maxConcurrentTaskRuns": 2, "allowedTaskTypes": ["io.kestra.plugin.core.log.Log"]}'
t_is "$S" 200 "a domain admin tightens sales.team"
t_is "$(jx "$R" d.layer)" domain "written to the domain layer"
req "$VIEWER" GET $P/sales.team/policy
t_is "$(jx "$R" 'd.policy.maxMemory.value + " from " + d.policy.maxMemory.from')" "256MiB from sales.team" \
    "the tighter value now comes from sales.team"
req "$SALES" PUT $P/sales/policy '{"maxPids": 64}'
t_is "$S" 200 "a domain admin tightens its own prefix (domain layer)"
req "$PLAT" GET $P/sales/policy
t_is "$(jx "$R" 'd.layers[1].platform.maxMemory + "/" + d.layers[1].domain.maxPids')" "512MiB/64" \
    "the platform layer of sales is kept beside the domain layer"

# ---- attacks: loosening, other domains, members ----
req "$SALES" PUT $P/sales.team/policy '{"maxMemory": "2GiB"}'
t_is "$S" 422 "a domain admin cannot loosen maxMemory"
t_is "$(jx "$R" 'd.key + " " + d.inherited + " " + d.inheritedFrom + " " + d.pointer')" \
    "maxMemory 512MiB sales /maxMemory" "the refusal names key, inherited value, its namespace, pointer"
t_match "$(jx "$R" d.detail)" 'maxMemory.*512MiB.*namespace sales' "and says so in the detail"
req "$SALES" PUT $P/sales/policy '{"maxMemory": "768MiB"}'
t_is "$S" 422 "nor loosen the platform layer of its own prefix"
t_is "$(jx "$R" d.inheritedFrom)" sales "inherited from the platform layer of sales"
req "$SALES" PUT $P/sales.team/policy '{"network": ["api.example.com:443"]}'
t_is "$S" 422 "nor open egress the root closed"
t_is "$(jx "$R" 'd.key + " [" + d.inheritedFrom + "]"')" "network []" "network, inherited from the root"
req "$SALES" PUT $P/sales.team/policy '{"allowedTaskTypes": ["io.kestra.plugin.scripts.python.Script"]}'
t_is "$S" 422 "nor allow a task type sales does not allow"
req "$SALES" PUT $P/sales.team/policy '{"maxPids": 100000}'
t_is "$(jx "$R" 'd.key + ":" + d.inherited')" "maxPids:64" "pids above the domain's own cap"
req "$SALES" PUT "$P/*/policy" '{"maxMemory": "64MiB"}'
t_is "$S" 403 "a domain admin cannot set the root policy"
t_is "$(jx "$R" d.reason)" "denied:platform-only" "platform only"
req "$SALES" PUT $P/logistics/policy '{"maxMemory": "64MiB"}'
t_is "$S" 404 "nor another domain's namespace (hidden)"
req "$LOG" GET $P/sales/policy
t_is "$S" 404 "another domain's admin cannot read sales' policy"
req "$DEV" PUT $P/sales.team/policy '{"maxMemory": "64MiB"}'
t_is "$S" 403 "a developer (member) cannot set a policy"
req "$VIEWER" PUT $P/sales.team/policy '{"maxMemory": "64MiB"}'
t_is "$S" 403 "a viewer cannot set a policy"
req "$SALES" GET $P/sales.team/policy
t_is "$(jx "$R" d.policy.maxMemory.value)" 256MiB "the refused writes changed nothing"

# ---- bad documents: 422 at the JSON pointer ----
req "$SALES" PUT $P/sales.team/policy '{"maxMemroy": "64MiB"}'
t_is "$S/$(jx "$R" d.pointer)" "422//maxMemroy" "unknown key at its pointer"
t_match "$(jx "$R" d.detail)" "did you mean maxMemory" "with a suggestion"
req "$SALES" PUT $P/sales.team/policy '{"maxPids": "many"}'
t_is "$S/$(jx "$R" d.pointer)" "422//maxPids" "bad value at its pointer"
req "$SALES" PUT $P/sales.team/policy '{"network": ["ok.example:443", "no-port"]}'
t_is "$S/$(jx "$R" d.pointer)" "422//network/1" "bad list entry at its pointer"
req "$SALES" PUT $P/sales.team/policy '{"requiredLabels": {"team": "(unclosed"}}'
t_is "$S/$(jx "$R" d.pointer)" "422//requiredLabels/team" "bad regex at its pointer"
req "$SALES" PUT $P/sales.team/policy '[1, 2]'
t_is "$S" 422 "a non-object body"
req "$SALES" PUT $P/no..such/policy '{}'
t_is "$S" 404 "an invalid namespace"

# ---- audit: every change and every refusal ----
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'policy.set' AND result = 'allowed'")" 4 \
    "each accepted write is audited"
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'policy.set' AND result = 'denied' AND reason = 'looser-than-inherited'")" 5 \
    "each loosening attempt is audited as denied"
t_is "$(pg_psql -c "SELECT details->>'inheritedFrom' FROM audit_log WHERE action = 'policy.set' AND result = 'denied' ORDER BY seq LIMIT 1")" \
    sales "with the namespace of the inherited value"
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'policy.manage' AND result = 'denied'")" 3 \
    "RBAC refusals are audited too"

# ---- the CLI ----
cli_run OUT with_token "$VIEWER" policy get sales.team
t_is "$OUT_RC" 0 "weft policy get"
t_match "$OUT" "maxMemory +256MiB +sales.team" "table: key, value, where it comes from"
t_match "$OUT" "maxPids +32 +sales.team" "pids from sales.team"
t_match "$OUT" "requiredLabels +owner=\[a-z\]\[a-z0-9-\]\* +\*" "root values show as *"
cli_run OUT with_token "$SALES" policy set sales.team maxMemory=4GiB
t_is "$OUT_RC" 1 "weft policy set refuses loosening"
t_match "$OUT_ERR" "maxMemory.*512MiB.*sales" "naming the key and the inherited value"
t_match "$OUT_ERR" "inherited from: sales" "and where it comes from"
cli_run OUT with_token "$SALES" policy set sales.team maxMemory=128MiB 'allowedTaskTypes=["io.kestra.plugin.core.log.Log"]' maxTaskDuration=PT5M
t_is "$OUT_RC" 0 "weft policy set with KEY=VALUE (JSON values parsed)"
t_match "$OUT" "set +domain policy of sales.team" "says which layer"
printf '{"maxPids": 8}' >"$CLI_TMP/p.json"
cli_run OUT with_token "$SALES" policy set sales.team.sub --file "$CLI_TMP/p.json"
t_is "$OUT_RC" 0 "weft policy set --file"
cli_run OUT with_token "$SALES" policy get sales.team.sub -o json
t_is "$(jx "$OUT" 'd.policy.maxPids.value + "@" + d.policy.maxPids.from + " " + d.policy.maxMemory.from')" \
    "8@sales.team.sub sales.team" "JSON output: merged down three levels"
cli_run OUT with_token "$SALES" policy set sales.team maxMemroy=1
t_is "$OUT_RC" 1 "an unknown key fails"
t_match "$OUT_ERR" "/maxMemroy" "at its pointer"
cli_run OUT with_token "$SALES" policy clear sales.team.sub
t_is "$OUT_RC" 0 "weft policy clear"
cli_run OUT with_token "$PLAT" policy get '*'
t_match "$OUT" "network +none +\*" "the root is '*'"
t_done
