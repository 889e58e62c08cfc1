#!/usr/bin/env bash
# Namespace files end to end (issue 15, item 4): Kestra's routes upload
# (multipart fileContent and raw), list, download, stat, move, create
# directories and delete; the client's `weft nsfile` verbs; `weft flow apply
# -f DIR` syncing _files/ with dry-run, diff and prune; script tasks that
# run namespace files (namespaceFiles, inheritance, include/exclude).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cli_setup

cli_domain sales sales
cli_admin
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales
VIEW=$(cli_token sales viewer)
cli_bind sa:sales/viewer viewer sales
T=$CLI_TMP/nsf
mkdir -p "$T"

# f TOKEN METHOD QUERY-PATH [CURL ARGS...]: a request under
# /api/v1/namespaces/; status in S, body in R (downloads: R is the file).
f() {
    local tok=$1 m=$2 p=$3 out
    shift 3
    out=$(curl -s -w '\n%{http_code}' -X "$m" -H "Authorization: Bearer $tok" "$@" \
        "$WEFT_URL/api/v1/namespaces/$p")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
}

# ---- upload --------------------------------------------------------------
printf 'print("hello from etl")\n' >"$T/etl.py"
f "$DEV" POST 'sales/files?path=/scripts/etl.py' -F "fileContent=@$T/etl.py"
t_is "$S" 200 "a developer uploads a file as Kestra does (multipart fileContent)"
t_is "$(jx "$R" d.fileName):$(jx "$R" d.type):$(jx "$R" d.size)" "etl.py:File:24" \
    "the answer is its attributes"
t_is "$(jx "$R" d.sha256)" "$(sha256sum <"$T/etl.py" | cut -d' ' -f1)" "with its SHA-256"
f "$DEV" POST 'sales/files?path=data/in.csv' -H 'Content-Type: application/octet-stream' \
    --data-binary $'a,b\n1,2\n'
t_is "$S:$(jx "$R" d.path)" "200:/data/in.csv" "a raw body is accepted too (leading '/' added)"

# A file larger than one chunk, with every byte value: streamed both ways.
head -c 3200000 /dev/urandom >"$T/big.bin"
f "$DEV" POST 'sales/files?path=/data/big.bin' -F "fileContent=@$T/big.bin"
t_is "$S:$(jx "$R" d.size)" "200:3200000" "a 3 MB file is stored (4 chunks)"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_chunks c JOIN storage_files f ON f.id = c.file_id WHERE f.namespace = 'sales' AND f.path = '/data/big.bin'")" 4 \
    "in chunks of at most 1 MiB"
curl -s -o "$T/big.out" -D "$T/big.hdr" -H "Authorization: Bearer $VIEW" \
    "$WEFT_URL/api/v1/namespaces/sales/files?path=/data/big.bin"
t_ok "a viewer downloads it byte for byte" cmp -s "$T/big.bin" "$T/big.out"
t_match "$(tr -d '\r' <"$T/big.hdr")" "content-disposition: attachment; filename\*=UTF-8''big.bin" \
    "as an attachment named after the file"
t_match "$(tr -d '\r' <"$T/big.hdr")" "x-weft-sha256: $(sha256sum <"$T/big.bin" | cut -d' ' -f1)" \
    "with its digest"
f "$VIEW" GET 'sales/files?path=/scripts/etl.py'
t_is "$S:$R" $'200:print("hello from etl")\n' "a small file downloads"
: >"$T/empty"
f "$DEV" POST 'sales/files?path=/empty.txt' -F "fileContent=@$T/empty"
f "$VIEW" GET 'sales/files?path=/empty.txt'
t_is "$S:$R" "200:" "an empty file is a file"

