#!/usr/bin/env bash
# Records real registry responses into crates/nanoup-ecosystems/tests/fixtures/registry/ for the
# datasource tests and the 127.0.0.1 replay server. Real bytes only: never edit a recorded body.
#
# Usage: scripts/record-registry-fixtures.sh [ecosystem ...]   (default: every ecosystem listed)
#        ONLY="name ..." scripts/record-registry-fixtures.sh [ecosystem ...]
#                                     (only the FIXTURES of those names, e.g. ONLY="spin once_cell";
#                                     every other recorded file and its recorded.tsv line is kept)
#
# For each fixture it writes
#   <ecosystem>/<file>          the response body, byte for byte (no decompression by curl's
#                               --compressed: the registries send identity bodies to plain curl)
#   <ecosystem>/<file without .json>.headers
#                               the response status line and headers (ETag / Last-Modified when
#                               the registry sends them, so a replay server can answer 304)
# and one line per fixture in recorded.tsv (ecosystem, name, URL, file, bytes, sha256, UTC time).
#
# Adding an ecosystem: append `ecosystem name` lines to FIXTURES and a section defining
# url_<eco>, file_<eco> and (optionally) curl_args_<eco>, where <eco> is the ecosystem with
# every character other than [A-Za-z0-9] replaced by `_` (crates.io -> crates_io).
set -euo pipefail

FIXTURES='
crates.io smallvec
crates.io serde
crates.io time
crates.io a
crates.io tokio
crates.io thread_local
crates.io lazy_static
crates.io once_cell
crates.io spin
crates.io cfg-if
npm axios
npm @babel/core
npm ms
npm left-pad
npm express
npm debug
'

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/crates/nanoup-ecosystems/tests/fixtures/registry"

# ---------------------------------------------------------------------------------------------
# crates.io: the sparse index (https://doc.rust-lang.org/cargo/reference/registry-index.html).
CRATES_IO_INDEX="${CRATES_IO_INDEX:-https://index.crates.io/}"

# The index path of a crate: 1/a, 2/ab, 3/a/abc, ab/cd/abcd..., lowercased.
index_path_crates_io() {
  local n
  n="$(printf '%s' "$1" | tr 'A-Z' 'a-z')"
  case ${#n} in
    1) printf '1/%s' "$n" ;;
    2) printf '2/%s' "$n" ;;
    3) printf '3/%s/%s' "${n:0:1}" "$n" ;;
    *) printf '%s/%s/%s' "${n:0:2}" "${n:2:2}" "$n" ;;
  esac
}
url_crates_io() { printf '%s%s' "$CRATES_IO_INDEX" "$(index_path_crates_io "$1")"; }
file_crates_io() { index_path_crates_io "$1"; }
curl_args_crates_io() { :; }

# ---------------------------------------------------------------------------------------------
# npm: the full packument (https://github.com/npm/registry/blob/main/docs/responses/package-metadata.md).
NPM_REGISTRY="${NPM_REGISTRY:-https://registry.npmjs.org/}"

# Scoped names are fetched as @scope%2fname; the file keeps the plain name (@scope/name.json).
url_npm() { printf '%s%s' "$NPM_REGISTRY" "${1/\//%2f}"; }
file_npm() { printf '%s.json' "$1"; }
curl_args_npm() { printf '%s\n' -H 'Accept: application/json'; }

# ---------------------------------------------------------------------------------------------
# PyPI: the JSON API (https://docs.pypi.org/api/json/) as pypi/json/<name>.json and the simple
# API in its PEP 691 JSON form (https://peps.python.org/pep-0691/) as pypi/simple/<name>.json.
# Names are `json/<project>` or `simple/<project>`. One Accept header serves both: the JSON API
# ignores it, the simple API needs it to answer JSON instead of HTML. Small projects only (all
# fixtures stay well under 2 MB; zope.interface's JSON is 2.2 MB, so it is not recorded).
# After re-recording, run `cargo test -p nanoup-ecosystems pypi::registry`: the tests assert
# facts about these bytes (flask 2.2.5's upload time, requests 2.32.0/2.32.1 yanked...).
PYPI_BASE="${PYPI_BASE:-https://pypi.org}"
# `files/<path>` records a file of the file host as pypi/files/<path>: a wheel's core metadata
# (PEP 658/714, `<wheel url>.metadata`), which apply reads when no JSON answer gives a release's
# dependencies, and a wheel itself (read in parts with range requests when the core metadata is missing).
PYPI_FILES="${PYPI_FILES:-https://files.pythonhosted.org}"
FIXTURES+='
pypi json/flask
pypi json/requests
pypi json/six
pypi json/jinja2
pypi json/markupsafe
pypi simple/flask
pypi simple/requests
pypi files/packages/3d/68/9d4508e893976286d2ead7f8f571314af6c2037af34853a30fd769c02e9d/flask-3.1.1-py3-none-any.whl.metadata
pypi files/packages/3d/68/9d4508e893976286d2ead7f8f571314af6c2037af34853a30fd769c02e9d/flask-3.1.1-py3-none-any.whl
pypi files/packages/3d/e0/ab5ea8cd083f7e85bb40ab813dc82f9e39bff87df8ca28b3480d77949827/MarkupSafe-2.0.0-cp38-cp38-manylinux2010_x86_64.whl
'

