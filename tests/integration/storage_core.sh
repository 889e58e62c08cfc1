#!/usr/bin/env bash
# The executor's storage interface (executor/storage.h) against the real
# database, through tests/integration/storage_tool as each domain's executor
# role: put/get/stat/exists/list/delete, multi-chunk files with their
# SHA-256, atomic replacement, size limits without partial rows, concurrent
# writers of one path, and domain B trying every operation on A's files.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
T="$WF_BUILDDIR/tests/integration/storage_tool"
pg_setup
D=$(mktemp -d)
trap 'rm -rf "$D"; pg_stop' EXIT

ex_domain alpha alpha
ex_domain beta beta
for d in alpha beta; do
    pg_psql >/dev/null <<SQL
INSERT INTO flows (namespace, id, domain, source, source_sha256, model, updated_by)
  VALUES ('$d', 'f', '$d', 'src', '\\x00', '{}', 't');
INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, started_by)
  VALUES ('e-$d', '$d', 'f', 1, '$d', 'SUCCESS', 't');
SQL
done
A=/alpha/f/executions/e-alpha/tasks/t/r1
sha() { sha256sum "$1" | cut -d' ' -f1; }

# Small file: put, stat, exists, get, list.
printf 'id,name\n1,a\n' >"$D/small.csv"
t_is "$("$T" alpha put execution alpha e-alpha $A/small.csv "$D/small.csv")" \
    "12 $(sha "$D/small.csv")" "a small file is stored with its size and SHA-256"
t_is "$("$T" alpha stat execution - $A/small.csv)" "12 $(sha "$D/small.csv") alpha e-alpha" \
    "stat by path alone gives size, SHA-256, namespace and execution"
t_is "$("$T" alpha exists execution - $A/small.csv)" "yes" "exists"
t_is "$("$T" alpha exists execution - $A/none.csv)" "no" "a missing file does not exist"
"$T" alpha get execution - $A/small.csv "$D/back.csv" >/dev/null
t_ok "the file reads back byte for byte" cmp "$D/small.csv" "$D/back.csv"
t_is "$("$T" alpha list execution - /alpha/f/executions/e-alpha/ | cut -d' ' -f1,2)" \
    "$A/small.csv 12" "list by prefix"
t_is "$("$T" alpha stat execution other $A/small.csv 2>&1; echo "rc=$?")" \
    "file '$A/small.csv' not found
rc=3" "a namespace that is not the file's finds nothing"

# Empty file and a multi-chunk file (3 MiB + 1 byte: four chunks).
: >"$D/empty"
t_is "$("$T" alpha put execution alpha e-alpha $A/empty "$D/empty")" \
    "0 $(sha "$D/empty")" "an empty file is stored"
"$T" alpha get execution - $A/empty "$D/empty.back" >/dev/null
t_is "$(stat -c %s "$D/empty.back")" "0" "and reads back empty"
head -c $((3 * 1048576 + 1)) /dev/urandom >"$D/big"
t_is "$("$T" alpha put execution alpha e-alpha $A/big "$D/big")" \
    "3145729 $(sha "$D/big")" "a 3 MiB + 1 byte file is stored"
t_is "$(pg_q "SELECT count(*) || ' ' || max(length(data)) || ' ' || min(length(data)) FROM storage_chunks c JOIN storage_files f ON f.id = c.file_id WHERE f.path = '$A/big'")" \
    "4 1048576 1" "in four chunks of at most 1 MiB"
"$T" alpha get execution - $A/big "$D/big.back" >/dev/null
t_ok "the multi-chunk file reads back byte for byte" cmp "$D/big" "$D/big.back"
t_is "$("$T" alpha get execution - $A/big "$D/x" 1000000 2>&1 >/dev/null; echo "rc=$?")" \
    "file '$A/big' is 3145729 bytes, more than the 1000000 allowed here
rc=4" "a read past the caller's limit is refused before any byte"
t_is "$(stat -c %s "$D/x")" "0" "and nothing was written"

# A chunk changed behind the store's back is detected at the end of the read.
pg_q "UPDATE storage_chunks SET data = set_byte(data, 10, (get_byte(data, 10) + 1) % 256) FROM storage_files f WHERE f.id = file_id AND f.path = '$A/big' AND seq = 2" >/dev/null
t_is "$("$T" alpha get execution - $A/big "$D/bad" 2>&1 >/dev/null; echo "rc=$?")" \
    "file '$A/big' does not match its recorded size and SHA-256
rc=6" "a tampered chunk fails the read with a SHA-256 mismatch"
"$T" alpha put execution alpha e-alpha $A/big "$D/big" >/dev/null

# Streaming from a pipe (size unknown up front).
head -c 2500000 /dev/urandom | tee "$D/piped" | "$T" alpha put execution alpha e-alpha $A/piped - >/dev/null
"$T" alpha get execution - $A/piped "$D/piped.back" >/dev/null
t_ok "a file streamed from a pipe reads back" cmp "$D/piped" "$D/piped.back"

# Replacement: a second write of a path replaces the first in one transaction.
printf 'v2\n' >"$D/v2"
"$T" alpha put execution alpha e-alpha $A/small.csv "$D/v2" >/dev/null
t_is "$("$T" alpha stat execution - $A/small.csv | cut -d' ' -f1,2)" "3 $(sha "$D/v2")" \
    "a rewrite replaces the file"