# Replacing a file is atomic: the old content or the new one, never a mix.
printf 'print("v2")\n' >"$T/etl2.py"
f "$DEV" POST 'sales/files?path=/scripts/etl.py' -F "fileContent=@$T/etl2.py"
f "$VIEW" GET 'sales/files?path=/scripts/etl.py'
t_is "$R" $'print("v2")\n' "an upload replaces the file"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE namespace = 'sales' AND path = '/scripts/etl.py'")" 1 \
    "and leaves one row"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE namespace = 'sales' AND NOT complete")" 0 \
    "and no staging row behind"

# ---- listing, stats ------------------------------------------------------
f "$VIEW" GET 'sales/files/directory?path=/'
t_is "$S" 200 "a viewer lists the root"
t_is "$(jx "$R" 'd.map(e => e.fileName + ":" + e.type).join(",")')" \
    "data:Directory,scripts:Directory,empty.txt:File" "directories first, then files"
f "$VIEW" GET 'sales/files/directory?path=/data'
t_is "$(jx "$R" 'd.map(e => e.fileName + ":" + e.size).join(",")')" "big.bin:3200000,in.csv:8" \
    "a subdirectory lists its files with sizes"
f "$VIEW" GET 'sales/files/directory?path=/nope'
t_is "$S" 404 "a missing directory is 404"
f "$VIEW" GET 'sales/files/stats?path=/data/in.csv'
t_is "$S:$(jx "$R" d.type):$(jx "$R" d.size)" "200:File:8" "stats of a file"
f "$VIEW" GET 'sales/files/stats?path=/data'
t_is "$S:$(jx "$R" d.type):$(jx "$R" d.fileName)" "200:Directory:data" "stats of a directory"
f "$VIEW" GET 'sales/files/stats?path=/data/none'
t_is "$S" 404 "stats of nothing is 404"

# ---- directories, conflicts ----------------------------------------------
f "$DEV" POST 'sales/files/directory?path=/empty-dir'
t_is "$S" 201 "a developer creates an empty directory"
f "$DEV" POST 'sales/files/directory?path=/empty-dir'
t_is "$S" 200 "creating it again is harmless"
f "$VIEW" GET 'sales/files/directory?path=/empty-dir'
t_is "$S:$R" "200:[]" "it lists as empty"
f "$VIEW" GET 'sales/files/directory?path=/'
t_match "$(jx "$R" 'd.map(e => e.fileName + ":" + e.type).join(",")')" "empty-dir:Directory" \
    "and shows in its parent"
f "$DEV" POST 'sales/files?path=/data' -H 'Content-Type: application/octet-stream' --data-binary x
t_is "$S" 409 "a file cannot replace a directory"
t_match "$R" "/data is a directory" "saying why"
f "$DEV" POST 'sales/files?path=/data/in.csv/x' -H 'Content-Type: application/octet-stream' --data-binary x
t_is "$S" 409 "nor go below a file"
t_match "$R" "/data/in.csv is a file" "saying which"
f "$DEV" POST 'sales/files/directory?path=/empty.txt'
t_is "$S" 409 "a directory cannot replace a file"

# ---- move ----------------------------------------------------------------
f "$DEV" PUT 'sales/files?from=/data/in.csv&to=/data/moved.csv'
t_is "$S:$(jx "$R" d.type)" "200:File" "a developer moves a file"
f "$VIEW" GET 'sales/files?path=/data/moved.csv'
t_is "$S:$R" $'200:a,b\n1,2\n' "its content goes with it"
f "$VIEW" GET 'sales/files?path=/data/in.csv'
t_is "$S" 404 "and the old path is gone"
f "$DEV" PUT 'sales/files?from=/data&to=/archive/2026'
t_is "$S:$(jx "$R" d.type):$(jx "$R" d.files)" "200:Directory:2" "a directory moves with its files"
f "$VIEW" GET 'sales/files/directory?path=/archive/2026'
t_is "$(jx "$R" 'd.map(e => e.fileName).join(",")')" "big.bin,moved.csv" "all of them"
f "$DEV" PUT 'sales/files?from=/archive&to=/archive/inner'
t_is "$S" 409 "a directory cannot move into itself"
f "$DEV" PUT 'sales/files?from=/scripts/etl.py&to=/empty.txt'
t_is "$S" 409 "a move never overwrites"
f "$DEV" PUT 'sales/files?from=/nothing&to=/x'
t_is "$S" 404 "moving nothing is 404"

