#!/usr/bin/env bash
# Tasks that move files, end to end through the real gateway and executor:
# a Kestra-docs style pipeline (http.Download from a local HTTP server,
# storage.Split, storage.Concat, storage.Write, jdbc.postgresql CopyIn into a
# table of a test database and CopyOut back, storage.Delete) compared byte
# for byte with the source; a multipart formData upload of stored files to a
# local receiver; and the refusals: a host outside the egress allow-list, an
# over-size download, a missing URI, another namespace's file, another
# domain's file, bad flows at apply with their line and column.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_gw_setup
SOCK=$PG_TMP/sock
PGPORT=${WEFT_DATABASE_URL##*port=}
PGPORT=${PGPORT%%&*}
PW="copy-Secret-$RANDOM-$RANDOM"

# ---- the peers: an HTTP server with the files, a test database ----------------
SRV=$PG_TMP/srv
mkdir -p "$SRV/files"
{
    echo "id,name,amount,note"
    for i in $(seq 1 10); do echo "$i,item $i,$i.50,\"a, \"\"quoted\"\" note\""; done
} >"$SRV/files/orders.csv"
head -c 2621440 /dev/urandom >"$SRV/files/blob.bin" # 2.5 MiB: three store chunks
# ~9 MiB of CSV: several store chunks and several of the COPY loop's 4 MiB turns.
python3 -c 'import sys
w = sys.stdout.write
w("id,name,amount,note\n")
for i in range(1, 200001): w("%d,name %d,%d.%02d,note number %d of many\n" % (i, i, i % 1000, i % 100, i))' \
    >"$SRV/files/big.csv"
: >"$SRV/files/empty.txt"
srv_start() { # VAR: a server on a free port, its port in VAR
    local f="$PG_TMP/port.$1" i
    python3 "$WF_SRCDIR/tests/integration/file_tasks_server.py" "$f" "$SRV" >/dev/null 2>&1 &
    EX_SRV_PIDS+=($!)
    for i in $(seq 1 250); do [ -s "$f" ] && break; sleep 0.02; done
    printf -v "$1" '%s' "$(cat "$f" 2>/dev/null)"
}
srv_start A # allowed
srv_start B # running, but outside the allow-list
[ -n "$A" ] && [ -n "$B" ] || t_bail "test servers did not start"

pg_psql -c "CREATE ROLE app LOGIN PASSWORD '$PW'" -c "CREATE DATABASE appdb OWNER app" >/dev/null
# The test reads the database as the cluster's owner (trust); the tasks log
# in as app with its password.
APPDB="postgresql:///appdb?host=$SOCK&port=$PGPORT&user=weft"
psql -XAtq -v ON_ERROR_STOP=1 "postgresql:///appdb?host=$SOCK&port=$PGPORT&user=app" >/dev/null <<'SQL'
CREATE TABLE orders (id int PRIMARY KEY, name text, amount numeric(10,2), note text);
CREATE TABLE big (id int PRIMARY KEY, name text, amount numeric(10,2), note text);
SQL
sed -i "1i local appdb app scram-sha-256" "$PG_TMP/data/pg_hba.conf"
pg_psql -c "SELECT pg_reload_conf()" >/dev/null

cat >"$PG_TMP/weft.yaml" <<EOF
executor:
  egress_allow:
    - "127.0.0.1:$A"
    - "unix:$SOCK"
EOF
gw_admin
ex_ops_start --config "$PG_TMP/weft.yaml"
http PUT /api/v1/namespaces/ops/secrets/PGPW "${AU[@]}" "${J[@]}" -d "{\"value\":\"$PW\"}"
t_match "$STATUS" "^20[01]$" "database password stored as a sealed secret"
URL="jdbc:postgresql://localhost:$PGPORT/appdb?host=$SOCK"
CRED="    url: $URL
    username: app
    password: \"{{ secret('PGPW') }}\""

# stored_hex URI: the content of a stored file, hex, read as the owner.
stored_hex() {
    pg_psql -v p="${1#weft://}" <<'SQL'
SELECT encode(coalesce(string_agg(c.data, ''::bytea ORDER BY c.seq), ''::bytea), 'hex')
FROM storage_files f LEFT JOIN storage_chunks c ON c.file_id = f.id
WHERE f.path = :'p' AND f.complete
SQL
}
file_hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
stored_sha() { pg_psql -v p="${1#weft://}" <<<"SELECT sha256 FROM storage_files WHERE path = :'p' AND complete"; }
stored_count() { pg_psql -v p="${1#weft://}" <<<"SELECT count(*) FROM storage_files WHERE path = :'p'"; }
# run FLOW-ID YAML-TASKS: applies and runs a flow of ops; sets ST, EID, ERR, BODY
run() {
    ex_apply "
id: $1
namespace: ${NS:-ops}
tasks:
$2" || return 1
    http POST "/api/v1/executions/${NS:-ops}/$1?wait=60" "${AU[@]}" "${J[@]}" -d '{}'
    ST=$(jget "$BODY" .state.current)
    EID=$(jget "$BODY" .id)
    ERR=$(ex_errors "$EID")
}
out() { ex_task_out "$BODY" "$1" "$2"; }

# ---- the pipeline ------------------------------------------------------------------
run pipeline "  - id: extract
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/orders.csv
  - id: split
    type: io.kestra.plugin.core.storage.Split
    from: \"{{ outputs.extract.uri }}\"
    rows: 3
  - id: concat
    type: io.kestra.plugin.core.storage.Concat
    files: \"{{ outputs.split.uris }}\"
    extension: .csv
  - id: note
    type: io.kestra.plugin.core.storage.Write
    content: \"rows: {{ outputs.split.uris | length }}\"
    extension: .txt
  - id: load
    type: io.kestra.plugin.jdbc.postgresql.CopyIn
$CRED
    from: \"{{ outputs.concat.uri }}\"
    table: orders
    format: CSV
    header: true
    delimiter: \",\"
  - id: export
    type: io.kestra.plugin.jdbc.postgresql.CopyOut
$CRED
    sql: SELECT * FROM orders ORDER BY id
    format: CSV
    header: true
  - id: remove
    type: io.kestra.plugin.core.storage.Delete
    uri: \"{{ outputs.note.uri }}\"
  - id: remove_again
    type: io.kestra.plugin.core.storage.Delete
    uri: \"{{ outputs.note.uri }}\""
t_is "$ST" SUCCESS "the pipeline succeeds${ERR:+: $ERR}"
SRC_HEX=$(file_hex "$SRV/files/orders.csv")
DL=$(out extract o.uri)
t_match "$DL" "^weft:///ops/pipeline/executions/$EID/tasks/extract/[^/]+/orders\.csv$" \
    "Download: outputs.uri is the task run's output file"
t_is "$(out extract o.code):$(out extract o.length)" "200:$(stat -c %s "$SRV/files/orders.csv")" \
    "Download: outputs.code and outputs.length"
t_match "$(out extract 'o.headers["content-type"][0]')" "text/csv" "Download: outputs.headers"
t_is "$(stored_hex "$DL")" "$SRC_HEX" "Download: the stored file is the served file, byte for byte"
t_is "$(out split 'o.uris.length')" 4 "Split rows: 3 of 11 lines: 4 files"
SPLIT0=$(out split 'o.uris[0]')
t_is "$(stored_hex "$SPLIT0")" "$(head -n 3 "$SRV/files/orders.csv" | od -An -v -tx1 | tr -d ' \n')" \
    "Split: the first piece holds the first 3 lines"
t_match "$SPLIT0" "/tasks/split/[^/]+/split-00000\.csv$" "Split: pieces keep the extension"
CC=$(out concat o.uri)
t_is "$(stored_hex "$CC")" "$SRC_HEX" "Concat of the pieces is the source, byte for byte"
t_is "$(out load o.rowCount)" 10 "CopyIn: outputs.rowCount"
t_is "$(psql -XAtq "$APPDB" -c "SELECT note FROM orders WHERE id = 7")" 'a, "quoted" note' \
    "CopyIn: CSV quoting read by PostgreSQL"
t_is "$(out export o.rowCount)" 10 "CopyOut: outputs.rowCount"
t_is "$(stored_hex "$(out export o.uri)")" "$SRC_HEX" \
    "CopyOut of the loaded table is the downloaded CSV, byte for byte"
NOTE=$(out note o.uri)
t_is "$(out remove o.deleted):$(out remove o.uri)" "true:$NOTE" "Delete: outputs.deleted and uri"
t_is "$(stored_count "$NOTE")" 0 "Delete: the file is gone"
t_is "$(out remove_again o.deleted)" false "Delete of a missing file: deleted false (errorOnMissing off)"

run queries "  - id: q
    type: io.kestra.plugin.jdbc.postgresql.Queries
$CRED
    sql: |
      SELECT count(*) AS n FROM orders;
      UPDATE orders SET note = 'changed' WHERE id = 1;
      SELECT id FROM orders WHERE id <= 2 ORDER BY id;
    fetchType: FETCH
  - id: table_out
    type: io.kestra.plugin.jdbc.postgresql.CopyOut
$CRED
    table: orders
    columns: [id, note]
    delimiter: \"|\""
t_is "$ST" SUCCESS "Queries and a CopyOut of a table's columns${ERR:+: $ERR}"
t_is "$(out q 'JSON.stringify(o.outputs.map(x=>x.size))')" "[1,2]" \
    "Queries: one output per statement returning rows"
t_is "$(out q 'o.outputs[0].rows[0].n + "," + o.outputs[1].rows[1].id')" "10,2" "Queries: their rows"
t_is "$(stored_hex "$(out table_out o.uri)" | xxd -r -p | grep -c -e '^1|changed$' -e '^2|a, "quoted" note$')" 2 \
    "CopyOut TEXT of two columns with a delimiter (after the Queries' update)"
t_match "$(out table_out o.uri)" "/copy-out\.txt$" "CopyOut TEXT: a .txt file"

# Split's other ways of cutting, each put back together by Concat.
run cuts "  - id: dl
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/orders.csv
  - id: by_bytes
    type: io.kestra.plugin.core.storage.Split
    from: \"{{ outputs.dl.uri }}\"
    bytes: 100
  - id: back_bytes
    type: io.kestra.plugin.core.storage.Concat
    files: \"{{ outputs.by_bytes.uris }}\"
  - id: by_parts
    type: io.kestra.plugin.core.storage.Split
    from: \"{{ outputs.dl.uri }}\"
    partitions: 3
  - id: back_parts
    type: io.kestra.plugin.core.storage.Concat
    files: \"{{ outputs.by_parts.uris }}\"
  - id: by_comma
    type: io.kestra.plugin.core.storage.Split
    from: \"{{ outputs.dl.uri }}\"
    separator: \",\"
    rows: 1000"
t_is "$ST" SUCCESS "Split by bytes, partitions and a separator${ERR:+: $ERR}"
MAXPIECE=0
for u in $(out by_bytes 'o.uris.join(" ")'); do
    n=$(( $(stored_hex "$u" | wc -c) / 2 ))
    [ "$n" -gt "$MAXPIECE" ] && MAXPIECE=$n
done
NPIECES=$(out by_bytes 'o.uris.length')
t_is "$([ "$NPIECES" -ge $(( ($(stat -c %s "$SRV/files/orders.csv") + 99) / 100 )) ] && echo enough):$MAXPIECE" \
    "enough:$(( MAXPIECE <= 100 ? MAXPIECE : -1 ))" \
    "Split bytes: 100: $NPIECES pieces of at most 100 bytes (largest $MAXPIECE)"
t_is "$(stored_hex "$(out by_bytes 'o.uris[0]')" | xxd -r -p | tail -c 1 | od -An -tx1 | tr -d ' ')" 0a \
    "cut at line ends"
t_is "$(stored_hex "$(out back_bytes o.uri)")" "$SRC_HEX" "and Concat gives the source back"
t_is "$(out by_parts 'o.uris.length')" 3 "Split partitions: 3: three files"
t_is "$(stored_hex "$(out back_parts o.uri)")" "$SRC_HEX" "and Concat gives the source back"
t_is "$(out by_comma 'o.uris.length')" 1 "Split by a separator: 1000 rows fit one file"

# ~9 MiB through CopyIn and CopyOut: the streaming loop, compared by SHA-256.
run big "  - id: dl
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/big.csv
  - id: load
    type: io.kestra.plugin.jdbc.postgresql.CopyIn
$CRED
    from: \"{{ outputs.dl.uri }}\"
    table: big
    format: CSV
    header: true
  - id: export
    type: io.kestra.plugin.jdbc.postgresql.CopyOut
$CRED
    sql: SELECT * FROM big ORDER BY id;
    format: CSV
    header: true"
t_is "$ST:$(out load o.rowCount):$(out export o.rowCount)" SUCCESS:200000:200000 \
    "9 MiB CSV: CopyIn and CopyOut of 200,000 rows${ERR:+: $ERR}"
t_is "$(stored_sha "$(out export o.uri)")" "$(sha256sum "$SRV/files/big.csv" | cut -d' ' -f1)" \
    "the export is the source, byte for byte (SHA-256)"
t_diag "$(stat -c %s "$SRV/files/big.csv") bytes; task run times (ms):" \
    "$(pg_psql -c "SELECT string_agg(task_id || '=' || (extract(epoch FROM ended_at - started_at)
                   * 1000)::int, ' ' ORDER BY created_at) FROM task_runs WHERE execution_id = '$EID'")"

run bad_csv "  - id: w
    type: io.kestra.plugin.core.storage.Write
    content: \"id,name,amount,note\\n1,x,not-a-number,n\\n\"
  - id: load
    type: io.kestra.plugin.jdbc.postgresql.CopyIn
$CRED
    from: \"{{ outputs.w.uri }}\"
    table: orders
    format: CSV
    header: true"
t_match "$ST:$ERR" "FAILED:.*invalid input syntax for type numeric" \
    "CopyIn of a malformed row fails with PostgreSQL's message"

run empty "  - id: d
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/empty.txt"
t_match "$ST:$ERR" "FAILED:.*empty body" "Download of an empty body fails (failOnEmptyResponse)"
run empty_ok "  - id: d
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/empty.txt
    failOnEmptyResponse: false"
t_is "$ST:$(out d o.length)" SUCCESS:0 "unless failOnEmptyResponse is false"
run notfound "  - id: d
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/nope.csv"
t_match "$ST:$ERR" "FAILED:.*response code 404" "Download of a 404 fails with the code"

# ---- multipart formData, streamed from the store ------------------------------------
run upload "  - id: blob
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/blob.bin
  - id: csv
    type: io.kestra.plugin.core.storage.Write
    content: \"a,b\\n1,2\\n\"
    extension: .csv
  - id: send
    type: io.kestra.plugin.core.http.Request
    uri: http://127.0.0.1:$A/upload
    method: POST
    contentType: multipart/form-data
    formData:
      blob: \"{{ outputs.blob.uri }}\"
      table: \"{{ outputs.csv.uri }}\"
      comment: plain text"
t_is "$ST" SUCCESS "multipart upload succeeds${ERR:+: $ERR}"
t_is "$(out send 'JSON.parse(o.body).contentType')" multipart/form-data "sent as multipart/form-data"
t_is "$(file_hex "$SRV/received/blob")" "$(file_hex "$SRV/files/blob.bin")" \
    "a 2.5 MiB binary file part arrives byte for byte"
t_is "$(cat "$SRV/received/table")" $'a,b\n1,2' "a second file part"
t_is "$(out send 'JSON.parse(o.body).parts.table[0]')" content.csv "file parts carry the file name"
t_is "$(cat "$SRV/received/comment")" "plain text" "a text part"
t_is "$(out blob o.length)" 2621440 "Download of a binary file: length"

# ---- LocalFiles on a WorkingDirectory's folder ------------------------------------------
echo original >"$PG_TMP/victim"
mkdir -p "$PG_TMP/victimdir"
run local "  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: w
        type: io.kestra.plugin.core.storage.Write
        content: \"from the store;\"
      - id: put
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
          data/stored.txt: \"{{ outputs.w.uri }}\"
          hello.txt: inline text
      - id: sh
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - cat data/stored.txt hello.txt > both.txt
          - ln -s $PG_TMP/victim evil.txt
          - ln -s $PG_TMP/victimdir d
      - id: get
        type: io.kestra.plugin.core.storage.LocalFiles
        outputs:
          - both.txt
      - id: over_link
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
          evil.txt: pwned
      - id: check
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - test ! -L evil.txt && test \"\$(cat evil.txt)\" = pwned
      - id: through_link
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
          d/x.txt: pwned"
t_is "$ST" FAILED "LocalFiles flow ends FAILED (its last task writes through a link)"
t_is "$(stored_hex "$(out get 'o.outputFiles["both.txt"]')" | xxd -r -p)" "from the store;inline text" \
    "LocalFiles inputs (a stored file and text) seen by a script, its output collected"
t_is "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$EID' AND task_id = 'check'")" \
    SUCCESS "a symbolic link left by a task is replaced, not followed"
