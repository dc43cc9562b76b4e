#!/usr/bin/env bash
# Remediation, scalpel vs hammer: `nanoup apply --all --commit` vs each ecosystem's whole update, on
# scratch copies of the real sets of ../shared/corpus:
#   cargo   Cargo.lock             hammer `cargo update` (manifests + lock, no sources: the script
#                                  writes stub sources so that cargo can load every package)
#   npm     package-lock.json      hammer `npm update --package-lock-only --ignore-scripts --no-audit
#                                  --no-fund` with the lock's own format (`--lockfile-version=N`,
#                                  `--omit-lockfile-registry-resolved` as the file records
#                                  `resolved`, as nanoup's npm fallback does); on ERESOLVE it is run
#                                  again with --legacy-peer-deps, and the table says so
#   uv      uv.lock                hammer `uv lock --upgrade`
#   poetry  poetry.lock            hammer `poetry update --lock` (Poetry 2: relock at the newest
#                                  allowed versions, install nothing); Poetry is installed into a
#                                  private venv when it is not on PATH
#   requirements requirements.txt  no hammer ("-"): the corpus holds pip-compile's output only, not
#                                  its requirements.in, and recompiling `==` pins with --upgrade
#                                  keeps every pin
#
# Per set:
#   findings   vulnerabilities of `nanoup audit --format json`, as (name, version, advisory id);
#              cargo-audit's count too when it is installed (on a private copy of the RustSec db)
#   fixed      (name, advisory id) pairs found before and gone after
#   moved      Cargo.lock, uv.lock, poetry.lock, requirements: lock entries moved, per package name
#              max(#versions removed, #versions added), summed (the measure of Nanoup-Blast-Radius);
#              npm: install locations (keys of `packages`, or the nested `dependencies` of a v1
#              lock; the root excluded) whose installed version changed, added or removed — paths,
#              not names. Printed beside it: the symmetric difference of the (name or path,
#              version) multisets, and the entries changed at all (a rewritten entry without a
#              version move counts; for npm, nanoup's own count: any field of an entry, and the
#              lock's top-level fields)
#   ratio      entries moved by nanoup / entries moved by the hammer (lower = narrower)
#   rejected   nanoup commits whose tree the ecosystem's check rejects with a problem the untouched
#              tree does not have (must be 0): cargo `cargo metadata --locked`; npm `npm ls
#              --package-lock-only --all` problems; uv `uv lock --locked`; poetry `poetry check
#              --lock` and every locked dependency satisfying its dependent's non-optional constraint (read
#              with poetry-core); requirements `uv pip compile` of the pins (they must be
#              satisfiable together, Python $REQ_PYTHON). "+hammer": the hammer's lock is rejected too
#   mismatch   nanoup commits whose Nanoup-Blast-Radius trailer differs from the entries moved
#              between the commit and its parent (must be 0); "(K = changed)": K of them equal the
#              entries changed at all, i.e. the trailer also counts entries rewritten in place
#   wall       nanoup: plan (when the binary needs one) + apply; hammer: the update alone
# After the table: nanoup's results per set (applied/refused/skipped) and the top refusal reasons
# (first 100 characters, with the package's name and versions made generic, counted).
#
# Usage: bench/remediation.sh [cargo|npm|pypi|SET...]   (default: every ecosystem's sets)
#        SET = a directory name under ../shared/corpus/{cargo,npm,python}, optionally with the
#        subdirectory holding the lock (fastapi__full-stack-fastapi-template__7e5ca88dc2/backend)
# Env:   NANOUP=/path/to/nanoup (default target/release/nanoup, else target/debug/nanoup; copy a
#        binary out of target/ if someone may rebuild it during the run)
#        KEEP=1 keeps the scratch directories; APPLY_TIMEOUT (default 1800 s) bounds nanoup,
#        HAMMER_TIMEOUT (default 1800 s) the hammer, CHECK_TIMEOUT (default 600 s) each check;
#        APPLY_ARGS adds options to `nanoup apply` (e.g. "--max-blast-radius 40");
#        POETRY=/path/to/poetry; REQ_PYTHON (default: python3's X.Y) for the requirements check.
# Needs: git, python3 >= 3.11 (tomllib), timeout; per ecosystem cargo / npm / uv (also for nanoup's
#        uv.lock updates and the requirements check; ~/.local/bin is searched) / poetry (installed
#        from PyPI when missing); network: the registries only. cargo-audit optional.
# Never builds anything and never writes under ../shared.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$root/../shared" 2>/dev/null && pwd || echo /work/shared)
helper=$root/bench/remediation_helper.py
rustsec=$shared/advisory-db/rustsec
apply_timeout=${APPLY_TIMEOUT:-1800}
hammer_timeout=${HAMMER_TIMEOUT:-1800}
check_timeout=${CHECK_TIMEOUT:-600}

