#!/usr/bin/env bash
# weft flow apply|get|list|delete|revisions against a real gateway: dry-run
# changes nothing, a second apply is all unchanged, --diff, --prune deletes
# exactly the removed file's flow (and nothing outside its scope), an invalid
# file blocks the whole apply with its position, RBAC refusals are one line.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain sales sales
cli_admin
live() { pg_psql -c "SELECT count(*) FROM flows WHERE NOT deleted $1"; }

D=$CLI_TMP/flows
mkdir -p "$D/reports" "$D/.hidden"
flow() { # flow NS ID MESSAGE
    printf 'id: %s\nnamespace: %s\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: "%s"\n' "$2" "$1" "$3"
}
flow sales.reports daily "daily report" >"$D/reports/daily.yaml"
flow sales.reports weekly "weekly report" >"$D/reports/weekly.yml"
flow sales.ops cleanup "cleanup" >"$D/cleanup.yaml"
echo "not: [a flow" >"$D/.hidden/ignored.yaml"
echo "ignored" >"$D/README.md"

# ---- dry run ----
cli_run out weft flow apply -f "$D" --dry-run
t_is "$out_RC" 0 "apply --dry-run: exit 0"
t_is "$(grep -c '^created .*\[dry run\]' <<<"$out")" 3 "dry run reports three flows to create"
t_match "$out_ERR" "dry run: nothing was changed" "and says nothing changed"
t_is "$(live)" 0 "dry run changes nothing on the server"

# ---- apply, then apply again ----
cli_run out weft flow apply -f "$D"
t_is "$out_RC" 0 "apply: exit 0"
t_match "$out" "created +sales.reports/daily +\($D/reports/daily.yaml\) +revision 1" \
    "each flow reported created, with file and revision"
t_is "$(grep -c '^created' <<<"$out")" 3 "three created"
t_match "$out_ERR" "3 created, 0 updated, 0 unchanged, 0 deleted" "with a summary"
t_is "$(live)" 3 "three flows on the server"
cli_run out weft flow apply -f "$D"
t_is "$(grep -c '^unchanged' <<<"$out"):$out_RC" "3:0" "a second apply reports all unchanged"
t_is "$(pg_psql -c 'SELECT count(*) FROM flow_revisions')" 3 "and makes no new revision"
cli_run out weft flow apply -f "$D" --dry-run
t_is "$(grep -c '^unchanged' <<<"$out")" 3 "dry run against the server: all unchanged"

# ---- update with --diff ----
flow sales.reports weekly "weekly summary" >"$D/reports/weekly.yml"
cli_run out weft flow apply -f "$D" --diff --dry-run
t_match "$out" "updated +sales.reports/weekly" "dry run sees the update"
t_ok "--diff shows the old line" grep -qx -- '-    message: "weekly report"' <<<"$out"
t_ok "--diff shows the new line" grep -qx -- '+    message: "weekly summary"' <<<"$out"
t_match "$out" "@@ -3,4 \+3,4 @@" "as a unified diff hunk"
t_is "$(pg_psql -c "SELECT revision FROM flows WHERE id = 'weekly'")" 1 "still revision 1 after the dry run"
cli_run out weft flow apply -f "$D" -o json
t_is "$out_RC" 0 "apply -o json"
t_is "$(jx "$out" 'd.filter(r => r.action === "updated").map(r => r.id + ":" + r.revision).join()')" \
    "weekly:2" "-o json: one updated flow, revision 2"
t_is "$(jx "$out" 'd.filter(r => r.action === "unchanged").length')" 2 "the others unchanged"

# ---- an invalid file blocks everything ----
flow sales.reports fresh "new one" >"$D/reports/fresh.yaml"
printf 'id: broken\nnamespace: sales.reports\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Nope\n' >"$D/reports/broken.yaml"
flow sales.reports daily "changed too" >"$D/reports/daily.yaml"
cli_run out weft flow apply -f "$D"
t_is "$out_RC" 1 "an invalid file: exit 1"
t_match "$out_ERR" "$D/reports/broken.yaml:5:11: error: tasks\[0\]\.type: " \
    "the error has its FILE:LINE:COL and path"
