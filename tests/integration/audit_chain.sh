#!/usr/bin/env bash
# Audit hash chain against a real PostgreSQL: appends (also concurrent ones)
# verify; the append-only triggers refuse changes; then a superuser with the
# triggers disabled alters, deletes, inserts and rewrites rows, and
# `weftd audit verify` names the first tampered entry each time.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
W="$WF_BUILDDIR/weftd"
C="$WF_BUILDDIR/tests/integration/audit_client"
pg_start || t_bail "cannot start PostgreSQL"
base_url=$WEFT_DATABASE_URL

t_ok "migrations apply" "$W" migrate
out=$("$W" audit verify 2>&1)
t_is "$?" "0" "empty log verifies"
t_match "$out" "^0 entries verified" "reports 0 entries"

t_ok "append 20 entries with wf_audit_append" "$C" append 20 user:alice
out=$("$W" audit verify 2>&1)
t_is "$?" "0" "20 entries verify"
t_match "$out" "^20 entries verified" "reports 20 entries"

# Four writers at once: the trigger serialises them into one gapless chain.
pids=()
for i in 1 2 3 4; do "$C" append 25 "sa:writer$i" >/dev/null & pids+=($!); done
conc=0
for p in "${pids[@]}"; do wait "$p" || conc=1; done
t_is "$conc" "0" "four concurrent writers succeed"
t_is "$(pg_psql -c "SELECT count(*) = max(seq) AND min(seq) = 1 FROM audit_log")" "t" \
    "sequence numbers are gapless (1..N)"
t_is "$(pg_psql -c "SELECT bool_and(ts >= lag) FROM (SELECT ts, lag(ts, 1, ts) OVER (ORDER BY seq) FROM audit_log) x")" \
    "t" "timestamps follow the chain order"
out=$("$W" audit verify --database-url "$WEFT_DATABASE_URL" 2>&1)
t_match "$out" "^120 entries verified" "concurrent appends verify (120 entries)"

# A rolled-back append leaves no gap.
pg_psql -c "BEGIN; INSERT INTO audit_log (actor, action, result) VALUES ('user:x', 'y', 'allowed'); ROLLBACK;"
t_ok "append after a rollback" "$C" append 1 user:bob
t_is "$(pg_psql -c "SELECT max(seq) FROM audit_log")" "121" "rolled-back append left no gap"

out=$("$C" refusals 2>&1)
t_is "$?" "0" "invalid entries refused by wf_audit_append"
t_diag "$out"
t_is "$(grep -c 'Failing row' <<<"$out")" "0" "refusals do not echo the row's contents"
out=$("$C" reconnect 2>&1)
t_is "$?" "0" "append works after a reconnect and after DEALLOCATE ALL"
t_match "$out" "^122 123 124$" "those appends got consecutive numbers"

# The C recomputation and the trigger agree byte for byte: the SQL canonical
# form of a stored row hashes to the stored hash, and verify accepted it.
t_is "$(pg_psql -c "SELECT bool_and(hash = sha256(audit_canonical(prev_hash, seq, ts, actor, action, namespace, target, result, reason, details))) FROM audit_log")" \
    "t" "stored hashes equal the documented encoding"

# Append-only: refused even for the superuser while the triggers are on.
t_fails "UPDATE refused" pg_psql -c "UPDATE audit_log SET reason = 'x' WHERE seq = 3"
t_fails "DELETE refused" pg_psql -c "DELETE FROM audit_log WHERE seq = 3"
t_fails "TRUNCATE refused" pg_psql -c "TRUNCATE audit_log"
t_fails "moving the chain head refused" pg_psql -c "UPDATE audit_chain_head SET seq = 1"
t_fails "deleting the chain head refused" pg_psql -c "DELETE FROM audit_chain_head"
t_is "$(pg_psql -c "INSERT INTO audit_log (seq, actor, action, result, prev_hash, hash) VALUES (1, 'user:m', 'x', 'allowed', '\\x00', '\\x00') RETURNING seq, length(prev_hash), length(hash)")" \
    "125|32|32" "seq, prev_hash and hash given by a writer are replaced by the trigger"
out=$("$W" audit verify 2>&1)
t_match "$out" "^125 entries verified" "log still intact after the refused attempts"
head=$(printf '%s\n' "$out" | sed -n 's/^chain head: //p')
t_match "$head" "^125:[0-9a-f]{64}$" "verify prints the chain head"
early_anchor="5:$(pg_psql -c "SELECT encode(hash, 'hex') FROM audit_log WHERE seq = 5")"

