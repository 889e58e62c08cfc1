#!/usr/bin/env bash
# Attack: two tasks of one domain run side by side on its executor; the first
# listens on 127.0.0.1 and on an abstract Unix socket, the second tries to
# connect to both. With a network namespace per task (the default) neither
# connection is possible. The control runs the same flow on an executor
# configured with sandbox.fresh_netns: false (one namespace per executor, as
# before), where both connections succeed: the attack is real.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP the sandbox needs root"
    exit 0
fi
ex_gw_setup
gw_admin

printf 'sandbox:\n  fresh_netns: false\n' >"$PG_TMP/shared-netns.yaml"
for d in team legacy; do
    http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d "{\"name\":\"$d\",\"namespaces\":[\"$d\"]}"
    t_is "$STATUS" 201 "domain $d created"
done
ex_start team || t_bail "executor of team did not start"
ex_start legacy --config "$PG_TMP/shared-netns.yaml" || t_bail "executor of legacy did not start"

flow() {
    cat <<EOF
id: neighbours
namespace: $1
tasks:
  - id: both
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: listen
        type: io.kestra.plugin.scripts.python.Script
        script: |
          import socket, time
          t = socket.socket()
          t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
          t.bind(("127.0.0.1", 47614))
          t.listen(8)
          u = socket.socket(socket.AF_UNIX)
          u.bind("\\0weft-neighbour")
          u.listen(8)
          time.sleep(6)
      - id: client
        type: io.kestra.plugin.scripts.python.Script
        script: |
          import json, socket, time
          seen = dict(tcp="refused", unix="refused")
          end = time.time() + 4
          while time.time() < end:
              for name, fam, addr in (("tcp", socket.AF_INET, ("127.0.0.1", 47614)),
                                      ("unix", socket.AF_UNIX, "\\0weft-neighbour")):
                  s = socket.socket(fam)
                  try:
                      s.connect(addr)
                      seen[name] = "connected"
                  except OSError:
                      pass
                  s.close()
              time.sleep(0.2)
          print("::" + json.dumps(dict(outputs=seen)) + "::")
EOF
}

for ns in team legacy; do
    http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary "$(flow $ns)"
    t_match "$STATUS" '^20[01]$' "flow applied in $ns"
done

run_ns() {
    http POST "/api/v1/executions/$1/neighbours?wait=60" "${AU[@]}" "${J[@]}" -d '{}'
    t_is "$(jget "$BODY" .state.current)" SUCCESS "$1: the execution ends SUCCESS"
}

run_ns team
t_is "$(ex_task_out "$BODY" client 'o.vars.tcp')" refused \
    "netns per task: the neighbour's 127.0.0.1 listener is unreachable"
t_is "$(ex_task_out "$BODY" client 'o.vars.unix')" refused \
    "netns per task: the neighbour's abstract Unix socket is unreachable"

run_ns legacy
t_is "$(ex_task_out "$BODY" client 'o.vars.tcp')" connected \
    "control (fresh_netns: false): the neighbour's 127.0.0.1 listener is reached"
t_is "$(ex_task_out "$BODY" client 'o.vars.unix')" connected \
    "control (fresh_netns: false): the neighbour's abstract Unix socket is reached"

t_done
