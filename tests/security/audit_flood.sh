#!/usr/bin/env bash
# Two floods a hostile caller can send at will, each asserting the wall:
#   1. team B's viewer reads team A's namespace 500 times: every read is
#      refused and audited under A, and without aggregation A's audit trail
#      grows by 500 permanent rows. Now: one entry for the first denial and,
#      when the window closes, one summary with count 500 — and the chain
#      still verifies.
#   2. 200 requests with a forged token from one address: after
#      gateway.auth_failure_limit failures the address gets 429 problem+json
#      with Retry-After (a valid token from it too, during the lockout);
#      another address (127.0.0.2, bound with curl --interface) is unaffected;
#      the failures are logged aggregated and the token never is.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
WEFTD=${WEFTD:-$WF_BUILDDIR/weftd}
WEFT=${WEFT:-$WF_BUILDDIR/weft}

DENIAL_WINDOW=8 # seconds; long enough for 500 refused reads on a loaded machine
FAIL_LIMIT=10
FAIL_WINDOW=6

pg_setup
cat >"$PG_TMP/weft.yaml" <<EOF
gateway:
  threads: 2
  denial_window: $DENIAL_WINDOW
  auth_failure_limit: $FAIL_LIMIT
  auth_failure_window: $FAIL_WINDOW
EOF
# The gateway listens on 0.0.0.0 so that 127.0.0.2 reaches it as well.
"$WF_BUILDDIR/weftd" gateway --config "$PG_TMP/weft.yaml" --listen 0.0.0.0:0 2>"$PG_TMP/gw.log" &
GW_PID=$!
trap '_gw_cleanup' EXIT
for _ in $(seq 1 250); do
    grep -q 'listening on http://' "$PG_TMP/gw.log" && break
    kill -0 "$GW_PID" 2>/dev/null || break
    sleep 0.02
done
PORT=$(grep -o 'listening on http://[^ ]*' "$PG_TMP/gw.log" | head -1 | sed 's/.*://')
[ -n "$PORT" ] || { cat "$PG_TMP/gw.log" >&2; t_bail "gateway did not start"; }
GW_URL=http://127.0.0.1:$PORT
GW_URL2=http://127.0.0.2:$PORT

ADMIN_A=$(gw_mint_token teama admin)
gw_bind sa:teama/admin admin teama
VIEWER_B=$(gw_mint_token teamb viewer)
gw_bind sa:teamb/viewer viewer teamb
rows_a() { pg_psql -c "SELECT count(*) FROM audit_log WHERE namespace = 'teama'"; }

