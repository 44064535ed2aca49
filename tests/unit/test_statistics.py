"""core/statistics.py: an index a migration adds gets SQLite planner statistics."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from docket.core.statistics import analyze_new_indexes
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps statistics per column; new indexes need nothing there")


def _stat(index: str) -> list[tuple[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = %s", [index])
        return cursor.fetchall()


def test_a_database_never_analyzed_is_left_alone(sqlite_only, cast):
    make_issue(cast.bob, cast.web)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    assert analyze_new_indexes() == []


def test_an_index_added_after_analyze_gets_statistics_on_migrate(sqlite_only, cast):
    for n in range(3):
        make_issue(cast.bob, cast.web, title=f"Issue {n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("CREATE INDEX issue_test_title ON issues_issue (title)")
    assert _stat("issue_test_title") == []

    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate still runs

    assert _stat("issue_test_title") == [("3 1",)]
    assert analyze_new_indexes() == []  # nothing left without statistics on that table
