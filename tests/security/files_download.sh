#!/usr/bin/env bash
# Execution files are read only through their execution, by a caller who may
# read its namespace (issue 15, item 7). Attacks: another team's file with a
# valid URI; a viewer of another namespace; path traversal, another
# execution's URI through this one, a namespace file's path, a file still
# being written; and a 100 MiB download whose memory must stay bounded in
# the gateway (one chunk at a time, however slow the client).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
# An ASan build keeps freed memory in quarantine (256 MB by default): every
# chunk that passed through the gateway would stay there and the bound below
# would measure ASan, not the download. A small quarantine keeps the check
# meaningful there too (shadow memory adds its share: a larger bound).
RSS_BOUND_MB=32
if ldd "$WF_BUILDDIR/weftd" 2>/dev/null | grep -q libasan; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
    RSS_BOUND_MB=64
fi
cli_setup

cli_domain sales sales
cli_domain ops ops
cli_admin
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales.etl
OTHER=$(cli_token sales other)
cli_bind sa:sales/other viewer sales.web
OPS=$(cli_token ops dev)
cli_bind sa:ops/dev developer ops

FLOW='
id: ingest
namespace: NS
inputs:
  - id: data
    type: FILE
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
'
req_apply "$WEFT_TOKEN" "${FLOW/NS/sales.etl}" || t_bail "apply"
req_apply "$WEFT_TOKEN" "${FLOW/NS/ops}" || t_bail "apply"

