#!/usr/bin/env bash
# The authentication attack battery over real HTTP: `weftd gateway` on a
# private PostgreSQL, OIDC issuers served by the jose-based peer on loopback.
# Every refused credential on GET /api/v1/me gets 401 with
# `WWW-Authenticate: Bearer`; the controls get 200 with the right subject.
# Covered: every JWT attack of auth_jwt.sh (with its reason code in the
# problem body), credential placement (query string, cookie, Basic, two
# credentials), service-account tokens (valid, revoked, expired, unknown,
# junk) and key rotation without restart.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
W="$WF_BUILDDIR/weftd"

peer_tmp=$(mktemp -d)
peer=
stop_peer() {
    [ -n "$peer" ] && kill "$peer" 2>/dev/null && wait "$peer" 2>/dev/null
    peer=
    rm -rf "$peer_tmp"
}
. "$WF_SRCDIR/tests/lib/node.sh"
node_setup || t_bail "npm package jose is missing (scripts/deps.sh --test)"
node "$NODE_LIB/oidc_peer.mjs" "$peer_tmp/port" 2>"$peer_tmp/err" &
peer=$!
for _ in $(seq 1 100); do [ -s "$peer_tmp/port" ] && break; sleep 0.1; done
[ -s "$peer_tmp/port" ] || { stop_peer; t_bail "OIDC peer did not start: $(cat "$peer_tmp/err")"; }
P="http://127.0.0.1:$(cat "$peer_tmp/port")"
mint() { curl -sf "$P/mint/$1"; }

pg_start || { stop_peer; t_bail "cannot start PostgreSQL"; }
"$W" migrate >/dev/null 2>&1 || { stop_peer; t_bail "migrate failed"; }
cfg=$PG_TMP/weft.yaml
# The battery fails to authenticate far more often than the per-address
# limit allows (audit_flood.sh tests the limit itself).
cat >"$cfg" <<EOF
gateway:
  auth_failure_limit: 100000
auth:
  oidc:
    - issuer: $P/a
      audience: weft
    - issuer: $P/b
      audience: weft
      jwks_uri: $P/b/jwks
EOF
gw_start --config "$cfg" || { stop_peer; t_bail "gateway did not start"; }
# gw_start's EXIT trap stops the gateway and PostgreSQL; add the peer.
trap '_gw_cleanup; stop_peer' EXIT

# me TOKEN_OR_EMPTY [CURL ARGS...]: GET /api/v1/me; sets STATUS, WWWAUTH, BODY.
me() {
    local tok=$1 hdr
    shift
    hdr=$(mktemp -p "$PG_TMP")
    if [ -n "$tok" ]; then
        BODY=$(curl -s -D "$hdr" -H "Authorization: Bearer $tok" "$@" "$GW_URL/api/v1/me")
    else
        BODY=$(curl -s -D "$hdr" "$@" "$GW_URL/api/v1/me")
    fi
    STATUS=$(head -1 "$hdr" | cut -d' ' -f2)
    WWWAUTH=$(grep -i '^www-authenticate:' "$hdr" | head -1 | tr -d '\r' | cut -d' ' -f2-)
    rm -f "$hdr"
}

# The gateway loads the JWKS in the background: wait for the first key set.
good=$(mint ok-rs256)
for _ in $(seq 1 100); do
    me "$good"
    [ "$STATUS" = 200 ] && break
    sleep 0.1
done
t_is "$STATUS" 200 "a valid RS256 token is accepted"
t_is "$(jget "$BODY" .subject)" "user:alice" "subject user:<sub>"
t_match "$(jget "$BODY" .groups)" "team-sales" "groups from the token"

controls="ok-es256 ok-es384 ok-eddsa ok-aud-array ok-b-issuer ok-expired-within-leeway"
for c in $controls; do
    me "$(mint "$c")"
    t_is "$STATUS" 200 "$c: accepted"
done