# Each attack is made as the superuser with the triggers disabled
# (session_replication_role = replica), checked, then undone from a backup.
pg_psql -c "CREATE TABLE log_backup AS SELECT * FROM audit_log; CREATE TABLE head_backup AS SELECT * FROM audit_chain_head"
restore="SET session_replication_role = replica; DELETE FROM audit_log; INSERT INTO audit_log SELECT * FROM log_backup; DELETE FROM audit_chain_head; INSERT INTO audit_chain_head SELECT * FROM head_backup;"
attack() { pg_psql -c "SET session_replication_role = replica; $1" >/dev/null; }
detects() { # DESC SQL REGEX
    local out rc
    attack "$2"
    out=$("$W" audit verify 2>&1); rc=$?
    t_is "$rc" "1" "$1: verify exits 1"
    t_match "$out" "$3" "$1: reported"
    pg_psql -c "$restore" >/dev/null
}

detects "altered details" "UPDATE audit_log SET details = '{\"z\": 0}' WHERE seq = 7" \
    "entry 7 does not match its hash: altered"
detects "altered actor" "UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 50" \
    "entry 50 does not match its hash: altered"
detects "altered timestamp" "UPDATE audit_log SET ts = ts - interval '1 hour' WHERE seq = 60" \
    "entry 60 does not match its hash: altered"
detects "altered row with its own hash recomputed" \
    "UPDATE audit_log SET reason = 'changed', hash = sha256(audit_canonical(prev_hash, seq, ts, actor, action, namespace, target, result, 'changed', details)) WHERE seq = 5" \
    "entry 6 does not link to entry 5"
detects "deleted middle entry" "DELETE FROM audit_log WHERE seq = 30" \
    "entry 30 is missing: deleted"
detects "deleted range" "DELETE FROM audit_log WHERE seq BETWEEN 40 AND 44" \
    "entries 40 to 44 are missing: deleted"
detects "deleted first entry" "DELETE FROM audit_log WHERE seq = 1" \
    "entry 1 is missing: deleted"
detects "deleted last entry" "DELETE FROM audit_log WHERE seq = 125" \
    "entry 125 \\(the last one\\) is missing: deleted"
detects "truncated log" "TRUNCATE audit_log" \
    "entries 1 to 125 \\(the last ones\\) are missing: deleted"
detects "forged row without chain fields" \
    "INSERT INTO audit_log (seq, actor, action, result) VALUES (126, 'user:mallory', 'grant.create', 'allowed')" \
    "entry 126 has no chain hash"
detects "forged row with a correct link and hash" \
    "INSERT INTO audit_log (seq, ts, actor, action, result, prev_hash, hash) SELECT 126, now(), 'user:mallory', 'grant.create', 'allowed', h.hash, sha256(audit_canonical(h.hash, 126, now(), 'user:mallory', 'grant.create', '', '', 'allowed', '', '{}')) FROM audit_chain_head h" \
    "entries after 125 were not appended through the audit trigger"
attack "INSERT INTO audit_log (seq, ts, actor, action, result, prev_hash, hash) SELECT 126, now(), 'user:mallory', 'grant.create', 'allowed', h.hash, sha256(audit_canonical(h.hash, 126, now(), 'user:mallory', 'grant.create', '', '', 'allowed', '', '{}')) FROM audit_chain_head h"
out=$("$C" append 1 user:alice 2>&1)
t_is "$?" "1" "appending after a forged tail entry is refused (not built upon)"
t_match "$out" "entries after the chain head \\(125\\)" "naming the head"
pg_psql -c "$restore" >/dev/null
detects "forged row before the first" \
    "INSERT INTO audit_log (seq, actor, action, result, prev_hash, hash) VALUES (0, 'user:mallory', 'x', 'allowed', decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'))" \
    "entry 0 is out of sequence"
detects "deleted chain head" "DELETE FROM audit_chain_head" "chain head record is missing"

# A superuser rewriting everything from entry 8 on, head included, leaves a
# self-consistent chain: only an anchor kept elsewhere catches that.
rewrite="UPDATE audit_log SET reason = 'rewritten' WHERE seq = 8;
DO \$\$ DECLARE r record; prev bytea; BEGIN
  SELECT hash INTO prev FROM audit_log WHERE seq = 7;
  FOR r IN SELECT * FROM audit_log WHERE seq >= 8 ORDER BY seq LOOP
    prev := sha256(audit_canonical(prev, r.seq, r.ts, r.actor, r.action, r.namespace, r.target, r.result, r.reason, r.details));
    UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE seq = r.seq - 1), hash = prev WHERE seq = r.seq;
  END LOOP;
  UPDATE audit_chain_head SET hash = prev;
