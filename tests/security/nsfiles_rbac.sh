#!/usr/bin/env bash
# Attacks on namespace files through the gateway and from a compromised
# executor: a viewer writes, moves and deletes; another team reads and writes
# a namespace it cannot see; paths try to leave the namespace's tree or
# reach the upload staging rows; a file name tries to break out of the
# Content-Disposition header; an upload passes the size limit or the
# domain's storage quota (maxStorage); domain ops'
# executor role reads, writes and calls the tree functions on sales' files.
# Each is refused and leaves the files as they were.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
CFG=$(mktemp)
printf 'namespace_files:\n  max_file_size: 64KiB\n' >"$CFG"
cli_setup --config "$CFG"
rm -f "$CFG"

cli_domain sales sales
cli_domain ops ops
cli_admin
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales
VIEW=$(cli_token sales viewer)
cli_bind sa:sales/viewer viewer sales
OPS=$(cli_token ops dev)
cli_bind sa:ops/dev developer ops
T=$CLI_TMP/nsr
mkdir -p "$T"

# f TOKEN METHOD QUERY-PATH [CURL ARGS...]: status in S, body in R.
f() {
    local tok=$1 m=$2 p=$3 out
    shift 3
    out=$(curl -s -w '\n%{http_code}' -X "$m" ${tok:+-H "Authorization: Bearer $tok"} "$@" \
        "$WEFT_URL/api/v1/namespaces/$p")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
}
raw() { f "$@" -H 'Content-Type: application/octet-stream'; }

raw "$DEV" POST 'sales/files?path=/secret/plan.txt' --data-binary 'sales-private'
t_is "$S" 200 "sales' developer stores a file"
raw "$OPS" POST 'ops/files?path=/ops.txt' --data-binary 'ops-private'
t_is "$S" 200 "ops' developer stores one in ops"
intact() { # the file is still there, unchanged
    f "$DEV" GET 'sales/files?path=/secret/plan.txt'
    t_is "$S:$R" "200:sales-private" "$1"
}

# ---- a viewer cannot write ---------------------------------------------------
raw "$VIEW" POST 'sales/files?path=/secret/plan.txt' --data-binary 'viewer-was-here'
t_is "$S" 403 "a viewer cannot upload"
t_match "$(jx "$R" d.reason)" "^denied:" "with the RBAC reason"
f "$VIEW" DELETE 'sales/files?path=/secret/plan.txt'
t_is "$S" 403 "nor delete a file"
f "$VIEW" DELETE 'sales/files?path=/secret'
t_is "$S" 403 "nor a directory"
f "$VIEW" PUT 'sales/files?from=/secret/plan.txt&to=/moved.txt'
t_is "$S" 403 "nor move"
f "$VIEW" POST 'sales/files/directory?path=/viewer-dir'
t_is "$S" 403 "nor create a directory"
intact "the file is unchanged"
f "$VIEW" GET 'sales/files?path=/secret/plan.txt'
t_is "$S:$R" "200:sales-private" "while reading is allowed"

# ---- another team sees nothing -----------------------------------------------
for q in 'files?path=/secret/plan.txt' 'files/directory?path=/' 'files/stats?path=/secret'; do
    f "$OPS" GET "sales/$q"
    t_is "$S" 404 "ops cannot read sales' $q (404: the namespace is hidden)"
    t_fails "and learns nothing of it" grep -q 'sales-private\|plan.txt' <<<"$R"
done
raw "$OPS" POST 'sales/files?path=/secret/plan.txt' --data-binary 'ops-was-here'
t_is "$S" 404 "ops cannot overwrite sales' file"
f "$OPS" DELETE 'sales/files?path=/secret'
t_is "$S" 404 "nor delete it"
f "$OPS" PUT 'sales/files?from=/secret/plan.txt&to=/x.txt'
t_is "$S" 404 "nor move it"
f "" GET 'sales/files?path=/secret/plan.txt'
t_is "$S" 401 "no token: 401"
intact "sales' file is intact"

# ---- paths ---------------------------------------------------------------------
for p in '../ops/ops.txt' '/secret/../../ops/ops.txt' '/%2e%2e/ops/ops.txt' '/a/./b' \
    '/secret//plan.txt' '/a%00b' '/a%5cb' '/.weft-upload/1' '/x%0a.txt'; do
    f "$DEV" GET "sales/files?path=$p"
    t_is "$S" 400 "download of '$p' is refused (400)"
    raw "$DEV" POST "sales/files?path=$p" --data-binary 'x'
    t_is "$S" 400 "upload to '$p' is refused (400)"
done
f "$DEV" PUT 'sales/files?from=/secret/plan.txt&to=/../ops/stolen.txt'
t_is "$S" 400 "a move out of the tree is refused"
f "$DEV" GET "sales/files?path=/$(head -c 1030 /dev/zero | tr '\0' a)"
t_is "$S" 400 "an over-long path is refused"
f "$DEV" GET 'sales/files?path=../ops/ops.txt'
t_match "$(jx "$R" d.detail)" "'\.\.' segment" "with the precise reason"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE namespace = 'sales' AND path LIKE '%..%'")" 0 \
    "nothing was stored under a traversal path"
