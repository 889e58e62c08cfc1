#!/usr/bin/env bash
# FILE inputs (issue 15, item 3): what the gateway refuses, with messages
# that name the input (wrong extension, a file sent as a plain field, a
# missing required file, a URI smuggled in JSON, an upload past
# gateway.max_upload, a malformed body), and that a refusal or a failure
# half-way through the files writes nothing: no execution, no file, no chunk.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cfg=$(mktemp)
printf 'gateway:\n  max_upload: 2MiB\nstorage:\n  max_file_size: 1600KiB\n' >"$cfg"
cli_setup --config "$cfg"
rm -f "$cfg"

cli_domain sales sales
cli_admin
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales

req_apply "$WEFT_TOKEN" '
id: load
namespace: sales.etl
inputs:
  - id: data
    type: FILE
    allowedFileExtensions: [".csv", ".tsv"]
  - id: other
    type: FILE
    required: false
    defaults: nsfile:///templates/empty.csv
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
' || t_bail "cannot apply the flow"

up() {
    local tok=$1 path=$2 out
    shift 2
    out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $tok" "$@" "$WEFT_URL$path")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
}
rows() {
    pg_psql -c "SELECT (SELECT count(*) FROM executions) || ' ' || (SELECT count(*) FROM storage_files) || ' ' || (SELECT count(*) FROM storage_chunks)"
}
printf 'a,b\n' >"$CLI_TMP/ok.csv"
printf 'MZ' >"$CLI_TMP/evil.exe"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$CLI_TMP/big.csv"
head -c $((1536 * 1024)) /dev/urandom >"$CLI_TMP/mid.csv"
head -c $((1800 * 1024)) /dev/urandom >"$CLI_TMP/large.csv"

# ---- the flow's own rules ------------------------------------------------------------
t0=$(rows)
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/evil.exe"
t_is "$S" 422 "a file with an extension the input does not allow: 422"
t_is "$(jx "$R" 'd.errors[0].path')" inputs.data "naming the input"
t_match "$(jx "$R" 'd.errors[0].message')" 'allowedFileExtensions: \[".csv",".tsv"\]' "and the allowed list"
up "$DEV" /api/v1/executions/sales.etl/load -F "data=plain text"
t_is "$S" 422 "a FILE input sent as a plain field: 422"
t_match "$(jx "$R" 'd.errors[0].message')" "must be sent as a file part" "saying how to send it"
up "$DEV" /api/v1/executions/sales.etl/load -F "other=@$CLI_TMP/ok.csv"
t_is "$S" 422 "a missing required FILE input: 422"
t_match "$(jx "$R" 'd.errors[0].path + ": " + d.errors[0].message')" "inputs.data: required FILE input is missing" \
    "naming it"
req "$DEV" POST /api/v1/executions/sales.etl/load '{"data": "weft:///ops/x/executions/AAAAAAAAAAAAAAAAAAAAAA/inputs/data/x.csv"}'
t_is "$S" 422 "a URI given in JSON for a FILE input is refused (a caller cannot name a file it did not send)"
t_match "$(jx "$R" 'd.errors[0].message')" "multipart/form-data" "pointing at multipart"
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/ok.csv" -F "nope=@$CLI_TMP/ok.csv"
t_is "$S:$(jx "$R" 'd.errors[0].path')" "422:inputs.nope" "an undeclared part: 422 naming it"
up "$DEV" /api/v1/executions/sales.etl/load -H 'Content-Type: multipart/form-data' --data-binary 'x'
t_is "$S" 400 "multipart without a boundary: 400"
t_match "$(jx "$R" d.detail)" "no boundary" "saying so"
up "$DEV" /api/v1/executions/sales.etl/load -H 'Content-Type: multipart/form-data; boundary=XX' \
    --data-binary $'--XX\r\nContent-Disposition: form-data; name="data"; filename="a.csv"\r\n\r\nabc'
t_is "$S" 400 "a truncated body: 400"
t_match "$(jx "$R" d.detail)" "truncated" "saying so"
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/big.csv"
t_is "$S" 413 "an upload past gateway.max_upload: 413"
t_match "$(jx "$R" d.detail)" "exceeds.*gateway.max_upload.*2097152 bytes|exceeds 2097152 bytes.*gateway.max_upload" "naming the limit"
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/large.csv"
t_is "$S" 422 "a file past storage.max_file_size: 422"
t_match "$(jx "$R" 'd.errors[0].message')" "1843200 bytes, more than storage.max_file_size \(1638400 bytes\)" "naming the limit"
t_is "$(rows)" "$t0" "no refusal wrote anything (executions, files, chunks)"

# ---- defaults ----------------------------------------------------------------------------
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/ok.csv"
t_is "$S" 202 "an allowed upload starts the execution"
E=$(jx "$R" d.id)
t_is "$(pg_psql -c "SELECT inputs->>'other' FROM executions WHERE id = '$E'")" nsfile:///templates/empty.csv \
    "an optional FILE input takes its nsfile:// default as it is"

