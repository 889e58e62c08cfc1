#!/usr/bin/env bash
# The manual pages and the bash completion follow the programs: every weft
# verb, subcommand and option is in weft(1) and completes; every weftd
# command is in weftd(8); every weft.yaml key is in weft.yaml(5); the pages
# render without warnings.
. "$WF_SRCDIR/tests/lib/tap.sh"
WEFT=$WF_BUILDDIR/weft
WEFTD=$WF_BUILDDIR/weftd
MAN=$WF_SRCDIR/man

# Roff source as plain text: "\-" is "-", font escapes go.
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIPR]//g' -e 's/\\(dq/"/g' "$1"; }
W1=$(plain "$MAN/weft.1")
D8=$(plain "$MAN/weftd.8")
Y5=$(plain "$MAN/weft.yaml.5")

commands() { "$@" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}'; }
long_opts() { # the command's own options, not the global ones
    "$@" --help | sed -n '/^options:/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u
}

# Walks the verb tree: leaves are commands without a "commands:" list.
leaves=()
walk() {
    local subs s
    subs=$(commands "$@" 2>/dev/null)
    if [ -z "$subs" ]; then
        leaves+=("$*")
        return
    fi
    for s in $subs; do walk "$@" "$s"; done
}
for v in $(commands "$WEFT"); do walk "$WEFT" "$v"; done
t_ok "the verb tree has many leaves (${#leaves[@]})" test "${#leaves[@]}" -ge 25

for leaf in "${leaves[@]}"; do
    name="weft ${leaf#"$WEFT" }"
    grep -qF -- "$name" <<<"$W1"
    _t_report $? "weft(1) documents '$name'"
    for o in $(long_opts $leaf); do
        grep -qF -- "$o" <<<"$W1"
        _t_report $? "weft(1) documents '$name $o'"
    done
done

# Completion: every verb and every subcommand completes from its prefix.
. "$WF_SRCDIR/cli/completion/weft"
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _weft; echo "${COMPREPLY[*]}"; }
for leaf in "${leaves[@]}"; do
    set -- ${leaf#"$WEFT" }
    words=(weft)
    for w in "$@"; do
        got=$(complete_words "${words[@]}" "${w:0:2}")
        [[ " $got " == *" $w "* ]]
        _t_report $? "completion offers '$w' after '${words[*]}'" "got: $got"
        words+=("$w")
    done
done
got=$(complete_words weft flow apply --dr)
t_is "$got" "--dry-run" "completion of an option"
got=$(complete_words weft rbac bind sa:a/b de)
t_is "$got" "developer" "completion of a role"

# weftd(8) documents every weftd command and weft.yaml(5) every config key.
for c in $(commands "$WEFTD"); do
    grep -qE "^\.SS weftd $c( |$)" <<<"$D8"
    _t_report $? "weftd(8) documents 'weftd $c'"
done
for k in $("$WEFTD" check-config --help | sed -n '/^keys:/,$p' | awk 'NR > 1 && NF {print $1}'); do
    grep -qF -- ".B $k " <<<"$Y5"
    _t_report $? "weft.yaml(5) documents '$k'"
done

# `weft policy set --help`, weft(1) and docs/governance.md name every policy key
# of the key table (tenants/policy.c).
POLICY_HELP=$("$WEFT" policy set --help 2>&1)
GOV=$(cat "$WF_SRCDIR/docs/governance.md")
for k in $(grep -oE '^ *\[WF_POL_[A-Z_]+\] = \{"[A-Za-z]+"' "$WF_SRCDIR/tenants/policy.c" |
           sed -E 's/.*"([A-Za-z]+)"/\1/'); do
    grep -qw -- "$k" <<<"$POLICY_HELP"
    _t_report $? "weft policy set --help names policy key '$k'"
    grep -qw -- "$k" <<<"$W1"
    _t_report $? "weft(1) names policy key '$k'"
    grep -qF -- "| \`$k\` |" <<<"$GOV"
    _t_report $? "docs/governance.md documents policy key '$k'"
done

if command -v man >/dev/null && command -v groff >/dev/null; then
    for p in weft.1 weftd.8 weft.yaml.5; do
        warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN/$p" 2>&1 >/dev/null)
        t_is "$warn" "" "$p renders without warnings"
    done
else
    t_skip "man pages render" "man or groff missing"
fi

t_done
