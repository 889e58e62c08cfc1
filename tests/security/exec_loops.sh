#!/usr/bin/env bash
# Attack: execution loops. A tenant makes two flows start each other — as
# Subflows with `wait: false`, or with a Flow trigger on each other's
# completion — and the platform starts executions without end (hundreds in a
# few seconds, each one a row, a claim and a walk for the shared executor and
# database). Then it floods the API with executions that never finish.
#
# The walls: every execution records its depth in the chain that started it,
# and one deeper than maxChainDepth (10 by default, tighter by policy) is
# refused — the Subflow task fails, or the triggered execution is FAILED —
# with the limit named; and a domain's unfinished executions are capped by
# maxActiveExecutions, the API answering 429 past it while other domains
# are untouched.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cli_setup

cli_domain acme acme
cli_domain globex globex
ACME=$(cli_token acme admin)
cli_bind sa:acme/admin admin acme
GLOBEX=$(cli_token globex admin)
cli_bind sa:globex/admin admin globex

count() { pg_q "SELECT count(*) FROM executions WHERE namespace = '$1'${2:+ AND state = '$2'}"; }
# settle NS: waits until the number of executions of NS stops moving for
# 3 s (20 s at most: an unbounded loop never settles, and is then counted).
settle() {
    local last=-1 same=0 i n
    for i in $(seq 1 40); do
        sleep 0.5
        n=$(count "$1")
        if [ "$n" = "$last" ] && [ "$(count "$1" RUNNING)$(count "$1" CREATED)" = 00 ]; then
            same=$((same + 1))
            [ "$same" -ge 6 ] && return 0
        else
            same=0
        fi
        last=$n
    done
    return 1
}
failed_reason() { # the ERROR lines of NS's FAILED executions
    pg_q "SELECT string_agg(l.line, ' | ') FROM logs l JOIN executions e ON e.id = l.execution_id
          WHERE e.namespace = '$1' AND e.state = 'FAILED' AND l.level = 'ERROR'"
}
pingpong() { # pingpong TOKEN NS: flows ping and pong calling each other, wait: false
    local a b
    for a in ping pong; do
        b=$([ $a = ping ] && echo pong || echo ping)
        req_apply "$1" "id: $a
namespace: $2
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: $2
    flowId: $b
    wait: false
" || return 1
    done
}

cli_executor acme || t_bail "no executor"
cli_executor globex

# ---- (a) Subflows calling each other ----------------------------------------
pingpong "$ACME" acme.sub || t_bail "cannot apply the subflow loop"
req "$ACME" POST /api/v1/executions/acme.sub/ping '{}'
t_is "$S" 202 "the loop's first execution is accepted"
settle acme.sub
n=$(count acme.sub)
t_diag "subflow loop: $n executions after settling"
t_is "$n" 11 "a subflow loop stops at depth 10: 11 executions (root + 10 generations)"
t_is "$(count acme.sub FAILED)" 1 "exactly one execution failed: the one whose child was refused"
reason=$(failed_reason acme.sub)
t_match "$reason" "execution chain depth 11 exceeds the limit of 10 \(policy maxChainDepth" \
    "its failure names the depth and the limit"
t_is "$(pg_q "SELECT max(chain_depth) FROM executions WHERE namespace = 'acme.sub'")" 10 \
    "the deepest execution is at depth 10"

# ---- (b) Flow triggers on each other's completion ---------------------------
for pair in "x y" "y x"; do
    set -- $pair
    req_apply "$ACME" "id: $1
namespace: acme.trig
triggers:
  - id: after
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: acme.trig
        flowId: $2
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: $1
" || t_bail "cannot apply the trigger loop"
done
cli_settle # the executor re-reads its flows at most once a second
req "$ACME" POST /api/v1/executions/acme.trig/x '{}'
settle acme.trig
n=$(count acme.trig SUCCESS)
t_diag "trigger loop: $(count acme.trig) executions after settling, $n SUCCESS"
t_is "$n" 11 "a Flow trigger loop runs 11 executions (root + 10 generations)"
t_is "$(count acme.trig FAILED)" 1 "the refused 12th shows as one FAILED execution"
t_match "$(failed_reason acme.trig)" \
    "execution chain depth 11 exceeds the limit of 10 \(policy maxChainDepth" \
    "whose log names the depth and the limit"
t_is "$(pg_q "SELECT count(*) FROM audit_log WHERE action = 'trigger.fire' AND result = 'denied'
             AND namespace = 'acme.trig'")" 1 "the refusal is audited"

