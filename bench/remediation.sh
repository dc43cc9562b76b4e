#!/usr/bin/env bash
# Remediation, scalpel vs hammer: `nanoup apply --all --commit` vs a whole `cargo update`, on
# scratch copies of the real Cargo sets of ../shared/corpus/cargo (manifests + Cargo.lock, no
# sources: the script writes stub sources so that cargo can load every package).
#
# Per set:
#   findings   vulnerabilities of `nanoup audit --format json`, as (name, version, advisory id);
#              cargo-audit's count too when it is installed (on a private copy of the RustSec db)
#   fixed      (name, advisory id) pairs found before and gone after
#   moved      lock entries moved, per package name max(#versions removed, #versions added),
#              summed (the measure of Nanoup-Blast-Radius); the symmetric difference of the
#              (name, version) multisets is printed beside it
#   ratio      entries moved by nanoup / entries moved by cargo update (lower = narrower)
#   rejected   nanoup commits whose tree `cargo metadata --locked` refuses (must be 0)
#   mismatch   nanoup commits whose Nanoup-Blast-Radius trailer differs from the entries moved
#              between the commit and its parent (must be 0)
#   wall       nanoup: plan (when the binary needs one) + apply; cargo update: the update alone
#
# Usage: bench/remediation.sh [SET...]        (SET = a directory name under ../shared/corpus/cargo)
# Env:   NANOUP=/path/to/nanoup (default target/release/nanoup, else target/debug/nanoup; copy a
#        binary out of target/ if someone may rebuild it during the run)
#        KEEP=1 keeps the scratch directories; APPLY_TIMEOUT (default 1800 s) bounds nanoup;
#        APPLY_ARGS adds options to `nanoup apply` (e.g. "--max-blast-radius 40").
# Needs: cargo, git, python3 >= 3.11 (tomllib), network (crates.io index); cargo-audit optional.
# Never builds anything and never writes under ../shared.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$root/../shared" 2>/dev/null && pwd || echo /work/shared)
corpus=$shared/corpus/cargo
osv_zip=$shared/osv/crates.io/all.zip
rustsec=$shared/advisory-db/rustsec
apply_timeout=${APPLY_TIMEOUT:-1800}

if [[ -z "${NANOUP:-}" ]]; then
  if [[ -x $root/target/release/nanoup ]]; then NANOUP=$root/target/release/nanoup
  else NANOUP=$root/target/debug/nanoup; fi
fi
[[ -x $NANOUP ]] || { echo "error: no nanoup binary at $NANOUP (set NANOUP=...)" >&2; exit 2; }
NANOUP=$(cd "$(dirname "$NANOUP")" && pwd)/$(basename "$NANOUP")
for tool in cargo git python3 timeout; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 2; }
done
python3 -c 'import tomllib' 2>/dev/null || { echo "error: python3 >= 3.11 needed (tomllib)" >&2; exit 2; }
[[ -f $osv_zip ]] || { echo "error: no advisory export at $osv_zip" >&2; exit 2; }

