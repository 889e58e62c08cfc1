#!/usr/bin/env bash
# The audit log's read side: GET /api/v1/audit and `weft audit list` against
# a real gateway. Who may read what (auditor and platform-admin: everything;
# a namespace admin: that namespace and below; nobody else), filters, paging,
# bad filters refused, refusals audited, no secret value ever listed, and the
# chain still verifies afterwards.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain logistics logistics
cli_domain sales sales
PLAT=$(cli_token weft platform); cli_bind sa:weft/platform platform-admin ''
AUD=$(cli_token weft auditor); cli_bind sa:weft/auditor auditor ''
LADM=$(cli_token logistics admin); cli_bind sa:logistics/admin admin logistics
LDEV=$(cli_token logistics dev); cli_bind sa:logistics/dev developer logistics
SADM=$(cli_token sales admin); cli_bind sa:sales/admin admin sales

VALUE='audit-must-never-show-this'
with_token "$LADM" secret set logistics.app DB <<<"$VALUE" >/dev/null || t_bail "secret set"
with_token "$SADM" secret set sales.app DB <<<"$VALUE" >/dev/null || t_bail "secret set"
with_token "$LDEV" secret list sales.app >/dev/null 2>&1 # a hidden-namespace denial

cli_run out with_token "$AUD" audit list
t_is "$out_RC" 0 "an auditor lists the whole log"
t_match "$out" "secret.set +logistics.app" "it shows logistics' change"
t_match "$out" "secret.set +sales.app" "and sales'"
t_match "$out" "denied \(denied:" "a denial shows its reason"
cli_run out with_token "$PLAT" audit list -o json
t_is "$out_RC" 0 "a platform-admin too (-o json)"
t_is "$(jq -r '.results[0].seq > .results[1].seq' <<<"$out")" true "newest first"
t_match "$(jq -r '.results[0].hash' <<<"$out")" "^[0-9a-f]{64}$" "each entry carries its chain hash"

cli_run out with_token "$LADM" audit list --namespace logistics
t_is "$out_RC" 0 "a namespace admin reads its namespace's log"
t_match "$out" "logistics.app" "with its entries"
t_fails "and nothing of sales" grep -q "sales.app" <<<"$out"
cli_run out with_token "$LADM" audit list
t_is "$out_RC" 1 "a namespace admin may not read the whole log"
t_match "$out_ERR" "auditors and platform-admins" "says who may"
cli_run out with_token "$LDEV" audit list --namespace logistics
t_is "$out_RC" 1 "a developer may not read the log"
t_match "$out_ERR" "403" "403"
cli_run out with_token "$SADM" audit list --namespace logistics
t_is "$out_RC" 1 "another domain's admin gets nothing"
t_match "$out_ERR" "404" "the namespace looks absent (404)"
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'audit.read' AND result = 'denied'")" 3 \
    "each refused read is itself audited"

cli_run out with_token "$AUD" audit list --action secret.set --result allowed -o json
t_is "$(jq -r '[.results[].action] | unique | join(",")' <<<"$out")" "secret.set" "--action filters"
t_is "$(jq -r '.results | length' <<<"$out")" 2 "exactly the two changes"
cli_run out with_token "$AUD" audit list --actor sa:sales/admin -o json
t_is "$(jq -r '[.results[].actor] | unique | join(",")' <<<"$out")" "sa:sales/admin" "--actor filters"
cli_run out with_token "$AUD" audit list --since 2000-01-01T00:00:00Z --limit 1
t_is "$out_RC" 0 "--since and --limit"
t_match "$out" "more: --before [0-9]+" "a full page says how to get the next"
B=$(grep -o -- '--before [0-9]*' <<<"$out" | cut -d' ' -f2)
cli_run out with_token "$AUD" audit list --before "$B" -o json
t_is "$(jq -r "[.results[].seq | select(. >= $B)] | length" <<<"$out")" 0 "--before pages back"

cli_run out with_token "$AUD" audit list --result maybe
t_is "$out_RC" 1 "an unknown result is refused"
t_match "$out_ERR" "400" "with 400"
cli_run out with_token "$AUD" audit list --since yesterday-ish
t_is "$out_RC" 1 "a bad --since is refused"
t_match "$out_ERR" "since must be a timestamp" "saying why"
cli_run out with_token "$AUD" audit list --limit 5000
t_is "$out_RC" 1 "a page over 1000 is refused"
S=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AUD" \
    "$WEFT_URL/api/v1/audit?actor=%27%3B%20DROP%20TABLE%20audit_log%3B--")
t_is "$S" 200 "a hostile filter value is only ever a parameter"
S=$(curl -s -o /dev/null -w '%{http_code}' "$WEFT_URL/api/v1/audit")
t_is "$S" 401 "no credentials: 401"

cli_run out with_token "$AUD" audit list -o json --limit 1000
t_fails "no entry carries a secret value" grep -qF "$VALUE" <<<"$out"
t_ok "the chain still verifies" "$WEFTD" audit verify

t_done
