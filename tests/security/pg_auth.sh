#!/usr/bin/env bash
# The embedded PostgreSQL of `weftd up` asks every connection for a password:
# a process that reaches its socket (or tries loopback TCP) without the
# password in DATA_DIR/secrets/pgpass is refused, as the superuser and as a
# domain's role; with it, it gets in. The executors log in as their domain's
# role. A cluster of an earlier version (trusting its socket, roles without
# passwords) is converted at the next start.
. "$WF_SRCDIR/tests/lib/tap.sh"
W="$WF_BUILDDIR/weftd"
T=$(mktemp -d /tmp/weft-pgauth.XXXXXX)
chmod 755 "$T"
PORT=$((20000 + RANDOM % 20000))
UP_PID=
cleanup() {
    [ -n "$UP_PID" ] && kill -TERM "$UP_PID" 2>/dev/null && sleep 1
    [ -n "$UP_PID" ] && kill -KILL "$UP_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/weft.yaml" <<YAML
listen: 127.0.0.1:$PORT
domains:
  - name: sales
    namespaces: [sales]
YAML

start_up() { # in the background; sets UP_PID
    "$W" up --config "$T/weft.yaml" --data-dir "$T/data" >"$T/up.out" 2>&1 &
    UP_PID=$!
}
wait_ready() {
    local i
    for i in $(seq 1 1000); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] &&
            return 0
        kill -0 "$UP_PID" 2>/dev/null || return 1
        sleep 0.03
    done
    return 1
}
stop_up() {
    kill -TERM "$UP_PID" || return
    wait "$UP_PID" 2>/dev/null
    UP_PID=
}
SOCK="$T/data/run"
PASS="$T/data/secrets/pgpass"
# psql that never prompts and reads no password from anywhere but $1 (a
# pgpass file, or /nonexistent for none).
try_psql() { # PASSFILE CONNINFO → prints current_user, fails when refused
    PGPASSFILE=$1 PGPASSWORD= psql -XAtqw "$2" -c 'SELECT current_user' 2>&1
}
unset PGPASSWORD

start_up
t_ok "weftd up starts" wait_ready
t_is "$(stat -c %a "$PASS" 2>/dev/null)" "600" "the pgpass file is 0600"
t_is "$(stat -c %a "$T/data/secrets")" "700" "its directory is 0700"
t_is "$(stat -c %U "$PASS")" "$(id -un)" "owned by the user running weftd up, not the server user"
t_is "$(grep -c . "$PASS")" "2" "one password per role: the superuser and the domain's role"
t_match "$(cat "$T/data/pg/pg_hba.conf")" "scram-sha-256" "pg_hba.conf asks for SCRAM"
t_is "$(grep -v '^#' "$T/data/pg/pg_hba.conf" | grep -c trust)" "0" "pg_hba.conf trusts nothing"

attack() { # label: the superuser and the domain role, socket and TCP, no password
    local role out
    for role in weft weft_domain_sales; do
        out=$(try_psql /nonexistent "host=$SOCK port=55432 dbname=weft user=$role")
        t_match "$out" "password|authentication" "$1: $role on the socket without a password is refused"
        out=$(try_psql /nonexistent "host=127.0.0.1 port=55432 dbname=weft user=$role connect_timeout=3")
        t_match "$out" "password|authentication|refused" "$1: $role on 127.0.0.1 without a password is refused"
        out=$(PGPASSWORD=wrong psql -XAtqw "host=$SOCK port=55432 dbname=weft user=$role" -c 'SELECT 1' 2>&1)
        t_match "$out" "password authentication failed" "$1: $role with a wrong password is refused"
        out=$(try_psql "$PASS" "host=$SOCK port=55432 dbname=weft user=$role")
        t_is "$out" "$role" "$1: $role with the pgpass file's password gets in"
    done
}
attack "fresh cluster"
execs=$(try_psql "$PASS" "host=$SOCK port=55432 dbname=weft user=weft" >/dev/null;
        PGPASSFILE=$PASS psql -XAtqw "host=$SOCK port=55432 dbname=weft user=weft" -c \
        "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity
         WHERE application_name LIKE 'weft-executor:%'")
t_is "$execs" "weft_domain_sales" "the executor is connected as its domain's role only"
t_is "$(cat "$T/up.out" "$T/data/postgres.log" | grep -c -f <(cut -d: -f5 "$PASS"))" "0" \
    "no password in the logs"

# An existing deployment of an earlier version: pg_hba.conf trusting local
# connections, roles without passwords, no pgpass file.
PGPASSFILE=$PASS psql -XAtqw "host=$SOCK port=55432 dbname=weft user=weft" \
    -c 'ALTER ROLE weft_domain_sales PASSWORD NULL' -c 'ALTER ROLE weft PASSWORD NULL' >/dev/null
stop_up
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' \
    >"$T/data/pg/pg_hba.conf"
rm -f "$PASS"
start_up
t_ok "an old, trusting cluster starts" wait_ready
t_match "$(cat "$T/up.out")" "generating the database passwords" "the conversion is logged"
t_is "$(grep -v '^#' "$T/data/pg/pg_hba.conf" | grep -c trust)" "0" "pg_hba.conf was rewritten"
t_is "$(stat -c %a "$PASS" 2>/dev/null)" "600" "a new pgpass file, 0600"
attack "upgraded cluster"
stop_up
start_up
t_ok "a third start (nothing to convert) is ready" wait_ready
attack "restarted cluster"
stop_up
t_done