up() {
    local tok=$1 path=$2 out
    shift 2
    out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $tok" "$@" "$WEFT_URL$path")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
}
printf 'secret,figures\n' >"$CLI_TMP/a.csv"
up "$DEV" /api/v1/executions/sales.etl/ingest -F "data=@$CLI_TMP/a.csv"
A=$(jx "$R" d.id)
up "$DEV" /api/v1/executions/sales.etl/ingest -F "data=@$CLI_TMP/a.csv"
B=$(jx "$R" d.id)
up "$OPS" /api/v1/executions/ops/ingest -F "data=@$CLI_TMP/a.csv"
O=$(jx "$R" d.id)
[ ${#A} = 22 ] && [ ${#B} = 22 ] && [ ${#O} = 22 ] || t_bail "uploads failed: $R"
AURI="weft:///sales/etl/ingest/executions/$A/inputs/data/a.csv"
BURI="weft:///sales/etl/ingest/executions/$B/inputs/data/a.csv"
OURI="weft:///ops/ingest/executions/$O/inputs/data/a.csv"

req "$DEV" GET "/api/v1/executions/$A/file?path=$AURI"
t_is "$S" 200 "the owner downloads its file"

# ---- other teams ---------------------------------------------------------------
req "$OPS" GET "/api/v1/executions/$A/file?path=$AURI"
t_is "$S" 404 "another team's file, valid URI: 404 (not 403)"
t_fails "nothing of the content leaks" grep -q figures <<<"$R"
req "$OPS" GET "/api/v1/executions/$A/files"
t_is "$S" 404 "another team cannot list the execution's files"
req "$OPS" GET "/api/v1/executions/$A/file/metas?path=$AURI"
t_is "$S" 404 "nor learn a file's size"
req "$OPS" GET "/api/v1/executions/$O/file?path=$AURI"
t_is "$S" 404 "its own execution does not reach sales' URI"
t_match "$R" "not a file of execution $O" "refused as outside that execution"
req "$OTHER" GET "/api/v1/executions/$A/file?path=$AURI"
t_is "$S" 404 "a viewer of another namespace of the same team: 404"
req "$OTHER" GET "/api/v1/executions/$A/files"
t_is "$S" 404 "and no list"
req "$DEV" GET "/api/v1/executions/0000000000000000000000/file?path=$AURI"
t_is "$S" 404 "an unknown execution: 404"

# ---- paths -------------------------------------------------------------------------
req "$DEV" GET "/api/v1/executions/$A/file?path=$BURI"
t_is "$S" 404 "another execution's URI through this one is refused"
t_match "$R" "the path is not a file of execution $A" "with a precise message"
req "$DEV" GET "/api/v1/executions/$A/file?path=weft:///sales/etl/ingest/executions/$A/../$B/inputs/data/a.csv"
t_is "$S" 400 "'..' in the path"
t_match "$R" "'\\.\\.' is not allowed as a path component" "is named"
req "$DEV" GET "/api/v1/executions/$A/file?path=weft:///sales/etl/ingest/executions/$A/inputs/data/%2e%2e/%2e%2e/%2e%2e/$B/inputs/data/a.csv"
t_is "$S" 400 "encoded '..' as well"
req "$DEV" GET "/api/v1/executions/$A/file?path=weft:///sales/etl/ingest/executions/$A//inputs/data/a.csv"
t_is "$S" 400 "an empty segment"
req "$DEV" GET "/api/v1/executions/$A/file?path=weft:///sales/etl/ingest/executions/$A/inputs/data/a.csv%0d%0aX-Evil:%201"
t_is "$S" 400 "a CR LF in the path (no header injection)"
req "$DEV" GET "/api/v1/executions/$A/file?path=file:///etc/passwd"
t_is "$S:$(jx "$R" d.detail)" "400:path: 'file:///etc/passwd' is not a file URI (weft:///… or kestra:///…)" \
    "another scheme"
req "$DEV" GET "/api/v1/executions/$A/file"
t_is "$S" 400 "no path at all"
req "$DEV" GET "/api/v1/executions/$A/file?path=weft:///sales/etl/ingest/executions/$A/"
t_is "$S" 400 "the execution's folder itself"
# A namespace file whose path mimics an execution's: never served here.
pg_psql -c "INSERT INTO storage_files (domain, namespace, kind, path, size, sha256, complete)
  VALUES ('sales', 'sales.etl', 'namespace', '/sales/etl/ingest/executions/$A/ns.txt', 0, 'x', true)" >/dev/null
req "$DEV" GET "/api/v1/executions/$A/file?path=weft:///sales/etl/ingest/executions/$A/ns.txt"
t_is "$S" 404 "a namespace file is not an execution file"
# A file still being written is invisible.
pg_psql -c "INSERT INTO storage_files (domain, namespace, kind, path, execution_id, complete)
  VALUES ('sales', 'sales.etl', 'execution', '/sales/etl/ingest/executions/$A/tasks/t/r/part.csv', '$A', false)" >/dev/null
req "$DEV" GET "/api/v1/executions/$A/file?path=weft:///sales/etl/ingest/executions/$A/tasks/t/r/part.csv"
t_is "$S" 404 "an incomplete file is not served"
req "$DEV" GET "/api/v1/executions/$A/files"
t_is "$(jx "$R" 'd.results.length')" 1 "nor listed"

# ---- a file name that would break the header ---------------------------------------
printf 'x' >"$CLI_TMP/plain"
out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $DEV" \
    -F 'data=@'"$CLI_TMP/plain"';filename="../../we\"ird;name.csv"' "$WEFT_URL/api/v1/executions/sales.etl/ingest")
W=$(jx "${out%$'\n'*}" d.id)
t_is "$(pg_psql -c "SELECT path FROM storage_files WHERE execution_id = '$W'")" \
    "/sales/etl/ingest/executions/$W/inputs/data/we%22ird;name.csv" \
    "the stored name is the base name (curl sends the quote as %22, as browsers do)"
H=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $DEV" \
    "$WEFT_URL/api/v1/executions/$W/file?path=weft:///sales/etl/ingest/executions/$W/inputs/data/we%252522ird%3Bname.csv" | tr -d '\r')
t_match "$H" 'content-disposition: attachment; filename="we%22ird;name.csv"; filename\*=UTF-8'"''"'we%2522ird%3Bname.csv' \
    "the name is quoted, and percent-encoded in filename*"

# ---- a chunk changed in the database: the download is cut, never served whole --------
pg_psql -c "UPDATE storage_chunks SET data = overlay(data placing 'X'::bytea from 1)
  WHERE file_id = (SELECT id FROM storage_files WHERE execution_id = '$B' AND kind = 'execution')" >/dev/null
curl -s -o "$CLI_TMP/tampered" -H "Authorization: Bearer $DEV" "$WEFT_URL/api/v1/executions/$B/file?path=$BURI"
t_is "$?" 18 "a file whose content no longer matches its SHA-256 is cut (curl: partial transfer)"
t_ok "the client got less than the announced length" test "$(stat -c %s "$CLI_TMP/tampered" 2>/dev/null || echo 0)" -lt 15

# ---- 100 MiB: the gateway's memory stays bounded ------------------------------------
FID=$(pg_psql -c "INSERT INTO storage_files (domain, namespace, kind, path, execution_id, size, sha256, complete)
  VALUES ('sales', 'sales.etl', 'execution', '/sales/etl/ingest/executions/$A/tasks/gen/r1/big.dat', '$A', 104857600, 'pending', true) RETURNING id")
pg_psql -c "INSERT INTO storage_chunks (file_id, seq, domain, data)
  SELECT $FID, g, 'sales', decode(repeat(md5(g::text), 65536), 'hex') FROM generate_series(0, 99) g" >/dev/null
WANT=$(pg_psql -c "SELECT encode(sha256(string_agg(data, ''::bytea ORDER BY seq)), 'hex') FROM storage_chunks WHERE file_id = $FID")
pg_psql -c "UPDATE storage_files SET sha256 = '$WANT' WHERE id = $FID" >/dev/null
rss() { awk '/^VmRSS/ {print $2}' "/proc/$_cli_gw_pid/status"; }
before=$(rss)
peak=$before
# A slow reader (20 MB/s): the gateway must wait for it, not buffer the file.
curl -s --limit-rate 20M -o "$CLI_TMP/big.out" -H "Authorization: Bearer $DEV" \
    "$WEFT_URL/api/v1/executions/$A/file?path=weft:///sales/etl/ingest/executions/$A/tasks/gen/r1/big.dat" &
cpid=$!
while kill -0 $cpid 2>/dev/null; do
    r=$(rss)
    [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.1
done
wait $cpid
t_is "$(stat -c %s "$CLI_TMP/big.out")" 104857600 "the 100 MiB file arrives whole"
t_is "$(sha256sum <"$CLI_TMP/big.out" | cut -c1-64)" "$WANT" "byte-exact"
growth=$(((peak - before) / 1024))
t_diag "gateway RSS: ${before} KiB before, ${peak} KiB at the peak (+${growth} MiB) for a 100 MiB download"
t_ok "the gateway's RSS grew by less than $RSS_BOUND_MB MiB (+${growth} MiB)" test "$growth" -lt "$RSS_BOUND_MB"

t_done
