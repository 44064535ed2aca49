"""The inbox page, its actions, the top bar's unread count and the notification settings page.

Notifications are made as the worker makes them: the issue actions write events, then the
notifications consumer reads them (dispatch_all). In project WEB (private): alice admin, bob
member, carol reporter, dave viewer; eve belongs to nothing (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from docket.issues import actions, comments, watching
from docket.issues.models import Issue
from docket.notifications import preferences
from docket.notifications.emails import PREFERENCES_PATH
from docket.notifications.models import Kind, Mute, Notification, Reminder
from docket.projects import actions as project_actions
from docket.web.views import inbox as inbox_view
from tests.factories import make_issue
from tests.notifications.conftest import cursor_at_the_end, dispatch_all

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fresh_cursor(db: Any) -> None:
    """The notifications consumer starts each test at the end of the event log."""
    cursor_at_the_end()


def _as(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _text(response: Any) -> str:
    return response.content.decode()


def _alices(cast: Any, title: str = "Login button misaligned", **fields: Any) -> Issue:
    return make_issue(cast.alice, cast.web, title=title, **fields)


def _unread(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _badge(body: str) -> str:
    """The top bar's count as shown ('' when hidden)."""
    found = re.search(r'<span id="inbox-count"[^>]*>(.*?)</span>', body, re.S)
    assert found, "no unread count in the top bar"
    return re.sub(r"<[^>]+>", "", found.group(1))


def _threads(body: str) -> list[str]:
    return re.findall(r'<article class="thread[^"]*" id="thread-([A-Z]+-\d+)"', body)


# --- signing in ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/inbox", "/inbox/count", PREFERENCES_PATH])
def test_anonymous_visitors_are_sent_to_sign_in(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/inbox/read", "/inbox/done", "/WEB-1/mute"])
def test_anonymous_posts_change_nothing(cast, path):
    _alices(cast)
    response = Client().post(path, {"issue": "WEB-1", "all": "1"})
    assert response.status_code == 302 and "/login" in response["Location"]


# --- the inbox -------------------------------------------------------------------------------


def test_the_inbox_groups_by_issue_newest_first_and_says_who_did_what(cast):
    first = _alices(cast, "Login button misaligned")
    second = _alices(cast, "Checkout <b>times out</b>")
    actions.update_issue(actor=cast.bob, issue=first, changes={"priority": "high"})
    comments.add_comment(actor=cast.bob, issue=second, body="Seen it   twice\non Safari")
    comments.add_comment(actor=cast.carol, issue=first, body="Me too, @alice")
    dispatch_all()

    response = _as(cast.alice).get("/inbox")
    assert response.status_code == 200
    body = _text(response)
    assert _threads(body) == ["WEB-1", "WEB-2"]  # the most recently notified first
    assert '<a href="/WEB-2"><span class="key">WEB-2</span> Checkout &lt;b&gt;times out' in body
    assert "<strong>carol</strong> mentioned you in a comment" in body
    assert '<q class="quote">Me too, @alice</q>' in body
    assert "<strong>bob</strong> commented" in body
    assert '<q class="quote">Seen it twice on Safari</q>' in body
    assert 'changed priority from <span class="val">medium</span> to <span class="val">high' in body
    assert body.count("Unread: ") == 3 and "2 unread</span>" in body
    assert _badge(body) == "3 unread"
    assert f'href="{PREFERENCES_PATH}"' in body


def test_assignments_and_status_changes_are_worded_for_the_reader(cast):
    issue = make_issue(cast.alice, cast.web, title="Export", assignee="bob")
    actions.update_issue(actor=cast.alice, issue=issue, changes={"status": "open"})
    dispatch_all()
    body = _text(_as(cast.bob).get("/inbox"))
    assert "<strong>alice</strong> created the issue and assigned it to you" in body
    assert 'moved the issue from <span class="val">new</span> to <span class="val">open' in body


def test_reminders_say_due_tomorrow_or_overdue(cast):
    soon = _alices(cast, "Renew the certificate")
    late = _alices(cast, "File the report")
    now = timezone.now()
    for issue, moment, days in ((soon, Reminder.Moment.SOON, 1), (late, "overdue", -2)):
        due = (now + dt.timedelta(days=days)).date()
        reminder = Reminder.objects.create(
            issue=issue, kind=moment, due_date=due, fire_at=now, fired_at=now
        )
        Notification.objects.create(
            recipient=cast.bob, issue=issue, reminder=reminder, kind=Kind.DUE, created_at=now
        )
    body = _text(_as(cast.bob).get("/inbox"))
    tomorrow = (now + dt.timedelta(days=1)).date().isoformat()
    before = (now - dt.timedelta(days=2)).date().isoformat()
    assert f'<strong>Reminder</strong> Due tomorrow, <span class="val">{tomorrow}' in body
    assert f'<strong>Reminder</strong> Overdue: it was due <span class="val">{before}' in body
    assert 'class="note unread overdue"' in body


def test_an_empty_inbox_says_so(cast):
    body = _text(_as(cast.bob).get("/inbox"))
    assert "Your inbox is empty." in body
    assert _threads(body) == [] and _badge(body) == ""
    assert "Mark all read" not in body
    assert "No unread notifications." in _text(_as(cast.bob).get("/inbox?unread=1"))


def test_the_page_follows_the_csp(cast):
    comments.add_comment(actor=cast.bob, issue=_alices(cast), body="<script>alert(1)</script>")
    dispatch_all()
    body = _text(_as(cast.alice).get("/inbox"))
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline scripts
    assert " style=" not in body and "hx-on" not in body and "javascript:" not in body
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)" in body