# ---- (b') the same across domains, through grants -----------------------------
# acme.mesh/x runs after globex.mesh/y and y after x: each domain's executor
# learns the producer's depth from the completion event it reads.
req "$ACME" POST /api/v1/namespaces/acme.mesh/grants '{"flows":["x"],"to":"globex.mesh","events":["SUCCESS"]}'
t_is "$S" 201 "acme grants globex.mesh x's completions"
req "$GLOBEX" POST /api/v1/namespaces/globex.mesh/grants '{"flows":["y"],"to":"acme.mesh","events":["SUCCESS"]}'
t_is "$S" 201 "globex grants acme.mesh y's completions"
mesh_flow() { # TOKEN NS ID PRODUCER_NS PRODUCER_ID
    req_apply "$1" "id: $3
namespace: $2
triggers:
  - id: after
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: $4
        flowId: $5
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: $3
"
}
mesh_flow "$ACME" acme.mesh x globex.mesh y || t_bail "cannot apply acme's side"
mesh_flow "$GLOBEX" globex.mesh y acme.mesh x || t_bail "cannot apply globex's side"
sleep 5 # the mesh re-reads flows and grants every 2 s (executor/mesh.c); a loaded machine is slower
req "$ACME" POST /api/v1/executions/acme.mesh/x '{}'
for i in 1 2 3; do settle acme.mesh && settle globex.mesh && break; done
a=$(count acme.mesh SUCCESS)
g=$(count globex.mesh SUCCESS)
t_diag "cross-domain trigger loop: acme $(count acme.mesh), globex $(count globex.mesh) executions"
t_is "$((a + g))" 11 "a cross-domain Flow trigger loop runs 11 executions in all"
t_is "$(( $(count acme.mesh FAILED) + $(count globex.mesh FAILED) ))" 1 \
    "and the refused one is FAILED in the consumer's domain"
t_match "$(failed_reason acme.mesh)$(failed_reason globex.mesh)" \
    "execution chain depth 11 exceeds the limit of 10" "naming the limit"

# ---- (c) a tighter policy ---------------------------------------------------
req "$ACME" PUT /api/v1/namespaces/acme/policy '{"maxChainDepth": 50}'
t_is "$S" 422 "a domain admin cannot loosen the built-in depth (50 > 10)"
req "$ACME" PUT /api/v1/namespaces/acme.tight/policy '{"maxChainDepth": 3}'
t_is "$S" 200 "a domain admin tightens maxChainDepth to 3 on acme.tight"
pingpong "$ACME" acme.tight || t_bail "cannot apply the second subflow loop"
req "$ACME" POST /api/v1/executions/acme.tight/ping '{}'
settle acme.tight
t_is "$(count acme.tight)" 4 "with maxChainDepth 3 the loop stops at 4 executions"
t_match "$(failed_reason acme.tight)" \
    "execution chain depth 4 exceeds the limit of 3 \(policy maxChainDepth on 'acme.tight'\)" \
    "the failure names the policy and where it is set"

# ---- (d) the quota of unfinished executions ---------------------------------
req "$ACME" PUT /api/v1/namespaces/acme.burst/policy '{"maxActiveExecutions": 5}'
t_is "$S" 200 "maxActiveExecutions 5 on acme.burst"
hold='tasks:
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
'
req_apply "$ACME" "id: hold
namespace: acme.burst
$hold" || t_bail "cannot apply the burst flow"
req_apply "$GLOBEX" "id: hold
namespace: globex.burst
$hold" || t_bail "cannot apply globex's flow"
ok=0 limited=0 last=
for i in $(seq 1 12); do
    req "$ACME" POST /api/v1/executions/acme.burst/hold '{}'
    case $S in 202) ok=$((ok + 1)) ;; 429) limited=$((limited + 1)); last=$R ;; esac
done
t_is "$ok" 5 "a burst of 12 creations: 5 accepted"
t_is "$limited" 7 "the 7 past the quota get 429"
t_is "$(jq -r .type <<<"$last")" "urn:weft:problem:too-many-requests" "as problem+json"
t_match "$(jq -r .detail <<<"$last")" \
    "5 unfinished executions under 'acme.burst', the limit of policy maxActiveExecutions \(on 'acme.burst'\)" \
    "whose detail names the limit and where it is set"
gok=0
for i in $(seq 1 12); do
    req "$GLOBEX" POST /api/v1/executions/globex.burst/hold '{}'
    [ "$S" = 202 ] && gok=$((gok + 1))
done
t_is "$gok" 12 "another domain is unaffected: its 12 creations are all accepted"
t_is "$(count acme.burst)" 5 "nothing was written for the refused creations"

t_done