t_is "$(cat "$PG_TMP/victim")" original "the link's target on the host is untouched"
t_match "$ERR" "inputs 'd/x.txt': cannot make its folder: a path component is not a folder" \
    "a folder that is a symbolic link is refused"
t_is "$(ls "$PG_TMP/victimdir")" "" "and nothing was written through it"
run local_out "  - id: put
    type: io.kestra.plugin.core.storage.LocalFiles
    inputs:
      a.txt: x"
t_match "$ST:$ERR" "FAILED:.*inside a WorkingDirectory" "LocalFiles outside a WorkingDirectory: FAILED"

# ---- refusals at run time ---------------------------------------------------------------
run refused "  - id: d
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$B/files/orders.csv"
t_is "$ST" FAILED "Download from a host outside the egress allow-list: FAILED"
t_match "$ERR" "127\.0\.0\.1:$B.*(not allowed|egress)" "with the egress refusal"

run oversize "  - id: d
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/blob.bin
    options:
      maxContentLength: 100000"
t_is "$ST" FAILED "an over-size download: FAILED"
t_match "$ERR" "larger than 100000 bytes" "with the limit in the message"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE execution_id = '$EID'")" 0 \
    "and nothing stored"

# The domain's storage quota (policy maxStorage), already passed by what this
# test stored: a download fails saying so, and leaves nothing.
ex_policy ops.quota '{"maxStorage": "1MiB"}'
NS=ops.quota run over_quota "  - id: d
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:$A/files/blob.bin
  - id: w
    type: io.kestra.plugin.core.storage.Write
    content: small"