# `release/<name>/<version>` records the per-version answer (/pypi/<name>/<version>/json) as
# pypi/json/<name>/<version>.json; it is not listed by default: the PyPI this was last run against
# answered 404 there (see pypi/README.md for the derived file that stands in).
url_pypi() {
  local api="${1%%/*}" project="${1#*/}"
  case "$api" in
    json) printf '%s/pypi/%s/json' "$PYPI_BASE" "$project" ;;
    simple) printf '%s/simple/%s/' "$PYPI_BASE" "$project" ;;
    release) printf '%s/pypi/%s/json' "$PYPI_BASE" "$project" ;;
    files) printf '%s/%s' "$PYPI_FILES" "$project" ;;
    *) echo "unknown PyPI fixture kind '$api' (expected json/<name>, simple/<name> or release/<name>/<version>)" >&2; return 1 ;;
  esac
}
file_pypi() {
  case "$1" in
    release/*) printf 'json/%s.json' "${1#release/}" ;;
    files/*) printf '%s' "$1" ;;
    *) printf '%s.json' "$1" ;;
  esac
}
curl_args_pypi() { printf '%s\n' -H 'Accept: application/vnd.pypi.simple.v1+json'; }

# ---------------------------------------------------------------------------------------------
# (Append further ecosystem sections above this line.)

record() {
  local eco="$1" name="$2" key url file dest args
  key="${eco//[^A-Za-z0-9]/_}"
  url="$("url_$key" "$name")"
  file="$("file_$key" "$name")"
  dest="$OUT/$eco/$file"
  mkdir -p "$(dirname "$dest")"
  mapfile -t args < <("curl_args_$key")
  curl --fail --silent --show-error --http2 --max-time 120 \
    -A 'nanoup-fixture-recorder (+scripts/record-registry-fixtures.sh)' \
    "${args[@]}" -D "$dest.headers.tmp" -o "$dest.tmp" "$url"
  mv "$dest.tmp" "$dest"
  mv "$dest.headers.tmp" "${dest%.json}.headers"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$eco" "$name" "$url" "$eco/$file" \
    "$(wc -c <"$dest" | tr -d ' ')" "$(sha256sum "$dest" | cut -d' ' -f1)" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$OUT/recorded.tsv.new"
  echo "recorded $eco $name <- $url ($(wc -c <"$dest" | tr -d ' ') bytes)" >&2
}

mkdir -p "$OUT"
: >"$OUT/recorded.tsv.new"
wanted=("$@")
read -r -a only <<<"${ONLY:-}"
selected=() selected_names=" "
while read -r eco name; do
  [ -z "${eco:-}" ] && continue
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $eco "* ]]; then continue; fi
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  selected+=("$eco $name")
  selected_names+="$name "
done <<<"$FIXTURES"
# Every ONLY name must be a listed fixture: checked before anything is fetched or written.
for name in "${only[@]}"; do
  if [[ "$selected_names" != *" $name "* ]]; then
    echo "ONLY: '$name' is not a fixture listed in FIXTURES (for the ecosystems asked for)" >&2
    rm -f "$OUT/recorded.tsv.new"
    exit 1
  fi
done
for fixture in "${selected[@]}"; do
  record "${fixture%% *}" "${fixture#* }"
done

# Keep the provenance lines of what was not re-recorded this time (whole ecosystems, or with
# ONLY every other fixture), then sort.
touch "$OUT/recorded.tsv"
{
  printf '#ecosystem\tname\turl\tfile\tbytes\tsha256\trecorded_at\n'
  awk -F'\t' -v by_name="${ONLY:+1}" '
    { key = by_name ? $1 FS $2 : $1 }
    NR == FNR { redone[key] = 1; next }
    !/^#/ && !(key in redone)' \
    "$OUT/recorded.tsv.new" "$OUT/recorded.tsv" | cat - "$OUT/recorded.tsv.new" | sort -t$'\t' -k1,1 -k2,2
} >"$OUT/recorded.tsv.sorted"
mv "$OUT/recorded.tsv.sorted" "$OUT/recorded.tsv"
rm -f "$OUT/recorded.tsv.new"
