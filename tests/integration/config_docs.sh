#!/usr/bin/env bash
# docs/configuration.md follows the config key table: every key that
# `weftd check-config --help` lists (printed from the table in
# platform/config.c, nested ones as section.key and list[].key) is documented
# there as `key`, and the page names no key the table does not have.
. "$WF_SRCDIR/tests/lib/tap.sh"
WEFTD=$WF_BUILDDIR/weftd
DOC=$WF_SRCDIR/docs/configuration.md

keys=$("$WEFTD" check-config --help | sed -n '/^keys:/,$p' | awk 'NR > 1 && NF {print $1}')
n=$(wc -l <<<"$keys")
t_ok "check-config lists the key table ($n keys)" test "$n" -ge 30
t_ok "docs/configuration.md exists" test -s "$DOC"

for k in $keys; do
    grep -qF -- "\`$k\` (" "$DOC"
    _t_report $? "docs/configuration.md documents $k"
done

# The other way round: each documented entry ("- `key` (type...") is a key.
stale=
while IFS= read -r k; do
    grep -qxF -- "$k" <<<"$keys" || stale+="$k "
done < <(grep -oE '^- `[a-z_.\[\]]+` \(' "$DOC" | sed -E 's/^- `([^`]*)` \($/\1/')
t_is "${stale% }" "" "every documented entry is a key of the table"
t_done
