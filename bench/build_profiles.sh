#!/usr/bin/env bash
# What link-time optimisation costs and buys: builds the binary from scratch (an empty target
# directory, as after a clean clone; the crates themselves come from cargo's download cache) with
# the release profile's `lto` set to "fat" (one codegen unit), "thin" and "off", and reports per
# setting the clean build's wall-clock time, the binary's size, and what a `--demo --wall`
# console uses idle (bench/idle.sh).
#
#   bash bench/build_profiles.sh [IDLE_SECONDS] [SETTING...]    # SETTING: fat, thin, off
#
# Run it on a quiet machine: every build uses all cores, and anything else running slows it.
# Each setting gets its own target directory under a temporary directory, removed on exit.
set -euo pipefail

IDLE_SECONDS=${1:-20}
case "$IDLE_SECONDS" in
*[!0-9]* | "") echo "usage: bash bench/build_profiles.sh [IDLE_SECONDS] [fat|thin|off...]" >&2; exit 2 ;;
esac
shift || true
WANTED=" ${*:-fat thin off} "
cd "$(dirname "$0")/.."
WORK=$(mktemp -d "${TMPDIR:-/tmp}/opsconsole-profiles.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# setting name : cargo --config overrides of [profile.release]
settings=(
    'fat:profile.release.lto="fat" profile.release.codegen-units=1'
    'thin:profile.release.lto="thin" profile.release.codegen-units=16'
    'off:profile.release.lto=false profile.release.codegen-units=16'
)

printf 'clean release builds on %s cores, %s\n' "$(nproc)" \
    "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
results=()
for entry in "${settings[@]}"; do
    name=${entry%%:*}
    [[ $WANTED == *" $name "* ]] || continue
    overrides=()
    for o in ${entry#*:}; do overrides+=(--config "$o"); done
    target="$WORK/$name"
    start=$(date +%s)
    CARGO_TARGET_DIR=$target cargo build --release --locked --quiet --bin opsconsole --features static-openssl "${overrides[@]}"
    seconds=$(( $(date +%s) - start ))
    bin="$target/release/opsconsole"
    size=$(stat -c %s "$bin")
    idle=$(OPSCONSOLE_BIN=$bin bash bench/idle.sh "$IDLE_SECONDS" 5 | awk '$1 == "wall"')
    results+=("$(printf '%-5s %6d:%02d %9.1f  %s' "$name" $((seconds / 60)) $((seconds % 60)) \
        "$(echo "$size / 1048576" | bc -l)" "$idle")")
    rm -rf "$target"
done
printf '%-5s %9s %9s  %s\n' lto "build" "size MB" "wall idle (mode, cpu%, start cpu s, idle cpu s, RSS MB, peak MB, tmux cpu%)"
printf '%s\n' "${results[@]}"
