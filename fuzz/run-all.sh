#!/usr/bin/env bash
# Runs every fuzz target for $1 seconds (default 30) and prints executions and outcome per target.
set -uo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
export RUSTC_BOOTSTRAP=1
[ -d corpus ] || ./seed.sh
for target in $(cargo fuzz list); do
  log="artifacts/$target.log"
  mkdir -p artifacts
  if cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 >"$log" 2>&1; then
    outcome=ok
  else
    outcome="FAILED (see $log)"
  fi
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}' | tail -1)
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  printf '%-20s %4ss  %10s execs  %s\n' "$target" "$secs" "${execs:-?}" "$outcome"
done
