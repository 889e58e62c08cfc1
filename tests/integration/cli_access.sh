#!/usr/bin/env bash
# weft sa / sa token / rbac / auth can-i against a real gateway: a new
# service account starts with nothing, its token is printed once and works,
# bindings grant and unbinding takes away, a revoked token is refused, and
# nobody grants above their own role.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain sales sales
cli_admin

# ---- service accounts ----
cli_run out weft sa create sales ci --description "CI pipeline"
t_is "$out_RC:$out" "0:created  sa:sales/ci" "sa create"
cli_run out weft sa create sales ci
t_is "$out_RC" 1 "creating it twice: exit 1"
t_match "$out_ERR" "Conflict \(409\)" "with the 409 line"
cli_run out weft sa create sales "Bad Name"
t_is "$out_RC" 1 "an invalid name: exit 1"
t_match "$out_ERR" "Unprocessable Content \(422\)" "with the 422 line"
cli_run out weft sa list sales
t_match "$out" "sales +ci +CI pipeline" "sa list"
cli_run out weft sa list sales -o json
t_is "$(jx "$out" 'd.map(a => a.namespace + "/" + a.name).join()')" "sales/ci" "sa list -o json"

# ---- tokens: printed once, alone on stdout ----
weft sa token create sales ci --description deploy --expires-in 30d >"$CLI_TMP/ci.token" \
    2>"$CLI_TMP/ci.err"
t_is "$?" 0 "sa token create"
t_match "$(cat "$CLI_TMP/ci.token")" "^weft_sa_[A-Za-z0-9_-]{43}$" "stdout holds only the token"
t_match "$(cat "$CLI_TMP/ci.err")" "shown once, store it now" "stderr says it is shown once"
cli_run out weft sa token list sales ci
t_match "$out" "^ID +DESCRIPTION" "sa token list"
t_match "$out" "deploy" "lists the token by description"
t_fails "and never shows the secret" grep -qFf "$CLI_TMP/ci.token" <<<"$out"
TOKEN_ID=$(jx "$(weft sa token list sales ci -o json)" 'd[0].id')
cli_run out weft sa token create sales ci --expires-in soon
t_is "$out_RC" 2 "a malformed --expires-in: exit 2"

CI() { with_token "$(cat "$CLI_TMP/ci.token")" "$@"; }
cli_run out CI me
t_match "$out" "subject: +sa:sales/ci" "the new token works"
cli_run out CI flow list sales
t_is "$out_RC" 1 "a new service account has no rights: exit 1"
cli_run out CI auth can-i flow.read sales
t_is "$out_RC" 1 "auth can-i says no: exit 1"
t_match "$out" "^no" "and prints no"
t_match "$out" "reason: +denied:" "with a reason code"

# ---- bindings ----
cli_run out weft rbac bind sa:sales/ci viewer sales
t_is "$out_RC" 0 "rbac bind"
t_match "$out" "bound  sa:sales/ci viewer on sales" "names the binding"
cli_run out CI auth can-i flow.read sales.reports
t_is "$out_RC" 0 "a binding on sales covers sales.reports: exit 0"
t_match "$out" "^yes" "and prints yes"
t_match "$out" "via: +sa:sales/ci is viewer on sales" "explaining which binding"
cli_run out CI auth can-i flow.write sales
t_is "$out_RC" 1 "a viewer cannot write flows"
cli_run out weft auth can-i flow.read sales --as sa:sales/ci
t_is "$out_RC" 0 "an admin asks for another subject with --as"
cli_run out weft auth can-i flow.read sales --as sa:sales/ci -o json
t_is "$(jx "$out" d.allowed):$(jx "$out" d.subject)" "true:sa:sales/ci" "can-i -o json"
cli_run out CI auth can-i flow.read sales --as sa:weft/admin
t_is "$out_RC" 1 "a viewer may not ask for someone else"
cli_run out weft auth can-i nosuch.action sales
t_is "$out_RC" 1 "an unknown action: exit 1"
t_match "$out_ERR" "actions: .*flow\.read" "the known actions are listed"
cli_run out weft rbac list sales
t_match "$out" "sa:sales/ci +viewer +sales" "rbac list"
cli_run out CI rbac bind sa:sales/ci admin sales
t_is "$out_RC" 1 "a viewer cannot grant itself admin"
t_is "$(pg_psql -c "SELECT count(*) FROM role_bindings WHERE subject = 'sa:sales/ci' AND role = 'admin'")" \
    0 "no admin binding was written"