# ---- 1. 500 denied reads of A's namespace by B's viewer ----
before=$(rows_a)
# curl_many N URL ARGS...: N requests on one keep-alive connection, the
# status codes counted in order of appearance ("401:10 429:190 ").
curl_many() {
    local n=$1 url=$2
    shift 2
    for _ in $(seq 1 "$n"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done |
        curl -s -w '%{http_code}\n' "$@" -K - | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' '
}
t0=$(date +%s.%N)
codes=$(curl_many 500 "$GW_URL/api/v1/executions?namespace=teama" -H "Authorization: Bearer $VIEWER_B")
t1=$(date +%s.%N)
elapsed=$(echo "$t1 - $t0" | bc)
t_diag "500 refused reads took ${elapsed}s (window ${DENIAL_WINDOW}s)"
t_is "$codes" "404:500 " "every read of A's hidden namespace is refused (404)"
during=$(rows_a)
in_window=$(echo "$elapsed < $DENIAL_WINDOW" | bc)
if [ "$in_window" = 1 ]; then
    t_is "$((during - before))" 1 "while the window is open, A's log holds one entry for the 500 denials"
else
    t_skip "one entry while the window is open" "the flood outlasted the ${DENIAL_WINDOW}s window"
fi

# The window closes DENIAL_WINDOW seconds after the first denial; the
# gateway sweeps once a second.
for _ in $(seq 1 $((DENIAL_WINDOW * 5 + 30))); do
    # A summary's count includes the window's first denial, which also has
    # its own entry: denials = sum of summary counts + entries without one
    # - summaries.
    total=$(pg_psql -c "SELECT coalesce(sum((details->>'count')::int), 0)
                               + count(*) FILTER (WHERE NOT details ? 'count')
                               - count(*) FILTER (WHERE details ? 'count')
                        FROM audit_log WHERE namespace = 'teama'")
    [ "$total" -ge 500 ] && break
    sleep 0.2
done
after=$(rows_a)
if [ "$in_window" = 1 ]; then
    t_is "$((after - before))" 2 "after the window: exactly 2 entries under A (the first denial and one summary)"
else
    t_ok "after the windows: at most 2 entries per window under A" \
        test "$((after - before))" -le "$((2 * ($(printf '%.0f' "$elapsed") / DENIAL_WINDOW + 2)))"
fi
t_is "$total" 500 "the entries account for all 500 denials"
summary=$(pg_psql -c "SELECT actor || '|' || action || '|' || result || '|' || (details->>'count')
                      FROM audit_log WHERE namespace = 'teama' AND details ? 'count'
                      ORDER BY seq DESC LIMIT 1")
if [ "$in_window" = 1 ]; then
    t_is "$summary" "sa:teamb/viewer|execution.read|denied|500" "the summary names B's viewer, the action and count 500"
else
    t_match "$summary" "^sa:teamb/viewer\|execution.read\|denied\|[0-9]+$" "the summary names B's viewer and the action"
fi

http GET "/api/v1/audit?namespace=teama&result=denied" -H "Authorization: Bearer $ADMIN_A"
t_is "$STATUS" 200 "A's admin reads A's log"
t_is "$(jget "$BODY" .results.0.actor)" "sa:teamb/viewer" "the newest entry is the summary of B's denials"
if [ "$in_window" = 1 ]; then
    t_is "$(jget "$BODY" .results.0.count)" 500 "the audit API shows its count"
fi
first=$(jget "$BODY" .results.0.firstSeen)
last=$(jget "$BODY" .results.0.lastSeen)
t_match "$first" '^20[0-9-]+T[0-9:.]+Z$' "and its first time ($first)"
t_match "$last" '^20[0-9-]+T[0-9:.]+Z$' "and its last time ($last)"
t_ok "last seen is not before first seen" test "$(date -d "$last" +%s%N)" -ge "$(date -d "$first" +%s%N)"
t_is "$(jget "$BODY" .results.1.count)" 1 "the first denial's own entry counts one"
listing=$(WEFT_URL=$GW_URL WEFT_TOKEN=$ADMIN_A "$WEFT" audit list --namespace teama --result denied 2>&1)
if [ "$in_window" = 1 ]; then
    t_match "$listing" "denied \(denied:[^)]*\) x500 20" "weft audit list shows the count and the times"
else
    t_match "$listing" "denied \(denied:[^)]*\) x[0-9]+ 20" "weft audit list shows the count and the times"
fi
t_ok "the audit chain verifies" "$WEFTD" audit verify

# ---- 2. forged tokens from one address ----
FORGED=weft_sa_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
t0=$(date +%s.%N)
codes=$(curl_many 200 "$GW_URL/api/v1/me" -H "Authorization: Bearer $FORGED")
elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
t_diag "200 forged requests took ${elapsed}s (window ${FAIL_WINDOW}s): $codes"
if [ "$(echo "$elapsed < $FAIL_WINDOW" | bc)" = 1 ]; then
    t_is "$codes" "401:$FAIL_LIMIT 429:$((200 - FAIL_LIMIT)) " \
        "the first $FAIL_LIMIT forged tokens get 401, the other $((200 - FAIL_LIMIT)) get 429"
else
    t_match "$codes" "^401:$FAIL_LIMIT 429:" "the first $FAIL_LIMIT forged tokens get 401, then 429"
fi
out=$(curl -s -D - -H "Authorization: Bearer $FORGED" "$GW_URL/api/v1/me")
t_match "$out" "HTTP/1.1 429" "a locked-out address gets 429"
t_match "$out" $'[Rr]etry-[Aa]fter: [1-9][0-9]*\r' "with Retry-After"
t_match "$out" "application/problem\+json" "as problem+json"
t_match "$out" '"type":"urn:weft:problem:too-many-requests"' "with a stable type"
http GET /api/v1/me -H "Authorization: Bearer $VIEWER_B"
t_is "$STATUS" 429 "a valid token from the locked-out address is refused too (nothing is verified during the lockout)"

# Another address is unaffected.
status2() { curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "$@"; }
t_is "$(status2 -H "Authorization: Bearer $VIEWER_B" "$GW_URL2/api/v1/me")" 200 "127.0.0.2 with a valid token: 200"
t_is "$(status2 -H "Authorization: Bearer $FORGED" "$GW_URL2/api/v1/me")" 401 "127.0.0.2 with a forged token: 401, not 429"
t_is "$(status2 -H "X-Forwarded-For: 127.0.0.1" -H "Authorization: Bearer $VIEWER_B" "$GW_URL2/api/v1/me")" 200 \
    "X-Forwarded-For is ignored without a trusted proxy"

# When the window is over, the address may try again.
for _ in $(seq 1 $((FAIL_WINDOW * 5 + 20))); do
    http GET /api/v1/me -H "Authorization: Bearer $VIEWER_B"
    [ "$STATUS" = 200 ] && break
    sleep 0.2
done
t_is "$STATUS" 200 "after the window, a valid token from 127.0.0.1 works again"

# The log: aggregated, the reason named, the token never.
sleep 1.5
t_ok "the log names the lockout and its reason" grep -q "127.0.0.1: $FAIL_LIMIT failed authentications (last: sa-token-invalid)" "$PG_TMP/gw.log"
t_ok "and one summary with the refused count" grep -Eq "127.0.0.1: $FAIL_LIMIT failed authentications \(last: sa-token-invalid\), [0-9]+ requests refused with 429" "$PG_TMP/gw.log"
t_ok "no 401 line per failed request" test "$(grep -c '^.*401 GET /api/v1/me' "$PG_TMP/gw.log")" -le 3
t_fails "the forged token is in no log line" grep -qF "$FORGED" "$PG_TMP/gw.log"
t_ok "the audit chain still verifies" "$WEFTD" audit verify

kill -TERM "$GW_PID"
wait "$GW_PID"
t_is "$?" 0 "the gateway stops cleanly"
GW_PID=
t_done
