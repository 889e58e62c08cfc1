#!/usr/bin/env bash
# Execution files through the gateway (issue 15, items 3 and 7): FILE inputs
# uploaded as multipart/form-data (curl -F and `weft run --input K=@FILE`),
# stored in the execution's transaction; the list of an execution's files;
# byte-exact downloads (a 6 MiB file spans several 1 MiB chunks), the size
# route, and `weft execution files|download`.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain sales sales
cli_admin
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales

req_apply "$WEFT_TOKEN" '
id: ingest
namespace: sales.etl
inputs:
  - id: data
    type: FILE
    allowedFileExtensions: [".csv", "bin"]
  - id: note
    type: STRING
    defaults: none
  - id: extra
    type: FILE
    required: false
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.data }}"
' || t_bail "cannot apply the flow"

# up TOKEN PATH CURL-ARGS...: a multipart POST; status in S, body in R.
up() {
    local tok=$1 path=$2 out
    shift 2
    out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $tok" "$@" "$WEFT_URL$path")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
}

printf 'id,amount\n1,10\n2,20\n' >"$CLI_TMP/orders.csv"
head -c $((6 * 1024 * 1024 + 12345)) /dev/urandom >"$CLI_TMP/big.bin"

# ---- upload ------------------------------------------------------------------
up "$DEV" /api/v1/executions/sales.etl/ingest -F "data=@$CLI_TMP/orders.csv;type=text/csv" -F note=hi
t_is "$S" 202 "a multipart start with a FILE input is accepted"
EID=$(jx "$R" d.id)
NSP=sales/etl
URI="weft:///$NSP/ingest/executions/$EID/inputs/data/orders.csv"
t_is "$(pg_psql -c "SELECT inputs->>'data' || ' ' || (inputs->>'note') FROM executions WHERE id = '$EID'")" \
    "$URI hi" "the input's value is the file's URI; the field is the other input"
t_is "$(pg_psql -c "SELECT size || ' ' || sha256 || ' ' || complete::int || ' ' || content_type || ' ' || domain FROM storage_files WHERE execution_id = '$EID'")" \
    "$(stat -c %s "$CLI_TMP/orders.csv") $(sha256sum <"$CLI_TMP/orders.csv" | cut -c1-64) 1 text/csv sales" \
    "the file is stored complete, with its size, SHA-256, type and domain"

req "$DEV" GET "/api/v1/executions/$EID/files"
t_is "$S" 200 "the execution's files are listed"
t_is "$(jx "$R" 'd.results.map(f => [f.uri, f.name, f.size, f.input].join(" ")).join(";")')" \
    "$URI orders.csv 20 data" "with URI, name, size and input"

req "$DEV" GET "/api/v1/executions/$EID/file/metas?path=$URI"
t_is "$S:$(jx "$R" d.size)" "200:20" "metas gives the size"
req "$DEV" GET "/api/v1/executions/$EID/file/metas?path=kestra:///$NSP/ingest/executions/$EID/inputs/data/orders.csv"
t_is "$S:$(jx "$R" d.size)" "200:20" "a kestra:/// URI names the same file"

H=$CLI_TMP/headers
curl -s -D "$H" -o "$CLI_TMP/orders.out" -H "Authorization: Bearer $DEV" \
    "$WEFT_URL/api/v1/executions/$EID/file?path=$URI"
t_ok "the download is byte-exact" cmp "$CLI_TMP/orders.csv" "$CLI_TMP/orders.out"
hdr=$(tr -d '\r' <"$H" | tr 'A-Z' 'a-z')
t_match "$hdr" $'\ncontent-type: text/csv\n' "with the stored Content-Type"
t_match "$hdr" 'content-disposition: attachment; filename="orders.csv"' "as an attachment with its name"
t_match "$hdr" $'\ncontent-length: 20\n' "and its length"
t_match "$hdr" 'x-content-type-options: nosniff' "never sniffed by a browser"

# ---- a large file, several chunks -------------------------------------------
up "$DEV" /api/v1/executions/sales.etl/ingest -F "data=@$CLI_TMP/big.bin"
t_is "$S" 202 "a 6 MiB upload is accepted"
BIG=$(jx "$R" d.id)
BURI="weft:///$NSP/ingest/executions/$BIG/inputs/data/big.bin"
t_is "$(pg_psql -c "SELECT count(*) || ' ' || max(length(data)) FROM storage_chunks c JOIN storage_files f ON f.id = c.file_id WHERE f.execution_id = '$BIG'")" \
    "7 1048576" "stored as seven chunks of at most 1 MiB"
curl -s -D "$H" -o "$CLI_TMP/big.out" -H "Authorization: Bearer $DEV" \
    "$WEFT_URL/api/v1/executions/$BIG/file?path=$BURI"
