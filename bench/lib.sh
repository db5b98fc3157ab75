# Shared by bench/snapshot_vs_cli.sh and bench/critical_path.sh (sourced, not run): a private
# moto server on a free 127.0.0.1 port, the benchmark estate, the delaying proxy, the binary, and
# cleanup of exactly the processes started here. Nothing here contacts AWS: every client gets the
# emulator's (or the proxy's) 127.0.0.1 endpoint and moto's static test credentials.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
VENV=${MOTO_VENV:-$HOME/.cache/opsconsole/moto-venv}
MOTO_SERVER=${MOTO_SERVER:-$VENV/bin/moto_server}
VENV_PYTHON=$VENV/bin/python
BENCH_PIDS=()

bench_say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
bench_die() { bench_say "error: $*"; exit 1; }

# One work directory per run, removed on exit with every process started through bench_spawn.
bench_setup() {
    [ -x /usr/bin/time ] || bench_die "GNU time is needed at /usr/bin/time (apt-get install time)"
    command -v jq >/dev/null || bench_die "jq is needed (apt-get install jq)"
    BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/opsconsole-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    # Static test credentials, no profile, no instance metadata, no proxy: the same environment
    # for opsconsole and the AWS CLI, and nothing that could reach AWS.
    unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy
    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
    export AWS_CONFIG_FILE=$BENCH_WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$BENCH_WORK/aws-credentials
    # The same retry policy on both sides: opsconsole's SDK is built with standard retries and
    # 3 attempts (src/source/aws/clients.rs); the CLI's default would be legacy, 5 attempts.
    export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3
    # opsconsole reads neither the user's config nor their journal.
    export OPSCONSOLE_CONFIG_DIR=$BENCH_WORK/config OPSCONSOLE_STATE_DIR=$BENCH_WORK/state
    export XDG_CONFIG_HOME=$BENCH_WORK/config XDG_STATE_HOME=$BENCH_WORK/state
    mkdir -p "$OPSCONSOLE_CONFIG_DIR" "$OPSCONSOLE_STATE_DIR"
}

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${BENCH_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    [ -n "${BENCH_WORK:-}" ] && rm -rf "$BENCH_WORK"
}

# Starts a background process and remembers its PID for cleanup. Sets BENCH_LAST_PID.
bench_spawn() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 </dev/null &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
}

