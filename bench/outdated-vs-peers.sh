#!/usr/bin/env bash
# Live benchmark: `nanoup outdated` for every component of the largest npm lockfile of the corpus
# (json-server, ~1,000 packages), cold cache and warm cache, side by side with npm-check-updates 22
# and Renovate 39 on the same project (both look at direct dependencies only).
# Needs the npm registry. Peers: `npm i npm-check-updates@22 renovate@39` in $PEERS (default
# /tmp/peers). Goals (issue 4): cold < 15 s, warm < 1.5 s, peak RSS < 100 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
set_dir=../shared/corpus/npm/typicode__json-server__78ea713756
peers=${PEERS:-/tmp/peers}
cargo build --release -q -p nanoup-cli
bin=$PWD/target/release/nanoup
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$set_dir"/package.json "$set_dir"/package-lock.json "$work/"
export NANOUP_HOME="$work/.nanoup"

echo "== nanoup outdated, every component ($(grep -c '"node_modules/' "$work/package-lock.json") lockfile entries)"
/usr/bin/time -f "cold: %e s wall, peak RSS %M KiB" "$bin" outdated "$work" --format json -o "$work/cold.json"
/usr/bin/time -f "warm: %e s wall, peak RSS %M KiB" "$bin" outdated "$work" --format json -o "$work/warm.json"
hyperfine -N --warmup 1 --runs 10 "$bin outdated $work --format json -o /dev/null" | grep -E "Time|Range"
python3 - "$work/cold.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["components"]
by = {}
for x in c: by[x["status"]] = by.get(x["status"], 0) + 1
print(f"components {len(c)}: {by}; libyears {sum(s['libyears'] for s in r['stacks']):.1f}")
PY

if [ -x "$peers/node_modules/.bin/ncu" ]; then
  echo "== npm-check-updates 22 (direct deps only)"
  (cd "$work" && /usr/bin/time -f "ncu: %e s wall, peak RSS %M KiB" "$peers/node_modules/.bin/ncu" --jsonUpgraded > "$work/ncu.json")
  python3 -c "import json;print('ncu upgrades:', len(json.load(open('$work/ncu.json'))))"
fi
if [ -x "$peers/node_modules/.bin/renovate" ]; then
  echo "== Renovate 39 (direct deps only, --platform=local --dry-run=lookup)"
  (cd "$work" && git init -q && git add package.json package-lock.json && git -c user.name=b -c user.email=b@b commit -qm init &&
   LOG_LEVEL=info /usr/bin/time -f "renovate: %e s wall, peak RSS %M KiB" \
     "$peers/node_modules/.bin/renovate" --platform=local --dry-run=lookup --onboarding=false > "$work/renovate.log" 2>&1 || true)
  grep -E "depCount|durationMs|renovate:" "$work/renovate.log" | tail -n 3
fi
