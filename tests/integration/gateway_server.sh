#!/usr/bin/env bash
# weftd gateway as a server: probes, problem+json errors, body limits, h2c
# off, keep-alive after errors, graceful shutdown draining a running request.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
W="$WF_BUILDDIR/weftd"

pg_start || t_bail "cannot start PostgreSQL"
cfg=$PG_TMP/weft.yaml
cat >"$cfg" <<EOF
gateway:
  max_body: 2KiB
  threads: 2
  shutdown_timeout: 5
EOF

t_ok "weftd gateway --help" "$W" gateway --help
t_fails "an unknown option is refused" "$W" gateway --bogus
t_fails "a bad listen address is refused" "$W" gateway --listen nonsense

gw_start --config "$cfg" || t_bail "gateway did not start"
http GET /healthz
t_is "$STATUS" 200 "/healthz is 200 while the process is alive"
t_is "$(jget "$BODY" .status)" ok "/healthz says ok"

http GET /readyz
t_is "$STATUS" 503 "/readyz is 503 on an unmigrated database"
t_is "$CTYPE" application/problem+json "/readyz 503 is problem+json"
t_match "$(jget "$BODY" .detail)" "not migrated" "the detail says why"

"$W" migrate >/dev/null 2>&1 || t_bail "migrate failed"
http GET /readyz
t_is "$STATUS" 200 "/readyz is 200 once migrations are current"
t_is "$(jget "$BODY" .schemaVersion)" "$(pg_psql -c 'SELECT max(version) FROM schema_migrations')" \
    "/readyz reports the schema version"

pg_psql -c "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')"
http GET /readyz
t_is "$STATUS" 503 "/readyz is 503 when the schema is newer than the binary"
t_match "$(jget "$BODY" .detail)" "version 9999" "and names the version"
pg_psql -c "DELETE FROM schema_migrations WHERE version = 9999"

http GET /nope
t_is "$STATUS:$CTYPE" "404:application/problem+json" "unknown path: 404 problem+json"
t_is "$(jget "$BODY" .type)" "urn:weft:problem:not-found" "with a stable type"
t_is "$(jget "$BODY" .status)" 404 "and the status member"
http POST /healthz
t_is "$STATUS" 405 "wrong method: 405"
http GET /healthz -H 'Content-Type: application/json' --data-binary '{"a":1}' -X GET
t_is "$STATUS" 415 "a body where none is accepted: 415"

big=$(head -c 3000 /dev/zero | tr '\0' a)
http GET /healthz --data-binary "$big" -X GET
t_is "$STATUS:$CTYPE" "413:application/problem+json" "body over gateway.max_body: 413 problem+json"
huge=$(head -c 20000 /dev/zero | tr '\0' a)
http GET /healthz --data-binary "$huge" -X GET
t_is "$STATUS" 413 "a body far over the limit is refused before it is read"

# h2c: the upgrade is ignored, the answer stays HTTP/1.1.
ver=$(curl -s --http2 -o /dev/null -w '%{http_version}' "$GW_URL/healthz")
t_is "$ver" "1.1" "h2c upgrade is refused (HTTP/1.1 only)"
out=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' "$GW_URL/healthz" 2>&1)
t_fails "HTTP/2 prior knowledge does not get an HTTP/2 answer" test "$out" = 200

# An error keeps the connection (exact Content-Length, no chunking).
out=$(curl -sv "$GW_URL/nope" "$GW_URL/healthz" 2>&1)
t_match "$out" "Re-using existing connection" "keep-alive survives a 404"

# Graceful shutdown: a request held by a lock in PostgreSQL is still answered
# after SIGTERM, and the process exits 0 afterwards.
pg_psql -c "BEGIN; LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;" >/dev/null &
locker=$!
# Wait until the lock is held, then until the request is blocked on it, so the
# check does not depend on how fast processes start on a loaded machine.
for _ in $(seq 1 200); do
    [ "$(pg_psql -c "SELECT count(*) FROM pg_locks WHERE relation = 'schema_migrations'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break
    sleep 0.02
done
curl -s -o "$PG_TMP/drain.out" -w '%{http_code}' "$GW_URL/readyz" >"$PG_TMP/drain.code" &
client=$!
for _ in $(seq 1 200); do
    [ "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%schema_migrations%'")" -ge 1 ] && break
    sleep 0.02
done
t0=$(date +%s%N)
gw_stop TERM
t1=$(date +%s%N)
wait "$client"
wait "$locker"
t_is "$GW_RC" 0 "SIGTERM: exit status 0"
t_match "$(cat "$PG_TMP/drain.code")" "^(200|503)$" "the in-flight request was answered, not cut"
t_ok "the shutdown waited for it (>= 0.5 s)" test $(((t1 - t0) / 1000000)) -ge 500
t_fails "the port is closed after exit" curl -s -m 1 "$GW_URL/healthz"

# SIGINT also drains and exits 0; an idle keep-alive client does not hold it.
gw_start --config "$cfg" || t_bail "gateway did not restart"
exec 7<>/dev/tcp/127.0.0.1/"${GW_URL##*:}"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&7
sleep 0.2
t0=$(date +%s%N)
gw_stop INT
t1=$(date +%s%N)
exec 7>&-
t_is "$GW_RC" 0 "SIGINT: exit status 0"
t_ok "an idle keep-alive connection does not delay the exit (< 2 s)" \
    test $(((t1 - t0) / 1000000)) -lt 2000

# No database configured: alive but never ready.
WEFT_DATABASE_URL= gw_start || t_bail "gateway without database did not start"
http GET /readyz
t_is "$STATUS" 503 "no database configured: /readyz 503"
http GET /healthz
t_is "$STATUS" 200 "... while /healthz stays 200"
gw_stop

# Database unreachable: 503 with the reason, and recovery once it is back.
WEFT_DATABASE_URL="postgresql:///weft?host=$PG_TMP/nosuchdir&user=weft" gw_start ||
    t_bail "gateway with a dead database did not start"
http GET /readyz
t_is "$STATUS" 503 "database unreachable: /readyz 503"
t_match "$(jget "$BODY" .detail)" "unreachable" "the detail says unreachable"
gw_stop

t_done
