"""The access matrix for notifications: the inbox API and the mails.

Every seat's user watches every issue of the world (a watch is only a name on a list); then
someone comments on all twelve issues, quoting each issue's comment canary. The consumer and
the mail sweep run; each seat's inbox (read over the API with its own token) and the mails
its user received must name exactly the issues the ISSUES table lets it see, and carry no
canary it may not see (tests/access/test_matrix.py).

Notifications are per person, not per token: seats whose token narrows a person's powers
(admin_rw, read_token, root_rw, the dead tokens) are their people (admin, member,
site_admin) here; `anon` has no inbox.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from docket.issues import comments
from docket.issues.models import Issue, Watch
from docket.notifications import emails
from tests.access.conftest import SEATS, Seat, World
from tests.access.test_matrix import no_leak, sees
from tests.factories import UserFactory
from tests.notifications.conftest import cursor_at_the_end, dispatch_all

PEOPLE_SEATS = [s for s in SEATS if s.role not in ("admin_rw", "read_token", "root_rw", "anon")]


def _everyone_watches_everything_and_someone_comments(world: World) -> None:
    cursor_at_the_end()
    people = {world.user(seat) for seat in PEOPLE_SEATS}
    Watch.objects.bulk_create(
        [
            Watch(issue_id=res.pk, user=user, created_at=timezone.now())
            for res in world.issues.values()
            for user in people
        ],
        ignore_conflicts=True,
    )
    speaker = UserFactory(username="notifier", is_superuser=True, is_staff=True)
    for res in world.issues.values():
        issue = Issue.objects.select_related("project").get(pk=res.pk)
        comments.add_comment(actor=speaker, issue=issue, body=f"Again: {res.canary['comment']}")
    dispatch_all()


@pytest.fixture
def notified(world: World) -> World:
    _everyone_watches_everything_and_someone_comments(world)
    return world


def _visible_keys(world: World, seat: Seat) -> set[str]:
    return {res.key for res in world.issues.values() if sees(seat, res)}


@pytest.mark.parametrize("seat", PEOPLE_SEATS, ids=str)
def test_the_inbox_names_exactly_the_issues_the_seat_sees(notified, seat):
    world = notified
    response = world.api(seat).get("/notifications", limit=100)
    assert response.status_code == 200, response.content
    keys = {thread["issue"]["key"] for thread in response.json()["items"]}
    assert keys == _visible_keys(world, seat), seat
    no_leak(world, seat, response.content, "GET /notifications")


def test_mails_go_exactly_where_the_issues_are_visible_and_carry_nothing_else(
    notified, smtp_server
):
    world = notified
    emails.send_due(timezone.now() + dt.timedelta(hours=1))
    received: dict[str, list] = {}
    for message in smtp_server.delivered():
        received.setdefault(message["To"], []).append(message)
    for seat in PEOPLE_SEATS:
        user = world.user(seat)
        mails = received.get(user.email, [])
        assert {m["X-Docket-Issue"] for m in mails} == _visible_keys(world, seat), seat
        for mail in mails:
            text = mail["Subject"] + "".join(
                part.get_content() for part in mail.walk() if part.get_content_maintype() == "text"
            )
            no_leak(world, seat, text.encode(), f"mail to {user.username}")