bench_stop() { # PID: stop one process started by bench_spawn
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http_ok() { # URL: true when it answers 200
    python3 - "$1" <<'EOF'
import sys, urllib.request
try:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    sys.exit(0 if opener.open(sys.argv[1], timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

# Starts moto on a free port; sets MOTO_URL, MOTO_PORT, MOTO_PID, MOTO_LOG.
start_moto() {
    [ -x "$MOTO_SERVER" ] || bench_die "no moto_server at $MOTO_SERVER; install it: python3 -m venv ~/.cache/opsconsole/moto-venv && ~/.cache/opsconsole/moto-venv/bin/pip install 'moto[server]'"
    local attempt
    for attempt in 1 2 3; do
        MOTO_PORT=$(free_port)
        MOTO_URL=http://127.0.0.1:$MOTO_PORT
        MOTO_LOG=$BENCH_WORK/moto-$attempt.log
        bench_spawn "$MOTO_LOG" "$MOTO_SERVER" -H 127.0.0.1 -p "$MOTO_PORT"
        MOTO_PID=$BENCH_LAST_PID
        local i
        for i in $(seq 1 300); do
            if http_ok "$MOTO_URL/moto-api/"; then
                bench_say "moto (pid $MOTO_PID) on $MOTO_URL"
                return 0
            fi
            kill -0 "$MOTO_PID" 2>/dev/null || break
            sleep 0.1
        done
        bench_stop "$MOTO_PID"
        grep -q "Address already in use" "$MOTO_LOG" || { tail -n 20 "$MOTO_LOG" >&2; bench_die "moto did not start"; }
    done
    bench_die "moto did not start (port races)"
}

seed_estate() {
    [ -x "$VENV_PYTHON" ] || bench_die "no Python at $VENV_PYTHON (the moto venv has boto3)"
    bench_say "seeding the estate (bench/estate.py)…"
    "$VENV_PYTHON" "$BENCH_DIR/estate.py" "$MOTO_URL" >"$BENCH_WORK/estate.json" \
        || bench_die "seeding failed"
    bench_say "seeded: $(cat "$BENCH_WORK/estate.json")"
}

# Starts bench/delay_proxy.py in front of moto, adding DELAY_MS to every request; sets
# PROXY_URL, PROXY_PID, PROXY_LOG and PROXY_DELAY_FILE (the proxy reads its delay from that file
# before each request: `set_delay MS [FILE]` changes it while it runs). PROXY_SCRIPT: another
# script that runs delay_proxy.py's main (default bench/delay_proxy.py itself).
PROXY_COUNT=0
start_proxy() { # DELAY_MS [extra proxy args…, e.g. --answer-unimplemented --replay]
    local delay=$1 n=$((PROXY_COUNT += 1))
    shift
    local port_file=$BENCH_WORK/proxy-$n.port
    PROXY_LOG=$BENCH_WORK/requests-$n.log
    PROXY_DELAY_FILE=$BENCH_WORK/proxy-$n.delay_ms
    : >"$PROXY_LOG"
    set_delay "$delay" "$PROXY_DELAY_FILE"
    bench_spawn "$BENCH_WORK/proxy-$n.err" python3 "${PROXY_SCRIPT:-$BENCH_DIR/delay_proxy.py}" \
        --upstream "127.0.0.1:$MOTO_PORT" --delay-file "$PROXY_DELAY_FILE" \
        --port-file "$port_file" --log "$PROXY_LOG" "$@"
    PROXY_PID=$BENCH_LAST_PID
    local i
    for i in $(seq 1 100); do
        [ -s "$port_file" ] && break
        kill -0 "$PROXY_PID" 2>/dev/null || { cat "$BENCH_WORK/proxy-$n.err" >&2; bench_die "the proxy exited"; }
        sleep 0.1
    done
    [ -s "$port_file" ] || bench_die "the proxy did not start"
    PROXY_URL=http://127.0.0.1:$(cat "$port_file")
}

set_delay() { echo "$1" >"${2:-$PROXY_DELAY_FILE}"; } # MS [FILE]

# OPSCONSOLE_BIN as given, else the release build brought up to date (CARGO_TARGET_DIR honoured).
find_binary() {
    if [ -n "${OPSCONSOLE_BIN:-}" ]; then
        BIN=$OPSCONSOLE_BIN
    else
        bench_say "building the release binary: fat LTO, about 18 min from scratch on 2 cores (set OPSCONSOLE_BIN to use one as it is)…"
        (cd "$REPO_DIR" && timeout 3600 cargo build --release --quiet --bin opsconsole --features static-openssl)
        BIN=${CARGO_TARGET_DIR:-$REPO_DIR/target}/release/opsconsole
    fi
    [ -x "$BIN" ] || bench_die "no opsconsole binary at $BIN"
}

now_s() { date +%s.%N; }

# utime + stime of a process in seconds (fields 14 and 15 of /proc/PID/stat, counted from after
# the command name, which may hold spaces).
cpu_of() {
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    awk -v t=$(( ${12} + ${13} )) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f\n", t / hz }'
}

# Runs a command with stdout to OUT and stderr to ERR and sets M_WALL (seconds), M_CPU (user +
# system CPU seconds of the command and all it waited for: for the CLI script every aws and jq
# process) and M_MOTO (CPU seconds moto spent meanwhile: the emulator's share of the time).
# Run it in the current shell, not in $(…), so a failure stops the script.
measure() { # OUT ERR command…
    local out=$1 err=$2 t0 t1 m0
    shift 2
    m0=$(cpu_of "$MOTO_PID")
    t0=$(now_s)
    if ! /usr/bin/time -f '%U %S' -o "$err.cpu" "$@" >"$out" 2>"$err"; then
        tail -n 20 "$err" >&2
        bench_die "failed: $*"
    fi
    t1=$(now_s)
    M_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    M_CPU=$(awk '{ printf "%.2f", $1 + $2 }' "$err.cpu")
    M_MOTO=$(awk -v a="$m0" -v b="$(cpu_of "$MOTO_PID")" 'BEGIN { printf "%.2f", b - a }')
}

median() { # numbers as arguments
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Checks a snapshot holds the whole estate and no panel failed.
check_snapshot() { # FILE
    jq -e '
        (.failed_panels | length) == 0
        and ([.targets.data.load_balancers[].target_groups[].targets[]] | length) == 1000
        and ([.waf.data.acls[].rules[]] | length) == 50
        and ([.dns.data.zones[].record_sets[].records[]] | length) >= 1950
        and (.instances.data.instances | length) == 500' "$1" >/dev/null \
        || bench_die "the snapshot in $1 is incomplete: $(jq -c '{failed: .failed_panels, errors: [.targets.error, .waf.error, .dns.error, .instances.error]}' "$1" 2>/dev/null || head -c 300 "$1")"
}

# Checks the CLI script's document holds the whole estate.
check_cli() { # FILE
    jq -e '
        ([.targets.target_health[].TargetHealthDescriptions[]] | length) == 1000
        and ([.waf.web_acls[].WebACL.Rules[]] | length) == 50
        and ([.dns.record_sets[].ResourceRecordSets[]] | length) >= 1950
        and ([.instances.reservations[].Instances[]] | length) == 500' "$1" >/dev/null \
        || bench_die "the AWS CLI script's output in $1 is incomplete"
}

# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat; the command
# name in field 2 may hold spaces, so count from after its closing parenthesis).
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    echo $(( ${12} + ${13} ))
}

kb_of() { # field of /proc/PID/status, in kB
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
