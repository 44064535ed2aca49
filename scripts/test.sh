#!/usr/bin/env bash
# Set up and run the whole test suite: lint, types, then pytest on SQLite and PostgreSQL
# (the browser tests, the pages' presentation tests, the terminal client, the fuzzer and the
# demo on SQLite only: see below).
#
#   ./scripts/test.sh              # PostgreSQL run too when a server answers (see below)
#   ./scripts/test.sh -k history   # extra arguments go to pytest
#
# PostgreSQL: DOCKET_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
# Set DOCKET_TEST_REQUIRE_POSTGRES=1 to fail, not skip, when it cannot be reached (CI does).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.docket-installed"  # as in start.sh: reinstall only when pyproject.toml changed
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) .[dev]"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ] || [ ! -x .venv/bin/pytest ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  echo "$wanted" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
# Python's bytecode cache on, and Docket's modules compiled once up front. Where the
# environment sets PYTHONDONTWRITEBYTECODE (CI's does), each of the ~250 `docket` processes a
# pass starts compiled Docket's ~370 modules again, and each pytest worker rewrote every test
# module: ~100 s of CPU a pass, and collection took 12 s a worker instead of 4.
unset PYTHONDONTWRITEBYTECODE
python -m compileall -q -j 0 src/docket src/docket_client >/dev/null

echo "== ruff"
ruff check src tests bench
ruff format --check src tests bench
echo "== mypy"
mypy src/docket src/docket_client
echo "== import contracts (pyproject.toml [tool.importlinter])"
lint-imports --no-cache

WORKERS=${DOCKET_TEST_WORKERS:-auto}
# loadgroup: as xdist's default, except that a module marked xdist_group runs on one worker,
# so its module-scoped server (the demo, live streams, S3, fuzzing, …) is built once, not on
# every worker that gets one of its tests.
DIST="--dist=loadgroup"
echo "== pytest on SQLite"
env -u DOCKET_DATABASE_URL pytest -n "$WORKERS" "$DIST" "$@"

PG_URL=${DOCKET_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
if python - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  # The browser tests ran above: they check the pages, whose SQL is the same code every
  # layer below them runs here. Once is enough (they are a third of the suite's time).
  # So are the pages' own tests that check what a page shows and how it behaves, not what it
  # asks the database (CI time: the two passes are near 30 minutes on 2 cores). The pages
  # whose queries differ by database stay: lists, filters, board, projects, live
  # updates (LISTEN/NOTIFY), NUL bytes.
  skip=()
  # The issue page's and inbox's reads are pinned on both databases by tests/unit/test_prepared.py
  # and tests/notifications.
  for page_test in look compression palette auth_pages issue_create project_settings \
      rules_pages teams_pages milestones_pages attachments_page issue_page_sections my_work_rows \
      issue_page inbox; do
    skip+=("--ignore=tests/web/test_$page_test.py")
  done
  # And three whose subject is not the database: the terminal client (it speaks HTTP), the
  # schema fuzzer (input checking; NUL bytes, which PostgreSQL refuses, have tests of their
  # own that run here) and the demo's content. Each builds its own server: ~4 min of a pass.
  skip+=(--ignore=tests/client --ignore=tests/fuzz --ignore=tests/e2e/test_demo.py)
  skip+=(--ignore=tests/unit/test_staticfiles.py)  # collecting static files: no database
  # And five more whose subject is a process, a queue or a file format, not the database
  # (~2 min of the pass): the CLI as provisioning scripts run it, the worker beside `docket
  # serve`, jobs on Redis, attachments on S3, and the shared .eml fixtures' parsing (the mail
  # listener's database paths stay: tests/mailin's other modules).
  skip+=(--ignore=tests/e2e/test_cli.py --ignore=tests/e2e/test_worker.py)
  skip+=(--ignore=tests/worker/test_jobs_redis.py --ignore=tests/scale/test_s3_attachments.py)
  skip+=(--ignore=tests/mailin/test_fixtures.py)
  echo "== pytest on PostgreSQL ($PG_URL), except the tests above (run on SQLite)"
  DOCKET_DATABASE_URL="$PG_URL" pytest -n "$WORKERS" "$DIST" --ignore=tests/browser "${skip[@]}" "$@"
elif [ "${DOCKET_TEST_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required for this run but cannot be reached" >&2
  exit 1
else
  echo "== PostgreSQL run skipped: no server at $PG_URL (set DOCKET_TEST_POSTGRES_URL)"
fi
