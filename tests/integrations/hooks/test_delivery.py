"""Outbound webhooks end to end in-process: hooks made through the API, events written by the
issue actions, the worker's consumer and sending sweep run here, a real receiver on
127.0.0.1 answering as each test needs (receiver.py)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.utils import timezone
from standardwebhooks.webhooks import Webhook as Verifier

from docket.audit.models import AuditEntry
from docket.integrations.hooks import sender
from docket.integrations.hooks.models import Delivery, Webhook
from docket.integrations.hooks.prune import prune_deliveries
from docket.issues import comments, notices
from docket.projects import actions as project_actions
from tests.conftest import Cast
from tests.factories import make_issue
from tests.integrations.hooks.conftest import deliver, queue
from tests.integrations.hooks.receiver import FLAKY, Receiver


def _hook(cast: Cast, url: str, **fields: Any) -> dict[str, Any]:
    answer = cast.api(cast.alice).post(
        "/projects/WEB/webhooks", {"name": "ci", "url": url, **fields}
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def _log(cast: Cast, hook: dict[str, Any]) -> list[dict[str, Any]]:
    answer = cast.api(cast.alice).get(f"/projects/WEB/webhooks/{hook['id']}/deliveries")
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_an_event_arrives_signed_so_the_standard_verifier_accepts_it(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/ok")
    assert hook["secret"].startswith("whsec_") and hook["format"] == "standard"
    assert not hook["public_channel"]
    shown = cast.api(cast.alice).get(f"/projects/WEB/webhooks/{hook['id']}").json()
    assert "secret" not in shown  # shown once, when made

    issue = make_issue(cast.bob, cast.web, title="Login fails")
    assert deliver() == 1
    [hit] = target.accepted("/ok")
    payload = Verifier(hook["secret"]).verify(hit.body, hit.headers)
    assert payload["type"] == "issue.created"
    assert payload["data"]["issue"]["key"] == issue.key
    assert payload["data"]["issue"]["title"] == "Login fails"
    assert payload["data"]["actor"] == "bob"
    assert hit.headers["webhook-id"].startswith("msg_")

    tampered = hit.body.replace(b"Login fails", b"Login works")
    try:
        Verifier(hook["secret"]).verify(tampered, hit.headers)
    except Exception as refused:
        assert "signature" in str(refused).lower()
    else:
        raise AssertionError("a changed body verified")

    [row] = _log(cast, hook)
    assert row["status"] == "delivered" and row["status_code"] == 200
    assert row["attempts"] == 1 and row["response"] == "ok" and row["kind"] == "created"
    assert row["webhook_id"] == hit.headers["webhook-id"] and row["issue"] == issue.key


def test_retries_reuse_the_webhook_id_until_the_receiver_accepts(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/flaky")
    make_issue(cast.bob, cast.web)
    deliver()
    hits = target.received("/flaky")
    assert len(hits) == FLAKY + 1
    assert len({h.headers["webhook-id"] for h in hits}) == 1
    assert [h.status for h in hits] == [500] * FLAKY + [200]
    [row] = _log(cast, hook)
    assert row["status"] == "delivered" and row["attempts"] == FLAKY + 1


def test_a_receiver_that_keeps_failing_runs_the_delivery_out_of_attempts(
    cast: Cast, target: Receiver
):
    hook = _hook(cast, target.url + "/fail")
    make_issue(cast.bob, cast.web)
    deliver()
    assert len(target.received("/fail")) == 3  # DOCKET_WEBHOOK_MAX_ATTEMPTS in the tests
    [row] = _log(cast, hook)
    assert row["status"] == "failed" and row["attempts"] == 3
    assert row["status_code"] == 500 and row["response"] == "boom"


def test_retries_wait_longer_each_time_with_some_jitter(settings: Any):
    settings.DOCKET_WEBHOOK_RETRY_SECONDS = 30
    waits = [sender.retry_wait(n).total_seconds() for n in range(1, 16)]
    assert 30 <= waits[0] <= 37.5 and 60 <= waits[1] <= 75 and 120 <= waits[2] <= 150
    assert max(waits) <= 4 * 3600 * 1.25
    assert sum(waits[:14]) >= 24 * 3600  # 15 attempts span more than a day


def test_a_receiver_that_hangs_is_given_up_on_after_the_timeout(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/hang")
    for n in range(5):
        make_issue(cast.bob, cast.web, title=f"issue {n}")
    queue()
    started = time.monotonic()
    claimed = sender.claim()
    sender.record(claimed, sender.send(claimed))
    took = time.monotonic() - started
    # DOCKET_WEBHOOK_TIMEOUT_SECONDS = 1 in the tests: five hanging receivers, one wait.
    assert len(claimed) == 5 and 0.9 < took < 2.5
    rows = _log(cast, hook)
    assert {r["status"] for r in rows} == {"pending"} and len(rows) == 5
    assert all(r["status_code"] is None and "no answer within 1 s" in r["error"] for r in rows)
    assert all(900 <= r["duration_ms"] < 2500 for r in rows)


def test_a_slow_answer_within_the_timeout_is_a_delivery(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/slow")
    make_issue(cast.bob, cast.web)
    deliver()
    [row] = _log(cast, hook)
    assert row["status"] == "delivered" and row["duration_ms"] >= 300


def test_a_connection_closed_mid_answer_is_a_failed_attempt(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/close")
    make_issue(cast.bob, cast.web)
    deliver()
    [row] = _log(cast, hook)
    assert row["status"] == "failed" and row["status_code"] is None
    assert row["error"] and len(target.received("/close")) == 3


def test_a_long_answer_is_kept_only_in_part(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/big")
    make_issue(cast.bob, cast.web)
    deliver()
    [row] = _log(cast, hook)
    assert row["status"] == "delivered" and len(row["response"]) == 4096


def test_redirects_are_not_followed(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/redirect")
    make_issue(cast.bob, cast.web)
    deliver()
    [row] = _log(cast, hook)
    assert row["status_code"] == 302 and "redirects are not followed" in row["error"]
    assert not target.received("/ok")


def test_kinds_and_a_query_choose_the_events_sent(cast: Cast, target: Receiver):
    _hook(cast, target.url + "/ok", name="comments", kinds=["commented"])
    _hook(cast, target.url + "/ok?high", name="high", query="priority:high")
    urgent = make_issue(cast.bob, cast.web, title="Urgent", priority="high")
    calm = make_issue(cast.bob, cast.web, title="Calm", priority="low")
    comments.add_comment(actor=cast.bob, issue=calm, body="a note")
    deliver()
    kinds = sorted(
        (h.json()["data"]["issue"]["title"], h.json()["type"]) for h in target.accepted("/ok")
    )
    assert kinds == [("Calm", "issue.commented"), ("Urgent", "issue.created")]
    comment_hit = next(h for h in target.accepted() if h.json()["type"] == "issue.commented")
    assert comment_hit.json()["data"]["comment"]["body"] == "a note"
    assert urgent.key in {h.json()["data"]["issue"]["key"] for h in target.accepted()}


def test_an_event_the_owner_may_not_see_is_withheld(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/ok")
    # alice made the hook; now she is only a reporter: confidential issues are beyond her.
    project_actions.set_member(actor=cast.root, project=cast.web, user="bob", role="admin")
    project_actions.set_member(actor=cast.root, project=cast.web, user="alice", role="reporter")
    secret = make_issue(cast.bob, cast.web, title="Payroll leak", confidential=True)
    plain = make_issue(cast.bob, cast.web, title="Typo")
    deliver()
    titles = [h.json()["data"]["issue"]["title"] for h in target.accepted()]
    assert titles == ["Typo"]
    rows = {r["issue"]: r for r in _root_log(cast, hook)}
    assert rows[secret.key]["status"] == "withheld" and "may not see" in rows[secret.key]["error"]
    assert rows[plain.key]["status"] == "delivered"


def _root_log(cast: Cast, hook: dict[str, Any]) -> list[dict[str, Any]]:
    return cast.api(cast.root).get(f"/projects/WEB/webhooks/{hook['id']}/deliveries").json()


def test_a_public_chat_channel_never_carries_a_confidential_issue(cast: Cast, target: Receiver):
    public = _hook(cast, target.url + "/ok?public", format="slack")
    assert public["public_channel"] is True  # chat formats are public unless said otherwise
    _hook(cast, target.url + "/ok?private", format="slack", public_channel=False)
    make_issue(cast.bob, cast.web, title="Payroll leak", confidential=True)
    deliver()
    hits = target.accepted()
    assert len(hits) == 1 and "Payroll leak" in hits[0].json()["text"]
    assert hits[0].query == "private"
    [row] = _log(cast, public)
    assert row["status"] == "withheld" and "public channel" in row["error"]


def test_a_lease_that_ran_out_sends_again_under_the_same_id(
    cast: Cast, target: Receiver, settings: Any
):
    hook = _hook(cast, target.url + "/ok")
    make_issue(cast.bob, cast.web)
    queue()
    settings.DOCKET_WEBHOOK_LEASE_SECONDS = 0
    [taken] = sender.claim()  # this worker dies here: nothing recorded, nothing sent
    assert Delivery.objects.get(pk=taken.pk).status == "sending"
    deliver()
    [hit] = target.accepted()
    assert hit.headers["webhook-id"] == taken.message_id
    [row] = _log(cast, hook)
    assert row["status"] == "delivered" and row["attempts"] == 2


def test_redeliver_sends_again_with_the_same_id(cast: Cast, target: Receiver):
    hook = _hook(cast, target.url + "/fail")
    make_issue(cast.bob, cast.web)
    deliver()
    [row] = _log(cast, hook)
    assert row["status"] == "failed"
    alice = cast.api(cast.alice)
    moved = alice.patch(f"/projects/WEB/webhooks/{hook['id']}", {"url": target.url + "/ok"})
    assert moved.status_code == 200, moved.content
    again = alice.post(f"/projects/WEB/webhooks/{hook['id']}/deliveries/{row['id']}/redeliver")
    assert again.status_code == 202, again.content
    assert again.json()["status"] == "pending"
    deliver()
    [hit] = target.accepted("/ok")
    assert hit.headers["webhook-id"] == row["webhook_id"]
    [after] = _log(cast, hook)
    assert after["status"] == "delivered" and after["attempts"] == 4
    assert AuditEntry.objects.filter(action="webhook.redelivered").count() == 1


def test_a_hook_failing_again_and_again_is_turned_off_and_its_admins_told(
    cast: Cast, target: Receiver, settings: Any, smtp_server: Any
):
    settings.DOCKET_WEBHOOK_DISABLE_AFTER = 2
    hook = _hook(cast, target.url + "/fail")
    for n in range(3):
        make_issue(cast.bob, cast.web, title=f"issue {n}")
    deliver()
    shown = cast.api(cast.alice).get(f"/projects/WEB/webhooks/{hook['id']}").json()
    assert shown["enabled"] is False
    assert "3 deliveries in a row failed every attempt" in shown["disabled_reason"]
    [entry] = AuditEntry.objects.filter(action="webhook.disabled", project_key="WEB")
    assert entry.actor_name == "(webhook delivery)" and "HTTP 500" in entry.data["reason"]
    [mail] = smtp_server.delivered()
    assert mail["To"] == cast.alice.email and "was turned off" in mail["Subject"]
    sent = len(target.received())
    make_issue(cast.bob, cast.web, title="after")
    deliver()
    assert len(target.received()) == sent  # nothing more goes to a hook that is off
    turned_on = cast.api(cast.alice).patch(
        f"/projects/WEB/webhooks/{hook['id']}", {"enabled": True, "url": target.url + "/ok"}
    )
    assert turned_on.json()["disabled_reason"] == ""
    make_issue(cast.bob, cast.web, title="on again")
    deliver()
    # Events from while it was off were not queued for it; new ones go out.
    assert [h.json()["data"]["issue"]["title"] for h in target.accepted("/ok")] == ["on again"]


def test_finished_deliveries_past_the_retention_are_pruned_waiting_ones_stay(
    cast: Cast, target: Receiver, settings: Any
):
    _hook(cast, target.url + "/ok")
    for n in range(3):
        make_issue(cast.bob, cast.web, title=f"issue {n}")
    deliver()
    old, kept, waiting = Delivery.objects.order_by("id")
    long_ago = timezone.now() - dt.timedelta(days=31)
    Delivery.objects.filter(pk__in=[old.pk, waiting.pk]).update(created_at=long_ago)
    Delivery.objects.filter(pk=waiting.pk).update(status="pending")
    settings.DOCKET_WEBHOOK_DELIVERIES_KEEP_DAYS = 30
    assert prune_deliveries(timezone.now()) == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {kept.pk, waiting.pk}


def test_a_rules_webhook_request_goes_to_the_named_hook_alone(cast: Cast, target: Receiver):
    """The automation rule action `webhook` records a `webhook_requested` event naming a hook
    (docs/automation.md): that hook sends it whatever events it listens to; no other does."""
    _hook(cast, target.url + "/ok?deploy", name="Deploy bot", kinds=["commented"])
    _hook(cast, target.url + "/ok?other", name="Other")
    issue = make_issue(cast.bob, cast.web, title="Ship it")
    deliver()
    target.hits.clear()
    notices.request_webhook(actor=cast.alice, issue=issue, hook="deploy BOT", message="go")
    deliver()
    [hit] = target.accepted()
    assert hit.query == "deploy" and hit.json()["type"] == "issue.webhook_requested"
    assert hit.json()["data"]["event"]["new"] == {"hook": "deploy BOT", "message": "go"}


def test_a_hook_failing_for_a_day_is_turned_off_when_a_delivery_runs_out(
    cast: Cast, target: Receiver
):
    hook = _hook(cast, target.url + "/fail")  # DOCKET_WEBHOOK_DISABLE_AFTER stays 10
    Webhook.objects.filter(pk=hook["id"]).update(
        failing_since=timezone.now() - dt.timedelta(hours=25)
    )
    make_issue(cast.bob, cast.web)
    deliver()
    shown = cast.api(cast.alice).get(f"/projects/WEB/webhooks/{hook['id']}").json()
    assert shown["enabled"] is False and "1 deliveries in a row" in shown["disabled_reason"]


def test_a_deleted_comments_words_do_not_leave(cast: Cast, target: Receiver):
    _hook(cast, target.url + "/ok", kinds=["comment_deleted"])
    issue = make_issue(cast.bob, cast.web)
    said = comments.add_comment(actor=cast.bob, issue=issue, body="my password is hunter2")
    comments.delete_comment(actor=cast.bob, issue=issue, comment_id=said.id)
    deliver()
    [hit] = target.accepted()
    assert hit.json()["type"] == "issue.comment_deleted" and b"hunter2" not in hit.body


def test_a_link_event_leaves_without_the_other_issue(cast: Cast) -> None:
    """The other issue may be in a project the receivers may not see: the payload names the
    link's kind only (payloads.py)."""
    from docket.integrations.hooks.payloads import event_payload
    from docket.issues.links import link_issues
    from docket.issues.models import IssueEvent

    private = project_actions.create_project(
        actor=cast.alice, key="SEC", name="Security", visibility="private"
    )
    web_issue, secret = make_issue(cast.alice, cast.web), make_issue(cast.alice, private)
    link_issues(actor=cast.alice, issue=web_issue, kind="blocks", other=f"SEC-{secret.number}")
    event = IssueEvent.objects.get(issue=web_issue, kind="linked")
    payload = event_payload(event, web_issue)
    assert payload["data"]["event"]["new"] == {"kind": "blocks", "issue": None}
    assert "SEC-" not in str(payload)
