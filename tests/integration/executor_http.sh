#!/usr/bin/env bash
# io.kestra.plugin.core.http.Request end to end: flows applied and run through
# the real gateway, the real executor making real requests to a real local
# HTTP server, with the egress rules attacked (disallowed hosts and ports,
# redirects out of the allow list, file://, userinfo tricks, a name that
# resolves to an internal address).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_gw_setup
ex_http_server A # allowed
ex_http_server B # running, but not allowed
[ -n "$A" ] && [ -n "$B" ] || t_bail "test servers did not start"
GWPORT=${GW_URL##*:}

cat >"$PG_TMP/weft.yaml" <<EOF
executor:
  http_max_body: 2KiB
  egress_allow:
    - "127.0.0.1:$A"
    - "localhost:$A"
    - "localhost:$B"
EOF

gw_admin
ex_ops_start --config "$PG_TMP/weft.yaml"

# one_req NAME YAML-PROPS: a flow with one request task `r`; sets ST, ERR, BODY
one_req() {
    ex_apply "
id: $1
namespace: ops
tasks:
  - id: r
    type: io.kestra.plugin.core.http.Request
$2"
    ex_runw "$1"
    ST=$(jget "$BODY" .state.current)
    ERR=$(ex_errors "$(jget "$BODY" .id)")
}

# ---- requests that are allowed -------------------------------------------------
one_req get "    uri: http://127.0.0.1:$A/json"
t_is "$ST" SUCCESS "GET to an allowed host: SUCCESS"
t_is "$(ex_task_out "$BODY" r o.code)" 200 "outputs.code"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).hello')" world "outputs.body"
t_is "$(ex_task_out "$BODY" r 'o.headers["x-test"][0]')" weft "outputs.headers (name -> list of values)"
t_is "$(ex_task_out "$BODY" r o.uri)" "http://127.0.0.1:$A/json" "outputs.uri"

one_req post "    uri: http://127.0.0.1:$A/echo
    method: POST
    contentType: application/json
    body: '{\"n\": {{ 6 * 7 }}}'
    headers:
      X-Trace: abc
    options:
      auth: {type: BASIC, username: u1, password: p1}"
t_is "$ST" SUCCESS "POST with a rendered body, headers and basic auth"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).method')" POST "method sent"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).body')" '{"n": 42}' "rendered body sent"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).headers["content-type"]')" application/json "contentType sent"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).headers["x-trace"]')" abc "custom header sent"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).headers["authorization"]')" "Basic $(printf u1:p1 | base64)" \
    "basic auth sent"

one_req bearer "    uri: http://127.0.0.1:$A/echo
    options:
      auth: {type: BEARER, token: t0k3n}"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).headers["authorization"]')" "Bearer t0k3n" "bearer auth sent"
one_req head "    uri: http://127.0.0.1:$A/json
    method: HEAD"
t_is "$(ex_task_out "$BODY" r 'o.code + "/" + o.body.length + "/" + o.headers["content-type"][0]')" \
    "200/0/application/json" "HEAD: code and headers, no body"

one_req form "    uri: http://127.0.0.1:$A/echo
    method: POST
    formData: {a: '1 2', b: x&y}"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).body')" 'a=1%202&b=x%26y' "formData url-encoded"

one_req redir "    uri: http://127.0.0.1:$A/redirect?to=/json
    headers: {Authorization: Bearer tok}"
t_is "$ST" SUCCESS "a redirect within the allowed host is followed"
t_is "$(ex_task_out "$BODY" r o.uri)" "http://127.0.0.1:$A/json" "outputs.uri is the final URL"

one_req xorigin "    uri: http://127.0.0.1:$A/redirect?to=http://localhost:$A/echo
    headers: {Authorization: Bearer tok, X-Other: kept}"
t_is "$ST" SUCCESS "a redirect to another allowed origin is followed"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).headers["authorization"] || "none"')" none \
    "credentials are not sent to another origin"
t_is "$(ex_task_out "$BODY" r 'JSON.parse(o.body).headers["x-other"]')" kept "other headers are"

one_req noredir "    uri: http://127.0.0.1:$A/redirect?to=/json
    options: {followRedirects: false}
    allowFailed: true"
t_is "$(ex_task_out "$BODY" r o.code)" 302 "followRedirects: false returns the 302"

one_req notfound "    uri: http://127.0.0.1:$A/status/404"
t_is "$ST" FAILED "a 404 fails the task"
t_match "$ERR" "failed with response code 404" "with the code in the message"
one_req allowed404 "    uri: http://127.0.0.1:$A/status/404
    allowFailed: true"
t_is "$ST" SUCCESS "allowFailed: a 404 succeeds"
t_is "$(ex_task_out "$BODY" r o.code)" 404 "and outputs the code"

one_req big "    uri: http://127.0.0.1:$A/big?n=5000"
t_is "$ST" FAILED "a body larger than executor.http_max_body fails"
t_match "$ERR" "larger than 2048 bytes" "with the bound in the message"
one_req small "    uri: http://127.0.0.1:$A/big?n=1500"
t_is "$(ex_task_out "$BODY" r o.body.length)" 1500 "a body under the bound is kept whole"
one_req binary "    uri: http://127.0.0.1:$A/binary"
t_match "$ERR" "not UTF-8 text" "a binary body fails with a clear message"