def test_a_notification_about_an_issue_the_reader_lost_access_to_does_not_show(cast):
    secret = _alices(cast, "Quiet merger", confidential=True)
    public = _alices(cast, "Public thing")
    for issue, words in ((secret, "Numbers attached"), (public, "Hi")):
        watching.watch(actor=cast.bob, issue=issue)
        comments.add_comment(actor=cast.alice, issue=issue, body=words)
    dispatch_all()
    before = _text(_as(cast.bob).get("/inbox"))
    assert _threads(before) == ["WEB-2", "WEB-1"] and _badge(before) == "2 unread"

    project_actions.set_member(actor=cast.alice, project=cast.web, user="bob", role="viewer")
    client = _as(cast.bob)
    after = _text(client.get("/inbox"))
    assert _threads(after) == ["WEB-2"]
    assert "Quiet merger" not in after and "Numbers attached" not in after
    assert _badge(after) == "1 unread"
    assert _text(client.get("/inbox/count")).count("1<span") == 1
    # …and it cannot be acted on either: the key is a 404, as everywhere
    assert client.post("/inbox/read", {"issue": "WEB-1"}).status_code == 404
    assert client.post("/inbox/done", {"issue": "WEB-1"}).status_code == 404


def test_unread_only_and_pages(cast, monkeypatch):
    monkeypatch.setattr(inbox_view, "PAGE_SIZE", 2)
    for n in range(3):
        comments.add_comment(actor=cast.bob, issue=_alices(cast, f"Issue {n}"), body="x")
    dispatch_all()
    client = _as(cast.alice)
    client.post("/inbox/read", {"issue": "WEB-3"})

    first = _text(client.get("/inbox"))
    assert _threads(first) == ["WEB-3", "WEB-2"]
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = _text(client.get(next_url))
    assert _threads(second) == ["WEB-1"]
    assert 'rel="next"' not in second and "Back to first page" in second

    unread = _text(client.get("/inbox?unread=1"))
    assert _threads(unread) == ["WEB-2", "WEB-1"]
    assert '<a href="/inbox?unread=1" aria-current="page">Unread only</a>' in unread
    assert client.get("/inbox?cursor=forged").status_code == 400


def test_the_page_costs_the_same_queries_for_two_issues_or_eight(cast):
    def queries_for(issues: int) -> int:
        for n in range(issues):
            comments.add_comment(actor=cast.bob, issue=_alices(cast, f"Issue {n}"), body="x")
        dispatch_all()
        client = _as(cast.alice)
        client.get("/inbox")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/inbox").status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(6)


# --- its actions -----------------------------------------------------------------------------


def _two_threads(cast: Any) -> None:
    for title in ("First", "Second"):
        issue = _alices(cast, title)
        comments.add_comment(actor=cast.bob, issue=issue, body="one")
        actions.update_issue(actor=cast.bob, issue=issue, changes={"priority": "low"})
    dispatch_all()


def test_marking_one_issue_read_with_htmx_answers_the_region_and_the_count(cast):
    _two_threads(cast)
    client = _as(cast.alice)
    response = client.post("/inbox/read", {"issue": "WEB-1", "unread": "", "cursor": ""}, **HX)
    assert response.status_code == 200
    body = _text(response)
    assert body.startswith('<div id="inbox"')  # the region only, no page around it
    assert '<p class="flash" role="status" tabindex="-1" autofocus>Marked WEB-1 read.</p>' in body
    assert 'hx-swap-oob="true">2<span class="visually-hidden"> unread' in body  # the top bar
    assert 'id="thread-WEB-1"' in body and 'class="thread" id="thread-WEB-1"' in body
    assert _unread(cast.alice) == 2
    mine = Notification.objects.filter(recipient=cast.alice, issue__number=1)
    assert not mine.filter(read_at__isnull=True).exists()


