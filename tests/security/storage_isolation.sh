#!/usr/bin/env bash
# Files of one domain are out of another's reach even when it knows their
# URI: domain B's executor role reads 0 rows and 0 bytes of A's
# storage_files and storage_chunks (and cannot change them), and flows of B
# naming A's file in read(), fileExists(), fileSize() or inputFiles fail
# with "not found" (its existence is not even confirmed); nsfile:// of A's
# namespace is refused from B; a subflow into another domain cannot be
# handed a file URI.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_gw_setup
gw_admin
ex_ops_start
http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"beta","namespaces":["beta"]}'
t_is "$STATUS" 201 "domain beta created"
ex_start beta || t_bail "beta's executor did not start"
runb() { http POST "/api/v1/executions/beta/$1?wait=30" "${AU[@]}" "${J[@]}" -d "${2:-{\}}"; }

# A's file.
ex_apply '
id: secretfile
namespace: ops
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["secret.csv"]
    commands: ["echo top-secret-of-ops > secret.csv"]
'
ex_runw secretfile
t_is "$(jget "$BODY" .state.current)" SUCCESS "domain A stores a file"
AURI=$(ex_task_out "$BODY" t 'o.outputFiles["secret.csv"]')
APATH=${AURI#weft://}
t_match "$AURI" "^weft:///ops/secretfile/executions/" "its URI is known to the attacker"

# Straight at the database as B's executor role.
t_is "$(pg_psql_as weft_domain_beta -c "SELECT count(*) FROM storage_files WHERE path = '$APATH'") $(pg_psql_as weft_domain_beta -c "SELECT count(*) FROM storage_files")" \
    "0 0" "B's role reads 0 rows of storage_files, even by A's path"
t_is "$(pg_psql_as weft_domain_beta -c "SELECT count(*) || ' ' || coalesce(sum(length(data)), 0) FROM storage_chunks")" \
    "0 0" "B's role reads 0 rows and 0 bytes of storage_chunks"
t_is "$(pg_psql_as weft_domain_beta -c "SELECT count(*) FROM storage_chunks WHERE file_id = (SELECT id FROM storage_files WHERE path = '$APATH')")" \
    "0" "B's role cannot reach A's chunks through a subquery either"
AID=$(pg_q "SELECT id FROM storage_files WHERE path = '$APATH'")
t_is "$(pg_psql_as weft_domain_beta -c "SELECT count(*) FROM storage_chunks WHERE file_id = $AID")" \
    "0" "nor by A's file id"
pg_psql_as weft_domain_beta -c "UPDATE storage_chunks SET data = 'x' WHERE file_id = $AID;
    DELETE FROM storage_chunks WHERE file_id = $AID; DELETE FROM storage_files WHERE id = $AID" >/dev/null 2>&1
t_is "$(pg_q "SELECT convert_from(data, 'UTF8') FROM storage_chunks WHERE file_id = $AID")" \
    "top-secret-of-ops" "B's role's update and delete of A's file changed nothing"
t_fails "B's role cannot add a chunk to A's file" pg_psql_as weft_domain_beta -c \
    "INSERT INTO storage_chunks (file_id, seq, domain, data) VALUES ($AID, 1, 'beta', 'x')"
t_fails "B's role cannot write a file into A's namespace" pg_psql_as weft_domain_beta -c \
    "INSERT INTO storage_files (domain, namespace, kind, path) VALUES ('beta', 'ops', 'namespace', '/x')"

# Flows of B naming A's file.
ex_apply "
id: steal
namespace: beta
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: \"{{ read('$AURI') }}\"
"
runb steal
BID=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" FAILED "read() of A's URI in B fails"
t_match "$(ex_errors "$BID")" "read\\(\\): file '$AURI' not found" "as not found"
t_is "$(pg_q "SELECT count(*) FROM logs WHERE execution_id = '$BID' AND line LIKE '%top-secret%'")" 0 \
    "no byte of A's file reached B's logs"
ex_apply "
id: probe
namespace: beta
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: \"{{ fileExists('$AURI') }}|{{ fileExists('${AURI/weft:/kestra:}') }}\"
"
runb probe
t_is "$(ex_task_out "$BODY" r o.value)" "false|false" "fileExists() of A's URI in B is false (weft:/// and kestra:///)"
ex_apply "
id: size
namespace: beta
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: \"{{ fileSize('$AURI') }}\"
"
runb size
t_match "$(ex_errors "$(jget "$BODY" .id)")" "not found" "fileSize() of A's URI in B: not found"
ex_apply "
id: stealfile
namespace: beta
tasks:
  - id: s
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      x.csv: '$AURI'
    commands: ['cat x.csv']
"
runb stealfile
BID=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" FAILED "inputFiles with A's URI in B fails"
t_match "$(ex_errors "$BID")" "inputFiles: cannot place 'x.csv': file '$AURI' not found" "as not found"
t_is "$(pg_q "SELECT count(*) FROM logs WHERE execution_id = '$BID' AND line LIKE '%top-secret%'")" 0 \
    "and nothing of it was printed"
ex_apply "
id: stealns
namespace: beta
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: \"{{ read('nsfile://ops/secret.csv') }}\"
"
runb stealns
t_match "$(ex_errors "$(jget "$BODY" .id)")" "namespace files of ops are not readable from namespace beta" \
    "nsfile:// of A's namespace is refused from B"

# A subflow into another domain cannot be handed a file.
ex_apply '
id: handoff
namespace: ops
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["a.csv"]
    commands: ["echo a > a.csv"]
  - id: sub
    type: io.kestra.plugin.core.flow.Subflow
    namespace: beta
    flowId: steal
    inputs:
      f: "{{ outputs.t.outputFiles[\"a.csv\"] }}"
'
ex_runw handoff
t_is "$(jget "$BODY" .state.current)" FAILED "a cross-domain subflow given a file URI fails"
t_match "$(ex_errors "$(jget "$BODY" .id)")" "subflow beta.steal is in another domain: its inputs cannot pass files" \
    "saying files cannot cross domains"
t_is "$(pg_q "SELECT count(*) FROM executions WHERE flow_id = 'steal' AND parent_id IS NOT NULL")" 0 \
    "no child was created"
t_done