default_cargo=(BurntSushi__ripgrep__7cb211378a Rigellute__spotify-tui__7a5a04c91a getzola__zola__a3a5b9ea06)
default_npm=(typicode__json-server__78ea713756 typicode__husky__9baeb13260
  coreui__coreui-free-react-admin-template__cd23931612)
default_pypi=(CTFd__CTFd__a33a31b1f8 saleor__saleor__98ebf96d65 fastapi__full-stack-fastapi-template__7e5ca88dc2/backend)

if [[ -z "${NANOUP:-}" ]]; then
  if [[ -x $root/target/release/nanoup ]]; then NANOUP=$root/target/release/nanoup
  else NANOUP=$root/target/debug/nanoup; fi
fi
[[ -x $NANOUP ]] || { echo "error: no nanoup binary at $NANOUP (set NANOUP=...)" >&2; exit 2; }
NANOUP=$(cd "$(dirname "$NANOUP")" && pwd)/$(basename "$NANOUP")
for tool in git python3 timeout; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 2; }
done
python3 -c 'import tomllib' 2>/dev/null || { echo "error: python3 >= 3.11 needed (tomllib)" >&2; exit 2; }
[[ -f $helper ]] || { echo "error: no $helper" >&2; exit 2; }
command -v uv >/dev/null || PATH=$HOME/.local/bin:$PATH
export PATH UV_PYTHON_DOWNLOADS=never  # only the registries are reachable
REQ_PYTHON=${REQ_PYTHON:-$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')}

# Sets as ECO:NAME, ECO being the corpus directory (cargo, npm, python).
sets=()
add() { local eco=$1; shift; local s; for s; do sets+=("$eco:$s"); done; }
if (($# == 0)); then set -- cargo npm pypi; fi
for arg; do
  case $arg in
    cargo) add cargo "${default_cargo[@]}" ;;
    npm) add npm "${default_npm[@]}" ;;
    pypi | python) add python "${default_pypi[@]}" ;;
    *)
      arg=${arg%/}
      found=""
      for eco in cargo npm python; do
        if [[ -d $shared/corpus/$eco/$arg ]]; then found=$eco; break; fi
      done
      [[ -n $found ]] || { echo "error: no set $arg under $shared/corpus/{cargo,npm,python}" >&2; exit 2; }
      add "$found" "$arg" ;;
  esac
done
declare -A want=()
for s in "${sets[@]}"; do want[${s%%:*}]=1; done

