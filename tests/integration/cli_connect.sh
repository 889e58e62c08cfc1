#!/usr/bin/env bash
# weft against a real gateway: where it connects (flags, env, contexts),
# login writing a 0600 config, problem+json errors as one clear line, exit
# codes, output formats, colour only on a TTY, and attacks on the token
# (sent to a server it was not saved for, header injection).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

ADMIN=$(cli_token weft admin)
cli_bind sa:weft/admin platform-admin ''
URL=$WEFT_URL

# ---- no server, no token, bad token ----
unset WEFT_URL
cli_run out weft me
t_is "$out_RC" 2 "no URL anywhere: exit 2"
t_match "$out_ERR" "no server to talk to: pass --url, set WEFT_URL" "and says how to configure one"

export WEFT_URL=$URL
cli_run out weft me
t_is "$out_RC" 1 "no token: the server refuses, exit 1"
t_match "$out_ERR" "error: Unauthorized \(401\): " "problem+json shown as one clear line"
t_match "$out_ERR" "no token was sent" "with a hint that no token was sent"

cli_run out with_token "weft_sa_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')" me
t_is "$out_RC" 1 "a bad token: exit 1"
t_match "$out_ERR" "Unauthorized \(401\)" "a bad token gives a clear 401 line"
t_match "$out_ERR" "token from WEFT_TOKEN was refused" "naming where the token came from"

cli_run out weft me --url http://127.0.0.1:1
t_is "$out_RC" 2 "an unreachable server: exit 2"
t_match "$out_ERR" "cannot reach http://127.0.0.1:1 \(from --url\)" "naming the server and its source"

cli_run out weft me --url ftp://example.com
t_is "$out_RC" 2 "a URL that is not http(s): exit 2"

# ---- env token ----
export WEFT_TOKEN=$ADMIN
cli_run out weft me
t_is "$out_RC" 0 "WEFT_URL + WEFT_TOKEN: weft me works"
t_match "$out" "subject: +sa:weft/admin" "weft me names the subject"
t_match "$out" "platform roles: +platform-admin" "and the platform roles"
cli_run out weft me -o json
t_is "$(jx "$out" d.subject)" "sa:weft/admin" "-o json is the API document"
cli_run out weft me -o yaml
t_ok "-o yaml prints YAML" grep -qx 'subject: sa:weft/admin' <<<"$out"
t_ok "with block lists" grep -qzF $'platformRoles:\n  - platform-admin\nbindings:\n  - subject: sa:weft/admin\n    role: platform-admin' <<<"$out"
cli_run out weft me -o xml
t_is "$out_RC" 2 "an unknown -o format: exit 2"
cli_run out weft me --bogus
t_is "$out_RC" 2 "an unknown option: exit 2"
t_match "$out_ERR" "unknown option '--bogus'" "named in the message"

# ---- login and contexts ----
unset WEFT_TOKEN WEFT_URL
cli_run out weft login --url "$URL" --token-stdin --name local <<<"$ADMIN"
t_is "$out_RC" 0 "login with the token on stdin"
CFG=$HOME/.config/weft/config.yaml
t_is "$(stat -c %a "$CFG")" 600 "the config file is mode 0600"
t_is "$(stat -c %a "$HOME/.config/weft")" 700 "in a 0700 directory"
t_ok "the config holds the token" grep -qFf <(printf '%s\n' "$ADMIN") "$CFG"
cli_run out weft me
t_is "$out_RC:$(grep -c '^subject: *sa:weft/admin' <<<"$out")" "0:1" "weft me through the saved context"

BAD="weft_sa_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
before=$(sha256sum <"$CFG")
cli_run out weft login --url "$URL" --token-stdin --name broken <<<"$BAD"
t_is "$out_RC" 1 "login with a refused token: exit 1"
t_match "$out_ERR" "nothing saved" "and says nothing was saved"
t_is "$(sha256sum <"$CFG")" "$before" "the config file is untouched"

cli_run out weft login --url "$URL" --token-stdin --name other --no-verify <<<"$ADMIN"
cli_run out weft context list
t_match "$out" "\* +other +http" "context list marks the current context"
t_match "$out" "local +http" "and lists the others"
t_fails "context list never shows tokens" grep -qFf <(printf '%s\n' "$ADMIN") <<<"$out"
cli_run out weft context list -o json
t_is "$(jx "$out" 'd.filter(c => c.current)[0].name')" other "context list -o json"
t_is "$(jx "$out" '"token" in d[0]')" false "-o json has no token either"
cli_run out weft context use local
t_is "$out_RC" 0 "context use"
t_match "$(weft context list)" "\* +local" "switches the current context"
cli_run out weft context use nosuch
t_is "$out_RC" 1 "context use of an unknown name: exit 1"
cli_run out weft me --context nosuch
t_is "$out_RC" 2 "--context of an unknown name: exit 2"
cli_run out weft context delete other
t_is "$out_RC:$(grep -c '^  - name' "$CFG")" "0:1" "context delete removes it"
mkdir -m 700 "$CLI_TMP/cfgdir"
cli_run out env WEFT_CONFIG_DIR="$CLI_TMP/cfgdir" "$WEFT" login --url "$URL" --token-stdin --name elsewhere <<<"$ADMIN"
t_is "$out_RC:$(stat -c %a "$CLI_TMP/cfgdir/config.yaml")" "0:600" "WEFT_CONFIG_DIR places the config file"
t_fails "and leaves the default one alone" grep -q elsewhere "$CFG"
cli_run out weft login --url "$URL" --token not-a-real-token
t_is "$out_RC" 2 "login refuses a token on the command line"