# ---- delete --------------------------------------------------------------
f "$DEV" DELETE 'sales/files?path=/empty.txt'
t_is "$S" 204 "a developer deletes a file"
f "$DEV" DELETE 'sales/files?path=/empty.txt'
t_is "$S" 404 "a deleted file is gone"
f "$DEV" DELETE 'sales/files?path=/archive'
t_is "$S" 204 "a directory is deleted recursively"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE namespace = 'sales' AND path LIKE '/archive%'")" 0 \
    "with every file below it"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_chunks c WHERE NOT EXISTS (SELECT 1 FROM storage_files f WHERE f.id = c.file_id)")" 0 \
    "and their chunks"
f "$DEV" DELETE 'sales/files?path=/'
t_is "$S" 400 "the root cannot be deleted"

# ---- paths and limits ----------------------------------------------------
f "$DEV" GET 'sales/files?path=/a/../etc/passwd'
t_is "$S" 400 "'..' is refused"
t_match "$R" "'\\.\\.' segment" "precisely"
f "$DEV" GET 'sales/files?path=/a%00b'
t_is "$S" 400 "NUL is refused"
f "$DEV" POST 'sales/files?path=/a//b' -H 'Content-Type: application/octet-stream' --data-binary x
t_is "$S" 400 "'//' is refused"
t_match "$R" "empty segment" "precisely"
f "$DEV" GET "sales/files?path=/$(head -c 1100 /dev/zero | tr '\0' a)"
t_is "$S" 400 "an over-long path is refused"
f "$DEV" GET 'sales/files'
t_is "$S" 400 "?path= is required"
f "$DEV" POST 'sales/files?path=/x' -F "other=@$T/etl.py"
t_is "$S" 400 "a multipart body without fileContent is refused"
t_match "$R" "fileContent" "naming the part"

audit=$(pg_psql -c "SELECT string_agg(action || ' ' || target || ' ' || details::text, E'\n' ORDER BY seq) FROM audit_log WHERE action LIKE 'nsfile.%'")
t_match "$audit" "nsfile.put nsfile:sales/scripts/etl.py .*\"sha256\": \"$(sha256sum <"$T/etl2.py" | cut -d' ' -f1)\"" \
    "uploads are audited with path, size and digest"
t_match "$audit" "nsfile.move nsfile:sales/data" "moves too"
t_match "$audit" "nsfile.delete nsfile:sales/archive" "deletes too"
t_match "$audit" "nsfile.mkdir nsfile:sales/empty-dir" "and new directories"
t_fails "the audit log carries no content" grep -q 'hello from etl\|v2' <<<"$audit"