work=$(mktemp -d -t remediation.XXXXXX)
cleanup() { if [[ "${KEEP:-}" == 1 ]]; then echo "scratch kept in $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
mkdir -p "$work/results"
export NANOUP_HOME=$work/nanoup-home
mkdir -p "$NANOUP_HOME"
gitc() { git -c user.name=b -c user.email=b@b -c commit.gpgsign=false "$@"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }
first_line() { grep -m1 -v -E '^\s*$' "$@" | cut -c1-300 || true; }

echo "== nanoup: $NANOUP ($(timeout 60 "$NANOUP" --version 2>/dev/null || echo '?'), sha256 $(sha256sum "$NANOUP" | cut -c1-12))"
echo "== sets: ${sets[*]}"

# -- tools per ecosystem ----------------------------------------------------------------------------
have_cargo=0 have_cargo_audit=0 have_npm=0 have_uv=0
poetry="" poetry_py="" poetry_why=""
if [[ -n ${want[cargo]:-} ]]; then
  if command -v cargo >/dev/null; then
    have_cargo=1
    if timeout 60 cargo audit --version >/dev/null 2>&1; then
      have_cargo_audit=1
      cp -r "$rustsec" "$work/rustsec-db"  # private copy: cargo-audit must not write under ../shared
    fi
    echo "== $(timeout 60 cargo --version); cargo-audit: $( ((have_cargo_audit)) && timeout 60 cargo audit --version || echo 'not installed (skipped)')"
  else
    echo "== cargo not found: the Cargo sets are skipped"
  fi
fi
if [[ -n ${want[npm]:-} ]]; then
  if command -v npm >/dev/null; then
    have_npm=1
    echo "== npm $(timeout 60 npm --version), node $(timeout 60 node --version 2>/dev/null || echo '?')"
  else
    echo "== npm not found: the npm sets are skipped"
  fi
fi
if [[ -n ${want[python]:-} ]]; then
  if command -v uv >/dev/null; then
    have_uv=1
    echo "== $(timeout 60 uv --version) (uv.lock hammer, nanoup's uv relocks, requirements check on Python $REQ_PYTHON)"
  else
    echo "== uv not found: uv.lock sets get no hammer and requirements no check"
  fi
  # Poetry: its own config, cache and venvs under the scratch directory; venvs without pip (the
  # bundled virtualenv seeder ships no pip for Python 3.8, which old projects ask for).
  export POETRY_CONFIG_DIR=$work/poetry/config POETRY_CACHE_DIR=$work/poetry/cache
  export POETRY_DATA_DIR=$work/poetry/data POETRY_VIRTUALENVS_PATH=$work/poetry/venvs
  export POETRY_NO_INTERACTION=1 POETRY_VIRTUALENVS_OPTIONS_NO_PIP=true
  export PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring
  if [[ -n ${POETRY:-} ]]; then poetry=$POETRY
  elif command -v poetry >/dev/null; then poetry=$(command -v poetry)
  else
    echo "== poetry not on PATH: installing it into $work/poetry-venv"
    if timeout 300 python3 -m venv "$work/poetry-venv" >"$work/poetry-install.log" 2>&1 &&
      timeout 900 "$work/poetry-venv/bin/pip" install -q poetry >>"$work/poetry-install.log" 2>&1; then
      poetry=$work/poetry-venv/bin/poetry
    else
      poetry_why="pip install poetry failed: $(tail -n 2 "$work/poetry-install.log" | tr '\n' ' ' | cut -c1-200)"
    fi
  fi
  if [[ -n $poetry ]]; then
    if pv=$(timeout 120 "$poetry" --version 2>&1); then
      echo "== $pv ($poetry)"
      for py in "$(dirname "$(readlink -f "$poetry")")/python" python3; do
        if "$py" -c 'import poetry.core' 2>/dev/null; then poetry_py=$py; break; fi
      done
      [[ -n $poetry_py ]] || echo "   (no python with poetry-core found: poetry.lock consistency not checked)"
    else
      poetry_why="$poetry --version failed: $(echo "$pv" | tail -n 1 | cut -c1-200)"
      poetry=""
    fi
  fi
  [[ -z $poetry_why ]] || echo "== poetry hammer: unavailable ($poetry_why)"
fi

# -- advisories ---------------------------------------------------------------------------------
declare -A zip_of=([cargo]=crates.io [npm]=npm [python]=PyPI)
for eco in cargo npm python; do
  [[ -n ${want[$eco]:-} ]] || continue
  z=$shared/osv/${zip_of[$eco]}/all.zip
  [[ -f $z ]] || { echo "error: no advisory export at $z" >&2; exit 2; }
  timeout 300 "$NANOUP" db import "$z" | sed 's/^/   /'
done

# audit DIR OUT.tsv: nanoup's vulnerability findings of DIR as name<TAB>version<TAB>id.
audit() {
  local rc=0
  timeout 600 "$NANOUP" audit --format json "$1" >"$2.json" 2>"$2.err" || rc=$?
  if ((rc > 1)); then echo "   nanoup audit failed (exit $rc): $(head -c 400 "$2.err")" >&2; return 1; fi
  python3 "$helper" findings "$2.json" >"$2"
}

# cargo_audit DIR: cargo-audit's vulnerability count, or "-".
cargo_audit() {
  if ((have_cargo_audit)); then
    (cd "$1" && timeout 600 cargo audit --db "$work/rustsec-db" --no-fetch --json --file Cargo.lock >"$work/ca.json" 2>"$work/ca.err") || true
    python3 "$helper" cargo-audit-count "$work/ca.json" 2>/dev/null || echo "error($(head -c 200 "$work/ca.err" | tr '\n' ' '))"
  else
    echo "-"
  fi
}

# metadata_ok DIR LOG: does cargo load DIR with its lock untouched?
metadata_ok() { (cd "$1" && timeout "$check_timeout" cargo metadata --locked --format-version 1 >/dev/null 2>"$2"); }

# scalpel DIR SD: `nanoup apply DIR --all --commit --json` (or plan, then apply --plan, for a binary
# that needs a plan); sets wall_a, rc_a, timed_out, mode, plan_wall; prints what happened.
scalpel() {
  local a=$1 sd=$2 t0 tp0 rc=0
  timed_out=0 mode="apply (plans itself)" plan_wall="-"
  t0=$(now)
  # shellcheck disable=SC2086 # APPLY_ARGS is a list of options
  timeout "$apply_timeout" "$NANOUP" apply "$a" --all --commit --json ${APPLY_ARGS:-} >"$sd/apply.json" 2>"$sd/apply.err" || rc=$?
  if ((rc == 2)) && grep -q -- '--plan' "$sd/apply.err"; then
    mode="plan --min-age 0s, then apply --plan"
    rc=0
    tp0=$(now)
    timeout "$apply_timeout" "$NANOUP" plan "$a" --format json -o "$sd/plan.json" --min-age 0s 2>"$sd/plan.err" || rc=$?
    plan_wall=$(elapsed "$tp0" "$(now)")s
    if ((rc == 124)); then timed_out=1; fi
    if ((rc != 0)); then
      echo "   nanoup plan failed (exit $rc): $(head -c 600 "$sd/plan.err")"
    else
      timeout "$apply_timeout" "$NANOUP" apply "$a" --plan "$sd/plan.json" --all --commit --json >"$sd/apply.json" 2>"$sd/apply.err" || rc=$?
    fi
  fi
  wall_a=$(elapsed "$t0" "$(now)")
  rc_a=$rc
  ((rc == 124)) && timed_out=1
  echo "   nanoup: $mode; exit $rc$( ((timed_out)) && echo " (TIMEOUT after ${apply_timeout}s)"); ${wall_a}s (plan $plan_wall)"
  local from=""
  if [[ ! -s $sd/apply.json ]] && ((rc != 0)); then
    # killed (timeout) before it printed its results: what it did is in the ledger
    if timeout 120 "$NANOUP" log "$a" --limit 0 --json >"$sd/ledger.json" 2>/dev/null &&
      python3 "$helper" ledger-results "$sd/ledger.json" "$sd/apply.json" 2>/dev/null; then
      from=" (from the ledger, the run was cut short)"
    fi
  fi
  if [[ -s $sd/apply.json ]] && python3 "$helper" apply-summary "$sd/apply.json" >"$sd/apply.sum" 2>/dev/null; then
    echo "   nanoup results$from: $(cat "$sd/apply.sum")"
    if grep -q refused "$sd/apply.sum"; then
      echo "   nanoup refusals (generic reason, counted):"
      python3 "$helper" apply-reasons "$sd/apply.json"
    fi
  elif ((rc != 0)); then
    echo "   nanoup apply stderr: $(head -c 600 "$sd/apply.err")"
  fi
  if [[ -n $(git -C "$a" status --porcelain --untracked-files=no) ]]; then
    echo "   note: nanoup left uncommitted changes: $(git -C "$a" status --porcelain --untracked-files=no | tr '\n' ' ')"
  fi
}

# ================================================================================================
# Cargo sets
run_cargo_set() {
  local name=$1 src=$2 short=$3 sd=$4
  ((have_cargo)) || { echo "   skipped: cargo not found"; return 0; }
  [[ -f $src/Cargo.lock && -f $src/Cargo.toml ]] || { echo "   skipped: no Cargo.toml + Cargo.lock in $src"; return 0; }
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
  scalpel "$a" "$sd"
  audit "$a" "$sd/after_a.tsv" || { echo "   skipped: audit after nanoup failed"; return 0; }
  local fixed_a moved_a sym_a chg_a
  fixed_a=$(python3 "$helper" fixed "$sd/before.tsv" "$sd/after_a.tsv")
  read -r moved_a sym_a chg_a < <(python3 "$helper" moved cargo "$sd/Cargo.lock.orig" "$a/Cargo.lock")
  echo "   after nanoup: $(wc -l <"$sd/after_a.tsv") findings (cargo-audit $(cargo_audit "$a")); fixed $fixed_a (name, advisory) pairs; entries moved $moved_a (symmetric difference $sym_a)"

  # every commit nanoup made: does cargo accept its tree, and does its trailer tell the truth?
  local commits=0 rejected=0 mismatch=0 mismatch_changed=0 c parent trailer m s x chk
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
    read -r m s x < <(python3 "$helper" moved cargo "$chk.old" "$chk.new")
    trailer=$(git -C "$a" log -1 --format='%(trailers:key=Nanoup-Blast-Radius,valueonly)' "$c" | head -n1 | tr -d '[:space:]')
    if [[ "$trailer" != "$m" ]]; then
      mismatch=$((mismatch + 1))
      [[ "$trailer" == "$x" ]] && mismatch_changed=$((mismatch_changed + 1))
      echo "   TRAILER MISMATCH at $(git -C "$a" log -1 --format='%h %s' "$c"): trailer '${trailer:-none}', measured $m (changed at all $x)"
    fi
    rm -rf "$chk" "$chk".*
  done < <(git -C "$a" rev-list --reverse "$base..HEAD")
  echo "   nanoup commits: $commits; locks rejected by cargo: $rejected; trailer mismatches: $mismatch"

  # -- hammer
  local rc_b=0 wall_b fixed_b moved_b sym_b chg_b accepted rejected_b=no t0
  t0=$(now)
  (cd "$b" && timeout "$hammer_timeout" cargo update >"$sd/cargo-update.log" 2>&1) || rc_b=$?
  wall_b=$(elapsed "$t0" "$(now)")
  if ((rc_b != 0)); then
    echo "   cargo update FAILED (exit $rc_b), the lock is left as it was:"
    grep -v -E '^ *(Updating|Downloading|Downloaded|Locking) ' "$sd/cargo-update.log" | head -n 8 | sed 's/^/     /'
  fi
  if metadata_ok "$b" "$sd/meta_b.err"; then accepted=yes; else accepted="NO: $(grep -m1 -i error "$sd/meta_b.err")"; rejected_b=yes; fi
  audit "$b" "$sd/after_b.tsv" || { echo "   skipped: audit after cargo update failed"; return 0; }
  fixed_b=$(python3 "$helper" fixed "$sd/before.tsv" "$sd/after_b.tsv")
  read -r moved_b sym_b chg_b < <(python3 "$helper" moved cargo "$sd/Cargo.lock.orig" "$b/Cargo.lock")
  echo "   cargo update: exit $rc_b, ${wall_b}s; after: $(wc -l <"$sd/after_b.tsv") findings (cargo-audit $(cargo_audit "$b")); fixed $fixed_b; entries moved $moved_b (symmetric difference $sym_b); cargo metadata --locked accepts it: $accepted"

  report_gaps "$sd" "cargo update"
  local hammer_state=ok; ((rc_b == 0)) || hammer_state=failed
  python3 "$helper" result "$work/results/${name//\//+}.json" short="$short" eco=cargo before="$before" \
    fixed_a="$fixed_a" fixed_b="$fixed_b" moved_a="$moved_a" moved_b="$moved_b" \
    rejected="$rejected" rejected_b="$rejected_b" mismatch="$mismatch" mismatch_changed="$mismatch_changed" \
    commits="$commits" wall_a="$wall_a" wall_b="$wall_b" timeout="$timed_out" rc_b="$rc_b" hammer_state="$hammer_state"
  [[ ! -s $sd/apply.json ]] || cp "$sd/apply.json" "$work/results/${name//\//+}.apply.json"
}

# show_list FILE: its lines (the first 40 of a longer list), or (none).
show_list() {
  if [[ ! -s $1 ]]; then echo "    (none)"; return; fi
  head -n 40 "$1"
  local n; n=$(wc -l <"$1")
  ((n <= 40)) || echo "    ... and $((n - 40)) more (in $1)"
}

# report_gaps SD HAMMER: what nanoup left and the hammer fixed, and what both left.
report_gaps() {
  local sd=$1
  echo "   remaining after nanoup, fixed by $2 (gaps):"
  python3 "$helper" gaps "$sd/after_a.tsv" "$sd/after_b.tsv" >"$sd/gaps"
  show_list "$sd/gaps"
  echo "   remaining after both:"
  python3 "$helper" gaps "$sd/after_b.tsv" /dev/null | sort -u >"$sd/both"
  show_list "$sd/both"
}

# ================================================================================================
# npm and PyPI sets

# check_tree KIND DIR LOCK OUT: the problems the ecosystem's check finds in DIR, one a line, sorted,
# in OUT. Returns 3 when no check is available for KIND.
check_tree() {
  local kind=$1 dir=$2 lock=$3 out=$4 rc=0
  : >"$out.raw"
  case $kind in
    npm)
      (cd "$dir" && timeout "$check_timeout" npm ls --package-lock-only --all --json >"$out.ls" 2>"$out.err") || rc=$?
      if ((rc == 124)); then echo "npm ls timed out" >"$out.raw"
      else python3 "$helper" npm-problems "$out.ls" "$dir" >"$out.raw"; fi ;;
    uv)
      ((have_uv)) || return 3
      (cd "$dir" && timeout "$check_timeout" uv lock --locked >"$out.log" 2>&1) || rc=$?
      if ((rc)); then echo "uv lock --locked (exit $rc): $(grep -m1 -E '^(error|×)' "$out.log" | cut -c1-250 || true)" >"$out.raw"; fi ;;
    poetry)
      [[ -n $poetry ]] || return 3
      # each error its own problem: one the untouched tree has (a README the corpus does not
      # hold) must not hide a new one
      (cd "$dir" && timeout "$check_timeout" "$poetry" check --lock >"$out.log" 2>&1) || rc=$?
      if ((rc)); then
        grep -i -E '^ *error|not consistent|significantly|run .poetry lock' "$out.log" | cut -c1-250 |
          sed 's/^ */poetry check --lock: /' >"$out.raw" || true
        [[ -s $out.raw ]] || echo "poetry check --lock (exit $rc): $(tail -n1 "$out.log" | cut -c1-250)" >"$out.raw"
      fi
      if [[ -n $poetry_py ]]; then
        timeout "$check_timeout" "$poetry_py" "$helper" poetry-consistency "$dir/$lock" >>"$out.raw" 2>"$out.err" ||
          echo "poetry.lock consistency check failed: $(first_line "$out.err")" >>"$out.raw"
      fi ;;
    requirements)
      ((have_uv)) || return 3
      (cd "$dir" && timeout "$check_timeout" uv pip compile "$lock" --python-version "$REQ_PYTHON" --quiet \
        --no-header --no-annotate -o /dev/null >"$out.log" 2>&1) || rc=$?
      if ((rc)); then
        echo "pins not satisfiable together (uv pip compile, exit $rc): $( (grep -m1 'Because' "$out.log" || grep -m1 -i 'error' "$out.log") | sed 's/^ *cause: //' | cut -c1-250 || true)" >"$out.raw"
      fi ;;
    *) return 3 ;;
  esac
  sort -u "$out.raw" >"$out"
}

