"""core/prepared.py: a query compiled once answers as the ORM would, for any arguments."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from django.db import connection
from django.db.models import Model, Q

from docket.accounts.actor import Actor
from docket.accounts.sessions import SessionStore
from docket.accounts.tokens import user_for_secret
from docket.core.prepared import Prepared
from docket.issues import actions, custom_fields, watching
from docket.issues import comments as issue_comments
from docket.issues.access import granted_issue_ids, issue_by_key
from docket.issues.models import Issue, IssueEvent, IssueGrant
from docket.issues.relations import ProjectRelations, initial_state
from docket.issues.timeline import timeline_page
from docket.live.changes import newest_event_id
from docket.notifications import preferences
from docket.notifications import queries as notification_queries
from docket.projects import access
from docket.projects.actions import add_component, add_milestone
from docket.projects.models import Milestone, Project
from docket.projects.workflow_rules import rules_of, rules_with_targets, states_of
from docket.web.views.issue_page import sections_of
from tests.factories import make_issue, token_for
from tests.notifications.conftest import dispatch_all

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
        issue_comments.add_comment(actor=cast.bob, issue=issue, body=f"comment {n}")
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


# --- what it compiles, pinned to the installed Django's ORM --------------------------------------
# A Django upgrade that changes how the ORM compiles or converts must fail here, not in a page.


def _issues_of(reporter_id, after):  # the arguments reach the SQL in the opposite order
    return (
        Issue.objects.filter(id__gt=after)
        .filter(reporter_id=reporter_id)
        .order_by("id")
        .values("id", "title", "confidential", "due_date", "created_at")
    )


def test_the_plan_is_the_orms_own_sql_with_each_argument_in_its_place():
    plan = Prepared(_issues_of, arguments=2).plan()
    sql, params = _issues_of(7001, 7002).query.get_compiler(connection=connection).as_sql()
    assert plan.sql == sql
    assert len(plan.params) == len(params) == sql.count("%s")
    assert plan.slots == ((0, 1), (1, 0))  # `after` first, then `reporter_id`
    assert [params[position] for position, _ in plan.slots] == [7002, 7001]
    assert plan.names == ("id", "title", "confidential", "due_date", "created_at")


def test_an_argument_used_twice_fills_both_places_and_text_arguments_work(cast):
    def involving(username, key):
        person = Q(reporter__username=username) | Q(assignee__username=username)
        return Issue.objects.filter(person, project__key=key).order_by("id").values("id")

    prepared = Prepared(involving, arguments=2)
    assert sorted(index for _, index in prepared.plan().slots) == [0, 0, 1]
    mine = make_issue(cast.bob, cast.web, title="Reported by bob")
    assigned = make_issue(cast.alice, cast.web, title="For bob", assignee="bob")
    make_issue(cast.alice, cast.web, title="Nobody's")
    assert prepared.rows("bob", "WEB") == [{"id": mine.id}, {"id": assigned.id}]
    assert prepared.rows("bob", "WEB") == prepared.plain_rows("bob", "WEB")
    assert prepared.rows("bob", "NOPE") == []


def test_values_come_back_converted_as_the_orm_converts_them(cast):
    make_issue(cast.bob, cast.web, title="Dated", due_date="2026-12-24", confidential=True)
    make_issue(cast.bob, cast.web, title="Plain")
    prepared = Prepared(_issues_of, arguments=2)
    rows = prepared.rows(cast.bob.id, 0)
    assert rows == prepared.plain_rows(cast.bob.id, 0)
    assert [row["confidential"] for row in rows] == [True, False]  # bool, not SQLite's 1/0
    assert rows[0]["due_date"] == date(2026, 12, 24)
    assert rows[0]["created_at"].tzinfo is not None


def test_a_limit_or_an_altered_argument_cannot_be_an_argument():
    def limited(issue_id, limit):  # LIMIT is written into the SQL: a `shape`, not an argument
        return IssueEvent.objects.filter(issue_id=issue_id).values("id")[:limit]

    def shifted(issue_id, before):  # the SQL would get before + 1, never a call's `before`
        return IssueEvent.objects.filter(issue_id=issue_id, id__lt=before + 1).values("id")

    with pytest.raises(ValueError, match="depends on its arguments"):
        Prepared(limited, arguments=2).rows(1, 5)
    with pytest.raises(ValueError, match="not a plain SQL parameter"):
        Prepared(shifted, arguments=2).rows(1, 5)


# --- every prepared read in Docket answers as its plain ORM query does ---------------------------


def _plain(value):
    """A comparable picture of a read's result: models as their loaded fields and the related
    rows loaded with them (as select_related would have)."""
    if isinstance(value, Model):
        fields = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        related = {
            field.name: _plain(field.get_cached_value(value))
            for field in value._meta.concrete_fields
            if field.is_relation and field.is_cached(value)
        }
        return type(value).__name__, fields, related
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@pytest.fixture
def busy(cast):
    """An issue with comments, changes, watchers, a milestone and an assignee."""
    milestone = Milestone.objects.create(project=cast.web, name="1.0")
    issue = make_issue(cast.bob, cast.web, title="Busy", assignee="alice", milestone="1.0")
    assert issue.milestone_id == milestone.id
    for n in range(4):
        issue_comments.add_comment(actor=cast.bob, issue=issue, body=f"comment {n}")
        actions.update_issue(actor=cast.bob, issue=issue, changes={"title": f"Busy {n}"})
    for person in (cast.alice, cast.dave):
        watching.watch(actor=person, issue=issue)
    return issue


def _position(page):
    """A page with its next cursor's payload only: the cursor is signed with the time to the
    second, so two reads a second apart sign the same position differently."""
    items, cursor = page
    return items, cursor.split(":")[0] if cursor else cursor


def _reads(cast, issue):
    session = SessionStore()
    session["_auth_user_id"] = str(cast.bob.pk)
    session.create()
    workflow = cast.web.workflow_id

    def roles():
        return access.project_roles(cast.bob)  # a plain user: a fresh Actor, read each time

    secret = token_for(cast.bob)
    IssueGrant.objects.create(issue=issue, user=cast.eve, granted_by=cast.alice)
    custom_fields.define(
        actor=cast.alice, project=cast.web, values={"name": "tier", "type": "text"}
    )

    add_component(actor=cast.alice, project=cast.web, name="Backend")
    add_milestone(actor=cast.alice, project=cast.web, name="2.0")
    names = ProjectRelations(cast.web)
    names.labels(["bug", "ui"])  # made on first use: then both reads find them

    return {
        "create's names": lambda: (
            initial_state(cast.web),
            names.assignee("bob"),
            names.labels(["bug", "ui"]),
            names.components(["Backend"]),
            names.milestone("2.0"),
        ),
        "token": lambda: user_for_secret(secret),
        "grants": lambda: granted_issue_ids(Actor(cast.eve)),
        "custom fields": lambda: custom_fields.project_fields(Project.objects.get(key="WEB")),
        "session": lambda: SessionStore(session.session_key).load(),
        "roles": roles,
        "project": lambda: access.project_by_key("WEB"),
        "issue": lambda: issue_by_key("WEB", issue.number),
        "states": lambda: states_of(workflow),
        "rules": lambda: rules_of(workflow),
        "rules and targets": lambda: rules_with_targets(workflow),
        "timeline": lambda: _position(timeline_page(cast.bob, issue, limit=5)),
        "timeline's next page": lambda: _position(
            timeline_page(
                cast.bob, issue, cursor=timeline_page(cast.bob, issue, limit=5)[1], limit=5
            )
        ),
        "watchers": lambda: watching.watch_state(cast.alice, issue),
        "unread notifications": lambda: _unread_notifications(cast, issue),
        "mutes": lambda: _mutes(cast, issue),
        "newest event": newest_event_id,
        "issue page sections": lambda: sections_of(issue),
    }


def _mutes(cast, issue):
    preferences.mute(cast.bob, issue=issue.key)
    return preferences.muted(cast.bob, issue)


def _unread_notifications(cast, issue):
    dispatch_all()
    return notification_queries.unread_count(cast.alice)


READS = (
    "create's names", "token", "grants", "custom fields", "session", "roles", "project",
    "issue", "states", "rules",
    "rules and targets", "timeline", "timeline's next page", "watchers", "unread notifications",
    "mutes", "newest event", "issue page sections",
)  # fmt: skip


@pytest.mark.parametrize("name", READS)
def test_each_prepared_read_equals_its_plain_orm_query(cast, busy, name, monkeypatch):
    read = _reads(cast, busy)[name]
    prepared = _plain(read())
    monkeypatch.setattr(Prepared, "rows", Prepared.plain_rows)
    assert prepared == _plain(read())
    assert prepared not in (None, [], {}, ())  # something was read
