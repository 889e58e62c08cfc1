#!/usr/bin/env bash
# Installs what Weft needs on Debian 12: build tools, libraries, PostgreSQL 15,
# and (with --test) the test-only tools: Node packages for the OIDC peer, wrk,
# hyperfine and bubblewrap for benchmarks. Skips apt-get when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential autoconf automake libtool pkg-config libyaml-dev libpq-dev libssl-dev
    libjwt-dev libjansson-dev libh2o-evloop-dev libseccomp-dev libcurl4-openssl-dev libpcre2-dev
    postgresql curl)
if [ "${1:-}" = "--test" ]; then
    packages+=(wrk hyperfine bubblewrap valgrind iproute2 procps psmisc)
    # Node may come from elsewhere than Debian (its npm then conflicts with
    # Debian's): only install Debian's when the commands are missing.
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ] && [ -f tests/package.json ]; then
    # The independent OIDC peer used by the authentication tests.
    (cd tests && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
