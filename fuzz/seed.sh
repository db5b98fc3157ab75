#!/bin/sh
# Seeds fuzz/corpus/ from the files the project ships, so the config fuzzer starts from real
# settings, keymaps and themes instead of rediscovering TOML. Run from anywhere; idempotent.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")

# config: the first byte picks the loader (0 settings, 1 keymap, 2 theme, 3 key name).
out="$fuzz/corpus/config"
mkdir -p "$out"
seed() { # loader byte, source file, corpus name
    { printf "\\$(printf '%03o' "$1")"; cat "$2"; } > "$out/$3"
}
seed 0 "$repo/config.example.toml" settings-example
seed 0 "$repo/tests/fixtures/invalid/bad-toml.toml" settings-bad-toml
for f in "$repo"/tests/fixtures/*/*config*.toml; do seed 0 "$f" "settings-$(basename "$f")"; done
for f in "$repo"/keymaps/*.toml "$repo"/tests/fixtures/*/*keymap*.toml; do
    seed 1 "$f" "keymap-$(basename "$f")"
done
for f in "$repo"/themes/*.toml "$repo"/tests/fixtures/*/*theme*.toml; do
    seed 2 "$f" "theme-$(basename "$f")"
done
for k in q C-c S-Tab F12 C-- A-x PgDn Space; do printf '\003%s' "$k" > "$out/key-$k"; done

# sanitize: hostile log lines of the kinds the demo world and scanners produce.
out="$fuzz/corpus/sanitize"
mkdir -p "$out"
printf '1.2.3.4 - - "GET / HTTP/1.1" 200 5 "-" "\033]0;pwned\007Mozilla"' > "$out/osc-title"
printf 'a\033[2J\033[31mred\033[0m\302\233\063J' > "$out/csi"
printf 'x\033]52;c;ZXZpbA==\033\\ \302\235\060;t\302\234 \033Pq#0\033\\' > "$out/osc-dcs"
printf 'user\342\200\256gpj.exe \342\201\246iso\342\201\251\tcol\r\n' > "$out/bidi"
printf 'bad \377 \300\200 byte' > "$out/invalid-utf8"