t_match "$out_ERR" "1 of 5 files invalid: nothing applied" "and nothing is applied"
t_is "$(live "AND id = 'fresh'")" 0 "the valid new flow was not created"
t_is "$(pg_psql -c "SELECT revision FROM flows WHERE id = 'daily'")" 1 \
    "the valid changed flow was not updated"
rm "$D/reports/broken.yaml"
cp "$D/reports/fresh.yaml" "$D/dup.yaml"
cli_run out weft flow apply -f "$D"
t_is "$out_RC" 1 "the same flow in two files: exit 1"
t_match "$out_ERR" "flow sales.reports/fresh is also defined in" "naming both files"
rm "$D/dup.yaml" "$D/reports/fresh.yaml"
flow sales.reports daily "daily report" >"$D/reports/daily.yaml"
cli_run out weft flow apply -f "$D/missing.yaml"
t_is "$out_RC" 1 "a missing file: exit 1"
t_match "$out_ERR" "missing.yaml: error: cannot read" "with the reason"
cli_run out weft flow apply -f "$D" --namespace sales.reports
t_is "$out_RC" 1 "--namespace with a flow outside it: exit 1"
t_match "$out_ERR" "namespace sales.ops is outside --namespace sales.reports" "saying which"

# ---- prune ----
# A flow of a child namespace, owned by another folder: never pruned by an
# apply that does not name it.
flow sales.reports.eu other "someone else's" >"$CLI_TMP/other.yaml"
weft flow apply -f "$CLI_TMP/other.yaml" >/dev/null 2>&1
# Without --namespace the scope is the namespaces the files name, so sales.ops
# keeps one file.
flow sales.ops keep "keep" >"$D/keep.yaml"
rm "$D/cleanup.yaml"
cli_run out weft flow apply -f "$D" --prune --dry-run
t_match "$out" "deleted +sales.ops/cleanup +\[dry run\]" "prune dry run names the flow"
t_is "$(live "AND id = 'cleanup'")" 1 "and deletes nothing"
cli_run out weft flow apply -f "$D" --prune
t_is "$out_RC" 0 "apply --prune: exit 0"
t_is "$(grep -c '^deleted' <<<"$out")" 1 "prune deletes exactly one flow"
t_match "$out" "deleted +sales.ops/cleanup" "the removed file's flow"
t_is "$(live "AND id = 'cleanup'")" 0 "it is gone from the server"
t_is "$(live "AND id = 'other'")" 1 "a child namespace's flow is untouched"
t_is "$(live)" 4 "daily, weekly, keep and other remain"
cli_run out weft flow apply -f "$D/reports" --prune --namespace sales.reports
t_match "$out" "deleted +sales.reports.eu/other" "--namespace PREFIX prunes all of PREFIX"
t_is "$(live "AND namespace = 'sales.ops'")" 1 "and nothing outside it"

