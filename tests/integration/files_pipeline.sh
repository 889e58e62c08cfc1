#!/usr/bin/env bash
# Files from task to task through the internal storage, with the real
# gateway and executor: Kestra's documented pattern (a shell task's CSV in
# outputFiles, handed to a Python task with inputFiles), read(), fileSize(),
# fileExists(), isFileEmpty(), the kestra:/// alias, a FILE flow output, a
# Subflow reading its parent's file, a multi-chunk file checked by SHA-256,
# and the execution-tree rule (another execution's file is refused).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_gw_setup
gw_admin
ex_ops_start

ex_apply '
id: pipeline
namespace: ops
tasks:
  - id: extract
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["data.csv"]
    commands:
      - printf "id,amount\n1,10\n2,32\n" > data.csv
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    inputFiles:
      data.csv: "{{ outputs.extract.outputFiles[\"data.csv\"] }}"
      alias.csv: "{{ outputs.extract.outputFiles[\"data.csv\"] | replace({\"weft://\": \"kestra://\"}) }}"
      note.txt: "plain text stays text"
    outputFiles: ["total.txt", "empty.txt"]
    script: |
      import csv
      rows = list(csv.DictReader(open("data.csv")))
      assert open("alias.csv").read() == open("data.csv").read()
      assert open("note.txt").read() == "plain text stays text"
      open("total.txt", "w").write(str(sum(int(r["amount"]) for r in rows)))
      open("empty.txt", "w").close()
  - id: check
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.transform.outputFiles[\"total.txt\"]) }}|{{ fileSize(outputs.extract.outputFiles[\"data.csv\"]) }}|{{ fileExists(outputs.extract.outputFiles[\"data.csv\"]) }}|{{ fileExists(outputs.extract.outputFiles[\"data.csv\"] ~ \"x\") }}|{{ isFileEmpty(outputs.transform.outputFiles[\"empty.txt\"]) }}"
outputs:
  - id: total
    type: FILE
    value: "{{ outputs.transform.outputFiles[\"total.txt\"] }}"
'
ex_runw pipeline
EID=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" SUCCESS "Kestra's CSV pipeline (shell outputFiles -> Python inputFiles) succeeds"
[ "$(jget "$BODY" .state.current)" = SUCCESS ] || t_diag "$(ex_errors "$EID")"
t_is "$(ex_task_out "$BODY" check o.value)" "42|20|true|false|true" \
    "read(), fileSize(), fileExists() (true and false), isFileEmpty()"
t_match "$(jget "$BODY" .outputs.total)" "^weft:///ops/pipeline/executions/$EID/tasks/transform/[^/]+/total.txt$" \
    "a FILE flow output is the file's weft:/// URI"
t_is "$(pg_q "SELECT count(*) FROM storage_files WHERE execution_id = '$EID' AND complete")" 3 \
    "three files stored for the execution"

# A FILE output that names no file of the execution fails the execution.
ex_apply '
id: badout
namespace: ops
tasks:
  - id: t
    type: io.kestra.plugin.core.debug.Return
    format: x
outputs:
  - id: f
    type: FILE
    value: "weft:///ops/pipeline/executions/nope/tasks/t/r/x.csv"
'
ex_runw badout
t_is "$(jget "$BODY" .state.current)" FAILED "a FILE output naming a missing file fails"
t_match "$(ex_errors "$(jget "$BODY" .id)")" "flow output 'f' of type FILE.*not found" "saying it is not found"

# A multi-chunk file (1.5 MiB + 3 bytes) from one task to the next, checked by SHA-256.
ex_apply '
id: big
namespace: ops
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - head -c 1572867 /dev/urandom > "{{ outputDir }}/blob.bin"
      - sha256sum "{{ outputDir }}/blob.bin" | cut -d" " -f1 > "{{ outputDir }}/sha"
  - id: use
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      blob.bin: "{{ outputs.make.outputFiles[\"blob.bin\"] }}"
    commands:
      - test "$(sha256sum blob.bin | cut -d" " -f1)" = "{{ read(outputs.make.outputFiles.sha) | trim }}"
      - test "$(stat -c %s blob.bin)" = 1572867
'
ex_runw big
EID=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" SUCCESS "a 1.5 MiB file arrives whole in the next task (SHA-256 checked there)"
[ "$(jget "$BODY" .state.current)" = SUCCESS ] || t_diag "$(ex_errors "$EID")"
t_is "$(pg_q "SELECT count(*) FROM storage_chunks c JOIN storage_files f ON f.id = c.file_id WHERE f.execution_id = '$EID' AND f.path LIKE '%/blob.bin'")" \
    2 "stored in two chunks"
t_is "$(pg_q "SELECT f.sha256 = encode(sha256(string_agg(c.data, ''::bytea ORDER BY c.seq)), 'hex') FROM storage_files f JOIN storage_chunks c ON c.file_id = f.id WHERE f.execution_id = '$EID' AND f.path LIKE '%/blob.bin' GROUP BY f.sha256")" \
    t "the recorded SHA-256 is the chunks' content's"

# A Subflow child reads its parent's file (FILE input), and a later
# execution may not read it.
ex_apply '
id: child
namespace: ops
inputs:
  - id: data
    type: FILE
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.data) | trim }}"
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      in.csv: "{{ inputs.data }}"
    commands:
      - grep -q "1,10" in.csv