# new_problems OUT BASE: the problems of OUT that BASE does not have.
new_problems() { comm -23 "$1" "$2"; }

# lock_kind DIR: prints "KIND FILE" for the lockfile of DIR, or nothing.
lock_kind() {
  local d=$1 f
  if [[ -f $d/Cargo.lock ]]; then echo "cargo Cargo.lock"; return; fi
  for f in npm-shrinkwrap.json package-lock.json; do
    if [[ -f $d/$f ]]; then echo "npm $f"; return; fi
  done
  if [[ -f $d/uv.lock ]]; then echo "uv uv.lock"; return; fi
  if [[ -f $d/poetry.lock ]]; then echo "poetry poetry.lock"; return; fi
  for f in "$d"/requirements*.txt; do
    if [[ -f $f ]]; then echo "requirements $(basename "$f")"; return; fi
  done
}

# run_hammer KIND DIR SD LOCK: the ecosystem's whole update on DIR; sets hammer_state (ok, failed,
# none, unavailable), rc_b, wall_b, hammer_note, hammer_cmd.
run_hammer() {
  local kind=$1 b=$2 sd=$3 lock=$4 t0 opts
  hammer_state=ok rc_b=0 wall_b=0 hammer_note=""
  case $kind in
    npm)
      opts=$(python3 "$helper" npm-format-opts "$b/$lock")
      # shellcheck disable=SC2206 # the options are single words
      local cmd=(npm update --package-lock-only --ignore-scripts --no-audit --no-fund $opts)
      hammer_cmd="${cmd[*]}"
      t0=$(now)
      (cd "$b" && timeout "$hammer_timeout" "${cmd[@]}" >"$sd/hammer.log" 2>&1) || rc_b=$?
      if ((rc_b != 0)) && grep -q ERESOLVE "$sd/hammer.log"; then
        echo "   $hammer_cmd: ERESOLVE ($(grep -m1 -A1 -E 'Could not resolve dependency|Conflicting peer dependency' "$sd/hammer.log" | tail -n1 | sed 's/^npm error *//' | cut -c1-160 || true)); again with --legacy-peer-deps"
        mv "$sd/hammer.log" "$sd/hammer.eresolve.log"
        rc_b=0
        hammer_note="legacy-peer-deps"
        hammer_cmd="$hammer_cmd --legacy-peer-deps"
        (cd "$b" && timeout "$hammer_timeout" "${cmd[@]}" --legacy-peer-deps >"$sd/hammer.log" 2>&1) || rc_b=$?
      fi
      wall_b=$(elapsed "$t0" "$(now)") ;;
    uv)
      hammer_cmd="uv lock --upgrade"
      ((have_uv)) || { hammer_state=unavailable; echo "   uv hammer: unavailable (uv not found)"; return 0; }
      t0=$(now)
      (cd "$b" && timeout "$hammer_timeout" uv lock --upgrade >"$sd/hammer.log" 2>&1) || rc_b=$?
      wall_b=$(elapsed "$t0" "$(now)") ;;
    poetry)
      hammer_cmd="poetry update --lock"
      [[ -n $poetry ]] || { hammer_state=unavailable; echo "   poetry hammer: unavailable ($poetry_why)"; return 0; }
      t0=$(now)
      (cd "$b" && timeout "$hammer_timeout" "$poetry" update --lock >"$sd/hammer.log" 2>&1) || rc_b=$?
      wall_b=$(elapsed "$t0" "$(now)") ;;
    *)
      hammer_state=none hammer_cmd="-"
      echo "   hammer: - ($lock is pip-compile output; the corpus has no requirements.in to recompile, and"
      echo "     \`uv pip compile --upgrade\` of the \`==\` pins themselves keeps every pin)"
      return 0 ;;
  esac
  if ((rc_b != 0)); then
    hammer_state=failed
    echo "   $hammer_cmd FAILED (exit $rc_b$( ((rc_b == 124)) && echo ", timeout after ${hammer_timeout}s")), ${wall_b}s:"
    grep -E '^(npm error|error|Error|  ×|×)|Because|solving failed|No solution|timed out|ETIMEDOUT|ENOTFOUND|ECONN|EAI_AGAIN|HTTP' "$sd/hammer.log" |
      grep -v -i -E 'deprecat|warning|^npm error *$|complete log|full report|_logs/' | head -n 8 | cut -c1-240 | sed 's/^/     /' || true
  fi
}