# ---- a failure half-way through the files leaves nothing -------------------------------------
t1=$(rows)
pg_psql -c "CREATE FUNCTION test_fail_chunk() RETURNS trigger LANGUAGE plpgsql AS \$\$
  BEGIN IF NEW.seq = 1 THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END \$\$;
  CREATE TRIGGER test_fail_chunk BEFORE INSERT ON storage_chunks FOR EACH ROW EXECUTE FUNCTION test_fail_chunk();" >/dev/null
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/mid.csv"
t_is "$S" 500 "the second chunk fails: the start fails"
t_is "$(rows)" "$t1" "and neither the execution, nor the file, nor its first chunk was written"
pg_psql -c "DROP TRIGGER test_fail_chunk ON storage_chunks; DROP FUNCTION test_fail_chunk()" >/dev/null
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/mid.csv"
t_is "$S" 202 "the same upload then succeeds"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_chunks c JOIN storage_files f ON f.id = c.file_id WHERE f.execution_id = '$(jx "$R" d.id)'")" \
    2 "with its two chunks"
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE state = 'CREATED' AND id NOT IN (SELECT execution_id FROM storage_files WHERE execution_id IS NOT NULL)")" \
    0 "every execution started here has its file"

# ---- the database connection dies in the middle of the files ----------------------------------
t2=$(rows)
pg_psql -c "CREATE FUNCTION test_slow_chunk() RETURNS trigger LANGUAGE plpgsql AS \$\$
  BEGIN IF NEW.seq = 1 THEN PERFORM pg_sleep(3); END IF; RETURN NEW; END \$\$;
  CREATE TRIGGER test_slow_chunk BEFORE INSERT ON storage_chunks FOR EACH ROW EXECUTE FUNCTION test_slow_chunk();" >/dev/null
(up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/mid.csv"; echo "$S $R" >"$CLI_TMP/cut") &
upid=$!
killed=
for i in $(seq 1 40); do
    sleep 0.1
    killed=$(pg_psql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO storage_chunks%' AND state = 'active' AND pid <> pg_backend_pid()")
    [ "$killed" = 1 ] && break
done
wait $upid
t_is "$killed" 1 "the gateway's connection is terminated while it writes the second chunk"
t_match "$(cat "$CLI_TMP/cut")" '^503 .*database unavailable' "the start answers 503"
pg_psql -c "DROP TRIGGER test_slow_chunk ON storage_chunks; DROP FUNCTION test_slow_chunk()" >/dev/null
t_is "$(rows)" "$t2" "nothing of that start remains"
# The thread whose connection died waits 0.5 s before reconnecting (api/db.c).
sleep 1
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/ok.csv"
t_is "$S" 202 "the gateway goes on: the next upload succeeds"

# ---- a shell task reads the upload (Kestra's new-shell-with-file) ------------------------
cli_executor sales || t_bail "cannot start the executor"
req_apply "$WEFT_TOKEN" '
id: new-shell-with-file
namespace: sales.etl
inputs:
  - id: file
    type: FILE
tasks:
  - id: inputFiles
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      file.txt: "{{ inputs.file }}"
    outputFiles: ["sorted.txt"]
    commands:
      - cat file.txt
      - sort -r file.txt > sorted.txt
' || t_bail "cannot apply the shell flow"
printf 'alpha\nbravo\ncharlie\n' >"$CLI_TMP/names.txt"
up "$DEV" "/api/v1/executions/sales.etl/new-shell-with-file?wait=60" -F "file=@$CLI_TMP/names.txt"
EID=$(jx "$R" d.id)
t_is "$S:$(jx "$R" d.state.current)" "200:SUCCESS" "the flow runs to SUCCESS on its uploaded file"
t_match "$(ex_logs "$EID" | tr '\n' ' ')" "alpha bravo charlie" "the shell task read the file placed by inputFiles"
req "$DEV" GET "/api/v1/executions/$EID/files"
t_is "$(jx "$R" 'd.results.map(f => (f.task || "input:" + f.input) + "/" + f.name).join(" ")')" \
    "input:file/names.txt inputFiles/sorted.txt" "the execution lists the upload and the task's output file"
OUT=$(jx "$R" 'd.results.find(f => f.task).uri')
(cd "$CLI_TMP" && with_token "$DEV" execution download "$EID" "$OUT" --out sorted.txt >/dev/null 2>&1)
t_is "$(cat "$CLI_TMP/sorted.txt")" "$(sort -r "$CLI_TMP/names.txt")" "the task's output file downloads as the task wrote it"
cli_run out with_token "$DEV" run sales.etl new-shell-with-file --input file=@"$CLI_TMP/names.txt" --wait
t_is "$out_RC" 0 "weft run --input file=@FILE --wait: the same flow succeeds"

# ---- the domain's storage quota (policy maxStorage) ------------------------------------------
used=$(pg_psql -c "SELECT weft_storage_used('sales')")
req "$WEFT_TOKEN" PUT /api/v1/namespaces/sales/policy "{\"maxStorage\": $((used + 1048576))}"
t_is "$S" 200 "a quota 1 MiB above what the domain keeps"
t3=$(rows)
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/mid.csv"
t_is "$S" 413 "an upload that does not fit the quota: 413"
t_match "$(jx "$R" d.detail)" "past its quota of $((used + 1048576)) bytes \(policy maxStorage on 'sales'\): nothing was stored" \
    "naming the quota and where it is set"
t_is "$(rows)" "$t3" "and nothing was stored"
up "$DEV" /api/v1/executions/sales.etl/load -F "data=@$CLI_TMP/ok.csv"
t_is "$S" 202 "a small upload still fits"

t_done