def test_actions_work_without_javascript_and_keep_the_filter(cast):
    _two_threads(cast)
    client = _as(cast.alice)
    response = client.post("/inbox/read", {"issue": "WEB-2", "unread": "1"})
    assert response.status_code == 302 and response["Location"] == "/inbox?unread=1"
    page = _text(client.get(response["Location"]))
    assert "Marked WEB-2 read." in page and _threads(page) == ["WEB-1"]

    response = client.post("/inbox/read", {"all": "1"})
    assert response["Location"] == "/inbox" and _unread(cast.alice) == 0
    assert "Marked everything read." in _text(client.get("/inbox"))


def test_done_takes_the_issue_out_of_the_inbox(cast):
    _two_threads(cast)
    client = _as(cast.alice)
    body = _text(client.post("/inbox/done", {"issue": "WEB-2"}, **HX))
    assert "Done with WEB-2: it left your inbox." in body
    assert _threads(body) == ["WEB-1"]
    assert _threads(_text(client.get("/inbox"))) == ["WEB-1"]
    assert Notification.objects.filter(recipient=cast.alice, done_at__isnull=True).count() == 2
    # A later change to it brings it back
    comments.add_comment(actor=cast.bob, issue=Issue.objects.get(number=2), body="again")
    dispatch_all()
    assert _threads(_text(client.get("/inbox"))) == ["WEB-2", "WEB-1"]


def test_nobody_reads_or_clears_another_persons_notifications(cast):
    _two_threads(cast)
    bob = _as(cast.bob)  # bob sees WEB-1 and WEB-2, but these are alice's notifications
    assert bob.post("/inbox/read", {"issue": "WEB-1"}).status_code == 302
    assert bob.post("/inbox/done", {"issue": "WEB-2"}).status_code == 302
    assert bob.post("/inbox/read", {"all": "1"}).status_code == 302
    assert _unread(cast.alice) == 4
    assert Notification.objects.filter(recipient=cast.alice, done_at__isnull=False).count() == 0
    assert _threads(_text(bob.get("/inbox"))) == []  # and he never sees them
    assert _badge(_text(bob.get("/projects/"))) == ""


def test_actions_need_post_and_a_csrf_token(cast):
    _two_threads(cast)
    assert _as(cast.alice).get("/inbox/read?all=1").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.alice)
    assert strict.post("/inbox/read", {"all": "1"}).status_code == 403
    assert _unread(cast.alice) == 4
    body = _text(_as(cast.alice).get("/inbox"))
    assert body.count('name="csrfmiddlewaretoken"') >= 5  # every form carries it


# --- the top bar's count -----------------------------------------------------------------------


def test_every_page_shows_the_unread_count_and_hides_it_at_zero(cast):
    client = _as(cast.alice)
    for path in ("/", "/projects/", "/issues/", "/settings/profile"):
        assert _badge(_text(client.get(path))) == "", path
    comments.add_comment(actor=cast.bob, issue=_alices(cast), body="x")
    dispatch_all()
    for path in ("/", "/projects/", "/WEB-1", "/settings/profile"):
        body = _text(client.get(path))
        assert _badge(body) == "1 unread", path
        assert '<span class="inbox-badge" aria-live="polite" aria-atomic="true">' in body
    assert "inbox-count" not in _text(Client().get("/login"))  # nobody signed in: no badge


def test_the_count_partial_answers_204_while_nothing_changed(cast):
    client = _as(cast.alice)
    same = client.get("/inbox/count?shown=0")
    assert same.status_code == 204 and same.content == b""
    comments.add_comment(actor=cast.bob, issue=_alices(cast), body="x")
    dispatch_all()
    changed = client.get("/inbox/count?shown=0")
    assert changed.status_code == 200
    assert changed["HX-Trigger"] == "docket:inbox-changed"  # an open inbox refreshes itself
    assert _badge(_text(changed)) == "1 unread"
    assert "?shown=1" in _text(changed)  # the next poll compares with the new count
    assert client.get("/inbox/count?shown=1").status_code == 204
    first = client.get("/inbox/count")  # no `shown` (a plain load): the badge, no event
    assert first.status_code == 200 and "HX-Trigger" not in first


def test_the_count_is_one_query(cast):
    comments.add_comment(actor=cast.bob, issue=_alices(cast), body="x")
    dispatch_all()
    client = _as(cast.alice)
    client.get("/inbox/count?shown=1")
    with CaptureQueriesContext(connection) as captured:
        client.get("/inbox/count?shown=1")
    counts = [q["sql"] for q in captured if "notifications_notification" in q["sql"]]
    assert len(counts) == 1


# --- notification settings -----------------------------------------------------------------------


