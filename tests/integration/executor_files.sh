#!/usr/bin/env bash
# Output files of script tasks through the real gateway and executor:
# {{ outputDir }} and outputFiles collected into outputs.outputFiles, read back
# with read(), bounded in size; symbolic links (to /etc/shadow, to another
# task's directory) and hard links are refused, never followed.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_gw_setup

cat >"$PG_TMP/weft.yaml" <<EOF
executor:
  output_files_max: 4KiB
EOF
# Stands for another task's directory on the executor's host.
OTHER=$PG_TMP/other-task
mkdir -p "$OTHER" && echo "other task's secret" >"$OTHER/secret.txt" && chmod -R a+rX "$OTHER"

gw_admin
ex_ops_start --config "$PG_TMP/weft.yaml"

stored() { pg_psql -c "SELECT count(*) FROM storage_files WHERE execution_id = '$1'"; }
# one_sh NAME PROPS: a flow with one shell task `t`; sets ST, ERR, BODY, EID
one_sh() {
    ex_apply "
id: $1
namespace: ops
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
$2"
    ex_runw "$1"
    ST=$(jget "$BODY" .state.current)
    EID=$(jget "$BODY" .id)
    ERR=$(ex_errors "$EID")
}

ex_apply '
id: files
namespace: ops
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["*.csv", "report.txt"]
    commands:
      - echo "in the outputs dir" > "{{ outputDir }}/a.txt"
      - mkdir -p "{{ outputDir }}/sub" && echo nested > "{{ outputDir }}/sub/b.txt"
      - printf "id,n\n1,2\n" > data.csv
      - echo report > report.txt
      - echo ignored > other.log
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    script: |
      open("{{ outputDir }}/py.json", "w").write("{\"from\": \"python\"}")
  - id: use
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.t.outputFiles[\"data.csv\"]) }}|{{ read(outputs.py.outputFiles[\"py.json\"]) }}"
'
ex_runw files
EID=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" SUCCESS "tasks writing output files: SUCCESS"
t_is "$(ex_task_out "$BODY" t 'Object.keys(o.outputFiles).sort().join(" ")')" "a.txt data.csv report.txt sub/b.txt" \
    "outputFiles: the outputs dir (recursive) and the declared files, nothing else"
t_match "$(ex_task_out "$BODY" t 'o.outputFiles["data.csv"]')" "^weft:///ops/files/executions/$EID/tasks/t/[^/]+/data.csv$" \
    "each file as a weft:/// uri"
t_is "$(ex_task_out "$BODY" py 'Object.keys(o.outputFiles).join()')" "py.json" "a Python script's outputDir"
t_is "$(ex_task_out "$BODY" use o.value)" "id,n
1,2
|{\"from\": \"python\"}" "read() returns the contents to a later task"
t_is "$(pg_psql -c "SELECT size || ':' || sha256 FROM storage_files WHERE execution_id = '$EID' AND path LIKE '%/report.txt' AND complete")" \
    "7:$(printf 'report\n' | sha256sum | cut -d' ' -f1)" "stored with size and sha256"

ex_apply '
id: globs
namespace: ops
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["*.csv", "**/*.json", "out/**"]
    commands:
      - mkdir -p d/e out/x && echo 1 > top.csv && echo 2 > d/deep.csv && echo 3 > top.json
      - echo 4 > d/e/a.json && echo 5 > out/x/y.txt && echo 6 > out/z
'
ex_runw globs
t_is "$(ex_task_out "$BODY" t 'Object.keys(o.outputFiles).sort().join(" ")')" \
    "d/e/a.json out/x/y.txt out/z top.csv" \
    "outputFiles globs as Kestra: * stays in a directory, **/ crosses them, out/** takes a tree"

ex_apply '
id: wdfiles
namespace: ops
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: w1
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["echo shared > shared.txt"]
      - id: w2
        type: io.kestra.plugin.scripts.shell.Commands
        outputFiles: ["shared.txt"]
        commands: ["test \"{{ workingDir }}\" = /wd"]
'
ex_runw wdfiles
t_is "$(ex_task_out "$BODY" w2 'Object.keys(o.outputFiles).join()')" "shared.txt" \
    "outputFiles inside a WorkingDirectory are taken from the shared folder"

one_sh missing '    outputFiles: ["nope.txt"]
    commands: ["true"]'
t_is "$ST" FAILED "a declared file that was not created fails the task"
t_match "$ERR" "output file 'nope.txt' was not created" "naming it"

one_sh big '    commands: ["head -c 5000 /dev/zero | tr \"\\\\0\" x > \"{{ outputDir }}/big.txt\""]'
t_is "$ST" FAILED "output files larger than executor.output_files_max fail the task"
t_match "$ERR" "larger than executor.output_files_max" "saying the bound"

# ---- attacks ---------------------------------------------------------------------
one_sh shadow_dir '    commands: ["ln -s /etc/shadow \"{{ outputDir }}/shadow\""]'
t_is "$ST" FAILED "a symbolic link to /etc/shadow in the outputs dir is refused"
t_match "$ERR" "output file 'shadow' is a symbolic link: refused" "with a precise message"
t_is "$(stored "$EID")" 0 "and nothing was stored"

one_sh shadow_decl '    outputFiles: ["*"]
    commands: ["ln -s /etc/shadow shadow"]'
t_match "$ERR" "output file 'shadow' is a symbolic link: refused" "a declared file linking to /etc/shadow is refused"
t_is "$(stored "$EID")" 0 "nothing stored"

one_sh other_dir "    outputFiles: [\"other/secret.txt\"]
    commands: [\"ln -s $OTHER other\"]"
t_match "$ERR" "output file 'other/secret.txt' is \\(or goes through\\) a symbolic link: refused" \
    "a path through a link to another task's directory is refused"
one_sh other_file "    commands: [\"ln -s $OTHER/secret.txt '{{ outputDir }}/leak.txt'\"]"
t_match "$ERR" "output file 'leak.txt' is a symbolic link: refused" "a link to another task's file is refused"
one_sh out_link "    commands: [\"rm -rf '{{ outputDir }}' && ln -s $OTHER '{{ outputDir }}'\"]"
t_match "$ERR" "the outputs directory is a symbolic link or not a directory: refused" \
    "the outputs directory replaced by a link is refused"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_chunks WHERE position('other task' in convert_from(data, 'UTF8')) > 0")" 0 \
    "the other task's secret was never stored"

one_sh hardlink '    commands: ["echo x > a.txt && ln a.txt \"{{ outputDir }}/b.txt\""]'
t_match "$ERR" "output file 'b.txt' has 2 hard links: refused" "a hard-linked file is refused"

one_sh fifo '    outputFiles: ["p"]
    commands: ["mkfifo p"]'
t_match "$ERR" "output file 'p' is not a regular file: refused" "a FIFO is refused (and does not hang the executor)"

ex_apply '
id: otherexec
namespace: ops
inputs:
  - id: uri
    type: STRING
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.uri) }}"
'
URI=$(pg_psql -c "SELECT 'weft://' || path FROM storage_files WHERE path LIKE '/ops/files/%/data.csv' LIMIT 1")
ex_runw otherexec "{\"uri\": \"$URI\"}"
t_is "$(jget "$BODY" .state.current)" FAILED "read() of another execution's file fails"
t_match "$(ex_errors "$(jget "$BODY" .id)")" "belongs to another execution" "saying so"

t_done
