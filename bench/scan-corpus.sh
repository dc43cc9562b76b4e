#!/usr/bin/env bash
# Benchmark: `nanoup scan` of the whole ../shared/corpus, release build, JSON output.
# Prints min / median / mean wall time over RUNS runs (default 30) and peak RSS of one run.
# Target (issue 2): under 300 ms for the whole corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-30}"
CORPUS="${1:-../shared/corpus}"
cargo build --release -q -p nanoup-cli
BIN=target/release/nanoup
"$BIN" scan --format json "$CORPUS" > /dev/null   # warm the page cache
times=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s%N)
  "$BIN" scan --format json "$CORPUS" > /dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$RUNS" '
  { t[NR] = $1; sum += $1 }
  END { printf "scan %s: %d runs, min %.1f ms, median %.1f ms, mean %.1f ms\n",
        "'"$CORPUS"'", runs, t[1] / 1000, t[int((NR + 1) / 2)] / 1000, sum / NR / 1000 }'
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "peak RSS %M KiB" "$BIN" scan --format json "$CORPUS" 2>&1 >/dev/null | tail -1
fi
"$BIN" scan "$CORPUS" | tail -n 3
