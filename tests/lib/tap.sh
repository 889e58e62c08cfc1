# TAP helpers for bash tests. Source it; call t_done at the end.
#   t_ok DESC CMD [ARGS...]     passes when CMD exits 0
#   t_fails DESC CMD [ARGS...]  passes when CMD exits non-zero
#   t_is GOT WANT DESC          string equality
#   t_match GOT REGEX DESC      extended-regex match
#   t_skip DESC REASON
_t_n=0
_t_failed=0

_t_report() { # status desc [diag]
    _t_n=$((_t_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_t_n - $2"
    else
        _t_failed=$((_t_failed + 1))
        echo "not ok $_t_n - $2"
        [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
    fi
    return 0
}
t_ok() { local d=$1; shift; local out; out=$("$@" 2>&1); local s=$?; _t_report $s "$d" "$out"; }
t_fails() { local d=$1; shift; local out; out=$("$@" 2>&1); local s=$?; [ $s -ne 0 ]; _t_report $? "$d" "exited 0: $out"; }
t_is() { [ "$1" = "$2" ]; _t_report $? "$3" "got: '$1'
want: '$2'"; }
t_match() { [[ "$1" =~ $2 ]]; _t_report $? "$3" "got: '$1'
want match: '$2'"; }
t_skip() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1 # SKIP $2"; }
t_diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
t_done() { echo "1..$_t_n"; [ "$_t_failed" -eq 0 ]; }
t_bail() { echo "Bail out! $*"; exit 1; }
