"""A search within a project (`project:X word`): PostgreSQL's index keeps each issue's
project beside its words and reads only X's part of it (issues/search_index.py). Whatever the
backend, the answers are the ones a plain text match gives, alone or combined with the
project in any way; an index made before the project was kept is upgraded in place."""

from __future__ import annotations

import pytest
from django.db import connection

from docket.issues import actions
from docket.issues.models import Issue
from docket.issues.search_index import (
    ISSUE_INDEX,
    add_project_to_index,
    remove_project_from_index,
)
from tests.factories import make_issue, make_project
from tests.search.conftest import count, matching

ONLY_POSTGRES = (
    "SQLite's FTS5 index has no project column; this checks PostgreSQL's vector tables "
    "(CI's PostgreSQL pass runs it)"
)
QUERIES = {
    "project:WEB walrus": {"WEB-1", "WEB-3"},
    "project:OPS walrus": {"OPS-1"},
    "project:WEB,OPS walrus": {"WEB-1", "WEB-3", "OPS-1"},
    "project:WEB title:walrus": {"WEB-1"},
    "project:WEB -walrus": {"WEB-2"},
    "project:WEB NOT (walrus OR narwhal)": {"WEB-2"},
    "walrus OR project:OPS": {"WEB-1", "WEB-3", "OPS-1", "OPS-2"},
    "-project:WEB walrus": {"OPS-1"},
    "(project:WEB walrus) OR (project:OPS disk)": {"WEB-1", "WEB-3", "OPS-2"},
    "walrus": {"WEB-1", "WEB-3", "OPS-1"},
}


@pytest.fixture
def zoo(cast):
    ops = make_project(cast.alice, key="OPS", members={cast.bob: "member"})
    make_issue(cast.alice, cast.web, title="Walrus in the lobby")  # WEB-1
    make_issue(cast.alice, cast.web, title="Quiet day", description="nothing")  # WEB-2
    third = make_issue(cast.alice, cast.web, title="Cleanup", description="narwhal")  # WEB-3
    actions.update_issue(
        actor=cast.alice, issue=third, changes={"description": "a walrus and a narwhal"}
    )
    make_issue(cast.alice, ops, title="Page", description="walrus on call")  # OPS-1
    make_issue(cast.alice, ops, title="Disk full")  # OPS-2
    return cast


@pytest.mark.parametrize("text", QUERIES)
def test_a_search_within_a_project_finds_what_the_words_and_project_say(zoo, text):
    assert matching(zoo.bob, text) == QUERIES[text]
    assert count(zoo.bob, text) == len(QUERIES[text])


def vector_columns() -> dict[str, list[tuple[int, int]]]:
    """PostgreSQL: (issue id, project id) of each row of both vector tables."""
    rows = {}
    with connection.cursor() as cursor:
        for table in (ISSUE_INDEX.table, f"{ISSUE_INDEX.table}_head"):
            cursor.execute(f"SELECT id, project_id FROM {table} ORDER BY id")  # noqa: S608
            rows[table] = cursor.fetchall()
    return rows


@pytest.mark.skipif(connection.vendor != "postgresql", reason=ONLY_POSTGRES)
def test_the_index_keeps_each_issue_s_project(zoo):
    expected = [
        (issue.pk, issue.project_id)
        for issue in sorted(
            Issue.objects.filter(project__key__in=["WEB", "OPS"]), key=lambda i: i.pk
        )
    ]
    assert vector_columns() == {
        ISSUE_INDEX.table: expected,
        f"{ISSUE_INDEX.table}_head": expected,
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason=ONLY_POSTGRES)
def test_an_index_made_before_the_project_was_kept_is_upgraded(zoo):
    before = vector_columns()
    remove_project_from_index(connection)  # the index as migration 0021 left it
    add_project_to_index(connection)  # migration 0022
    add_project_to_index(connection)  # again: nothing changes

    assert vector_columns() == before
    for text, keys in QUERIES.items():
        assert matching(zoo.bob, text) == keys, text
    fresh = make_issue(zoo.alice, zoo.web, title="Another walrus")
    assert matching(zoo.bob, "project:WEB walrus") == {"WEB-1", "WEB-3", fresh.key}