run_lock_set() {
  local name=$1 src=$2 short=$3 sd=$4 kind=$5 lock=$6 eco_label
  case $kind in
    npm) ((have_npm)) || { echo "   skipped: npm not found"; return 0; }; eco_label=npm ;;
    uv) eco_label=pypi/uv ;;
    poetry) eco_label=pypi/poetry ;;
    requirements) eco_label=pypi/req ;;
  esac
  local a b
  a=$(mktemp -d "$sd/nanoup.XXXX"); b=$(mktemp -d "$sd/hammer.XXXX")
  for d in "$a" "$b"; do
    cp -r "$src/." "$d/"
    chmod -R u+w "$d"
    (cd "$d" && git init -q && git add -A && gitc commit -qm "$short as in the corpus")
  done
  echo "   files: $(cd "$a" && git ls-files | tr '\n' ' ')($kind)"
  cp "$a/$lock" "$sd/lock.orig"
  local base; base=$(git -C "$a" rev-parse HEAD)

  # -- findings before, and the check on the untouched tree
  audit "$a" "$sd/before.tsv" || { echo "   skipped: audit failed"; return 0; }
  local before; before=$(wc -l <"$sd/before.tsv")
  echo "   findings before: nanoup $before (name, version, advisory)"
  local checked=1 crc=0
  check_tree "$kind" "$a" "$lock" "$sd/problems0" || crc=$?
  if ((crc == 3)); then
    checked=0
    echo "   lock check: unavailable for $kind (tool missing); locks rejected is n/a"
  elif [[ -s $sd/problems0 ]]; then
    echo "   the untouched tree already has $(wc -l <"$sd/problems0") problem(s) (only new ones count), e.g. $(head -n1 "$sd/problems0" | cut -c1-200)"
  fi

  # -- scalpel
  scalpel "$a" "$sd"
  audit "$a" "$sd/after_a.tsv" || { echo "   skipped: audit after nanoup failed"; return 0; }
  local fixed_a moved_a sym_a chg_a unit="entries"
  [[ $kind == npm ]] && unit="install locations"
  fixed_a=$(python3 "$helper" fixed "$sd/before.tsv" "$sd/after_a.tsv")
  read -r moved_a sym_a chg_a < <(python3 "$helper" moved "$kind" "$sd/lock.orig" "$a/$lock")
  echo "   after nanoup: $(wc -l <"$sd/after_a.tsv") findings; fixed $fixed_a (name, advisory) pairs; $unit moved $moved_a (symmetric difference $sym_a, changed at all $chg_a)"
  if ! git -C "$a" diff --quiet "$base" HEAD -- . ":!$lock"; then
    echo "   nanoup also changed: $(git -C "$a" diff --name-only "$base" HEAD -- . ":!$lock" | tr '\n' ' ')"
  fi

  # every commit nanoup made: does the ecosystem accept its tree, does its trailer tell the truth?
  local commits=0 rejected=0 mismatch=0 mismatch_changed=0 c parent trailer m s x chk what
  while read -r c; do
    [[ -n $c ]] || continue
    commits=$((commits + 1))
    parent=$(git -C "$a" rev-parse "$c^")
    what=$(git -C "$a" log -1 --format='%h %s' "$c" | sed 's/chore(deps): nano update //')
    chk=$(mktemp -d "$sd/check.XXXX")
    git -C "$a" archive "$c" | tar -x -C "$chk"
    if ((checked)); then
      check_tree "$kind" "$chk" "$lock" "$chk.problems" || true
      new_problems "$chk.problems" "$sd/problems0" >"$chk.new-problems"
      if [[ -s $chk.new-problems ]]; then
        rejected=$((rejected + 1))
        echo "   REJECTED at $what: $(head -n1 "$chk.new-problems" | cut -c1-250)$( (($(wc -l <"$chk.new-problems") > 1)) && echo " (+$(($(wc -l <"$chk.new-problems") - 1)) more)")"
      fi
    fi
    git -C "$a" show "$parent:$lock" >"$chk.old"
    git -C "$a" show "$c:$lock" >"$chk.new"
    read -r m s x < <(python3 "$helper" moved "$kind" "$chk.old" "$chk.new")
    trailer=$(git -C "$a" log -1 --format='%(trailers:key=Nanoup-Blast-Radius,valueonly)' "$c" | head -n1 | tr -d '[:space:]')
    if [[ "$trailer" != "$m" ]]; then
      mismatch=$((mismatch + 1))
      [[ "$trailer" == "$x" ]] && mismatch_changed=$((mismatch_changed + 1))
      echo "   TRAILER MISMATCH at $what: trailer '${trailer:-none}', measured $m moved (changed at all $x)"
    fi
    rm -rf "$chk" "$chk".*
  done < <(git -C "$a" rev-list --reverse "$base..HEAD")
  echo "   nanoup commits: $commits; rejected: $( ((checked)) && echo "$rejected" || echo n/a); trailer mismatches: $mismatch$( ((mismatch_changed)) && echo " ($mismatch_changed equal to the entries changed at all)")"

  # -- hammer
  local fixed_b=0 moved_b=0 sym_b=0 chg_b=0 rejected_b=- accepted="-"
  run_hammer "$kind" "$b" "$sd" "$lock"
  if [[ $hammer_state == ok || $hammer_state == failed ]]; then
    if ((checked)); then
      check_tree "$kind" "$b" "$lock" "$sd/problems_b" || true
      new_problems "$sd/problems_b" "$sd/problems0" >"$sd/new-problems_b"
      if [[ -s $sd/new-problems_b ]]; then
        rejected_b=yes
        accepted="NO ($(wc -l <"$sd/new-problems_b") new): $(head -n1 "$sd/new-problems_b" | cut -c1-200)"
      else rejected_b=no accepted=yes; fi
    fi
    audit "$b" "$sd/after_b.tsv" || { echo "   skipped: audit after the hammer failed"; return 0; }
    fixed_b=$(python3 "$helper" fixed "$sd/before.tsv" "$sd/after_b.tsv")
    read -r moved_b sym_b chg_b < <(python3 "$helper" moved "$kind" "$sd/lock.orig" "$b/$lock")
    echo "   $hammer_cmd: exit $rc_b, ${wall_b}s; after: $(wc -l <"$sd/after_b.tsv") findings; fixed $fixed_b; $unit moved $moved_b (symmetric difference $sym_b, changed at all $chg_b); the check accepts it: $accepted"
    if ! git -C "$b" diff --quiet HEAD -- . ":!$lock"; then
      echo "   the hammer also changed: $(git -C "$b" diff --name-only HEAD -- . ":!$lock" | tr '\n' ' ')"
    fi
    report_gaps "$sd" "the hammer"
  else
    echo "   remaining after nanoup:"
    python3 "$helper" gaps "$sd/after_a.tsv" /dev/null | sort -u >"$sd/left"
    show_list "$sd/left"
  fi

  python3 "$helper" result "$work/results/${name//\//+}.json" short="$short" eco="$eco_label" before="$before" \
    fixed_a="$fixed_a" fixed_b="$fixed_b" moved_a="$moved_a" moved_b="$moved_b" \
    rejected="$rejected" rejected_checked="$checked" rejected_b="$rejected_b" mismatch="$mismatch" \
    mismatch_changed="$mismatch_changed" commits="$commits" wall_a="$wall_a" wall_b="$wall_b" \
    timeout="$timed_out" rc_b="$rc_b" hammer_state="$hammer_state" hammer_note="$hammer_note"
  [[ ! -s $sd/apply.json ]] || cp "$sd/apply.json" "$work/results/${name//\//+}.apply.json"
}

