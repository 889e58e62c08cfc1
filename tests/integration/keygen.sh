#!/usr/bin/env bash
# `weftd keygen`: key file mode, public key output checked against OpenSSL's
# own derivation, no silent overwrite, refusal of traversal names.
set -u
weftd="$WF_BUILDDIR/weftd"
tmp=$(mktemp -d /tmp/wf-keygen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0; failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }

pub=$("$weftd" keygen --domain logistics --key-dir "$tmp/keys" 2>"$tmp/err"); rc=$?
ok $rc "keygen exits 0"
[ -f "$tmp/keys/logistics.key" ]; ok $? "key file written"
[ "$(stat -c %a "$tmp/keys/logistics.key")" = 600 ]; ok $? "key file mode 0600"
[ "$(stat -c %a "$tmp/keys")" = 700 ]; ok $? "key directory mode 0700"
[[ "$pub" =~ ^[A-Za-z0-9+/]{43}=$ ]]; ok $? "stdout is one base64 public key ($pub)"
grep -q "logistics.key" "$tmp/err"; ok $? "stderr names the file"
# OpenSSL derives the public key from the file on its own: the last 32 bytes
# of the DER SubjectPublicKeyInfo are the raw X25519 key.
want=$(openssl pkey -in "$tmp/keys/logistics.key" -pubout -outform DER | tail -c 32 | base64)
[ "$pub" = "$want" ]; ok $? "printed public key matches openssl pkey -pubout"

before=$(sha256sum < "$tmp/keys/logistics.key")
"$weftd" keygen --domain logistics --key-dir "$tmp/keys" >"$tmp/out2" 2>"$tmp/err2"; rc=$?
[ $rc -eq 1 ]; ok $? "second keygen refused (exit $rc)"
grep -q -- "--force" "$tmp/err2"; ok $? "refusal names --force"
[ ! -s "$tmp/out2" ]; ok $? "nothing printed on stdout when refused"
[ "$(sha256sum < "$tmp/keys/logistics.key")" = "$before" ]; ok $? "existing key untouched"

pub2=$("$weftd" keygen --domain logistics --key-dir "$tmp/keys" --force 2>/dev/null); rc=$?
ok $rc "--force replaces"
[ -n "$pub2" ] && [ "$pub2" != "$pub" ]; ok $? "a new public key"
[ "$(stat -c %a "$tmp/keys/logistics.key")" = 600 ]; ok $? "replaced key file mode 0600"
[ "$(ls -A "$tmp/keys" | wc -l)" -eq 1 ]; ok $? "no temporary files left in the key directory"

"$weftd" keygen --domain ../escape --key-dir "$tmp/keys" >/dev/null 2>"$tmp/err3"; rc=$?
[ $rc -eq 2 ] && [ ! -e "$tmp/escape.key" ]; ok $? "traversal domain name refused (exit $rc)"
"$weftd" keygen --key-dir "$tmp/keys" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ]; ok $? "missing --domain is a usage error"

cat >"$tmp/weft.yaml" <<YAML
data_dir: $tmp/data
executor:
  key_dir: $tmp/fromconfig
YAML
"$weftd" keygen --domain sales --config "$tmp/weft.yaml" >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && [ -f "$tmp/fromconfig/sales.key" ]; ok $? "key directory taken from the config"
(cd "$tmp" && WEFT_DATA_DIR="$tmp/dd" "$weftd" keygen --domain sales >/dev/null 2>&1); rc=$?
[ $rc -eq 0 ] && [ -f "$tmp/dd/keys/sales.key" ]; ok $? "default key directory is DATA_DIR/keys"

echo "1..$n"
exit $failed
