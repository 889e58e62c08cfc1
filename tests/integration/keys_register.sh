#!/usr/bin/env bash
# `weftd keygen --register`: the public key lands in domains.public_key; a
# second, different key is refused unless --force; unknown domains refused;
# a refused registration writes no key file. An executor started on an empty
# executor.key_dir creates the domain key (0600) and registers its public
# half; replicas on the same directory, one after the other or racing, end
# up with that one key.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
W="$WF_BUILDDIR/weftd"
pg_start || t_bail "cannot start PostgreSQL"
trap 'ex_stop_all; pg_stop' EXIT
"$W" migrate >/dev/null 2>&1 || t_bail "migrations failed"
keys="$PG_TMP/keys"
pg_psql -c "INSERT INTO domains (name) VALUES ('logistics'), ('sales')"
registered() { pg_psql -c "SELECT coalesce(encode(public_key, 'base64'), 'NULL') FROM domains WHERE name = '$1'"; }

pub=$("$W" keygen --domain logistics --key-dir "$keys" --register 2>"$PG_TMP/err")
t_is "$?" "0" "keygen --register exits 0"
t_is "$(registered logistics)" "$pub" "domains.public_key holds the printed public key"
t_is "$(registered sales)" "NULL" "other domains untouched"

out=$("$W" keygen --domain logistics --key-dir "$PG_TMP/keys2" --register 2>&1)
t_is "$?" "1" "a second key for the domain is refused"
t_match "$out" "already has a public key registered" "with the reason"
t_is "$(registered logistics)" "$pub" "registered key unchanged"
t_is "$(ls "$PG_TMP/keys2" 2>/dev/null | wc -l)" "0" "no key file written by the refused run"

# A secret exists for the domain: replacing the key says it will not open.
pg_psql -c "INSERT INTO secrets (namespace, key, domain, version, sealed, created_by) VALUES ('logistics.x', 'K', 'logistics', 1, '\\x01', 'user:a')"
pub2=$("$W" keygen --domain logistics --key-dir "$keys" --register --force 2>"$PG_TMP/err")
t_is "$?" "0" "--force replaces file and registration"
t_is "$(registered logistics)" "$pub2" "new key registered"
t_match "$(cat "$PG_TMP/err")" "1 secret of domain logistics were sealed to the previous key" \
    "warns about secrets sealed to the previous key"
want=$(openssl pkey -in "$keys/logistics.key" -pubout -outform DER | tail -c 32 | base64)
t_is "$pub2" "$want" "registered key matches the key file"

out=$("$W" keygen --domain nosuch --key-dir "$keys" --register 2>&1)
t_is "$?" "1" "unknown domain refused"
t_match "$out" "domain 'nosuch' is not known to the database" "naming the domain"
t_is "$(ls "$keys" | grep -c nosuch)" "0" "no key file for the unknown domain"

out=$("$W" keygen --domain sales --key-dir "$keys" --database-url "$WEFT_DATABASE_URL" 2>&1)
t_is "$?" "2" "--database-url without --register is a usage error"

# ---- an executor's first start on an empty key directory ----
pubkey_of() { openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | base64; }
ex_domain billing billing
mkdir -m 700 "$PG_TMP/exkeys"
printf 'executor:\n  key_dir: %s\n' "$PG_TMP/exkeys" >"$PG_TMP/billing.yaml"
K=$PG_TMP/exkeys/billing.key
t_is "$(registered billing)" NULL "billing has no registered key before its executor starts"
ex_start billing --config "$PG_TMP/billing.yaml"
t_is "$?" 0 "an executor starts on an empty key directory"
t_is "$(stat -c %a "$K" 2>&1)" 600 "it created the domain key file, mode 0600"
t_is "$(ls -A "$PG_TMP/exkeys")" billing.key "and nothing else in the directory"
PUB=$(pubkey_of "$K")
t_match "$PUB" '^[A-Za-z0-9+/]{43}=$' "the file holds an X25519 key (openssl derives its public half)"
t_is "$(registered billing)" "$PUB" "domains.public_key holds the public half of that file"
t_is "$(grep -c "generated the key of domain billing in $PG_TMP/exkeys" "$PG_TMP/executor-billing.log")" 1 \
    "the executor says it generated the key"
BEFORE=$(sha256sum <"$K")
ex_start billing --config "$PG_TMP/billing.yaml"
t_is "$?" 0 "a second replica starts on the same key directory"
t_is "$(sha256sum <"$K")" "$BEFORE" "it reuses the key file, untouched"
t_is "$(registered billing)" "$PUB" "the registered public key is unchanged"
t_is "$(grep -c "generated the key" "$PG_TMP/executor-billing.log")" 1 "the second generated none"
t_is "$(pg_psql -c "SELECT count(*) FROM executors WHERE domain = 'billing' AND stopped_at IS NULL")" 2 \
    "both replicas run"

# Two replicas racing on another empty directory: link() lets one write the
# key, the other loads it; with two keys one would be refused at
# registration and exit.
ex_domain payroll payroll
mkdir -m 700 "$PG_TMP/racekeys"
printf 'executor:\n  key_dir: %s\n' "$PG_TMP/racekeys" >"$PG_TMP/payroll.yaml"
mkdir -p "$PG_TMP/weft-data"
t_is "$(registered payroll)" NULL "nor has payroll"
for r in 1 2; do
    WEFT_DATA_DIR=$PG_TMP/weft-data "$W" executor --domain payroll --config "$PG_TMP/payroll.yaml" \
        >>"$PG_TMP/executor-payroll.log" 2>&1 &
    EX_PIDS+=($!)
done
for i in $(seq 1 200); do
    [ "$(pg_psql -c "SELECT count(*) FROM executors WHERE domain = 'payroll' AND stopped_at IS NULL")" = 2 ] && break
    sleep 0.05
done
t_is "$(pg_psql -c "SELECT count(*) FROM executors WHERE domain = 'payroll' AND stopped_at IS NULL")" 2 \
    "two replicas started together on an empty key directory both run"
t_is "$(ls -A "$PG_TMP/racekeys")" payroll.key "one key file between them"
t_is "$(stat -c %a "$PG_TMP/racekeys/payroll.key" 2>&1)" 600 "mode 0600"
t_is "$(registered payroll)" "$(pubkey_of "$PG_TMP/racekeys/payroll.key")" "its public half is the registered key"
t_done