# ---- attacks on the token ----
# A listener that records what it is sent: the context's token must not go
# to a server given by --url or WEFT_URL that is not the context's server.
cat >"$CLI_TMP/spy.js" <<'EOF'
const fs = require("fs");
const body = '{"type":"urn:weft:problem:unauthenticated","title":"Unauthorized","status":401,"detail":"spy"}';
const s = require("http").createServer((req, res) => {
    fs.appendFileSync(process.argv[2], "auth=" + (req.headers.authorization || "") + "\n");
    res.writeHead(401, {"Content-Type": "application/problem+json", "Content-Length": body.length});
    res.end(body);
});
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
EOF
node "$CLI_TMP/spy.js" "$CLI_TMP/spy.log" >"$CLI_TMP/spy.port" &
SPY=$!
for i in $(seq 1 100); do [ -s "$CLI_TMP/spy.port" ] && break; sleep 0.05; done
SPY_URL="http://127.0.0.1:$(cat "$CLI_TMP/spy.port")"
cli_run out weft me --url "$SPY_URL"
t_is "$out_RC" 1 "--url to another server: refused there"
t_is "$(cat "$CLI_TMP/spy.log")" "auth=" "the context's token is not sent to a server given by --url"
: >"$CLI_TMP/spy.log"
cli_run out env WEFT_URL="$SPY_URL" "$WEFT" me
t_is "$(cat "$CLI_TMP/spy.log")" "auth=" "nor to one given by WEFT_URL"
kill "$SPY" 2>/dev/null
wait "$SPY" 2>/dev/null

# --token is discouraged, but when used its value is blanked in argv, so
# that ps shows x's while the command runs (a server that never answers
# keeps the client running).
node -e 'const s = require("net").createServer(() => {}); s.listen(0, "127.0.0.1", () => console.log(s.address().port));' >"$CLI_TMP/hang.port" &
HANG=$!
for i in $(seq 1 100); do [ -s "$CLI_TMP/hang.port" ] && break; sleep 0.05; done
"$WEFT" me --url "http://127.0.0.1:$(cat "$CLI_TMP/hang.port")" --token not-a-real-token-123 >/dev/null 2>&1 &
CLIENT=$!
for i in $(seq 1 50); do tr '\0' ' ' <"/proc/$CLIENT/cmdline" | grep -q xxxx && break; sleep 0.05; done
cmdline=$(tr '\0' ' ' <"/proc/$CLIENT/cmdline")
t_fails "a --token value is blanked in the process's argv" grep -q "not-a-real-token" <<<"$cmdline"
t_match "$cmdline" "--token x{20}" "ps shows x's instead"
kill "$CLIENT" "$HANG" 2>/dev/null
wait "$CLIENT" "$HANG" 2>/dev/null

cli_run out with_token $'x\r\nX-Injected: 1' me
t_is "$out_RC" 2 "a token with a line break: exit 2, nothing sent"
t_match "$out_ERR" "holds whitespace or a line break" "with the reason"

chmod 644 "$CFG"
cli_run out weft me
t_match "$out_ERR" "others may read it \(mode 644\)" "a config readable by others is warned about"
chmod 600 "$CFG"
cp "$CFG" "$CLI_TMP/cfg.bak"
printf 'contexts:\n  - name: a\n    url: [1, 2]\n' >"$CFG"
cli_run out weft me
t_is "$out_RC" 2 "a malformed config: exit 2"
t_match "$out_ERR" "config.yaml:3:10: error: contexts\[0\]: expected a string" \
    "with a positioned error"
cp "$CLI_TMP/cfg.bak" "$CFG"

# ---- colour only on a TTY and never with NO_COLOR ----
if command -v script >/dev/null; then
    tty_out=$(env -u NO_COLOR script -qec "$WEFT context list" /dev/null)
    t_match "$tty_out" $'\033\\[' "on a TTY the table is coloured"
    tty_out=$(NO_COLOR=1 script -qec "$WEFT context list" /dev/null)
    t_fails "NO_COLOR turns colour off even on a TTY" grep -q $'\033' <<<"$tty_out"
    tty_out=$(env -u NO_COLOR script -qec "$WEFT context list --no-color" /dev/null)
    t_fails "--no-color turns it off too" grep -q $'\033' <<<"$tty_out"
else
    t_skip "colour on a TTY" "no script(1)"
fi
t_fails "no colour when stdout is not a TTY" grep -q $'\033' <<<"$(env -u NO_COLOR "$WEFT" context list)"

# ---- usage ----
cli_run out weft flow get onlyone
t_is "$out_RC" 2 "a missing argument: exit 2"
cli_run out weft nosuchverb
t_is "$out_RC" 2 "an unknown verb: exit 2"
cli_run out weft run --help
t_is "$out_RC" 0 "--help: exit 0"
t_match "$out" "exit status: 0 success, 1 failure" "help documents the exit codes"

t_done