t_ok "the 6 MiB download is byte-exact" cmp "$CLI_TMP/big.bin" "$CLI_TMP/big.out"
t_match "$(tr -d '\r' <"$H")" $'\ncontent-type: application/octet-stream\n' \
    "a file sent without a type is application/octet-stream"

# ---- the client ----------------------------------------------------------------
cli_run out with_token "$DEV" execution files "$BIG"
t_is "$out_RC" 0 "weft execution files"
t_match "$out" "big.bin +6.0 MiB +input data +$BURI" "prints name, size, origin and URI"
cli_run out with_token "$DEV" execution files "$BIG" -o json
t_is "$(jx "$out" 'd[0].size')" $((6 * 1024 * 1024 + 12345)) "-o json gives the exact size"
(cd "$CLI_TMP" && rm -f big.bin.copy && with_token "$DEV" execution download "$BIG" "$BURI" --out big.bin.copy >/dev/null 2>&1)
t_ok "weft execution download --out writes the file byte-exact" cmp "$CLI_TMP/big.bin" "$CLI_TMP/big.bin.copy"
mkdir -p "$CLI_TMP/dl"
(cd "$CLI_TMP/dl" && with_token "$DEV" execution download "$EID" "$URI" 2>/dev/null)
t_ok "by default to the file's name" cmp "$CLI_TMP/orders.csv" "$CLI_TMP/dl/orders.csv"
cli_run out bash -c "cd '$CLI_TMP/dl' && WEFT_TOKEN='$DEV' '$WEFT' execution download '$EID' '$URI'"
t_is "$out_RC" 2 "an existing file is not overwritten"
t_match "$out_ERR" "orders.csv exists" "saying so"
cli_run out with_token "$DEV" execution download "$EID" "$URI" --out -
t_is "$out" "$(cat "$CLI_TMP/orders.csv")" "--out - writes to standard output"
cli_run out with_token "$DEV" execution download "$EID" "weft:///$NSP/ingest/executions/$EID/inputs/data/nope.csv" --out "$CLI_TMP/nope"
t_is "$out_RC" 1 "a missing file fails"
t_match "$out_ERR" "no such file in this execution" "with the server's reason"
t_fails "and leaves nothing behind" ls "$CLI_TMP"/nope*

printf 'x y\n' >"$CLI_TMP/my data.csv"
cli_run out with_token "$DEV" run sales.etl ingest --input data=@"$CLI_TMP/my data.csv"
SP=$out
SURI=$(pg_psql -c "SELECT inputs->>'data' FROM executions WHERE id = '$SP'")
t_is "$SURI" "weft:///$NSP/ingest/executions/$SP/inputs/data/my%20data.csv" "a space in a name is percent-encoded in the URI"
cli_run out with_token "$DEV" execution files "$SP" -o json
t_is "$(jx "$out" 'd[0].uri + " " + d[0].name')" "$SURI my data.csv" "the list gives the same URI and the plain name"
(cd "$CLI_TMP/dl" && with_token "$DEV" execution download "$SP" "$SURI" 2>/dev/null)
t_ok "the URI downloads to the decoded name" cmp "$CLI_TMP/my data.csv" "$CLI_TMP/dl/my data.csv"

printf 'a,b\n' >"$CLI_TMP/small.csv"
cli_run out with_token "$DEV" run sales.etl ingest --input data=@"$CLI_TMP/small.csv" --input note=from-cli
t_is "$out_RC" 0 "weft run --input data=@FILE uploads"
t_is "$(pg_psql -c "SELECT inputs->>'note' || ' ' || (SELECT size FROM storage_files WHERE execution_id = '$out') FROM executions WHERE id = '$out'")" \
    "from-cli 4" "the file and the field arrive"
cli_run first with_token "$DEV" run sales.etl ingest --input data=@"$CLI_TMP/small.csv" --idempotency-key retry-1
cli_run again with_token "$DEV" run sales.etl ingest --input data=@"$CLI_TMP/small.csv" --idempotency-key retry-1
t_is "$again:$again_RC" "$first:0" "a retried upload with the same Idempotency-Key answers with the first execution (the random boundary does not count)"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE execution_id = '$first'")" 1 "and stores the file once"
printf 'other\n' >"$CLI_TMP/small2.csv"
cli_run other with_token "$DEV" run sales.etl ingest --input data=@"$CLI_TMP/small2.csv" --idempotency-key retry-1
t_is "$other_RC" 1 "the same key with another file is refused"
printf 'text for a string input' >"$CLI_TMP/note.txt"
cli_run out with_token "$DEV" run sales.etl ingest --input data=@"$CLI_TMP/small.csv" --input note=@"$CLI_TMP/note.txt"
t_is "$(pg_psql -c "SELECT inputs->>'note' FROM executions WHERE id = '$out'")" \
    "text for a string input" "K=@FILE for a STRING input gives the file's text"

t_done
