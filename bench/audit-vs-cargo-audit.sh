#!/usr/bin/env bash
# Side by side: `nanoup audit` vs `cargo audit` on the largest Cargo.lock of ../shared/corpus
# (zola, 317 packages), nanoup with every zip of ../shared/osv imported; plus the import time of
# all of ../shared/osv and nanoup's peak memory.
# Needs: hyperfine (apt-get install hyperfine), cargo-audit (cargo install cargo-audit --locked).
# Goals (issue 3): nanoup median <= 1/3 of cargo-audit's; peak RSS < 64 MiB; import < 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
lockdir="$shared/corpus/cargo/getzola__zola__a3a5b9ea06"
cargo build --release -q -p nanoup-cli
bin=$PWD/target/release/nanoup
export NANOUP_HOME
NANOUP_HOME=$(mktemp -d)
trap 'rm -rf "$NANOUP_HOME"' EXIT

zips=("$shared"/osv/*/all.zip)
echo "== import of ${#zips[@]} zips (all of ../shared/osv)"
hyperfine --warmup 1 --runs 5 -N "$bin db import ${zips[*]}"
"$bin" db status | tail -n 8

echo "== audit of $lockdir (Cargo.lock, $(grep -c '^\[\[package\]\]' "$lockdir/Cargo.lock") packages)"
hyperfine --warmup 2 --runs 20 -i -N \
  -n nanoup "$bin audit $lockdir --format json" \
  -n cargo-audit "cargo audit --db $shared/advisory-db/rustsec --no-fetch --no-yanked --json -f $lockdir/Cargo.lock"

echo "== peak memory"
/usr/bin/time -f "nanoup audit: peak RSS %M KiB" "$bin" audit "$lockdir" --format json >/dev/null || true
/usr/bin/time -f "cargo audit: peak RSS %M KiB" cargo audit --db "$shared/advisory-db/rustsec" --no-fetch --no-yanked --json -f "$lockdir/Cargo.lock" >/dev/null || true
