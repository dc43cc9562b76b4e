#!/usr/bin/env bash
# Benchmark: `nanoup verify` on the real example project (examples/verify-cargo: n = 16 drift
# updates, k = 1 genuine culprit), strategy split vs each. Talks to crates.io (cargo and the plan).
#
# Both strategies start from the same state: a fresh copy of the project in its own git
# repository and its own CARGO_TARGET_DIR in which the project at its current (old) versions was
# already built, as a CI cache would hold it. Prints, per strategy: test runs, the wall time of
# the test runs (verify's own figure), the wall time of the whole command (which also applies
# each update once, alone, to learn its edit), and the verdicts.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p nanoup-cli
BIN=$PWD/target/release/nanoup
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for strategy in split each; do
  dir=$work/$strategy
  repo=$dir/repo
  mkdir -p "$repo"
  cp -r examples/verify-cargo/. "$repo"
  rm -rf "$repo/target"
  (cd "$repo" && git init -q -b main && git add . &&
    git -c user.name=bench -c user.email=bench@localhost commit -q -m base)
  export CARGO_TARGET_DIR=$dir/target NANOUP_HOME=$dir/home
  (cd "$repo" && cargo test --locked -q --no-run 2>/dev/null)
  "$BIN" plan --drift --format json -o "$dir/plan.json" "$repo" 2>/dev/null
  start=$(date +%s.%N)
  "$BIN" verify --all --strategy "$strategy" --plan "$dir/plan.json" --json "$repo" \
    >"$dir/out.json" 2>"$dir/progress.txt" || true
  end=$(date +%s.%N)
  python3 - "$dir/out.json" "$start" "$end" "$strategy" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
total = float(sys.argv[3]) - float(sys.argv[2])
verdicts = {}
for u in doc["updates"]:
    verdicts.setdefault(u["verdict"], []).append(u["name"])
print(f"{sys.argv[4]:<6} updates={len(doc['updates'])} runs={doc['runs']} "
      f"test-runs wall={doc['wall_seconds']:.1f}s command wall={total:.1f}s "
      + " ".join(f"{k}={','.join(v) if k != 'green' else len(v)}" for k, v in sorted(verdicts.items())))
print("       per run (updates, red, seconds): " + " ".join(
    f"{len(r['updates'])}{'R' if r['red'] else 'G'}:{r['duration_ms'] / 1000:.1f}" for r in doc["run_log"]))
PY
done