def test_the_settings_page_shows_every_kind_by_channel_with_the_defaults(cast):
    response = _as(cast.bob).get(PREFERENCES_PATH)
    assert response.status_code == 200
    body = _text(response)
    for kind in Kind:
        assert f'<input type="hidden" name="kind" value="{kind.value}">' in body
        assert f'name="{kind.value}.inbox" value="1" checked>' in body
    assert 'name="changed.email" value="1">' in body  # other changes: inbox only by default
    assert 'name="commented.email" value="1" checked>' in body
    assert "Comments: in the inbox" not in body  # labels name the row's kind and channel
    assert "New comments: by e-mail</span>" in body
    assert "You have not muted anything." in body


def test_saving_the_settings_goes_through_the_preferences(cast):
    client = _as(cast.bob)
    form = {"form": "preferences", "kind": [k.value for k in Kind]}
    form |= {f"{k.value}.inbox": "1" for k in Kind} | {"assigned.email": "1"}
    response = client.post(PREFERENCES_PATH, form)
    assert response.status_code == 302 and response["Location"] == PREFERENCES_PATH
    chosen = preferences.preferences_of(cast.bob)
    assert chosen["assigned"] == {"inbox": True, "email": True}
    assert chosen["commented"] == {"inbox": True, "email": False}
    assert chosen["status"] == {"inbox": True, "email": False}
    body = _text(client.get(PREFERENCES_PATH))
    assert "Notification settings saved." in body
    assert 'name="commented.email" value="1">' in body
    assert preferences.preferences_of(cast.alice)["commented"]["email"] is True  # only his


def test_an_unknown_kind_is_refused_as_the_api_refuses_it(cast):
    response = _as(cast.bob).post(
        PREFERENCES_PATH, {"form": "preferences", "kind": ["assigned", "gossip"]}
    )
    assert response.status_code == 422
    assert "Kinds.gossip is not one of: assigned, mentioned" in _text(response)
    assert preferences.preferences_of(cast.bob)["assigned"]["email"] is True  # nothing saved


def test_muted_projects_and_issues_are_listed_and_unmuted(cast):
    _alices(cast)
    preferences.mute(cast.bob, project="WEB")
    preferences.mute(cast.bob, issue="WEB-1")
    client = _as(cast.bob)
    body = _text(client.get(PREFERENCES_PATH))
    assert 'aria-label="Unmute project WEB"' in body and 'aria-label="Unmute WEB-1"' in body
    response = client.post(PREFERENCES_PATH, {"form": "unmute", "issue": "WEB-1"})
    assert response.status_code == 302
    assert preferences.mutes_of(cast.bob) == {"projects": ["WEB"], "issues": []}
    assert "You hear about WEB-1 again." in _text(client.get(PREFERENCES_PATH))
    client.post(PREFERENCES_PATH, {"form": "unmute", "project": "WEB"})
    assert not Mute.objects.filter(user=cast.bob).exists()


def test_unmuting_something_one_cannot_see_is_a_404(cast):
    _alices(cast)
    response = _as(cast.eve).post(PREFERENCES_PATH, {"form": "unmute", "issue": "WEB-1"})
    assert response.status_code == 404


def test_the_inbox_and_the_user_menu_link_to_the_settings(cast):
    body = _text(_as(cast.bob).get("/settings/profile"))
    assert f'<a href="{PREFERENCES_PATH}">Notification settings</a>' in body


# --- muting from the issue page ------------------------------------------------------------------


def test_mute_and_unmute_an_issue_from_its_page(cast):
    _alices(cast)
    client = _as(cast.bob)
    page = _text(client.get("/WEB-1"))
    assert '<button type="submit" class="button small" id="mute-button">Mute this issue' in page
    response = client.post("/WEB-1/mute", {"mute": "1"}, **HX)
    assert response.status_code == 200
    assert "Unmute</button>" in _text(response) and "Muted: you hear only" in _text(response)
    assert preferences.mutes_of(cast.bob)["issues"] == ["WEB-1"]
    assert "Unmute</button>" in _text(client.get("/WEB-1"))
    response = client.post("/WEB-1/mute", {"mute": "0"})  # without JavaScript
    assert response.status_code == 302 and response["Location"] == "/WEB-1"
    assert preferences.mutes_of(cast.bob)["issues"] == []
    assert not Mute.objects.filter(user=cast.alice).exists()


def test_a_muted_project_says_so_on_its_issues(cast):
    _alices(cast)
    preferences.mute(cast.bob, project="WEB")
    assert "Project muted" in _text(_as(cast.bob).get("/WEB-1"))


def test_nobody_mutes_an_issue_they_cannot_see(cast):
    _alices(cast)
    assert _as(cast.eve).post("/WEB-1/mute", {"mute": "1"}).status_code == 404
    assert not Mute.objects.exists()
