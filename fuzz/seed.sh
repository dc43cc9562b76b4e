#!/usr/bin/env bash
# Seeds each fuzz target's corpus with the real files of ../../shared that it parses.
set -euo pipefail
cd "$(dirname "$0")"
shared=../../shared
seed() { # target, find -name pattern...
  local target=$1; shift
  mkdir -p "corpus/$target"
  find "$shared/corpus" "$@" -type f -exec cp --backup=numbered {} "corpus/$target/" \;
}
seed cargo_lock -name Cargo.lock
seed cargo_toml -name Cargo.toml
seed dockerfile -name 'Dockerfile*'
seed go_mod -name go.mod
seed go_sum -name go.sum
seed maven_pom -name pom.xml
seed npm_package_json -name package.json
seed npm_package_lock -name package-lock.json
seed npm_pnpm_lock -name pnpm-lock.yaml
seed npm_yarn_lock -name yarn.lock
seed pypi_pipfile -name Pipfile
seed pypi_pipfile_lock -name Pipfile.lock
seed pypi_poetry_lock -name poetry.lock
seed pypi_pyproject -name pyproject.toml
seed pypi_requirements -name 'requirements*.txt'
seed pypi_uv_lock -name uv.lock
mkdir -p corpus/osv_json corpus/rustsec_markdown
cp "$shared"/osv/fixtures/*.json corpus/osv_json/
find "$shared/advisory-db/rustsec/crates" -name '*.md' -path '*/s*' -exec cp {} corpus/rustsec_markdown/ \;
