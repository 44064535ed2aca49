#!/usr/bin/env bash
# Set up and start Docket on SQLite: http://127.0.0.1:8000
#
#   ./scripts/start.sh            # first run prints the admin password once
#   ./scripts/start.sh --demo     # also loads the demo: ten weeks of a small team's issues
#   ./scripts/start.sh --port 9000 --host 0.0.0.0 --workers 2   # other options go to `docket serve`
#
# Data lives in ./docket-data unless DOCKET_DATA_DIR says otherwise (docs/configuration.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "Setting up a virtual environment in .venv (first run only)…"
  "$PYTHON" -m venv .venv
fi
# Install (editable) only when pyproject.toml changed since the last install: code changes
# need none, and pip spends ~18 s finding that out.
stamp=".venv/.docket-installed"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) ."
installed="$(cut -d' ' -f1 "$stamp" 2>/dev/null || true)"  # test.sh's ".[dev]" will do too
if [ "$installed" != "${wanted%% *}" ] || [ ! -x .venv/bin/docket ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
  echo "$wanted" > "$stamp"
fi

args=()
for arg in "$@"; do
  if [ "$arg" = "--demo" ]; then
    .venv/bin/docket demo   # says it is skipping when the demo is already loaded
  else
    args+=("$arg")
  fi
done
exec .venv/bin/docket serve "${args[@]}"