f "$DEV" GET 'ops/files?path=/ops.txt'
t_is "$S" 404 "sales' developer cannot read ops' file by its own namespace either"
f "$DEV" GET '..%2Fops/files?path=/ops.txt'
t_ok "nor through an encoded namespace" test "$S" = 404 -o "$S" = 400

# A file being uploaded (incomplete) is invisible.
pg_psql -c "INSERT INTO storage_files (domain, namespace, kind, path) VALUES ('sales', 'sales', 'namespace', '/half.txt')" >/dev/null
f "$DEV" GET 'sales/files?path=/half.txt'
t_is "$S" 404 "an incomplete file cannot be downloaded"
f "$DEV" GET 'sales/files/directory?path=/'
t_fails "nor is it listed" grep -q half.txt <<<"$R"

# ---- headers and limits ----------------------------------------------------------
raw "$DEV" POST 'sales/files?path=/q%22%3B%20filename%3Devil.sh' --data-binary 'x'
t_is "$S" 200 "a name with a quote and a semicolon is a valid file"
H=$(curl -s -o /dev/null -D - -H "Authorization: Bearer $DEV" \
    "$WEFT_URL/api/v1/namespaces/sales/files?path=/q%22%3B%20filename%3Devil.sh" | tr -d '\r')
t_match "$H" "content-disposition: attachment; filename\*=UTF-8''q%22%3B%20filename%3Devil\.sh" \
    "its download names it percent-encoded: no header injection"
t_match "$H" "x-content-type-options: nosniff" "and is never sniffed"
head -c 70000 /dev/zero >"$T/big"
raw "$DEV" POST 'sales/files?path=/big.bin' --data-binary @"$T/big"
t_is "$S" 413 "an upload past namespace_files.max_file_size is refused"
t_match "$(jx "$R" d.detail)" "namespace_files.max_file_size" "naming the limit"
f "$DEV" POST 'sales/files?path=/big.bin' -F "fileContent=@$T/big"
t_is "$S" 413 "as multipart too"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE path = '/big.bin' OR (namespace = 'sales' AND NOT complete AND path <> '/half.txt')")" 0 \
    "and nothing of it is stored"

# The domain's storage quota (policy maxStorage) holds for uploads too:
# ops already keeps about 1 MB (its logs, say) under a 1 MiB quota.
req "$WEFT_TOKEN" PUT /api/v1/namespaces/ops/policy '{"maxStorage": "1MiB"}'
t_is "$S" 200 "the platform sets ops' maxStorage to 1 MiB"
pg_psql -c "INSERT INTO domain_storage_usage (domain, bytes) VALUES ('ops', 1000000)" >/dev/null
head -c 30000 /dev/zero >"$T/30k"
raw "$OPS" POST 'ops/files?path=/a.bin' --data-binary @"$T/30k"
t_is "$S" 200 "an upload within the quota is stored"
raw "$OPS" POST 'ops/files?path=/b.bin' --data-binary @"$T/30k"
t_is "$S" 429 "one past the quota is refused"
t_match "$(jx "$R" d.detail)" "storage quota \(policy maxStorage of 'ops', 1048576 bytes\) exceeded: 1030011 bytes used" \
    "naming the policy and the limit"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE namespace = 'ops' AND (path = '/b.bin' OR NOT complete)")" 0 \
    "and nothing of it stays"
f "$OPS" DELETE 'ops/files?path=/a.bin'

# ---- a compromised executor of ops ---------------------------------------------------
O_URL=${WEFT_DATABASE_URL/user=weft/user=weft_domain_ops}
as_ops() { psql -XAtq -v ON_ERROR_STOP=1 "$O_URL" "$@"; }
t_is "$(as_ops -c "SELECT current_user")" weft_domain_ops "ops' executor role logs in"
t_is "$(as_ops -c "SELECT count(*) FROM storage_files WHERE kind = 'namespace'")" 1 "it sees its own file only"
t_is "$(as_ops -c "SELECT count(*) FROM storage_files WHERE namespace = 'sales' OR domain = 'sales'")" 0 \
    "0 rows of sales' namespace files"
t_is "$(as_ops -c "SELECT count(*) FROM storage_chunks WHERE domain = 'sales' OR encode(data, 'escape') LIKE '%sales-private%'")" 0 \
    "0 rows of their content"
t_fails "it cannot write a file into sales' namespace" as_ops -c \
    "INSERT INTO storage_files (domain, namespace, kind, path) VALUES ('ops', 'sales', 'namespace', '/x')"
t_fails "nor call the gateway's tree functions" as_ops -c "SELECT weft_nsfile_delete('sales', '/secret')"
t_fails "nor stage an upload" as_ops -c "SELECT weft_nsfile_begin('sales', 'x')"
as_ops -c "DELETE FROM storage_files WHERE namespace = 'sales'" >/dev/null 2>&1
as_ops -c "UPDATE storage_files SET path = '/stolen' WHERE namespace = 'sales'" >/dev/null 2>&1
intact "sales' file survives ops' deletes and updates"
t_done