END \$\$;"
attack "$rewrite"
out=$("$W" audit verify 2>&1)
t_is "$?" "0" "a full rewrite including the head is self-consistent (documented limit)"
out=$("$W" audit verify --anchor "$head" 2>&1)
t_is "$?" "1" "the rewrite is caught by the head recorded earlier as anchor"
t_match "$out" "entry 125 differs from the anchor" "anchor mismatch reported"
out=$("$W" audit verify --anchor "$early_anchor" 2>&1)
t_is "$?" "0" "an anchor before the rewritten part still matches"
pg_psql -c "$restore" >/dev/null
out=$("$W" audit verify --anchor "$head" 2>&1)
t_is "$?" "0" "the restored log verifies and matches its anchor"

# Config file path and errors.
printf 'database:\n  url: "%s"\n' "$base_url" >"$PG_TMP/weft.yaml"
out=$(env -u WEFT_DATABASE_URL "$W" audit verify --config "$PG_TMP/weft.yaml" 2>&1)
t_match "$out" "^125 entries verified" "database taken from --config"
out=$("$W" audit verify --database-url "postgresql:///nosuchdb?host=$PG_TMP/sock" 2>&1)
t_is "$?" "3" "unreachable database: exit 3 (could not check)"
out=$("$W" audit verify --anchor 12 2>&1)
t_is "$?" "2" "malformed anchor is a usage error"

# Many entries in one statement, several statements in one transaction, and
# a savepoint rolled back in between: one gapless, verifiable chain.
pg_psql -c "INSERT INTO audit_log (actor, action, result, details) SELECT 'user:bulk', 'policy.apply', 'allowed', jsonb_build_object('n', i) FROM generate_series(1, 50) i"
pg_psql -c "BEGIN;
INSERT INTO audit_log (actor, action, result) VALUES ('user:t', 'a', 'allowed'), ('user:t', 'b', 'allowed');
INSERT INTO audit_log (actor, action, result) VALUES ('user:t', 'c', 'allowed');
SAVEPOINT s;
INSERT INTO audit_log (actor, action, result) VALUES ('user:t', 'rolled-back', 'allowed'), ('user:t', 'rolled-back', 'allowed');
ROLLBACK TO SAVEPOINT s;
INSERT INTO audit_log (actor, action, result) VALUES ('user:t', 'd', 'allowed');
COMMIT;"
out=$("$W" audit verify 2>&1)
t_match "$out" "^179 entries verified" "bulk and multi-statement appends verify (179 entries)"
t_is "$(pg_psql -c "SELECT string_agg(action, ',' ORDER BY seq) FROM audit_log WHERE actor = 'user:t'")" \
    "a,b,c,d" "the rolled-back savepoint left nothing"
t_is "$(pg_psql -c "SELECT count(*) = max(seq) FROM audit_log")" "t" "still gapless"
t_is "$(pg_psql -c "SELECT seq FROM audit_chain_head")" "179" "the head follows the last statement"

# A domain executor's role (migration 0003) appends through wf_audit_append
# and can do nothing else to the log or its head.
role=$(pg_psql -c "SELECT weft_ensure_domain_role('logistics')")
role_url="${WEFT_DATABASE_URL/user=weft/user=$role}"
out=$(WEFT_DATABASE_URL="$role_url" "$C" append 3 sa:logistics/executor 2>&1)
t_is "$?" "0" "the executor role appends entries"
t_is "$out" "182" "and reads back their numbers"
as_role() { psql -XAtq -v ON_ERROR_STOP=1 "$role_url" -c "$1" >/dev/null 2>&1; }
t_fails "the executor role cannot read the log" as_role "SELECT actor FROM audit_log"
t_fails "nor count it" as_role "SELECT count(*) FROM audit_log"
t_fails "nor insert directly (choosing a number or hash)" \
    as_role "INSERT INTO audit_log (seq, actor, action, result) VALUES (1000, 'sa:x', 'x', 'allowed')"
t_fails "nor update entries" as_role "UPDATE audit_log SET reason = 'x'"
t_fails "nor delete entries" as_role "DELETE FROM audit_log"
t_fails "nor read the chain head" as_role "SELECT * FROM audit_chain_head"
t_fails "nor move the chain head" as_role "UPDATE audit_chain_head SET seq = 1"
t_fails "nor disable the triggers" as_role "ALTER TABLE audit_log DISABLE TRIGGER ALL"
out=$("$W" audit verify 2>&1)
t_match "$out" "^182 entries verified" "entries of the executor role verify"
t_done