'
ex_apply '
id: parent
namespace: ops
tasks:
  - id: extract
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["data.csv"]
    commands:
      - printf "id,amount\n1,10\n" > data.csv
  - id: sub
    type: io.kestra.plugin.core.flow.Subflow
    namespace: ops
    flowId: child
    wait: true
    inputs:
      data: "{{ outputs.extract.outputFiles[\"data.csv\"] }}"
'
ex_runw parent
PID=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" SUCCESS "a Subflow child reads its parent's file (FILE input)"
CID=$(pg_q "SELECT id FROM executions WHERE parent_id = '$PID'")
t_is "$(pg_q "SELECT state FROM executions WHERE id = '$CID'")" SUCCESS "the child succeeded"
[ "$(pg_q "SELECT state FROM executions WHERE id = '$CID'")" = SUCCESS ] || t_diag "$(ex_errors "$CID")"
t_is "$(pg_q "SELECT outputs #>> '{value}' FROM task_runs WHERE execution_id = '$CID' AND task_id = 'r'")" \
    "id,amount
1,10" "read() in the child returns the parent's file"

PURI=$(pg_q "SELECT 'weft://' || path FROM storage_files WHERE execution_id = '$PID'")
ex_apply '
id: thief
namespace: ops
inputs:
  - id: uri
    type: STRING
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.uri) }}"
'
ex_runw thief "{\"uri\": \"$PURI\"}"
t_is "$(jget "$BODY" .state.current)" FAILED "read() of another execution's file (same domain) fails"
t_match "$(ex_errors "$(jget "$BODY" .id)")" "is refused: it belongs to another execution" "refused by name"
ex_apply '
id: thief2
namespace: ops
inputs:
  - id: uri
    type: STRING
tasks:
  - id: s
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      x.csv: "{{ inputs.uri }}"
    commands: ["cat x.csv"]
'
ex_runw thief2 "{\"uri\": \"$PURI\"}"
t_is "$(jget "$BODY" .state.current)" FAILED "inputFiles with another execution's file fails"
t_match "$(ex_errors "$(jget "$BODY" .id)")" "inputFiles: cannot place 'x.csv': .*is refused: it belongs to another execution" \
    "saying why"
ex_runw thief2 '{"uri": "weft:///ops/../etc/passwd"}'
t_match "$(ex_errors "$(jget "$BODY" .id)")" "'\\.\\.' is not allowed" "a traversal URI is refused"
ex_runw thief2 '{"uri": "kestra:///ops/x/executions/none/tasks/t/r/x.csv"}'
t_match "$(ex_errors "$(jget "$BODY" .id)")" "not found" "a missing file is not found"
t_done
