#!/usr/bin/env bash
# End-to-end benchmark: fresh database, generate N issues, time `docket import`, serve,
# measure with bench/run.py, stop. All options go to bench/suite.py (see --help), e.g.
#
#   bench/run_all.sh                                  # N=10,000, SQLite, 2 workers
#   bench/run_all.sh --issues 100000 --workers 2 --profile 15
#   DOCKET_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ bench/run_all.sh   # PostgreSQL
#
# Results: bench/out/<run>/results.json (bench/out/latest points at the last run).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python ]; then
  . .venv/bin/activate
fi
exec python bench/suite.py "$@"
