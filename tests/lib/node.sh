# The independent OIDC peer (npm `jose`) for tests. Source it and call
# node_setup: it sets NODE_LIB to a directory holding tests/lib/*.mjs next to
# a node_modules with jose — the source tree's (installed by
# scripts/deps.sh --test, or here), or, when the source tree is read-only
# (make distcheck), a copy in the build tree. Returns 1 when jose cannot be
# installed.
node_setup() {
    local src=${WF_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
    local build=${WF_BUILDDIR:-.}
    NODE_LIB=
    if [ ! -d "$src/tests/node_modules/jose" ] && [ -w "$src/tests" ]; then
        (flock 9; [ -d "$src/tests/node_modules/jose" ] ||
            (cd "$src/tests" && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1)
        ) 9>"$src/tests/.npm.lock"
    fi
    if [ -d "$src/tests/node_modules/jose" ]; then
        NODE_LIB="$src/tests/lib"
        return 0
    fi
    local copy="$build/tests/node"
    mkdir -p "$copy/lib"
    (
        flock 9
        cp "$src"/tests/package*.json "$copy/"
        cp "$src"/tests/lib/*.mjs "$copy/lib/"
        [ -d "$copy/node_modules/jose" ] ||
            (cd "$copy" && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1)
    ) 9>"$copy.lock"
    [ -d "$copy/node_modules/jose" ] || return 1
    NODE_LIB="$copy/lib"
}