if (($#)); then sets=("$@"); else
  sets=(BurntSushi__ripgrep__7cb211378a Rigellute__spotify-tui__7a5a04c91a getzola__zola__a3a5b9ea06)
fi

work=$(mktemp -d -t remediation.XXXXXX)
cleanup() { if [[ "${KEEP:-}" == 1 ]]; then echo "scratch kept in $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
mkdir -p "$work/results"
export NANOUP_HOME=$work/nanoup-home
mkdir -p "$NANOUP_HOME"
gitc() { git -c user.name=b -c user.email=b@b -c commit.gpgsign=false "$@"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

helper=$work/helper.py
cat >"$helper" <<'PY'
import json, os, sys, tomllib
from collections import Counter


def stubs(root):
    """Write the sources every [package] of ROOT needs for cargo to load it; print what was made."""
    made = []

    def touch(path, text):
        p = os.path.normpath(path)
        if os.path.exists(p):
            return
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        made.append(os.path.relpath(p, root))

    main = "fn main() {}\n"
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "target"))
        if "Cargo.toml" not in files:
            continue
        with open(os.path.join(dirpath, "Cargo.toml"), "rb") as f:
            m = tomllib.load(f)
        pkg = m.get("package")
        if not isinstance(pkg, dict):
            continue  # virtual workspace manifest
        j = lambda p: os.path.join(dirpath, p)
        lib = m.get("lib")
        touch(j(lib["path"]) if isinstance(lib, dict) and "path" in lib else j("src/lib.rs"), "")
        # src/lib.rs (or [lib] path) always: every package then has a target, and an extra lib
        # changes nothing cargo resolves. Bins: their path, else the inferred one.
        for b in m.get("bin", []):
            if "path" in b:
                touch(j(b["path"]), main)
            elif b.get("name") == pkg.get("name"):
                touch(j("src/main.rs"), main)
            elif "name" in b:
                touch(j(f"src/bin/{b['name']}.rs"), main)
        for kind in ("test", "bench", "example"):
            for t in m.get(kind, []):
                if "path" in t:
                    touch(j(t["path"]), main)
        build = pkg.get("build")
        if isinstance(build, str):
            touch(j(build), main)
        elif build is True:
            touch(j("build.rs"), main)
    print(" ".join(made) if made else "(none)")


def lock_entries(path):
    with open(path, "rb") as f:
        return [(p["name"], p["version"]) for p in tomllib.load(f).get("package", [])]


def moved(old, new):
    """Entries moved (per name max(removed, added), summed) and the symmetric difference."""
    a, b = Counter(lock_entries(old)), Counter(lock_entries(new))
    gone, added = a - b, b - a
    per = {}
    for (n, _), c in gone.items():
        per.setdefault(n, [0, 0])[0] += c
    for (n, _), c in added.items():
        per.setdefault(n, [0, 0])[1] += c
    return sum(max(g, ad) for g, ad in per.values()), sum(gone.values()) + sum(added.values())


def findings(path):
    """(name, version, id) of every `vulnerability` finding of a nanoup.audit/v1 document."""
    with open(path) as f:
        d = json.load(f)
    if d.get("schema") != "nanoup.audit/v1":
        raise SystemExit(f"{path}: not nanoup.audit/v1 JSON")
    if d.get("errors"):
        print(f"warning: audit reported errors: {d['errors']}", file=sys.stderr)
    return sorted({(x["name"], x["version"], x["id"]) for x in d.get("findings", [])
                   if x.get("kind", "vulnerability") == "vulnerability"})


def read_tsv(path):
    with open(path) as f:
        return [tuple(l.rstrip("\n").split("\t")) for l in f if l.strip()]


def pairs(path):
    return {(n, i) for n, _, i in read_tsv(path)}


def cargo_audit_count(path):
    with open(path) as f:
        d = json.load(f)
    lst = (d.get("vulnerabilities") or {}).get("list") or []
    return len({(v["package"]["name"], v["package"]["version"], v["advisory"]["id"]) for v in lst})


def apply_summary(path):
    with open(path) as f:
        d = json.load(f)
    c = Counter(r.get("status", "?") for r in d.get("results", []))
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "no results"


def table(results_dir, sets):
    cols = ["set", "advisories before", "fixed nanoup", "fixed cargo update",
            "moved nanoup", "moved cargo update", "ratio", "locks rejected",
            "trailer mismatches", "commits", "wall nanoup", "wall cargo update"]
    rows, tot = [], Counter()
    walls = [0.0, 0.0]
    for s in sets:
        p = os.path.join(results_dir, s + ".json")
        if not os.path.exists(p):
            rows.append([s.split("__")[1] if "__" in s else s, "skipped"] + [""] * (len(cols) - 2))
            continue
        with open(p) as f:
            r = json.load(f)
        ok_b = r["rc_b"] == 0
        ratio = f"{r['moved_a'] / r['moved_b']:.3f}" if ok_b and r["moved_b"] else "-"
        failed = "" if ok_b else " (FAILED)"
        rows.append([r["short"], r["before"], r["fixed_a"], f"{r['fixed_b']}{failed}", r["moved_a"],
                     f"{r['moved_b']}{failed}", ratio, r["rejected"], r["mismatch"], r["commits"],
                     f"{r['wall_a']:.1f}s" + (" TIMEOUT" if r.get("timeout") else ""),
                     f"{r['wall_b']:.1f}s{failed}"])
        for k in ("before", "fixed_a", "fixed_b", "moved_a", "moved_b", "rejected", "mismatch", "commits"):
            tot[k] += r[k]
        if ok_b:  # the ratio compares sets where both tools ran
            tot["ratio_a"] += r["moved_a"]
            tot["ratio_b"] += r["moved_b"]
        walls[0] += r["wall_a"]
        walls[1] += r["wall_b"]
    ratio = f"{tot['ratio_a'] / tot['ratio_b']:.3f}" if tot["ratio_b"] else "-"
    rows.append(["TOTAL", tot["before"], tot["fixed_a"], tot["fixed_b"], tot["moved_a"], tot["moved_b"],
                 ratio, tot["rejected"], tot["mismatch"], tot["commits"], f"{walls[0]:.1f}s", f"{walls[1]:.1f}s"])
    rows = [[str(c) for c in r] for r in rows]
    w = [max(len(cols[i]), *(len(r[i]) for r in rows)) for i in range(len(cols))]
    line = lambda r: " | ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r))
    print(line(cols))
    print("-+-".join("-" * x for x in w))
    for r in rows[:-1]:
        print(line(r))
    print("-+-".join("-" * x for x in w))
    print(line(rows[-1]))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "stubs":
        stubs(args[0])
    elif cmd == "moved":
        print(*moved(args[0], args[1]))
    elif cmd == "findings":
        for t in findings(args[0]):
            print("\t".join(t))
    elif cmd == "fixed":  # pairs of BEFORE gone in AFTER
        print(len(pairs(args[0]) - pairs(args[1])))
    elif cmd == "gaps":  # findings of AFTER_A whose (name, id) AFTER_B no longer has
        b = pairs(args[1])
        for n, v, i in read_tsv(args[0]):
            if (n, i) not in b:
                print(f"    {n} {v} {i}")
    elif cmd == "cargo-audit-count":
        print(cargo_audit_count(args[0]))
    elif cmd == "apply-summary":
        print(apply_summary(args[0]))
    elif cmd == "result":  # result OUT key=value...
        r = {}
        for kv in args[1:]:
            k, v = kv.split("=", 1)
            for conv in (int, float):
                try:
                    v = conv(v)
                    break
                except ValueError:
                    pass
            r[k] = v
        with open(args[0], "w") as f:
            json.dump(r, f)
    elif cmd == "table":
        table(args[0], args[1:])
PY

have_cargo_audit=0
if cargo audit --version >/dev/null 2>&1; then
  have_cargo_audit=1
  cp -r "$rustsec" "$work/rustsec-db"  # private copy: cargo-audit must not write under ../shared
fi

echo "== nanoup: $NANOUP ($("$NANOUP" --version 2>/dev/null || echo '?'), sha256 $(sha256sum "$NANOUP" | cut -c1-12))"
echo "== $(cargo --version); cargo-audit: $( ((have_cargo_audit)) && cargo audit --version || echo 'not installed (skipped)')"
"$NANOUP" db import "$osv_zip" | sed 's/^/   /'

# audit DIR OUT.tsv: nanoup's vulnerability findings of DIR as name<TAB>version<TAB>id.
audit() {
  local rc=0
  "$NANOUP" audit --format json "$1" >"$2.json" 2>"$2.err" || rc=$?
  if ((rc > 1)); then echo "   nanoup audit failed (exit $rc): $(head -c 400 "$2.err")" >&2; return 1; fi
  python3 "$helper" findings "$2.json" >"$2"
}

# cargo_audit DIR: cargo-audit's vulnerability count, or "-".
cargo_audit() {
  if ((have_cargo_audit)); then
    (cd "$1" && cargo audit --db "$work/rustsec-db" --no-fetch --json --file Cargo.lock >"$work/ca.json" 2>"$work/ca.err") || true
    python3 "$helper" cargo-audit-count "$work/ca.json" 2>/dev/null || echo "error($(head -c 200 "$work/ca.err" | tr '\n' ' '))"
  else
    echo "-"
  fi
}

# metadata_ok DIR LOG: does cargo load DIR with its lock untouched?
metadata_ok() { (cd "$1" && cargo metadata --locked --format-version 1 >/dev/null 2>"$2"); }

run_set() {
  local name=$1 src=$corpus/$1 short
  short=$(echo "$name" | awk -F__ '{print (NF > 1 ? $2 : $1)}')
  echo
  echo "=== $short ($name)"
  [[ -f $src/Cargo.lock && -f $src/Cargo.toml ]] || { echo "   skipped: no Cargo.toml + Cargo.lock in $src"; return 0; }
  local sd=$work/$short; mkdir -p "$sd"
  local a b
  a=$(mktemp -d "$sd/nanoup.XXXX"); b=$(mktemp -d "$sd/cargo-update.XXXX")
  for d in "$a" "$b"; do
    cp -r "$src/." "$d/"
    chmod -R u+w "$d"
    python3 "$helper" stubs "$d" >"$d.stubs"
  done
  echo "   stubs: $(cat "$a.stubs")"
  if ! metadata_ok "$a" "$sd/meta0.err"; then
    echo "   skipped: cargo metadata --locked fails on the untouched copy:"
    sed 's/^/     /' "$sd/meta0.err" | tail -n 15
    return 0
  fi
  for d in "$a" "$b"; do
    (cd "$d" && git init -q && git add -A && gitc commit -qm "$short as in the corpus, with stub sources")
  done
  cp "$a/Cargo.lock" "$sd/Cargo.lock.orig"
  local base; base=$(git -C "$a" rev-parse HEAD)

  # -- findings before
  audit "$a" "$sd/before.tsv" || { echo "   skipped: audit failed"; return 0; }
  local before; before=$(wc -l <"$sd/before.tsv")
  echo "   findings before: nanoup $before (name, version, advisory), cargo-audit $(cargo_audit "$a")"

  # -- scalpel
  local t0 t1 rc=0 timed_out=0 mode="apply (plans itself)" plan_wall="-"
  t0=$(now)
  # shellcheck disable=SC2086 # APPLY_ARGS is a list of options
  timeout "$apply_timeout" "$NANOUP" apply "$a" --all --commit --json ${APPLY_ARGS:-} >"$sd/apply.json" 2>"$sd/apply.err" || rc=$?
  if ((rc == 2)) && grep -q -- '--plan' "$sd/apply.err"; then
    mode="plan --min-age 0s, then apply --plan"
    rc=0
    local tp0; tp0=$(now)
    timeout "$apply_timeout" "$NANOUP" plan "$a" --format json -o "$sd/plan.json" --min-age 0s 2>"$sd/plan.err" || rc=$?
    plan_wall=$(elapsed "$tp0" "$(now)")s
    if ((rc == 124)); then timed_out=1; fi
    if ((rc != 0)); then
      echo "   nanoup plan failed (exit $rc): $(head -c 600 "$sd/plan.err")"
    else
      timeout "$apply_timeout" "$NANOUP" apply "$a" --plan "$sd/plan.json" --all --commit --json >"$sd/apply.json" 2>"$sd/apply.err" || rc=$?
    fi
  fi
  t1=$(now)
  local wall_a; wall_a=$(elapsed "$t0" "$t1")
  ((rc == 124)) && timed_out=1
  echo "   nanoup: $mode; exit $rc$( ((timed_out)) && echo " (TIMEOUT after ${apply_timeout}s)"); ${wall_a}s (plan $plan_wall)"
  if [[ -s $sd/apply.json ]] && python3 "$helper" apply-summary "$sd/apply.json" >"$sd/apply.sum" 2>/dev/null; then
    echo "   nanoup results: $(cat "$sd/apply.sum")"
  elif ((rc != 0)); then
    echo "   nanoup apply stderr: $(head -c 600 "$sd/apply.err")"
  fi
  if [[ -n $(git -C "$a" status --porcelain --untracked-files=no) ]]; then
    echo "   note: nanoup left uncommitted changes: $(git -C "$a" status --porcelain --untracked-files=no | tr '\n' ' ')"
  fi

  audit "$a" "$sd/after_a.tsv" || { echo "   skipped: audit after nanoup failed"; return 0; }
  local fixed_a moved_a sym_a
  fixed_a=$(python3 "$helper" fixed "$sd/before.tsv" "$sd/after_a.tsv")
  read -r moved_a sym_a < <(python3 "$helper" moved "$sd/Cargo.lock.orig" "$a/Cargo.lock")
  echo "   after nanoup: $(wc -l <"$sd/after_a.tsv") findings (cargo-audit $(cargo_audit "$a")); fixed $fixed_a (name, advisory) pairs; entries moved $moved_a (symmetric difference $sym_a)"

  # every commit nanoup made: does cargo accept its tree, and does its trailer tell the truth?
  local commits=0 rejected=0 mismatch=0 c parent trailer m s chk
  while read -r c; do
    [[ -n $c ]] || continue
    commits=$((commits + 1))
    parent=$(git -C "$a" rev-parse "$c^")
    chk=$(mktemp -d "$sd/check.XXXX")
    git -C "$a" archive "$c" | tar -x -C "$chk"
    if ! metadata_ok "$chk" "$chk.err"; then
      rejected=$((rejected + 1))
      echo "   REJECTED lock at $(git -C "$a" log -1 --format='%h %s' "$c"): $(grep -m1 -i error "$chk.err" || head -n1 "$chk.err")"
    fi
    git -C "$a" show "$parent:Cargo.lock" >"$chk.old"
    git -C "$a" show "$c:Cargo.lock" >"$chk.new"
    read -r m s < <(python3 "$helper" moved "$chk.old" "$chk.new")
    trailer=$(git -C "$a" log -1 --format='%(trailers:key=Nanoup-Blast-Radius,valueonly)' "$c" | head -n1 | tr -d '[:space:]')
    if [[ "$trailer" != "$m" ]]; then
      mismatch=$((mismatch + 1))
      echo "   TRAILER MISMATCH at $(git -C "$a" log -1 --format='%h %s' "$c"): trailer '${trailer:-none}', measured $m"
    fi
    rm -rf "$chk" "$chk".*
  done < <(git -C "$a" rev-list --reverse "$base..HEAD")
  echo "   nanoup commits: $commits; locks rejected by cargo: $rejected; trailer mismatches: $mismatch"

  # -- hammer
  local rc_b=0 wall_b fixed_b moved_b sym_b accepted
  t0=$(now)
  (cd "$b" && cargo update >"$sd/cargo-update.log" 2>&1) || rc_b=$?
  wall_b=$(elapsed "$t0" "$(now)")
  if ((rc_b != 0)); then
    echo "   cargo update FAILED (exit $rc_b), the lock is left as it was:"
    grep -v -E '^ *(Updating|Downloading|Downloaded|Locking) ' "$sd/cargo-update.log" | head -n 8 | sed 's/^/     /'
  fi
  if metadata_ok "$b" "$sd/meta_b.err"; then accepted=yes; else accepted="NO: $(grep -m1 -i error "$sd/meta_b.err")"; fi
  audit "$b" "$sd/after_b.tsv" || { echo "   skipped: audit after cargo update failed"; return 0; }
  fixed_b=$(python3 "$helper" fixed "$sd/before.tsv" "$sd/after_b.tsv")
  read -r moved_b sym_b < <(python3 "$helper" moved "$sd/Cargo.lock.orig" "$b/Cargo.lock")
  echo "   cargo update: exit $rc_b, ${wall_b}s; after: $(wc -l <"$sd/after_b.tsv") findings (cargo-audit $(cargo_audit "$b")); fixed $fixed_b; entries moved $moved_b (symmetric difference $sym_b); cargo metadata --locked accepts it: $accepted"

  echo "   remaining after nanoup, fixed by cargo update (gaps):"
  python3 "$helper" gaps "$sd/after_a.tsv" "$sd/after_b.tsv" >"$sd/gaps"
  if [[ -s $sd/gaps ]]; then cat "$sd/gaps"; else echo "    (none)"; fi
  echo "   remaining after both:"
  python3 "$helper" gaps "$sd/after_b.tsv" /dev/null | sort -u >"$sd/both"
  if [[ -s $sd/both ]]; then cat "$sd/both"; else echo "    (none)"; fi

  python3 "$helper" result "$work/results/$name.json" short="$short" before="$before" \
    fixed_a="$fixed_a" fixed_b="$fixed_b" moved_a="$moved_a" moved_b="$moved_b" \
    rejected="$rejected" mismatch="$mismatch" commits="$commits" wall_a="$wall_a" wall_b="$wall_b" \
    timeout="$timed_out" rc_b="$rc_b"
}

start=$(now)
for s in "${sets[@]}"; do run_set "$s"; done
echo
echo "== scalpel (nanoup) vs hammer (cargo update); moved = lock entries moved; ratio = moved nanoup / moved cargo update"
echo "   (FAILED: cargo update exited non-zero and changed nothing; TOTAL ratio over the sets where it ran)"
python3 "$helper" table "$work/results" "${sets[@]}"
echo "== total wall time $(elapsed "$start" "$(now)")s"
