"""Live updates (`/live`, server-sent events): a real `docket serve` streams to real HTTP
clients, so the event-log poller, the per-user gate at send time and revocation are tested
as they run. Refusals before streaming use Django's test client."""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis
from django.test import Client, override_settings

from docket.live import doorbell
from tests.factories import make_issue, make_project, token_for
from tests.servers import Server, running_server, scratch_environment

PASSWORD = "live-test-password-42"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("live"),  # one worker builds its server (--dist loadgroup)
]


# --- refusals, through Django's test client -------------------------------------------------


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_stream_of_a_project_or_issue_you_cannot_see_is_a_404(cast):
    make_issue(cast.alice, cast.web)
    eve = _as(cast.eve)
    assert eve.get("/live?project=WEB").status_code == 404
    assert eve.get("/live?issue=WEB-1").status_code == 404
    assert eve.get("/live?project=NOPE").status_code == 404
    assert eve.get("/live?issue=not-a-key").status_code == 404


def test_anonymous_streams_need_anonymous_read(cast):
    make_project(cast.alice, "PUB", visibility="public")
    with override_settings(DOCKET_ANONYMOUS_READ=False):
        assert Client().get("/live").status_code == 401
    with override_settings(DOCKET_ANONYMOUS_READ=True):
        assert Client().get("/live?project=WEB").status_code == 404  # private
        assert Client().get("/live?project=PUB")["Content-Type"].startswith("text/event-stream")


def test_an_api_token_does_not_open_a_stream_as_its_user(cast):
    """Streams belong to browser sessions, whose check every heartbeat ends them; a token,
    revocable at any time, never holds one open as its user."""
    make_project(cast.alice, "PUB", visibility="public")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token_for(cast.bob)}"}
    with override_settings(DOCKET_ANONYMOUS_READ=False):
        assert Client().get("/live?project=WEB", **bearer).status_code == 401
    with override_settings(DOCKET_ANONYMOUS_READ=True):
        assert Client().get("/live?project=WEB", **bearer).status_code == 404  # as anonymous


def test_only_get_streams(cast):
    assert _as(cast.bob).post("/live").status_code in (403, 405)  # CSRF or method


def test_a_readable_scope_starts_an_event_stream(cast):
    make_issue(cast.alice, cast.web)
    response = _as(cast.dave).get("/live?issue=WEB-1")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response["Cache-Control"] == "no-cache, no-store"
    response.close()


# --- streaming, against a real server ----------------------------------------------------------


@dataclass
class Site:
    server: Server
    admin: httpx.Client

    def user(self) -> str:
        name = f"u{uuid.uuid4().hex[:8]}"
        body = {"username": name, "password": PASSWORD, "email": f"{name}@example.com"}
        assert self.admin.post("/users", json=body).status_code == 201
        return name

    def project(self, members: dict[str, str], **extra) -> str:
        key = "L" + uuid.uuid4().hex[:6].upper()
        made = self.admin.post("/projects", json={"key": key, "name": key, **extra})
        assert made.status_code == 201, made.text
        for name, role in members.items():
            added = self.admin.post(f"/projects/{key}/members", json={"user": name, "role": role})
            assert added.status_code == 201, added.text
        return key

    def issue(self, project: str, **fields) -> str:
        made = self.admin.post(f"/projects/{project}/issues", json={"title": "An issue", **fields})
        assert made.status_code == 201, made.text
        return made.json()["key"]

    def change(self, key: str, priority: str = "high") -> None:
        changed = self.admin.patch(f"/issues/{key}", json={"priority": priority})
        assert changed.status_code == 200, changed.text

    def session(self, username: str | None) -> httpx.Client:
        client = httpx.Client(base_url=self.server.url, timeout=10)
        if username:
            signed = client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert signed.status_code == 200, signed.text
            client.headers["X-CSRFToken"] = signed.json()["csrf_token"]
        return client


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("live")
    with scratch_environment(base / "data", ready=True) as env:
        env |= {"DOCKET_LIVE_HEARTBEAT_SECONDS": "1", "DOCKET_LIVE_MAX_STREAMS": "3"}
        with (
            running_server(env, base / "server.log", workers=1) as server,
            server.client(server.token("admin")) as admin,
        ):
            yield Site(server, admin)


@dataclass
class Stream:
    """An open SSE connection read on a thread: `events` gets each `change` payload."""

    status: int = 0
    encoding: str | None = None  # Content-Encoding: none, though httpx accepts gzip
    events: queue.Queue = field(default_factory=queue.Queue)
    ids: list[int] = field(default_factory=list)
    open: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    def next(self, timeout: float = 1.5) -> dict | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def nothing_for(self, seconds: float) -> bool:
        return self.next(seconds) is None


