"""Import rate from other trackers' exports: the 2,503-bug Hadoop Jira CSV (GitBugs, preset
gitbugs-jira) and the 58 Bugzilla bugs with comments and history (bugbug).

    DOCKET_DATA_DIR=/tmp/importb python bench/import_bench.py [--runs 3]
    DOCKET_DATABASE_URL=postgres://…/db python bench/import_bench.py

On a fresh database (migrated here), each run imports each file into a new project through
the same path as `docket import --format …` (convert, then load), timing each part; the
loader's own clock (`Summary.seconds`) is the figure `docket import` prints. Reported per
file: rows, issues/s for loading alone and with the conversion, comments and history events
written, best of the runs; and a re-run of the same file (everything unchanged).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from docket.accounts.actions import create_user  # noqa: E402
from docket.accounts.models import User  # noqa: E402
from docket.projects.actions import create_project  # noqa: E402
from docket.transfer.importers.formats import convert  # noqa: E402
from docket.transfer.importers.loader import load  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "issues"
FILES = [
    ("hadoop Jira CSV", DATA / "gitbugs" / "hadoop_jira_bugs.csv", "csv", "gitbugs-jira"),
    ("Bugzilla + history", DATA / "mozilla-bugbug" / "bugzilla_bugs_with_comments_history.jsonl",
     "bugzilla", None),
]  # fmt: skip


def _admin() -> User:
    found = User.objects.filter(is_superuser=True, is_active=True).first()
    return found or create_user(actor=None, username="benchadmin", site_admin=True)


def _one(admin: User, path: Path, form: str, preset: str | None, run: int) -> dict[str, float]:
    data = path.read_bytes()
    started = time.perf_counter()
    converted = convert(form, data, preset=preset)
    converted_at = time.perf_counter()
    key = f"B{form[:2].upper()}{run}{int(time.time()) % 10000}"
    project = create_project(actor=admin, key=key, name=key)
    summary = load(actor=admin, project=project, converted=converted, source=f"bench:{key}")
    total = time.perf_counter() - started
    again = load(actor=admin, project=project, converted=converted, source=f"bench:{key}")
    return {
        "rows": summary.created,
        "load_per_s": summary.created / summary.seconds,
        "with_convert_per_s": summary.created / total,
        "convert_s": converted_at - started,
        "comments": summary.comments,
        "events": summary.events,
        "placeholders": summary.placeholders,
        "rerun_unchanged_per_s": again.unchanged / again.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    admin = _admin()
    report = {}
    for name, path, form, preset in FILES:
        runs = [_one(admin, path, form, preset, n) for n in range(args.runs)]
        best = max(runs, key=lambda r: r["load_per_s"])
        report[name] = best
        print(
            f"{name}: {best['rows']:.0f} issues, load {best['load_per_s']:,.0f} issues/s "
            f"(with conversion {best['with_convert_per_s']:,.0f}/s), {best['comments']:.0f} "
            f"comments, {best['events']:.0f} history events, {best['placeholders']:.0f} "
            f"placeholders; re-run (unchanged) {best['rerun_unchanged_per_s']:,.0f}/s "
            f"[best of {args.runs}; each run: "
            + ", ".join(
                f"{r['load_per_s']:,.0f} ({r['placeholders']:.0f} placeholders made)" for r in runs
            )
            + "]"
        )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
