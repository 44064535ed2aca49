"""Who hears about a change (in-app inbox), decided when the consumer runs, and the inbox API.

In project WEB (private): alice admin, bob member, carol reporter, dave viewer; eve belongs
to nothing (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from docket.issues import actions, comments, sharing, watching
from docket.issues.models import Watch
from docket.notifications.models import Notification
from docket.projects import actions as project_actions
from docket.worker.models import ConsumerCursor
from tests.factories import UserFactory, make_issue
from tests.notifications.conftest import NAME, dispatch_all, inbox_of


def _filed_by_carol(cast: Any, **fields: Any) -> Any:
    return make_issue(cast.carol, cast.web, title="The login button is grey", **fields)


def test_assignee_reporter_watchers_and_mentioned_hear_and_the_actor_never(cast, clock):
    issue = _filed_by_carol(cast)
    watching.watch(actor=cast.dave, issue=issue)
    actions.assign(actor=cast.alice, issue=issue, assignee="bob")
    comments.add_comment(actor=cast.bob, issue=issue, body="On it. @dave @eve @nobody have a look")
    dispatch_all()

    key = issue.key
    assert inbox_of(cast.bob) == [(key, "assigned")]  # not about his own comment
    assert inbox_of(cast.carol) == [(key, "changed"), (key, "commented")]
    assert inbox_of(cast.dave) == [(key, "changed"), (key, "mentioned")]
    assert inbox_of(cast.alice) == []  # she acted, and does not follow it
    assert inbox_of(cast.eve) == []  # mentioned, but cannot see a private project's issue


def test_the_assignee_of_a_new_issue_and_people_its_description_mentions_hear(cast, clock):
    issue = make_issue(
        cast.alice, cast.web, title="Checkout", assignee="bob", description="cc @dave"
    )
    dispatch_all()
    assert inbox_of(cast.bob) == [(issue.key, "assigned")]
    assert inbox_of(cast.dave) == [(issue.key, "mentioned")]
    assert inbox_of(cast.alice) == []


def test_commenters_and_the_mentioned_start_watching_and_hear_what_follows(cast, clock):
    issue = _filed_by_carol(cast)
    comments.add_comment(actor=cast.bob, issue=issue, body="Seen it; @dave knows more")
    comments.add_comment(actor=cast.alice, issue=issue, body="Thanks")
    dispatch_all()
    assert set(Watch.objects.filter(issue=issue).values_list("user__username", flat=True)) == {
        "carol", "bob", "dave", "alice",
    }  # fmt: skip
    assert (issue.key, "commented") in inbox_of(cast.bob)  # alice's comment reached him
    assert inbox_of(cast.dave) == [(issue.key, "mentioned"), (issue.key, "commented")]


def test_fifty_watchers_all_hear_with_the_same_number_of_queries_as_five(cast, clock):
    def watched_by(count: int, prefix: str) -> Any:
        issue = _filed_by_carol(cast)
        for n in range(count):
            viewer = UserFactory(username=f"{prefix}{n}")
            project_actions.set_member(
                actor=cast.alice, project=cast.web, user=viewer.username, role="viewer"
            )
            watching.watch(actor=viewer, issue=issue)
        dispatch_all()
        return issue

    few, many = watched_by(5, "few"), watched_by(50, "many")
    queries = []
    for issue in (few, many):
        actions.update_issue(actor=cast.bob, issue=issue, changes={"priority": "high"})
        with CaptureQueriesContext(connection) as captured:
            dispatch_all()
        queries.append(len(captured.captured_queries))
        told = Notification.objects.filter(event__issue=issue, event__field="priority")
        assert told.count() == (5 if issue == few else 50) + 1  # the watchers and carol
    assert queries[0] == queries[1], queries


def test_a_watcher_who_lost_access_before_delivery_hears_nothing(cast, clock):
    issue = _filed_by_carol(cast, confidential=True)
    watching.watch(actor=cast.bob, issue=issue)  # a member sees confidential issues
    actions.update_issue(actor=cast.alice, issue=issue, changes={"title": "Secret plan"})
    project_actions.set_member(actor=cast.alice, project=cast.web, user="bob", role="viewer")
    dispatch_all()  # the event was written while bob could see it: the gate is asked now
    assert inbox_of(cast.bob) == []
    assert inbox_of(cast.carol) == [(issue.key, "changed")]  # the reporter still sees it


def test_someone_given_access_hears_of_it(cast, clock):
    issue = _filed_by_carol(cast)
    sharing.grant_access(actor=cast.alice, issue=issue, username="eve")
    dispatch_all()
    assert inbox_of(cast.eve) == [(issue.key, "mentioned")]


def test_reading_the_events_again_tells_nobody_twice(cast, clock):
    issue = _filed_by_carol(cast, assignee="bob")
    cursor = ConsumerCursor.objects.get(name=NAME).last_event_id
    actions.update_issue(actor=cast.alice, issue=issue, changes={"status": "open"})
    comments.add_comment(actor=cast.alice, issue=issue, body="Please look")
    dispatch_all()
    first = sorted(Notification.objects.values_list("recipient_id", "event_id", "kind"))
    ConsumerCursor.objects.filter(name=NAME).update(last_event_id=cursor)  # a reset cursor
    assert dispatch_all() > 0
    assert sorted(Notification.objects.values_list("recipient_id", "event_id", "kind")) == first
    assert len(first) == 5  # bob, carol: created (bob), status x2, comment x2


def test_events_older_than_a_day_when_read_notify_nobody(cast, clock):
    issue = _filed_by_carol(cast)
    actions.update_issue(actor=cast.alice, issue=issue, changes={"priority": "high"})
    clock.advance(days=1, seconds=1)  # the worker was down, or this is imported history
    dispatch_all()
    assert not Notification.objects.exists()


# --- the inbox API ---------------------------------------------------------------------------


def _busy_inbox(cast: Any) -> list[Any]:
    """Three issues carol reported, changed by alice: carol has 2 + 1 + 1 notifications."""
    issues = [_filed_by_carol(cast) for _ in range(3)]
    actions.update_issue(actor=cast.alice, issue=issues[0], changes={"priority": "high"})
    for issue in issues:
        comments.add_comment(actor=cast.alice, issue=issue, body=f"About {issue.key}")
    dispatch_all()
    return issues


def test_the_inbox_groups_by_issue_newest_first_with_unread_counts(cast, clock):
    issues = _busy_inbox(cast)
    body = cast.api(cast.carol).get("/notifications").json()
    assert body["unread_count"] == 4
    assert [t["issue"]["key"] for t in body["items"]] == [i.key for i in reversed(issues)]
    oldest = body["items"][-1]
    assert (oldest["count"], oldest["unread"]) == (2, 2)
    assert [n["kind"] for n in oldest["notifications"]] == ["commented", "changed"]
    change = oldest["notifications"][1]
    assert change["actor"] == "alice" and change["read"] is False
    assert change["event"]["field"] == "priority" and change["event"]["new"] == "high"
    assert oldest["issue"]["title"] == "The login button is grey"


def test_marking_read_done_and_everything_read(cast, clock):
    issues = _busy_inbox(cast)
    api = cast.api(cast.carol)
    ids = [n["id"] for n in api.get("/notifications").json()["items"][0]["notifications"]]
    marked = api.post("/notifications/read", {"ids": ids}).json()
    assert marked == {"changed": 1, "unread_count": 3}
    unread = api.get("/notifications", unread="true").json()["items"]
    assert [t["issue"]["key"] for t in unread] == [issues[1].key, issues[0].key]
    assert api.post("/notifications/done", {"issue": issues[0].key}).json()["changed"] == 2
    left = api.get("/notifications").json()
    assert [t["issue"]["key"] for t in left["items"]] == [issues[2].key, issues[1].key]
    assert api.post("/notifications/read-all").json() == {"changed": 1, "unread_count": 0}
    # Someone else's notifications are not yours to mark
    theirs = cast.api(cast.bob).post("/notifications/read", {"ids": ids}).json()
    assert theirs["changed"] == 0


def test_the_inbox_pages_with_a_cursor(cast, clock):
    issues = _busy_inbox(cast)
    api = cast.api(cast.carol)
    first = api.get("/notifications", limit=2).json()
    second = api.get("/notifications", limit=2, cursor=first["next_cursor"]).json()
    assert [t["issue"]["key"] for t in first["items"] + second["items"]] == [
        i.key for i in reversed(issues)
    ]
    assert second["next_cursor"] is None
    assert api.get("/notifications", cursor="forged").status_code == 400


def test_the_inbox_hides_issues_the_reader_can_no_longer_see(cast, clock):
    issue = make_issue(cast.alice, cast.web, title="Quiet merger", confidential=True)
    watching.watch(actor=cast.bob, issue=issue)
    comments.add_comment(actor=cast.alice, issue=issue, body="Numbers attached")
    dispatch_all()
    api = cast.api(cast.bob)
    assert api.get("/notifications").json()["unread_count"] == 1
    project_actions.set_member(actor=cast.alice, project=cast.web, user="bob", role="viewer")
    body = api.get("/notifications")
    assert body.json() == {"unread_count": 0, "items": [], "next_cursor": None}
    assert b"Quiet merger" not in body.content


def test_the_inbox_needs_a_signed_in_caller(anon, db):
    assert anon.get("/notifications").status_code == 401
    assert anon.get("/notifications/preferences").status_code == 401


def test_an_id_no_column_can_hold_is_refused_with_422_not_500(cast):
    api = cast.api(cast.alice)
    for path in ("/notifications/read", "/notifications/done"):
        refused = api.post(path, {"ids": [-7760024478270275715072, 1]})
        assert refused.status_code == 422, refused.content
        assert api.post(path, {"ids": [2**63]}).status_code == 422
