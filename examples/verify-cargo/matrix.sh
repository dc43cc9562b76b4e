#!/usr/bin/env bash
# Re-checks the claim in README.md on a scratch copy (this folder is never changed):
# each dependency moved alone to its drift step (and to its newest compatible
# release), then all but the culprit together, then all sixteen together.
# Prints one line per case: PASS or FAIL, the update(s), and the failing tests.
#
#   bash matrix.sh            # uses CARGO_TARGET_DIR, default /tmp/verify-example-target
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp -r "$here/Cargo.toml" "$here/Cargo.lock" "$here/src" "$here/tests" "$scratch/"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/verify-example-target}"
export CARGO_TERM_COLOR=never
cd "$scratch"

# name  locked  drift-step  newest-compatible
deps="
adler 1.0.0 1.0.2 1.0.2
arrayvec 0.7.0 0.7.8 0.7.8
base64 0.21.0 0.21.7 0.21.7
bitflags 2.0.0 2.0.2 2.13.2
byteorder 1.4.0 1.4.3 1.5.0
either 1.8.0 1.8.1 1.19.0
fnv 1.0.6 1.0.7 1.0.7
heck 0.4.0 0.4.1 0.4.1
hex 0.4.2 0.4.3 0.4.3
itoa 1.0.1 1.0.19 1.0.19
ryu 1.0.9 1.0.23 1.0.23
scopeguard 1.1.0 1.2.0 1.2.0
smallvec 1.11.0 1.11.2 1.16.6
strsim 0.11.0 0.11.1 0.11.1
unicode-segmentation 1.10.0 1.10.1 1.13.3
unicode-width 0.1.11 0.1.14 0.1.14
"
culprit=unicode-width

run() { # label, then name@version pairs to apply on top of the pinned lockfile
  local label="$1"
  shift
  cp "$here/Cargo.lock" Cargo.lock
  for nv in "$@"; do
    cargo update -q -p "${nv%@*}" --precise "${nv#*@}" || { echo "ERROR $label: cannot update $nv"; return; }
  done
  local out
  if out="$(cargo test -q 2>&1)"; then
    echo "PASS $label"
  else
    echo "FAIL $label: $(grep -E '^    [a-z_:]+$' <<<"$out" | tr -d ' ' | sort -u | tr '\n' ' ')"
  fi
}

run "pinned lockfile"
all16=() all15=()
while read -r name locked step newest; do
  [ -z "$name" ] && continue
  run "$name $locked -> $step (drift step)" "$name@$step"
  [ "$newest" != "$step" ] && run "$name $locked -> $newest (newest compatible)" "$name@$newest"
  all16+=("$name@$step")
  [ "$name" != "$culprit" ] && all15+=("$name@$step")
done <<<"$deps"
run "unicode-width 0.1.11 -> 0.1.12" "unicode-width@0.1.12"
run "unicode-width 0.1.11 -> 0.1.13" "unicode-width@0.1.13"
run "all 15 drift steps but $culprit" "${all15[@]}"
run "all 16 drift steps" "${all16[@]}"