cli_run out weft rbac bind sa:sales/ci wizard sales
t_is "$out_RC" 1 "an unknown role: exit 1"
cli_run out weft rbac unbind sa:sales/ci viewer sales
t_is "$out_RC" 0 "rbac unbind by subject, role and namespace"
cli_run out CI auth can-i flow.read sales
t_is "$out_RC" 1 "after unbind: denied again"
cli_run out weft rbac unbind sa:sales/ci viewer sales
t_is "$out_RC" 1 "unbinding what is not bound: exit 1"
t_match "$out_ERR" "no binding of sa:sales/ci as viewer on sales" "says so"
weft rbac bind sa:sales/ci launcher sales >/dev/null 2>&1
BID=$(jx "$(weft rbac list sales -o json)" 'd.find(b => b.role === "launcher").id')
cli_run out weft rbac unbind "$BID"
t_is "$out_RC:$out" "0:unbound  binding $BID" "rbac unbind by id"

# ---- revocation ----
cli_run out weft sa token revoke sales ci "$TOKEN_ID"
t_is "$out_RC" 0 "sa token revoke"
cli_run out CI me
t_is "$out_RC" 1 "a revoked token is refused: exit 1"
t_match "$out_ERR" "Unauthorized \(401\)" "with a clear 401 line"
cli_run out weft sa token revoke sales ci "$TOKEN_ID"
t_is "$out_RC" 1 "revoking twice: exit 1"
TID2=$(jx "$(weft sa token create sales ci -o json 2>/dev/null)" d.id)
cli_run out weft sa token revoke sales ci "$TID2" -o yaml
t_is "$out_RC:$(tr '\n' ' ' <<<"$out")" "0:subject: sa:sales/ci tokenId: $TID2 revoked: true " \
    "sa token revoke -o yaml"
weft rbac bind sa:sales/ci viewer sales >/dev/null 2>&1
BID=$(jx "$(weft rbac list sales -o json)" 'd.find(b => b.subject === "sa:sales/ci").id')
cli_run out weft rbac unbind "$BID" -o json
t_is "$(jx "$out" 'd.bindingId + " " + d.deleted')" "$BID true" "rbac unbind -o json"

# ---- deleting an account ----
weft sa create sales bot >/dev/null 2>&1
weft sa token create sales bot >"$CLI_TMP/bot.token" 2>/dev/null
weft rbac bind sa:sales/bot viewer sales >/dev/null 2>&1
BOT() { with_token "$(cat "$CLI_TMP/bot.token")" "$@"; }
cli_run out BOT auth can-i flow.read sales
t_is "$out_RC" 0 "the account to delete works before"
cli_run out weft sa delete sales bot
t_is "$out_RC:$out" "0:deleted  sa:sales/bot  (1 tokens revoked, 1 bindings removed)" "sa delete"
cli_run out BOT me
t_is "$out_RC" 1 "its token is refused at once: exit 1"
t_match "$out_ERR" "Unauthorized \(401\)" "with the 401 line"
t_is "$(pg_psql -c "SELECT count(*) FROM role_bindings WHERE subject = 'sa:sales/bot'")" 0 \
    "its binding is gone"
cli_run out weft sa delete sales bot
t_is "$out_RC" 1 "deleting it twice: exit 1"
t_match "$out_ERR" "Not Found \(404\)" "with the 404 line"
weft sa create sales bot2 >/dev/null 2>&1
cli_run out weft sa delete sales bot2 -o json
t_is "$(jx "$out" 'd.subject + " " + d.tokensRevoked + " " + d.bindingsDeleted')" "sa:sales/bot2 0 0" \
    "sa delete -o json"
cli_run out CI sa delete sales ci
t_is "$out_RC" 1 "a revoked token cannot delete an account"
cli_run out weft sa delete sales
t_is "$out_RC" 2 "sa delete without a name: exit 2"

t_done
