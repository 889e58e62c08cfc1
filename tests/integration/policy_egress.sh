#!/usr/bin/env bash
# The namespace policy's `network` key narrows the executor's egress rules
# (executor.egress_allow) for the http and jdbc runners: "none" refuses
# everything, an allowlist refuses what it does not name (redirects
# included), the refusal names the policy and its namespace, and a change
# applies without a restart. Sandboxed scripts have no network at all.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_http_server A
ex_http_server B
[ -n "$A" ] && [ -n "$B" ] || t_bail "test servers did not start"
SOCK=$PG_TMP/sock
cat >"$PG_TMP/weft.yaml" <<EOF
executor:
  egress_allow:
    - "127.0.0.1:$A"
    - "127.0.0.1:$B"
    - "unix:$SOCK"
EOF
ex_domain ops ops
ex_policy ops.closed '{"network": "none"}'
ex_policy ops.narrow "{\"network\": [\"127.0.0.1:$A\"]}"
ex_start ops --config "$PG_TMP/weft.yaml" || t_bail "executor did not start"

# get NS URI: runs one http.Request; sets ST and ERR
n=0
get() {
    n=$((n + 1))
    ex_flow "$1" "g$n" "
id: g$n
namespace: $1
tasks:
  - id: r
    type: io.kestra.plugin.core.http.Request
    uri: $2
"
    local e
    e=$(ex_exec "$1" "g$n")
    ST=$(ex_wait "$e" 20)
    ERR=$(ex_errors "$e")
}

get ops.open "http://127.0.0.1:$A/json"
t_is "$ST" SUCCESS "no network policy: the executor's rules decide (A)"
get ops.open "http://127.0.0.1:$B/json"
t_is "$ST" SUCCESS "no network policy: the executor's rules decide (B)"

get ops.closed "http://127.0.0.1:$A/json"
t_is "$ST" FAILED "network none refuses a host the rules allow"
t_match "$ERR" "egress to 127.0.0.1:$A refused for .*not allowed by policy network of namespace ops.closed" \
    "naming the policy and its namespace"

get ops.narrow "http://127.0.0.1:$A/json"
t_is "$ST" SUCCESS "an allowlisted host:port is reached"
get ops.narrow "http://127.0.0.1:$B/json"
t_is "$ST" FAILED "a host:port the rules allow but the policy does not is refused"
t_match "$ERR" "127.0.0.1:$B refused .*policy network of namespace ops.narrow" "naming the policy"
get ops.narrow "http://127.0.0.1:$A/redirect?to=http://127.0.0.1:$B/json"
t_is "$ST" FAILED "a redirect out of the policy's allowlist is refused"
t_match "$ERR" "policy network of namespace ops.narrow" "at the redirect"

# jdbc: the policy's allowlist names host:port, so a socket directory is refused.
ex_flow ops.narrow q "
id: q
namespace: ops.narrow
tasks:
  - id: q
    type: io.kestra.plugin.jdbc.postgresql.Query
    url: jdbc:postgresql://localhost:5432/postgres?host=$SOCK
    username: nobody
    password: nothing
    sql: SELECT 1
"
e=$(ex_exec ops.narrow q)
t_is "$(ex_wait "$e" 20)" FAILED "jdbc to a Unix socket under a network policy is refused"
t_match "$(ex_errors "$e")" "refused .*policy network of namespace ops.narrow" "by the policy, before connecting"

# A change applies without a restart.
ex_policy ops '{"network": "none"}'
sleep 1.2
get ops.open "http://127.0.0.1:$A/json"
t_is "$ST" FAILED "after the platform closes ops, ops.open is refused too (no restart)"
t_match "$ERR" "policy network of namespace ops( |$)" "naming the parent prefix"

# Sandboxed scripts have no network whatever the policy says.
ex_policy ops "{\"network\": [\"127.0.0.1:$A\"]}"
ex_flow ops.open sh "
id: sh
namespace: ops.open
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import socket
      s = socket.socket()
      s.settimeout(2)
      try:
          s.connect(('127.0.0.1', $A))
          print('connected')
      except OSError as e:
          print('no network:', e)
"
e=$(ex_exec ops.open sh)
ex_wait "$e" 20 >/dev/null
t_match "$(pg_psql -c "SELECT string_agg(line, ' ') FROM logs WHERE execution_id = '$e'")" "no network" \
    "a script cannot connect even to a host the policy allows"
t_done