# ---- the client ----------------------------------------------------------
printf 'id,v\n1,a\n' >"$T/rows.csv"
cli_run out with_token "$DEV" nsfile put sales "$T/rows.csv" /cli/rows.csv
t_is "$out_RC:$out" "0:uploaded  sales:/cli/rows.csv  (9 bytes)" "weft nsfile put uploads"
cli_run out with_token "$DEV" nsfile put sales "$T/rows.csv"
t_is "$out_RC:$out" "0:uploaded  sales:/rows.csv  (9 bytes)" "without REMOTE the file keeps its name"
cli_run out with_token "$VIEW" nsfile get sales /cli/rows.csv
t_is "$out_RC:$out" $'0:id,v\n1,a' "weft nsfile get prints it"
with_token "$VIEW" nsfile get sales /data/big.bin --out "$T/got.bin" 2>/dev/null
t_fails "a missing file is an error" test -e "$T/got.bin"
t_is "$(ls "$T" | grep -c "^got.bin.weft-part")" "0" "and leaves no partial file"
with_token "$DEV" nsfile put sales "$T/big.bin" /big/b.bin >/dev/null
with_token "$VIEW" nsfile get sales /big/b.bin --out "$T/got.bin"
t_ok "--out writes a binary file byte for byte" cmp -s "$T/big.bin" "$T/got.bin"
cli_run out with_token "$VIEW" nsfile ls sales
t_match "$out" "Directory +0 +/cli" "weft nsfile ls lists the root"
t_match "$out" "File +9 +/rows.csv" "with sizes and paths"
cli_run out with_token "$VIEW" nsfile ls sales / -r
t_match "$out" "File +9 +/cli/rows.csv" "-r lists below directories"
cli_run out with_token "$VIEW" nsfile ls sales / -r -o json
t_is "$(jx "$out" 'd.filter(e => e.type === "File").map(e => e.path).sort().join(",")')" \
    "/big/b.bin,/cli/rows.csv,/rows.csv,/scripts/etl.py" "-o json lists every file"
cli_run out with_token "$VIEW" nsfile put sales "$T/rows.csv" /x.csv
t_is "$out_RC" 1 "a viewer's put fails"
t_match "$out_ERR" "403" "with the server's refusal"
cli_run out with_token "$DEV" nsfile put sales "$T/rows.csv" /a/../b.csv
t_is "$out_RC" 2 "a traversal path is refused before anything is sent"
t_match "$out_ERR" "'\.\.' segment" "saying why"
cli_run out with_token "$DEV" nsfile rm sales /cli
t_is "$out_RC:$out" "0:deleted  sales:/cli" "weft nsfile rm deletes a directory"
cli_run out with_token "$DEV" nsfile rm sales /cli
t_is "$out_RC" 1 "and then it is gone"
with_token "$DEV" nsfile rm sales /big >/dev/null
with_token "$DEV" nsfile rm sales /rows.csv >/dev/null

# ---- weft flow apply -f DIR with _files/ ---------------------------------
G=$T/repo
mkdir -p "$G/_files/scripts" "$G/_files/conf"
cat >"$G/etl.yaml" <<'YAML'
id: etl
namespace: sales
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
YAML
printf 'print("from git")\n' >"$G/_files/scripts/etl.py"
printf 'key: value\n' >"$G/_files/conf/settings.yaml"
printf 'new\n' >"$G/_files/new.txt"
cli_run out with_token "$DEV" flow apply -f "$G" --dry-run
t_is "$out_RC" 0 "a dry run with _files/ succeeds"
t_match "$out" "changed +sales:/scripts/etl.py .*\[dry run\]" "an existing file that differs is changed"
t_match "$out" "added +sales:/conf/settings.yaml" "a .yaml under _files/ is a file, not a flow"
t_match "$out_ERR" "files: 2 added, 1 changed, 0 unchanged, 0 deleted" "with a summary"
f "$VIEW" GET 'sales/files?path=/scripts/etl.py'
t_is "$R" $'print("v2")\n' "and nothing changes"
cli_run out with_token "$DEV" flow apply -f "$G"
t_is "$out_RC" 0 "apply syncs _files/"
f "$VIEW" GET 'sales/files?path=/scripts/etl.py'
t_is "$R" $'print("from git")\n' "the changed file is uploaded"
f "$VIEW" GET 'sales/files?path=/conf/settings.yaml'
t_is "$S" 200 "and the added ones"
cli_run out with_token "$DEV" flow apply -f "$G"
t_match "$out_ERR" "files: 0 added, 0 changed, 3 unchanged" "a second apply finds them unchanged"
with_token "$DEV" nsfile put sales "$T/rows.csv" /stray.csv >/dev/null
rm "$G/_files/new.txt"
cli_run out with_token "$DEV" flow apply -f "$G" --prune --dry-run
t_match "$out" "deleted +sales:/stray.csv" "--prune --dry-run names what has no local file"
t_match "$out" "deleted +sales:/new.txt" "including a file removed locally"
f "$VIEW" GET 'sales/files?path=/stray.csv'
t_is "$S" 200 "and keeps it"
cli_run out with_token "$DEV" flow apply -f "$G" --prune -o json
t_is "$(jx "$out" 'd.filter(e => e.kind === "file" && e.action === "deleted").map(e => e.path).sort().join(",")')" \
    "/new.txt,/stray.csv" "--prune deletes them, files only (-o json reports each file)"