def listen(
    client: httpx.Client, path: str, headers: dict | None = None, *, drain: bool = True
) -> Stream:
    import json

    stream = Stream()

    def run() -> None:
        try:
            with client.stream("GET", path, headers=headers, timeout=None) as response:
                stream.status = response.status_code
                stream.encoding = response.headers.get("content-encoding")
                stream.open.set()
                if response.status_code != 200:
                    return
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        stream.ids.append(int(line[4:]))
                    if line.startswith("data: "):
                        stream.events.put(json.loads(line[6:]))
        except httpx.HTTPError:
            pass
        finally:
            stream.open.set()
            stream.ended.set()

    threading.Thread(target=run, daemon=True).start()
    assert stream.open.wait(10)
    # A stream starts from the poller's last read, so a change made just before it opened
    # may still come: wait past one poll (0.4 s) and drop it, so tests see only their own.
    time.sleep(0.7)
    while drain and not stream.events.empty():
        stream.events.get_nowait()
    if drain:
        stream.ids.clear()
    return stream


def test_a_change_made_through_the_api_reaches_a_project_stream_within_a_second(site):
    bob = site.user()
    key = site.project({bob: "member"})
    issue = site.issue(key)
    stream = listen(site.session(bob), f"/live?project={key}")
    assert (stream.status, stream.encoding) == (200, None)  # each event goes out at once
    started = time.monotonic()
    site.change(issue)
    event = stream.next(timeout=2)
    assert event is not None and time.monotonic() - started < 1.0
    # Only where and what kind: never a title or a value.
    assert event == {
        "issue": issue,
        "project": key,
        "kind": "changed",
        "field": "priority",
        "version": 2,
    }


def test_streams_follow_their_scope(site):
    bob = site.user()
    one, other = site.project({bob: "member"}), site.project({bob: "member"})
    first, second = site.issue(one), site.issue(one)
    elsewhere = site.issue(other)
    by_issue = listen(site.session(bob), f"/live?issue={first}")
    by_project = listen(site.session(bob), f"/live?project={one}")
    everything = listen(site.session(bob), "/live")
    site.change(second)
    site.change(elsewhere)
    site.change(first)
    assert [by_issue.next()["issue"], by_issue.nothing_for(0.5)] == [first, True]
    assert {by_project.next()["issue"], by_project.next()["issue"]} == {first, second}
    assert {everything.next()["issue"] for _ in range(3)} == {first, second, elsewhere}


def test_an_outsider_gets_nothing_from_a_private_project(site):
    bob, eve = site.user(), site.user()
    private = site.project({bob: "member"})
    public = site.project({bob: "admin"}, visibility="public")
    hidden, shown = site.issue(private), site.issue(public)
    assert listen(site.session(eve), f"/live?project={private}").status == 404
    stream = listen(site.session(eve), "/live")
    site.change(hidden)
    site.change(shown)
    event = stream.next()
    assert event is not None and event["issue"] == shown  # the stream works...
    assert stream.nothing_for(1.0)  # ...and the private change never came


def test_confidential_issues_reach_only_those_who_may_see_them(site):
    bob, carol = site.user(), site.user()
    key = site.project({bob: "member", carol: "reporter"})
    secret, plain = site.issue(key, confidential=True), site.issue(key)
    member, reporter = listen(site.session(bob), "/live"), listen(site.session(carol), "/live")
    site.change(secret)
    site.change(plain)
    assert {member.next()["issue"], member.next()["issue"]} == {secret, plain}
    assert reporter.next()["issue"] == plain
    assert reporter.nothing_for(1.0)


def test_a_removed_member_stops_receiving_on_the_stream_already_open(site):
    bob = site.user()
    key = site.project({bob: "member"})
    issue = site.issue(key)
    stream = listen(site.session(bob), "/live")
    scoped = listen(site.session(bob), f"/live?project={key}")
    site.change(issue, "high")
    assert stream.next() is not None and scoped.next() is not None
    removed = site.admin.delete(f"/projects/{key}/members", params={"user": bob})
    assert removed.status_code == 204, removed.text
    site.change(issue, "low")
    assert stream.nothing_for(1.5)
    assert scoped.nothing_for(0.1)
    assert scoped.ended.wait(3)  # the project stream ends: bob may no longer see the project


def test_signing_out_or_being_deactivated_ends_the_stream(site):
    bob, carol = site.user(), site.user()
    key = site.project({bob: "member", carol: "member"})
    bob_session = site.session(bob)
    bob_stream = listen(bob_session, "/live")
    carol_stream = listen(site.session(carol), "/live")
    assert bob_session.post("/api/v1/auth/logout").status_code == 204
    assert bob_stream.ended.wait(4)  # the session check runs every heartbeat (1 s here)
    deactivated = site.admin.post(f"/users/{carol}/deactivate", json={})
    assert deactivated.status_code == 200, deactivated.text
    site.change(site.issue(key))
    assert carol_stream.nothing_for(1.0)
    assert carol_stream.ended.wait(4)


def test_anonymous_streams_see_public_projects_only(site):
    owner = site.user()
    public = site.project({owner: "admin"}, visibility="public")
    internal = site.project({owner: "admin"}, visibility="internal")
    shown, hidden = site.issue(public), site.issue(internal)
    stream = listen(site.session(None), "/live")
    assert stream.status == 200
    site.change(hidden)
    site.change(shown)
    assert stream.next()["issue"] == shown
    assert stream.nothing_for(0.8)