t_match "$ST:$ERR" "^FAILED:.*storage quota of domain ops \(1048576 bytes, policy maxStorage of namespace ops.quota\) exceeded" \
    "a download past the domain's storage quota fails saying so"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE execution_id = '$EID'")" 0 \
    "and nothing is stored"

run missing "  - id: s
    type: io.kestra.plugin.core.storage.Split
    from: weft:///ops/missing/executions/nope/tasks/t/r/x.csv
    rows: 1"
t_is "$ST" FAILED "Split of a missing URI: FAILED"
t_match "$ERR" "file 'weft:///ops/missing/executions/nope/[^']*' not found" "with the URI in the message"

run missing_del "  - id: d
    type: io.kestra.plugin.core.storage.Delete
    uri: weft:///ops/missing/executions/nope/x.csv
    errorOnMissing: true"
t_match "$ST:$ERR" "FAILED:.*weft:///ops/missing/executions/nope/x.csv" "Delete with errorOnMissing of a missing file: FAILED"

run copy_missing "  - id: c
    type: io.kestra.plugin.jdbc.postgresql.CopyIn
$CRED
    from: kestra:///ops/x/executions/none/a.csv
    table: orders
    format: CSV"
t_match "$ST:$ERR" "FAILED:from: file 'kestra:///ops/x/executions/none/a.csv' not found" \
    "CopyIn from a missing kestra:/// URI: FAILED"

