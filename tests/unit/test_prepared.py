"""core/prepared.py: a query compiled once answers as the ORM would, for any arguments."""

from __future__ import annotations

import pytest

from docket.core.prepared import Prepared
from docket.issues import actions
from docket.issues.models import IssueEvent
from docket.issues.timeline import timeline_page
from tests.factories import make_issue

pytestmark = pytest.mark.django_db

FIELDS = ("id", "kind", "actor__username", "old", "new", "created_at", "comment__deleted_at")


def _events(issue_id, before, limit):
    return (
        IssueEvent.objects.filter(issue_id=issue_id, id__lt=before)
        .order_by("-id")
        .values(*FIELDS)[:limit]
    )


def test_rows_equal_the_orms_for_every_argument_and_shape(cast):
    first = make_issue(cast.bob, cast.web, title="One")
    second = make_issue(cast.bob, cast.web, title="Two")
    actions.update_issue(actor=cast.bob, issue=first, changes={"labels": ["ui", "perf"]})
    actions.update_issue(actor=cast.bob, issue=second, changes={"priority": "high"})
    prepared = Prepared(_events, arguments=2)
    for issue in (first, second):
        for before in (2**62, IssueEvent.objects.filter(issue=issue).latest("id").id):
            for limit in (1, 5):
                expected = list(_events(issue.id, before, limit))
                assert prepared.rows(issue.id, before, shape=(limit,)) == expected
    changed = prepared.rows(first.id, 2**62, shape=(1,))[0]
    assert sorted(changed["new"]) == ["perf", "ui"]  # JSON decoded
    assert changed["created_at"].tzinfo is not None  # aware, as the ORM gives it


def test_a_query_whose_shape_depends_on_an_argument_is_refused(cast):
    def build(issue_id, before):  # the shape changes with the value: cannot be prepared
        if before % 7:
            return _events(issue_id, before, 5)
        return IssueEvent.objects.filter(issue_id=issue_id).values(*FIELDS)

    def unused(issue_id, before):
        return _events(issue_id, 2**62, 5)

    with pytest.raises(ValueError, match="depends on its arguments"):
        Prepared(build, arguments=2).rows(1, 5)
    with pytest.raises(ValueError, match="not a plain SQL parameter"):
        Prepared(unused, arguments=2).rows(1, 5)


def test_the_wrong_number_of_arguments_is_refused():
    with pytest.raises(TypeError):
        Prepared(_events, arguments=2).rows(1, shape=(5,))


def test_the_timeline_pages_through_everything_once(cast):
    issue = make_issue(cast.bob, cast.web)
    for n in range(7):
        actions.add_comment(actor=cast.bob, issue=issue, body=f"comment {n}")
        actions.update_issue(actor=cast.bob, issue=issue, changes={"title": f"Title {n}"})
    seen, cursor = [], None
    while True:
        entries, cursor = timeline_page(cast.bob, issue, cursor=cursor, limit=4)
        seen += entries
        if cursor is None:
            break
    assert sum(e.kind == "comment" for e in seen) == 7
    assert sum(e.kind == "event" for e in seen) == 8  # created + 7 title changes
    assert [e.comment.author.username for e in seen if e.comment] == ["bob"] * 7
    assert [e.comment.body for e in seen if e.comment] == [
        f"comment {n}" for n in reversed(range(7))
    ]
    assert all(a.order > b.order for a, b in zip(seen, seen[1:], strict=False))


def test_watch_state_counts_active_watchers_and_knows_mine(cast):
    from django.contrib.auth.models import AnonymousUser

    from docket.issues import watching

    issue = make_issue(cast.bob, cast.web)
    assert watching.watch_state(cast.alice, issue) == {
        "count": 1,
        "watching": False,
    }  # bob reported it
    for person in (cast.alice, cast.bob, cast.carol):
        watching.watch(actor=person, issue=issue)
    cast.carol.is_active = False
    cast.carol.save()
    assert watching.watch_state(cast.alice, issue) == {"count": 2, "watching": True}
    assert watching.watch_state(cast.dave, issue) == {"count": 2, "watching": False}
    assert watching.watch_state(AnonymousUser(), issue) == {"count": 2, "watching": False}


def test_an_issue_by_key_loads_as_select_related_does(cast):
    from django.forms.models import model_to_dict

    from docket.issues.access import issue_by_key
    from docket.issues.models import Issue

    bare = make_issue(cast.bob, cast.web, title="Bare")
    full = make_issue(cast.bob, cast.web, title="Full", assignee="alice", due_date="2026-12-24")
    for made in (bare, full):
        loaded = issue_by_key("WEB", made.number)
        orm = Issue.objects.select_related(*RELATED).get(pk=made.pk)
        assert model_to_dict(loaded) | {"labels": None, "components": None} == model_to_dict(
            orm
        ) | {"labels": None, "components": None}
        for name in RELATED:
            mine, theirs = getattr(loaded, name), getattr(orm, name)
            assert (mine and model_to_dict(mine)) == (theirs and model_to_dict(theirs)), name
    assert issue_by_key("WEB", 999) is None and issue_by_key("NOPE", 1) is None


RELATED = ("project", "status", "reporter", "assignee", "milestone")