start=$(date +%s%N)
one_req slow "    uri: http://127.0.0.1:$A/slow?s=20
    timeout: PT0.5S"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$ST" FAILED "timeout cancels the transfer"
t_match "$ERR" "timed out after 500 ms" "with the timeout in the message"
t_ok "timed out promptly (${ms} ms)" test "$ms" -lt 5000

ex_apply "
id: killme
namespace: ops
tasks:
  - id: r
    type: io.kestra.plugin.core.http.Request
    uri: http://127.0.0.1:$A/slow?s=60
"
http POST /api/v1/executions/ops/killme "${AU[@]}"
KID=$(jget "$BODY" .id)
for i in $(seq 1 100); do
    [ "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$KID'")" = RUNNING ] && break
    sleep 0.05
done
start=$(date +%s%N)
http POST "/api/v1/executions/$KID/kill" "${AU[@]}"
ST=$(ex_wait "$KID" 10)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$ST" KILLED "kill through the API stops a running request"
t_ok "killed within a second (${ms} ms)" test "$ms" -lt 1000

# Several requests at once share the loop (a slow one does not hold the others).
ex_apply "
id: par
namespace: ops
tasks:
  - id: p
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: s
        type: io.kestra.plugin.core.http.Request
        uri: http://127.0.0.1:$A/slow?s=1
      - id: f1
        type: io.kestra.plugin.core.http.Request
        uri: http://127.0.0.1:$A/json
      - id: f2
        type: io.kestra.plugin.core.http.Request
        uri: http://127.0.0.1:$A/status/204
"
start=$(date +%s%N)
ex_runw par
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$(jget "$BODY" .state.current)" SUCCESS "three requests in parallel"
t_ok "in about the time of the slowest (${ms} ms)" test "$ms" -lt 2500

# ---- egress refusals (attacks) -------------------------------------------------
one_req deny_host "    uri: http://127.0.0.1:$B/json"
t_is "$ST" FAILED "a host:port not in egress_allow is refused"
t_match "$ERR" "egress to 127.0.0.1:$B refused for ops: not allowed by executor.egress_allow" \
    "with a precise message"

one_req deny_redirect "    uri: http://127.0.0.1:$A/redirect?to=http://127.0.0.1:$B/json"
t_is "$ST" FAILED "a redirect from an allowed host to a disallowed one is refused"
t_match "$ERR" "redirect from 127.0.0.1:$A to http://127.0.0.1:$B/json: egress to 127.0.0.1:$B refused" \
    "naming both ends"

one_req deny_307 "    uri: http://127.0.0.1:$A/redirect?to=http://evil.invalid/x&code=307
    method: POST
    body: secret-data"
t_match "$ERR" "egress to evil.invalid:80 refused" "a 307 redirect to an unknown host is refused"

one_req deny_file "    uri: file:///etc/passwd"
t_match "$ERR" "only http and https are allowed, not file" "file:// is refused"
one_req deny_file_redirect "    uri: http://127.0.0.1:$A/redirect?to=file:///etc/passwd"
t_match "$ERR" "only http and https are allowed, not file" "a redirect to file:// is refused"
one_req deny_gopher "    uri: gopher://127.0.0.1:$A/"
t_match "$ERR" "only http and https are allowed, not gopher" "gopher:// is refused"

one_req deny_port "    uri: http://localhost:$GWPORT/api/v1/health"
t_is "$ST" FAILED "an allowed name with a different port is refused"
t_match "$ERR" "egress to localhost:$GWPORT refused" "naming the port"

one_req deny_userinfo "    uri: http://127.0.0.1:$A@127.0.0.1:$B/json"
t_match "$ERR" "egress to 127.0.0.1:$B refused" "userinfo trick (allowed@other) checks the real host"
one_req deny_userinfo2 "    uri: http://localhost:$A@evil.invalid/"
t_match "$ERR" "egress to evil.invalid:80 refused" "userinfo trick with a name"

one_req deny_internal "    uri: http://localhost:$B/json"
t_is "$ST" FAILED "an allowed name that resolves to an internal address is refused"
t_match "$ERR" "resolves to the internal address (127\\.0\\.0\\.1|::1), which executor.egress_allow does not list" \
    "saying which address"

one_req deny_decimal "    uri: http://2130706433:$B/json"
t_match "$ERR" "refused" "a numeric IPv4 form of a disallowed address is refused"

one_req deny_header "    uri: http://127.0.0.1:$A/echo
    headers:
      X-A: \"v\\r\\nX-Injected: 1\""
t_match "$ERR" "may not contain" "CR/LF in a header value is refused"

# Nothing at all is allowed without egress_allow.
ex_stop_all
ex_start ops || t_bail "executor did not restart"
one_req get "    uri: http://127.0.0.1:$A/json"
t_is "$ST" FAILED "without executor.egress_allow every request is refused"
t_match "$ERR" "egress to 127.0.0.1:$A refused" "even to a host allowed before"

t_done
