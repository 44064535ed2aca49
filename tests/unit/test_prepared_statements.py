"""PostgreSQL plans a hot statement once (config/settings.py `_postgres_statements`): a
statement run a fifth time on a connection is prepared, and its one generic plan is reused.
Planning was most of a hot read's time (docs/benchmark.md, "Prepared statements on
PostgreSQL")."""

import pytest
from django.db import connection

from docket.issues.models import Issue
from tests.factories import make_issue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan cache"),
]


def _prepared(fragment: str) -> list[tuple[str, list[str]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchall()


def test_a_repeated_read_is_prepared_and_planned_once(cast):
    issues = [make_issue(cast.alice, cast.web, title=f"Gate {n}") for n in range(8)]
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
    for issue in issues:  # one statement, eight different numbers
        found = Issue.objects.filter(project=cast.web, number=issue.number).values("title")
        assert list(found) == [{"title": issue.title}]
    prepared = _prepared('"issues_issue"."number" = $')
    assert len(prepared) == 1  # bound on the server: one statement for every number
    assert prepared[0][1] >= 3  # run on its generic plan since it was prepared