t_is "$(pg_q "SELECT count(*) FROM storage_files WHERE path = '$A/small.csv'")" "1" \
    "one row per path"
t_is "$(pg_q "SELECT count(*) FROM storage_chunks c WHERE NOT EXISTS (SELECT 1 FROM storage_files f WHERE f.id = c.file_id)")" \
    "0" "no orphan chunk"

# Limits: storage.max_file_size, known size and piped size; no partial row left.
head -c 5000 /dev/urandom >"$D/5k"
t_is "$(WEFT_STORAGE_MAX=4096 "$T" alpha put execution alpha e-alpha $A/5k "$D/5k" 2>&1; echo "rc=$?")" \
    "file '$A/5k' is 5000 bytes, more than storage.max_file_size (4096)
rc=4" "a file past storage.max_file_size is refused"
t_is "$(cat "$D/5k" | WEFT_STORAGE_MAX=4096 "$T" alpha put execution alpha e-alpha $A/5k - 2>&1; echo "rc=$?")" \
    "file '$A/5k' is larger than storage.max_file_size (4096 bytes)
rc=4" "a piped file past the limit is refused when it passes it"
t_is "$(pg_q "SELECT count(*) FROM storage_files WHERE path = '$A/5k' OR NOT complete")" "0" \
    "no row, complete or not, is left by a refused write"

# Paths are checked before any query.
for p in "/alpha/../beta/x" "/alpha//x" "/alpha/./x" "alpha/x" "/alpha/x/"; do
    t_fails "path '$p' is refused" "$T" alpha put execution alpha e-alpha "$p" "$D/v2"
done

# Namespace files.
printf 'print(1)\n' >"$D/x.py"
"$T" alpha put namespace alpha - /scripts/x.py "$D/x.py" >/dev/null
t_is "$("$T" alpha stat namespace alpha /scripts/x.py | cut -d' ' -f1,3,4)" "9 alpha -" \
    "a namespace file is stored"
t_is "$("$T" alpha exists namespace alpha.sub /scripts/x.py)" "no" \
    "a namespace file belongs to its namespace only"

# Concurrent writers of one path: one file at the end, whole.
for i in 1 2 3 4 5 6; do head -c $((200000 + i)) /dev/urandom >"$D/c$i"; done
pids=()
for i in 1 2 3 4 5 6; do
    "$T" alpha put execution alpha e-alpha $A/race "$D/c$i" >/dev/null &
    pids+=($!)
done
wait "${pids[@]}"
got=$("$T" alpha stat execution - $A/race | cut -d' ' -f2)
ok=1; for i in 1 2 3 4 5 6; do [ "$(sha "$D/c$i")" = "$got" ] && ok=0; done
t_is "$ok" "0" "after six concurrent writes the file is one writer's, whole"
t_is "$(pg_q "SELECT count(*) FROM storage_files WHERE path = '$A/race'")" "1" \
    "and there is one row"

# Domain beta's executor, with A's paths.
t_is "$("$T" beta stat execution - $A/big 2>&1; echo "rc=$?")" "file '$A/big' not found
rc=3" "B cannot stat A's file"
t_is "$("$T" beta get execution - $A/big "$D/stolen" 2>&1; echo "rc=$?")" \
    "file '$A/big' not found
rc=3" "B cannot read A's file"
t_is "$(stat -c %s "$D/stolen")" "0" "B got 0 bytes"
t_is "$("$T" beta list execution - / | wc -l)" "0" "B lists none of A's files"
t_is "$("$T" beta delete execution - $A/big 2>&1; echo "rc=$?")" "file '$A/big' not found
rc=3" "B cannot delete A's file"
t_is "$("$T" alpha exists execution - $A/big)" "yes" "A's file is still there"
t_fails "B cannot overwrite A's path" "$T" beta put execution alpha e-alpha $A/big "$D/v2"
t_fails "B cannot write into A's namespace" "$T" beta put namespace alpha - /scripts/x.py "$D/v2"
"$T" alpha get namespace alpha /scripts/x.py "$D/x.back" >/dev/null
t_ok "A's namespace file is unchanged" cmp "$D/x.py" "$D/x.back"
t_is "$(pg_psql_as weft_domain_beta -c "SELECT (SELECT count(*) FROM storage_files) || ' ' || (SELECT count(*) FROM storage_chunks) || ' ' || (SELECT coalesce(sum(length(data)), 0) FROM storage_chunks)")" \
    "0 0 0" "B's role reads 0 rows and 0 bytes of storage_files and storage_chunks"

# Delete, and the execution's files go with it.
"$T" alpha delete execution - $A/piped
t_is "$("$T" alpha exists execution - $A/piped)" "no" "a deleted file is gone"
pg_q "DELETE FROM executions WHERE id = 'e-alpha'" >/dev/null
t_is "$(pg_q "SELECT count(*) FROM storage_files WHERE domain = 'alpha' AND kind = 'execution'") $(pg_q "SELECT count(*) FROM storage_chunks WHERE domain = 'alpha'")" \
    "0 1" "an execution's files and chunks go with it (the namespace file stays)"
t_done