# run_set ECO:NAME
run_set() {
  local eco=${1%%:*} name=${1#*:} key=${1#*:} src short sd kl kind lock
  src=$shared/corpus/$eco/$name
  short=$(echo "${name%%/*}" | awk -F__ '{print (NF > 1 ? $2 : $1)}')
  echo
  echo "=== $short ($eco/$name)"
  kl=$(lock_kind "$src")
  if [[ -z $kl ]]; then  # the lock may be one directory down (a backend/ of the repository)
    local sub
    sub=$(find "$src" -mindepth 2 -maxdepth 2 \( -name Cargo.lock -o -name package-lock.json -o -name uv.lock \
      -o -name poetry.lock -o -name 'requirements*.txt' \) -printf '%h\n' | sort -u)
    if [[ -n $sub && $(wc -l <<<"$sub") == 1 ]]; then
      src=$sub kl=$(lock_kind "$sub")
      name=$name/${sub#"$shared/corpus/$eco/$name/"}
      echo "   (the lock is in $name)"
    fi
  fi
  read -r kind lock <<<"${kl:-none -}"
  sd=$work/$short
  [[ -e $sd ]] && sd=$work/$short.$eco
  mkdir -p "$sd"
  case $kind in
    cargo) run_cargo_set "$key" "$src" "$short" "$sd" ;;
    npm | uv | poetry | requirements) run_lock_set "$key" "$src" "$short" "$sd" "$kind" "$lock" ;;
    *) echo "   skipped: no lockfile this bench handles in $src ($(ls "$src" | tr '\n' ' '); Pipfile.lock, yarn.lock, pnpm-lock.yaml are not benchmarked)" ;;
  esac
}

