#!/usr/bin/env bash
# Mutation testing of the shared rules: the code that decides money, dates,
# formats, what may happen to a case, bank statements and the export. Too
# slow for ./tests/run (about 800 mutants, three hours or more on two
# cores), so it is a command of its own:
#
#     tests/mutants.sh            # every mutant of the files below
#     tests/mutants.sh --list     # only list them
#
# A mutant that survives is either a missing test (write it) or a change
# that changes nothing (list it, with the reason, in
# tests/mutants-equivalent.md). The invoice's PDF layout (src/invoice/pdf.rs,
# src/pdf.rs) is left out: its arithmetic moves text by points, which the
# PDF tests check by reading the text back, not by position.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
files=(
  src/data/src/money.rs
  src/data/src/fees.rs
  src/data/src/formats.rs
  src/invoice/mod.rs
  src/validate.rs
  src/data/src/periods.rs
  src/dates.rs
  src/case.rs
  src/bank.rs
  src/export.rs
  src/workspace.rs
)
args=()
for f in "${files[@]}"; do args+=(-f "$f"); done
exec cargo mutants --workspace "${args[@]}" \
  --test-package cbt-data --test-package cbt \
  --output "${MUTANTS_OUT:-target}" "$@"