f "$VIEW" GET 'sales/files?path=/stray.csv'
t_is "$S" 404 "gone from the server"
mkdir -p "$G/other"
sed 's/namespace: sales/namespace: sales.other/; s/id: etl/id: etl2/' "$G/etl.yaml" >"$G/other/f.yaml"
cli_run out with_token "$DEV" flow apply -f "$G"
t_is "$out_RC" 1 "_files/ beside flows of several namespaces is refused"
t_match "$out_ERR" "not all in one namespace" "saying why"
rm -r "$G/other"
printf 'x' >"$G/_files/bad\\name"
cli_run out with_token "$DEV" flow apply -f "$G"
t_is "$out_RC" 1 "a local file whose path breaks the rule stops the apply"
t_match "$out_ERR" "_files/bad.name: error: the path holds a backslash" "at its local path"
rm "$G/_files/bad\\name"


# ---- tasks: namespaceFiles -------------------------------------------------
cli_executor sales
up() { # up NS PATH TEXT: a namespace file with TEXT as content
    printf '%s\n' "$3" >"$T/up.tmp"
    with_token "$DEV" nsfile put "$1" "$T/up.tmp" "$2" >/dev/null
}
# The parent namespace (sales) and the flow's (sales.etl): the flow's etl.py
# wins, helper.py and data/rows.csv come from the parent.
up sales /scripts/etl.py 'print("parent etl: never run")'
up sales /scripts/helper.py 'HELPER = "from the parent"'
up sales /data/rows.csv 'a,b'
up sales.etl /scripts/etl.py 'import sys
sys.path.insert(0, "scripts")
from helper import HELPER
rows = open("data/rows.csv").read().strip()
print("etl ran, helper", HELPER, "rows", rows)'
req_apply "$DEV" '
id: etl
namespace: sales.etl
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Commands
    namespaceFiles:
      enabled: true
    commands:
      - python scripts/etl.py
' || t_bail "cannot apply the etl flow"
WEFT_TOKEN=$DEV cli_exec_wait sales.etl etl
t_is "$ST" SUCCESS "a Python task runs a namespace file as Kestra's blueprint does"
t_match "$(ex_logs "$EID")" "etl ran, helper from the parent rows a,b" \
    "with the nearest namespace's etl.py and its parent's other files"