run not_uri "  - id: c
    type: io.kestra.plugin.core.storage.Concat
    files: [\"/etc/passwd\"]"
t_match "$ST:$ERR" "FAILED:.*not an internal storage URI" "Concat of a host path is refused"

# Another execution of the same domain (in another namespace): its file
# exists, but not for this flow.
NS=ops.other run writer "  - id: w
    type: io.kestra.plugin.core.storage.Write
    content: private"
OTHER=$(out w o.uri)
t_match "$ST:$OTHER" "^SUCCESS:weft:///ops/other/writer/" "a file written in namespace ops.other"
run peek "  - id: s
    type: io.kestra.plugin.core.storage.Concat
    files: [\"$OTHER\"]"
t_match "$ST:$ERR" "FAILED:.*is refused: it belongs to another execution" \
    "another execution's file cannot be read (the execution-tree rule)"
run peek_del "  - id: d
    type: io.kestra.plugin.core.storage.Delete
    uri: \"$OTHER\""
t_match "$ST:$(stored_count "$OTHER"):$ERR" "^FAILED:1:.*is refused" "nor deleted"

# Another domain's file, written straight into the store: row-level security hides it.
http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"rival","namespaces":["rival"]}'
RIVAL_EID=$(ex_flow rival f "id: f
namespace: rival
tasks:
  - id: l
    type: io.kestra.plugin.core.log.Log
    message: x" && ex_exec rival f)
pg_psql -v e="$RIVAL_EID" >/dev/null <<'SQL'
WITH f AS (INSERT INTO storage_files (domain, namespace, kind, path, execution_id, size, sha256,
           complete) VALUES ('rival', 'rival', 'execution', '/rival/f/executions/' || :'e' || '/s.txt',
           :'e', 6, encode(sha256('secret'), 'hex'), true) RETURNING id, domain)
INSERT INTO storage_chunks (file_id, seq, domain, data) SELECT id, 0, domain, 'secret' FROM f;
SQL
RIVAL="weft:///rival/f/executions/$RIVAL_EID/s.txt"
t_is "$(stored_count "$RIVAL")" 1 "a file of domain rival exists"
run steal "  - id: s
    type: io.kestra.plugin.core.http.Request
    uri: http://127.0.0.1:$A/upload
    method: POST
    contentType: multipart/form-data
    formData:
      loot: \"$RIVAL\""
t_match "$ST:$ERR" "FAILED:.*formData 'loot': file '[^']*' not found" \
    "another domain's file cannot be uploaded: not found (row-level security)"
t_is "$(ls "$SRV/received/loot" 2>/dev/null)" "" "and nothing reached the receiver"

# ---- bad flows fail at apply, at the line and column -------------------------------------
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary $'id: bad\nnamespace: ops\ntasks:\n  - id: s\n    type: io.kestra.plugin.core.storage.Split\n    from: weft:///x\n    rows: 2\n    bytes: 10MB\n'
t_is "$STATUS" 422 "a Split with both rows and bytes: 422 at apply"
t_match "$(jget "$BODY" .errors)" '"line": ?7' "positioned at the second way of cutting"
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary $'id: bad\nnamespace: ops\ntasks:\n  - id: c\n    type: io.kestra.plugin.jdbc.postgresql.CopyIn\n    url: jdbc:postgresql://h/db\n    from: weft:///x\n    delimiter: ";;"\n'
t_is "$STATUS" 422 "a CopyIn without table and with a two-byte delimiter: 422"
t_match "$(jget "$BODY" .errors)" "table.*delimiter|delimiter.*table" "both errors reported"
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary $'id: bad\nnamespace: ops\ntasks:\n  - id: w\n    type: io.kestra.plugin.core.storage.Write\n    extension: .txt\n'
t_match "$STATUS:$(jget "$BODY" .errors)" "^422:.*content" "a Write without content: 422"
t_done
