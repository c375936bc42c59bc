#!/usr/bin/env bash
# Local single-node Elasticsearch 8.14.3 built only from Maven Central artifacts (see scripts/es/README.md).
#
#   scripts/es_node.sh start  BASEDIR   build (if needed) + start in background, wait for health yellow/green
#   scripts/es_node.sh stop   BASEDIR   SIGTERM, wait for exit (SIGKILL after ES_STOP_TIMEOUT s)
#   scripts/es_node.sh status [BASEDIR] print state; exit 0 if healthy, 1 otherwise
#   scripts/es_node.sh build            only resolve the classpath and compile the launcher
#
# Environment: ES_PORT (HTTP, default 9201), ES_TRANSPORT_PORT (default 9301),
#   ES_START_TIMEOUT (default 180 s), ES_STOP_TIMEOUT (default 60 s), ES_JAVA_OPTS (extra JVM flags, appended).
# Exit codes: 0 ok; 1 failure; 2 usage; 3 java/javac/mvn missing (callers use it to skip ES tests).
# BASEDIR layout: es-node.pid, es-node.port, logs/es-node.log, data/, home/config/, tmp/.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ES_DIR="$SCRIPT_DIR/es"
TARGET="$ES_DIR/target"
CP_FILE="$TARGET/classpath.txt"
CLASSES="$TARGET/classes"
MAIN_CLASS="org.elasticsearch.node.EsNode"

ES_PORT="${ES_PORT:-9201}"
ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-9301}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-180}"
ES_STOP_TIMEOUT="${ES_STOP_TIMEOUT:-60}"
HEALTH_URL="http://127.0.0.1:${ES_PORT}/_cluster/health"

log() { echo "es_node: $*" >&2; }
die() { local code="$1"; shift; log "$*"; exit "$code"; }

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