attacks="alg-none:alg-none alg-none-with-kid-and-sig:alg-none hs256-rsa-public-key:alg-hmac
key-not-in-jwks:kid-unknown:refresh-requested attacker-key-with-real-kid:signature-invalid
unknown-kid:kid-unknown:refresh-requested kid-path-traversal:kid-invalid
kid-sql-injection:kid-invalid kid-missing:kid-missing jwk-header:kid-unknown:refresh-requested
jwk-header-real-kid:signature-invalid jku-header:kid-unknown:refresh-requested
x5u-header:signature-invalid tampered-payload:signature-invalid
stripped-signature:signature-malformed truncated-signature:signature-malformed
signature-bit-flip:signature-invalid es256-der-signature:signature-malformed
rsa-token-with-ec-kid:alg-key-mismatch ec-token-with-rsa-kid:alg-key-mismatch
rs384-with-rs256-key:alg-key-mismatch expired:expired nbf-in-future:not-yet-valid
wrong-iss:issuer-unknown iss-b-signed-by-a:kid-unknown:refresh-requested wrong-aud:aud-mismatch
aud-array-without-ours:aud-mismatch missing-exp:exp-missing float-exp:exp-invalid
string-exp:exp-invalid missing-sub:sub-missing oversized:too-large malformed-base64:malformed
malformed-json:malformed duplicate-sub:malformed crit-header:crit-unsupported
groups-not-strings:groups-invalid two-parts:malformed"
n=0
for entry in $attacks; do
    c=${entry%%:*}
    want=${entry#*:}
    tok=$(mint "$c")
    me "$tok"
    sig=${tok##*.}
    leak=no
    [ ${#sig} -ge 16 ] && [[ "$BODY" == *"$sig"* ]] && leak=yes
    t_is "$STATUS:${WWWAUTH%% *}:$leak:$(jget "$BODY" .reason)" "401:Bearer:no:$want" \
        "$c: 401 $want, WWW-Authenticate: Bearer, token not echoed"
    n=$((n + 1))
done
t_diag "HTTP attack battery: $n forged or invalid JWTs refused"
me "$(mint ok-rs256)" -G --data-urlencode "access_token=$good"
t_is "$STATUS" 200 "(control: a fresh JWT in the header)"
me "" -G --data-urlencode "access_token=$good"
t_is "$STATUS:${WWWAUTH%% *}" "401:Bearer" "a valid JWT in the query string: 401"

# A valid credential to misplace.
good=$(gw_mint_token sales placement)
me "$good"
t_is "$STATUS" 200 "control: the token works in the Authorization header"

# Credentials anywhere but the Authorization header are ignored.
me "" -G --data-urlencode "access_token=$good"
t_is "$STATUS:${WWWAUTH%% *}" "401:Bearer" "a valid token in the query string: 401"
me "" -H "Authorization: Basic $(printf 'alice:%s' "$good" | base64 -w0)"
t_is "$STATUS" 401 "a valid token inside Basic: 401"
me "" -H "Authorization: Bearer $good, Bearer $good"
t_is "$STATUS" 401 "two credentials in one header: 401"
me ""
t_is "$STATUS:${WWWAUTH%% *}" "401:Bearer" "no credentials: 401 with WWW-Authenticate: Bearer"
me "" -b "access_token=$good"
t_is "$STATUS" 401 "a token in a cookie: 401"

# Service-account tokens: valid, revoked, expired, unknown, junk.
sa=$(gw_mint_token sales ci-bot)
me "$sa"
t_is "$STATUS" 200 "a service-account token is accepted"
t_is "$(jget "$BODY" .subject)" "sa:sales/ci-bot" "as sa:<namespace>/<name>"
hash=$(printf '%s' "$sa" | sha256sum | cut -d' ' -f1)
pg_psql -c "UPDATE sa_tokens SET revoked_at = now() WHERE token_hash = decode('$hash', 'hex')"
me "$sa"
t_is "$STATUS:${WWWAUTH%% *}" "401:Bearer" "a revoked service-account token: 401"
sa2=$(gw_mint_token sales ci-bot-2)
hash2=$(printf '%s' "$sa2" | sha256sum | cut -d' ' -f1)
pg_psql -c "UPDATE sa_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = decode('$hash2', 'hex')"
me "$sa2"
t_is "$STATUS" 401 "an expired service-account token: 401"
unknown=weft_sa_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | cut -c1-42)A
me "$unknown"
t_is "$STATUS" 401 "an unknown service-account token: 401"
me "weft_sa_'%20OR%201=1--"
t_is "$STATUS" 401 "SQL in a service-account token: 401"

# Key rotation without restart: a kid published later is accepted once the
# refresh its first use requested has run (at most min_refresh_interval).
rot=$(mint ok-rsa-2)
me "$rot"
t_is "$STATUS" 401 "a kid not yet published: 401"
curl -sf "$P/control/rotate" >/dev/null
for _ in $(seq 1 250); do
    me "$rot"
    [ "$STATUS" = 200 ] && break
    sleep 0.1
done
t_is "$STATUS" 200 "after the IdP publishes the new key it is accepted, no restart"
t_is "$(kill -0 "$GW_PID" 2>/dev/null && echo alive)" alive "same gateway process"

gw_stop
t_done