start=$(now)
for s in "${sets[@]}"; do
  # each set in a subshell with errexit on: an unexpected failure ends that set, not the run
  set +e
  (set -e; run_set "$s")
  rc=$?
  set -e
  ((rc == 0)) || echo "   set $s aborted (exit $rc); going on"
done
echo
echo "== scalpel (nanoup) vs hammer; moved = lock entries moved (npm: install locations); ratio = moved nanoup / moved hammer"
echo "   hammers: cargo update | npm update --package-lock-only (lock format kept) | uv lock --upgrade | poetry update --lock | requirements: none (-)"
echo "   (FAILED: the hammer exited non-zero; n/a: hammer unavailable; legacy-peer-deps: npm update needed it;"
echo "   locks rejected '+hammer': the hammer's lock is rejected too; TOTAL ratio over the sets where the hammer ran)"
python3 "$helper" table "$work/results" "${sets[@]#*:}"
echo
echo "== nanoup results and top refusal reasons per set"
for s in "${sets[@]}"; do
  n=${s#*:}
  f=$work/results/${n//\//+}.apply.json
  [[ -f $f ]] || continue
  echo "   ${n%%/*}: $(python3 "$helper" apply-summary "$f")"
  python3 "$helper" apply-reasons "$f" | grep -v '(none refused)' || true
done
echo "== total wall time $(elapsed "$start" "$(now)")s"
