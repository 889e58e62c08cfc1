#!/usr/bin/env bash
# `weftd keygen --register`: the public key lands in domains.public_key; a
# second, different key is refused unless --force; unknown domains refused;
# a refused registration writes no key file.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
W="$WF_BUILDDIR/weftd"
pg_start || t_bail "cannot start PostgreSQL"
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
t_done