req_apply "$DEV" '
id: pick
namespace: sales.etl
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: true
      include:
        - "scripts/**"
        - "data/*.csv"
      exclude:
        - "**/helper.py"
    inputFiles:
      data/rows.csv: "from inputFiles"
    commands:
      - find . -type f ! -path "./.weft/*" | sort | tr "\n" " "
      - echo
      - echo "rows=$(cat data/rows.csv)"
  - id: off
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: false
    commands:
      - echo "files:$(find . -type f ! -path "./.weft/*" | wc -l)"
  - id: per
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: true
      folderPerNamespace: true
      include: ["scripts/*.py"]
    commands:
      - find . -type f ! -path "./.weft/*" | sort | tr "\n" " "
' || t_bail "cannot apply the pick flow"
WEFT_TOKEN=$DEV cli_exec_wait sales.etl pick
t_is "$ST" SUCCESS "include / exclude / folderPerNamespace run"
L=$(ex_logs "$EID")
t_ok "include and exclude pick the files (helper.py excluded)" grep -qxF './data/rows.csv ./scripts/etl.py ' <<<"$L"
t_match "$L" "rows=from inputFiles" "inputFiles wins over a namespace file of the same name"
t_match "$L" "files:0" "enabled: false places nothing"
t_match "$L" "\./sales\.etl/scripts/etl\.py \./sales/scripts/etl\.py \./sales/scripts/helper\.py" \
    "folderPerNamespace: one folder per namespace, nothing overridden"

req_apply "$DEV" '
id: bad
namespace: sales.etl
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      include: 42
    commands: ["true"]
' || t_bail "cannot apply"
WEFT_TOKEN=$DEV cli_exec_wait sales.etl bad
t_is "$ST" FAILED "a malformed namespaceFiles fails the task"
t_match "$(ex_errors "$EID")" "namespaceFiles.include must be a list of glob strings" "saying why"


# A WorkingDirectory: its namespaceFiles are in the shared folder for every
# task; a task inside adds its own there too (it runs there, not in /work).
req_apply "$DEV" '
id: wd
namespace: sales.etl
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    namespaceFiles:
      enabled: true
      include: ["scripts/etl.py"]
    tasks:
      - id: one
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo "one sees $(ls scripts) rows=$(cat data/rows.csv 2>/dev/null || echo none)"
      - id: two
        type: io.kestra.plugin.scripts.shell.Commands
        namespaceFiles:
          enabled: true
          include: ["data/*"]
        commands:
          - echo "two sees $(ls scripts) rows=$(cat data/rows.csv)"
' || t_bail "cannot apply the wd flow"
WEFT_TOKEN=$DEV cli_exec_wait sales.etl wd
t_is "$ST" SUCCESS "namespaceFiles in a WorkingDirectory run"
L=$(ex_logs "$EID")
t_match "$L" "one sees etl.py rows=none" "the WorkingDirectory's files are in the shared folder"
t_match "$L" "two sees etl.py rows=a,b" "a task inside adds its own files there"

# An attack from inside: the first task leaves a symlink where the second
# task's namespace file goes, pointing at a host directory. The executor
# writes those files itself: it must not follow the link.
mkdir -m 777 "$T/escape"
req_apply "$DEV" "
id: wdlink
namespace: sales.etl
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: plant
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - ln -s $T/escape data
      - id: victim
        type: io.kestra.plugin.scripts.shell.Commands
        namespaceFiles:
          enabled: true
          include: [\"data/*\"]
        commands: [\"true\"]
" || t_bail "cannot apply the wdlink flow"
WEFT_TOKEN=$DEV cli_exec_wait sales.etl wdlink
t_is "$ST" FAILED "a symlink planted in the shared folder fails the placement"
t_match "$(ex_errors "$EID")" "namespaceFiles: cannot write /data/rows.csv" "saying which file"
t_fails "nothing was written through the link" test -e "$T/escape/rows.csv"

# The limits: a domain whose executor places at most one file per task.
cli_domain capped capped
printf 'namespace_files:\n  max_task_files: 1\n' >"$T/capped.yaml"
WEFT_DATA_DIR=$CLI_TMP "$WEFTD" executor --domain capped --config "$T/capped.yaml" \
    >>"$CLI_TMP/executor-capped.log" 2>&1 &
_cli_ex_pids+=($!)
printf 'x\n' >"$T/x"
with_token "$WEFT_TOKEN" nsfile put capped "$T/x" /a.txt >/dev/null
with_token "$WEFT_TOKEN" nsfile put capped "$T/x" /b.txt >/dev/null
req_apply "$WEFT_TOKEN" '
id: many
namespace: capped
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: true
    commands: ["ls"]
' || t_bail "cannot apply"
cli_exec_wait capped many
t_is "$ST" FAILED "more files than namespace_files.max_task_files fail the task"
t_match "$(ex_errors "$EID")" "2 files match, more than namespace_files.max_task_files \(1\)" \
    "naming the limit"

t_done
