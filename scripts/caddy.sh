#!/usr/bin/env bash
# Caddy (the docker-compose `proxy`) built from source through the Go module proxy, once, into a cache dir; prints
# the binary's path on stdout. Used by the tests that run the shipped deploy/Caddyfile (tests/reliability/).
#
#   scripts/caddy.sh          build if needed, print the path of the caddy binary
#
# The version is the one docker-compose.yml's `proxy` image runs (CADDY_VERSION below = the image tag): keep both equal.
# Environment: NW_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/narrawatch). Needs Go (1.25+) on PATH; GOTOOLCHAIN=local
# (never downloads a toolchain). The first build downloads the modules (~100 MB to GOMODCACHE) and takes about 4 min of CPU (12 min wall on a busy 2-core box).
# Exit codes: 0 ok; 1 build failure (log tail on stderr); 3 `go` missing (callers skip the Caddy tests on 3).
set -euo pipefail

CADDY_VERSION="v2.11.4"
log() { echo "caddy.sh: $*" >&2; }

cache="${NW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/narrawatch}/caddy-$CADDY_VERSION"
bin="$cache/caddy"
if [[ -x "$bin" ]]; then
    echo "$bin"
    exit 0
fi
command -v go >/dev/null 2>&1 || { log "'go' not found on PATH: cannot build Caddy $CADDY_VERSION"; exit 3; }
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9
if [[ ! -x "$bin" ]]; then  # another process may have built it while we waited for the lock
    tmp="$cache/.gobin.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    log "building Caddy $CADDY_VERSION with $(go version | cut -d' ' -f3) (first time only, minutes)"
    t0=$SECONDS
    if ! out="$(cd "$tmp" && GOBIN="$tmp" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
        go install -trimpath -ldflags="-s -w -X github.com/caddyserver/caddy/v2.CustomVersion=$CADDY_VERSION" "github.com/caddyserver/caddy/v2/cmd/caddy@$CADDY_VERSION" 2>&1)"; then
        echo "$out" | tail -30 >&2
        rm -rf "$tmp"
        log "go install failed"
        exit 1
    fi
    mv "$tmp/caddy" "$bin"
    rm -rf "$tmp"
    log "built $bin in $((SECONDS - t0)) s"
fi
echo "$bin"
