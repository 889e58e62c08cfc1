#!/usr/bin/env bash
# weft secret: values only from stdin or a file, checked before anything is
# sent; against a gateway that serves the secrets API, set/list/delete and no
# value ever printed back.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain sales sales
cli_admin

# ---- refused before anything is sent ----
cli_run out weft secret set sales.app DB_PASSWORD </dev/null
t_is "$out_RC" 2 "an empty value: exit 2"
t_match "$out_ERR" "the value is empty" "says so"
printf 'a\0b' >"$CLI_TMP/nul.bin"
cli_run out weft secret set sales.app BIN --from-file "$CLI_TMP/nul.bin"
t_is "$out_RC" 2 "a value with a NUL byte: exit 2"
t_match "$out_ERR" "UTF-8 text without NUL bytes" "says what is accepted"
printf '\xff\xfe' >"$CLI_TMP/bad.bin"
cli_run out weft secret set sales.app BIN --from-file "$CLI_TMP/bad.bin"
t_is "$out_RC" 2 "a value that is not UTF-8: exit 2"
head -c 1048577 /dev/zero | tr '\0' a >"$CLI_TMP/big.txt"
cli_run out weft secret set sales.app BIG --from-file "$CLI_TMP/big.txt"
t_is "$out_RC" 2 "a value over 1 MiB: exit 2"
cli_run out weft secret set sales.app K --from-file "$CLI_TMP/nope"
t_is "$out_RC" 2 "a missing --from-file: exit 2"
cli_run out weft secret set sales.app K V
t_is "$out_RC" 2 "a value on the command line is refused (usage)"

if ! curl -s "$WEFT_URL/api/v1/openapi.json" | grep -q '/api/v1/namespaces/{namespace}/secrets'; then
    t_skip "secret set/list/delete against the gateway" "this gateway has no secrets API yet"
    t_done
    exit
fi

VALUE='s3cr3t "quoted" \ back'
cli_run out weft secret set sales.app DB_PASSWORD <<<"$VALUE"
t_is "$out_RC" 0 "secret set from stdin"
t_match "$out" "^set  sales.app/DB_PASSWORD" "reports the key"
printf 'line1\nline2\n' >"$CLI_TMP/multi.txt"
cli_run out weft secret set sales.app CERT --from-file "$CLI_TMP/multi.txt"
t_is "$out_RC" 0 "secret set --from-file"
cli_run out weft secret set sales.app DB_PASSWORD <<<"new $VALUE"
t_is "$out_RC" 0 "setting it again"
cli_run out weft secret list sales.app
t_match "$out" "DB_PASSWORD" "secret list names it"
t_match "$out" "CERT" "and the other"
t_fails "secret list never shows a value" grep -qF "s3cr3t" <<<"$out"
cli_run out weft secret list sales.app -o json
t_fails "-o json never shows a value either" grep -qF "s3cr3t" <<<"$out"
cli_run out weft secret delete sales.app CERT -o json
t_is "$out_RC:$(jx "$out" 'd.namespace + "/" + d.key + " " + d.deleted')" "0:sales.app/CERT true" \
    "secret delete (-o json)"
cli_run out weft secret list sales.app
t_fails "the deleted secret is gone" grep -q CERT <<<"$out"
NOBODY=$(cli_token sales nobody)
cli_run out with_token "$NOBODY" secret set sales.app X <<<"v"
t_is "$out_RC" 1 "a caller without rights: exit 1"
t_fails "the refusal does not echo the value" grep -qx "v" <<<"$out_ERR"

t_done