def test_a_reconnecting_stream_gets_what_it_missed_from_last_event_id(site):
    bob = site.user()
    key = site.project({bob: "member"})
    issue = site.issue(key)
    first = listen(site.session(bob), f"/live?project={key}")
    site.change(issue, "high")
    assert first.next() is not None
    last_seen = first.ids[-1]
    site.change(issue, "low")
    site.change(issue, "lowest")
    again = listen(
        site.session(bob), f"/live?project={key}", {"Last-Event-ID": str(last_seen)}, drain=False
    )
    versions = [again.next()["version"], again.next()["version"]]
    assert versions == [3, 4]


def test_a_page_stream_gets_the_changes_made_before_it_opened(site):
    import re

    bob = site.user()
    key = site.project({bob: "member"})
    issue = site.issue(key)
    browser = site.session(bob)
    board = browser.get(f"/p/{key}/board")
    after = re.search(r'data-live-after="(\d+)"', board.text).group(1)
    site.change(issue, "high")  # after the page was rendered, before its stream opens
    late = listen(browser, f"/live?project={key}&after={after}", drain=False)
    # A poller that has not yet read the page's newest event hands it on again (the page just
    # refreshes once more); what matters is that the later change is not lost.
    versions = []
    while 2 not in versions and (event := late.next(3)) is not None:
        versions.append(event["version"])
    assert versions in ([2], [1, 2])


def test_each_person_may_hold_a_few_streams(site):
    bob = site.user()
    client = site.session(bob)
    streams = [listen(client, "/live") for _ in range(3)]
    assert all(s.status == 200 for s in streams)
    assert listen(client, "/live").status == 429
    assert listen(site.session(site.user()), "/live").status == 200  # others are not affected


def test_stopping_the_server_is_not_held_up_by_open_streams(site, tmp_path: Path):
    # A second server on the same (migrated) database, with streams open on both workers.
    with running_server(site.server.env, tmp_path / "server.log", workers=2) as server:
        client = httpx.Client(base_url=server.url, timeout=10)
        streams = [listen(client, "/live") for _ in range(6)]  # anonymous: public only
        assert all(s.status == 200 for s in streams)
        started = time.monotonic()
    # leaving running_server terminated the server and waited for it to exit
    assert time.monotonic() - started < 5
    assert all(s.ended.wait(2) for s in streams)


@pytest.mark.parametrize("redis_url", ["redis://127.0.0.1:6379/0", "redis://127.0.0.1:1/0"])
def test_the_redis_doorbell_delivers_at_once_and_polling_covers_when_redis_is_away(
    site, tmp_path: Path, redis_url: str
):
    """With DOCKET_LIVE_BACKEND=redis a writer rings after commit and streams hear it without
    waiting for the (here one-minute) safety poll; with Redis unreachable, writes still work
    and the poller falls back to its normal pace."""
    import socket

    if "6379" in redis_url:
        try:
            socket.create_connection(("127.0.0.1", 6379), 1).close()
        except OSError:
            if os.environ.get("DOCKET_TEST_REQUIRE_REDIS") == "1":
                pytest.fail("no Redis on 127.0.0.1:6379, and DOCKET_TEST_REQUIRE_REDIS=1")
            pytest.skip("no Redis on 127.0.0.1:6379")
    bob = site.user()
    key = site.project({bob: "member"})
    issue = site.issue(key)
    env = {
        **site.server.env,
        "DOCKET_LIVE_BACKEND": "redis",
        "DOCKET_REDIS_URL": redis_url,
        "DOCKET_LIVE_POLL_MS": "60000",
    }
    with running_server(env, tmp_path / "server.log", workers=2) as server:
        client = httpx.Client(base_url=server.url, timeout=10)
        signed = client.post("/api/v1/auth/login", json={"username": bob, "password": PASSWORD})
        assert signed.status_code == 200
        streams = [listen(client, f"/live?project={key}") for _ in range(2)]
        time.sleep(1.5)  # the listener subscribed (or found Redis away)
        if "6379" in redis_url:  # subscribed for real, so the fast delivery is the doorbell's
            with redis.Redis.from_url(redis_url) as client:
                [(_, subscribed)] = client.pubsub_numsub(doorbell.CHANNEL)
            assert subscribed >= 1
        with server.client(server.token("admin")) as admin:
            started = time.monotonic()
            changed = admin.patch(f"/issues/{issue}", json={"priority": "high"})
            assert changed.status_code == 200, changed.text
        for stream in streams:  # whichever worker holds it
            event = stream.next(timeout=3)
            assert event is not None and event["issue"] == issue
        # Polling is set to a minute: anything well under it is the doorbell (seen: 1.67 s
        # for the write and both streams on a loaded CI machine).
        assert time.monotonic() - started < 5