require_tool() {
    command -v "$1" >/dev/null 2>&1 || die 3 "'$1' not found on PATH: $2 (Java 17+ JDK and Maven are needed; skipping ES)"
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

# ---------------------------------------------------------------- build (classpath + javac), cached
build() {
    require_tool java "cannot run Elasticsearch"
    require_tool javac "cannot compile the launcher"
    mkdir -p "$TARGET"
    exec 8>"$TARGET/.build.lock"
    flock 8
    local need_cp=0
    if [[ ! -s "$CP_FILE" || "$ES_DIR/pom.xml" -nt "$CP_FILE" ]]; then
        need_cp=1
    else
        local jar
        while IFS= read -r jar; do
            [[ -f "$jar" ]] || { need_cp=1; break; }
        done < <(tr ':' '\n' <"$CP_FILE")
    fi
    if [[ $need_cp == 1 ]]; then
        require_tool mvn "cannot resolve Elasticsearch jars from Maven Central"
        log "resolving classpath with Maven (first run downloads ~50 MB to ~/.m2)"
        local out
        if ! out="$(cd "$ES_DIR" && mvn -q -B dependency:build-classpath -Dmdep.outputFile="$CP_FILE.tmp" 2>&1)"; then
            echo "$out" | tail -30 >&2
            rm -f "$CP_FILE.tmp"
            die 1 "mvn dependency:build-classpath failed"
        fi
        mv "$CP_FILE.tmp" "$CP_FILE"
    fi
    local stamp="$CLASSES/.stamp" newer=0
    if [[ ! -f "$stamp" || "$CP_FILE" -nt "$stamp" ]]; then
        newer=1
    elif [[ -n "$(find "$ES_DIR/src" -name '*.java' -newer "$stamp" -print -quit)" ]]; then
        newer=1
    fi
    if [[ $newer == 1 ]]; then
        log "compiling launcher"
        rm -rf "$CLASSES"
        mkdir -p "$CLASSES"
        local srcs=()
        mapfile -t srcs < <(find "$ES_DIR/src" -name '*.java' | sort)
        javac -nowarn -encoding UTF-8 -d "$CLASSES" -cp "$(cat "$CP_FILE")" "${srcs[@]}" || die 1 "javac failed"
        touch "$stamp"
    fi
    flock -u 8
}

# ---------------------------------------------------------------- process / health helpers
pid_file() { echo "$1/es-node.pid"; }

# prints the pid if BASEDIR's node process is alive (and really is our launcher), else nothing
running_pid() {
    local pf pid
    pf="$(pid_file "$1")"
    [[ -f "$pf" ]] || return 0
    pid="$(cat "$pf" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$MAIN_CLASS"; then
        echo "$pid"
    fi
}

http_get() { # URL -> body on stdout; non-zero if unreachable
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 5 "$1" 2>/dev/null
    else
        python3 - "$1" <<'EOF' 2>/dev/null
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
EOF
    fi
}

healthy() { http_get "${HEALTH_URL}?wait_for_status=yellow&timeout=1s" | grep -Eq '"status":"(green|yellow)"'; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

log_tail() {
    local f="$1/logs/es-node.log"
    if [[ -f "$f" ]]; then
        log "last lines of $f:"
        tail -n 40 "$f" >&2
    fi
}

# ---------------------------------------------------------------- commands
cmd_start() {
    local base
    base="$(abs_dir "$1")"
    require_tool java "cannot run Elasticsearch"
    mkdir -p "$base/logs" "$base/data" "$base/tmp"
    exec 9>"$base/.es-node.lock"
    flock 9

    local pid
    pid="$(running_pid "$base")"
    if [[ -z "$pid" ]]; then
        rm -f "$(pid_file "$base")"
        if port_in_use "$ES_PORT"; then
            die 1 "port $ES_PORT is already in use by another process (not the node of $base); set ES_PORT or stop it"
        fi
        build
        local cp
        cp="$CLASSES:$(cat "$CP_FILE")"
        local -a jvm=(
            -Xms512m -Xmx1g -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow
            -Dfile.encoding=UTF-8 -Djava.awt.headless=true -Djna.nosys=true
            "-Djava.io.tmpdir=$base/tmp"
            -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0
            -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true
            -Djava.locale.providers=SPI,COMPAT
        )
        # shellcheck disable=SC2206
        [[ -n "${ES_JAVA_OPTS:-}" ]] && jvm+=(${ES_JAVA_OPTS})
        log "starting Elasticsearch node: base=$base http=127.0.0.1:$ES_PORT transport=$ES_TRANSPORT_PORT"
        {
            echo "===== $(date -u +%FT%TZ) es_node.sh start (http $ES_PORT, transport $ES_TRANSPORT_PORT)"
        } >>"$base/logs/es-node.log"
        # setsid: own session, so the node survives the caller's process group / terminal; fd 8/9 closed
        setsid java "${jvm[@]}" -cp "$cp" "$MAIN_CLASS" \
            -basePath "$base" -httpPort "$ES_PORT" -transportPort "$ES_TRANSPORT_PORT" \
            </dev/null >>"$base/logs/es-node.log" 2>&1 8>&- 9>&- &
        pid=$!
        echo "$pid" >"$(pid_file "$base")"
        echo "$ES_PORT" >"$base/es-node.port"
    else
        log "already running (pid $pid)"
    fi

    local t0=$SECONDS
    while (( SECONDS - t0 < ES_START_TIMEOUT )); do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$(pid_file "$base")"
            log_tail "$base"
            die 1 "node process $pid exited during startup"
        fi
        if healthy; then
            log "healthy on http://127.0.0.1:$ES_PORT (pid $pid, $((SECONDS - t0)) s)"
            return 0
        fi
        sleep 1
    done
    log_tail "$base"
    die 1 "node (pid $pid) not healthy after ${ES_START_TIMEOUT}s; still running - use '$0 stop $base'"
}

cmd_stop() {
    local base pid
    base="$(abs_dir "$1")"
    pid="$(running_pid "$base")"
    if [[ -z "$pid" ]]; then
        rm -f "$(pid_file "$base")"
        log "not running"
        return 0
    fi
    log "stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    local t0=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        if (( SECONDS - t0 >= ES_STOP_TIMEOUT )); then
            log "still alive after ${ES_STOP_TIMEOUT}s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 0.5
    done
    # wait for the HTTP port to be released so an immediate restart can bind it
    local port
    port="$(cat "$base/es-node.port" 2>/dev/null || echo "$ES_PORT")"
    t0=$SECONDS
    while port_in_use "$port" && (( SECONDS - t0 < 15 )); do sleep 0.5; done
    rm -f "$(pid_file "$base")" "$base/es-node.port"
    log "stopped"
}

cmd_status() {
    local pid=""
    if [[ $# -ge 1 ]]; then
        pid="$(running_pid "$(abs_dir "$1")")"
        if [[ -n "$pid" ]]; then echo "process: running (pid $pid)"; else echo "process: not running"; fi
    fi
    local h
    if h="$(http_get "$HEALTH_URL")"; then
        echo "http://127.0.0.1:$ES_PORT: $h"
        echo "$h" | grep -Eq '"status":"(green|yellow)"' && return 0
    else
        echo "http://127.0.0.1:$ES_PORT: not reachable"
    fi
    return 1
}

[[ $# -ge 1 ]] || usage
case "$1" in
    start) [[ $# -eq 2 ]] || usage; cmd_start "$2" ;;
    stop) [[ $# -eq 2 ]] || usage; cmd_stop "$2" ;;
    status) [[ $# -le 2 ]] || usage; shift; cmd_status "$@" ;;
    build) build; log "classpath: $CP_FILE, classes: $CLASSES" ;;
    *) usage ;;
esac