# ---- get, list, revisions, delete ----
cli_run out weft flow get sales.reports weekly
t_match "$out" "sales.reports +weekly +2 +false" "flow get: a summary row"
cli_run out weft flow get sales.reports weekly --source
t_is "$out" "$(cat "$D/reports/weekly.yml")" "flow get --source gives the file back"
cli_run out weft flow get sales.reports weekly -o json
t_is "$(jx "$out" d.revision):$(jx "$out" d.tasks[0].id)" "2:hello" "flow get -o json: the API document"
cli_run out weft flow list sales
t_is "$(grep -c '^sales' <<<"$out")" 3 "flow list: three flows under sales"
cli_run out weft flow list sales -o json
t_is "$(jx "$out" 'd.map(f => f.id).join()')" "keep,daily,weekly" "flow list -o json"
cli_run out weft flow list
t_is "$(grep -c '^sales' <<<"$out")" 3 "flow list without a namespace: the admin sees every domain's"
cli_run out weft flow revisions sales.reports weekly
t_is "$(grep -cE '^[12] ' <<<"$out")" 2 "flow revisions lists both"
cli_run out weft flow revisions sales.reports weekly --revision 1
t_match "$out" 'message: "weekly report"' "--revision 1 prints the old source"
cli_run out weft flow revisions sales.reports weekly --revision 9
t_is "$out_RC" 1 "an unknown revision: exit 1"
cli_run out weft flow delete sales.ops keep
t_is "$out_RC:$out" "0:deleted  sales.ops/keep" "flow delete"
cli_run out weft flow delete sales.ops keep -o json
t_is "$out_RC" 1 "deleting it twice: exit 1"
t_is "$out" "" "and nothing on stdout, even with -o json"
cli_run out weft flow get sales.ops keep
t_is "$out_RC" 1 "get of a deleted flow: exit 1"
t_match "$out_ERR" "Not Found \(404\)" "with the problem title and status"
cli_run out weft flow validate "$D"
t_is "$out_RC" 0 "weft flow validate still works"

# ---- many files: a progress line on a terminal, never in a pipe ----
mkdir -p "$CLI_TMP/many"
for i in $(seq 1 30); do flow sales.bulk "f$i" "n $i" >"$CLI_TMP/many/f$i.yaml"; done
if command -v script >/dev/null; then
    tty_out=$(env -u NO_COLOR script -qec "$WEFT flow apply -f $CLI_TMP/many --dry-run" /dev/null)
    t_match "$tty_out" "checking 30/30: " "on a terminal apply shows a progress line"
    # NO_COLOR removes colour only: the line stays, drawn without escapes.
    tty_out=$(NO_COLOR=1 script -qec "$WEFT flow apply -f $CLI_TMP/many --dry-run" /dev/null)
    t_match "$tty_out" "checking 30/30: " "with NO_COLOR=1 the progress line still shows"
    t_fails "and carries no escape sequence" grep -q $'\033' <<<"$tty_out"
else
    t_skip "progress line on a terminal" "no script(1)"
fi
cli_run out weft flow apply -f "$CLI_TMP/many"
t_is "$(grep -c '^created' <<<"$out"):$out_RC" "30:0" "thirty flows applied"
t_fails "no progress line when stderr is not a terminal" grep -q "applying" <<<"$out_ERR"

# ---- refused by RBAC ----
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales.reports
flow sales.ops sneaky "x" >"$CLI_TMP/sneaky.yaml"
cli_run out with_token "$DEV" flow apply -f "$CLI_TMP/sneaky.yaml"
t_is "$out_RC" 1 "a developer of sales.reports applying into sales.ops: exit 1"
t_match "$out_ERR" "sneaky.yaml: error: sales.ops/sneaky not applied" "the flow is named"
t_match "$out_ERR" "error: (Forbidden \(403\)|Not Found \(404\))" "with the server's refusal"
t_is "$(live "AND id = 'sneaky'")" 0 "nothing was written"
cli_run out with_token "$DEV" flow apply -f "$D/reports"
t_is "$out_RC" 0 "the developer applies in their own namespace"
cli_run out with_token "$DEV" flow list
t_is "$(awk 'NR > 1 {print $1 "/" $2}' <<<"$out" | tr '\n' ' ')" \
    "sales.reports/daily sales.reports/weekly " "flow list without a namespace: the namespaces bound to the caller"
NOBODY=$(cli_token sales nobody)
cli_run out with_token "$NOBODY" flow list
t_is "$out_RC" 1 "flow list for a caller bound nowhere: exit 1"
t_match "$out_ERR" "no namespace is bound to you" "says why"

t_done
