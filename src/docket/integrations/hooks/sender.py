"""Sending due deliveries (the `hooks.deliver` sweep, registered in apps.py).

A round: claim up to BATCH due deliveries in one short transaction (SKIP LOCKED on
PostgreSQL, so workers running side by side take different ones; SQLite has one writer),
marking them `sending` with a lease; send them outside any transaction, all at once from a
thread pool, waiting at most DOCKET_WEBHOOK_TIMEOUT_SECONDS for the batch (so a sweep run
stays bounded however many receivers hang); record the outcomes in one transaction. A
worker killed between claim and record leaves its deliveries `sending`: when their lease
runs out they are due again and go out under the same `webhook-id`.

Failures are retried with exponential backoff and jitter (30 s, 1 min, 2 min, … at most 4 h
apart; 15 attempts span more than 24 hours). A hook whose deliveries run out of attempts
DOCKET_WEBHOOK_DISABLE_AFTER times in a row, or that has had no success for 24 hours when one
runs out, is turned off; its project's admins are told (audit log, mail, a banner on the
webhooks page).

Privacy is decided here, at sending time: a delivery leaves only if the hook's owner is active
and may see the issue now, and a public channel never carries a confidential issue. Otherwise
it is `withheld` (nothing is sent).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as NoAnswerYet
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.core.clock import now
from docket.core.outbound.client import Answer, post
from docket.integrations.hooks.models import Delivery, Webhook
from docket.integrations.hooks.notice import tell_admins_disabled
from docket.integrations.hooks.payloads import request_for
from docket.issues.access import can_see
from docket.issues.models import Issue

log = logging.getLogger(__name__)

BATCH = 32
CONCURRENCY = 64  # a batch's requests all at once, with room left for a batch's stragglers
GRACE_SECONDS = 0.5
RUN_SECONDS = 2.0  # a sweep run stops claiming after this, so the worker's loop goes on
MAX_WAIT = dt.timedelta(hours=4)
FAILING_TOO_LONG = dt.timedelta(hours=24)
S = Delivery.Status

_senders: ThreadPoolExecutor | None = None


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def timeout() -> float:
    return _setting("DOCKET_WEBHOOK_TIMEOUT_SECONDS", 10)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=_setting("DOCKET_WEBHOOK_LEASE_SECONDS", 120))


def retry_wait(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: doubling from the base, capped, plus
    up to 25 % jitter (never less, so the schedule's span stays over 24 hours)."""
    base = _setting("DOCKET_WEBHOOK_RETRY_SECONDS", 30)
    wait = min(dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_WAIT)
    return wait * (1 + random.random() * 0.25)  # noqa: S311 - jitter, not a secret


def send_due(moment: dt.datetime | None = None) -> int:
    """Send what is due, round after round, for up to RUN_SECONDS; deliveries handled."""
    stop = time.monotonic() + RUN_SECONDS
    handled = 0
    while time.monotonic() < stop:
        claimed = claim()
        if not claimed:
            break
        record(claimed, send(claimed))
        handled += len(claimed)
    return handled


def _due() -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        status__in=[S.PENDING, S.SENDING], due_at__lte=now(), hook__enabled=True
    )


def claim(limit: int = BATCH) -> list[Delivery]:
    """Take up to `limit` due deliveries for this worker: `sending`, leased, one more attempt."""
    if not _due().exists():  # a plain read first: an idle worker takes no lock
        return []
    with transaction.atomic():
        rows = _due().order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        taken = list(rows.select_related("hook", "event")[:limit])
        if not taken:
            return []
        moment = now()
        Delivery.objects.filter(pk__in=[d.pk for d in taken]).update(
            status=S.SENDING, due_at=moment + lease(), attempts=F("attempts") + 1,
            last_attempt_at=moment,
        )  # fmt: skip
    for delivery in taken:
        delivery.attempts += 1
        delivery.last_attempt_at = moment
    return taken


@dataclass(frozen=True)
class Outcome:
    answer: Answer | None  # None: withheld, nothing sent
    why_withheld: str = ""


def send(deliveries: list[Delivery]) -> list[Outcome]:
    """Each delivery's outcome, in order: withheld (decided here, reading), or the answer to
    its attempt (the requests run in threads, the whole batch at once)."""
    verdicts = privacy(deliveries)
    moment = now()
    jobs: list[Future[Answer] | None] = []
    for delivery, why in zip(deliveries, verdicts, strict=True):
        if why:
            jobs.append(None)
            continue
        hook = delivery.hook
        body, headers = request_for(
            hook.format, hook.secret, delivery.message_id, delivery.payload, moment
        )
        jobs.append(_pool().submit(post, hook.url, body, headers, timeout=timeout()))
    return _outcomes(jobs, verdicts)


def _outcomes(jobs: list[Future[Answer] | None], verdicts: list[str]) -> list[Outcome]:
    """Wait for the batch's answers, at most the attempt timeout (plus a grace) in all: a
    request still running then counts as unanswered (its thread ends by the client's own
    timeouts; whatever it gets is not recorded, and the retry keeps the id)."""
    limit = timeout()
    deadline = time.monotonic() + limit + GRACE_SECONDS
    outcomes = []
    for job, why in zip(jobs, verdicts, strict=True):
        if job is None:
            outcomes.append(Outcome(None, why))
            continue
        try:
            outcomes.append(Outcome(job.result(timeout=max(0.0, deadline - time.monotonic()))))
        except NoAnswerYet:
            late = Answer(None, "", f"no answer within {limit:g} s", round(limit * 1000))
            outcomes.append(Outcome(late))
    return outcomes


def _pool() -> ThreadPoolExecutor:
    global _senders
    if _senders is None:
        _senders = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="webhook")
    return _senders


def privacy(deliveries: list[Delivery]) -> list[str]:
    """Why each delivery may not leave now ("" when it may)."""
    issue_ids = {d.event.issue_id for d in deliveries}
    issues = {i.pk: i for i in Issue.objects.filter(pk__in=issue_ids).select_related("project")}
    owners: dict[int, Actor] = {}
    verdicts = []
    for delivery in deliveries:
        hook, issue = delivery.hook, issues.get(delivery.event.issue_id)
        verdicts.append(_withheld(hook, issue, owners))
    return verdicts


def _withheld(hook: Webhook, issue: Issue | None, owners: dict[int, Actor]) -> str:
    if issue is None:
        return "the issue no longer exists"
    if hook.public_channel and issue.confidential:
        return "a confidential issue is never sent to a public channel"
    owner = _owner(hook, owners)
    if owner is None:
        return "the hook's owner is gone or deactivated"
    if not can_see(owner, issue):
        return f"the hook's owner ({owner.username}) may not see this issue"
    return ""


def _owner(hook: Webhook, owners: dict[int, Actor]) -> Actor | None:
    if hook.owner_id is None:
        return None
    if hook.owner_id not in owners:
        user = User.objects.filter(pk=hook.owner_id, is_active=True).first()
        if user is None:
            return None
        owners[hook.owner_id] = Actor(user)
    return owners[hook.owner_id]


@transaction.atomic
def record(deliveries: list[Delivery], outcomes: list[Outcome]) -> None:
    """Write each attempt's outcome, and what it means for its hook."""
    moment = now()
    results: dict[int, list[tuple[Delivery, Outcome]]] = {}
    for delivery, outcome in zip(deliveries, outcomes, strict=True):
        _record_one(delivery, outcome, moment)
        results.setdefault(delivery.hook_id, []).append((delivery, outcome))
    for hook_id, done in results.items():
        _follow_hook(hook_id, done, moment)


def _record_one(delivery: Delivery, outcome: Outcome, moment: dt.datetime) -> None:
    answer = outcome.answer
    values: dict[str, object]
    if answer is None:
        values = {"status": S.WITHHELD, "error": outcome.why_withheld, "status_code": None,
                  "duration_ms": None, "response": ""}  # fmt: skip
    else:
        values = {"status_code": answer.status, "duration_ms": answer.duration_ms,
                  "response": answer.body, "error": answer.error[:500]}  # fmt: skip
        if answer.ok:
            values |= {"status": S.DELIVERED, "delivered_at": moment}
        elif delivery.attempts >= delivery.max_attempts:
            values |= {"status": S.FAILED}
        else:
            values |= {"status": S.PENDING, "due_at": moment + retry_wait(delivery.attempts)}
    # Only if still ours: a redelivery or a lease taken over meanwhile wins.
    Delivery.objects.filter(
        pk=delivery.pk, status=S.SENDING, attempts=delivery.attempts
    ).update(**values)  # fmt: skip
    delivery.status = str(values["status"])


def _follow_hook(hook_id: int, done: list[tuple[Delivery, Outcome]], moment: dt.datetime) -> None:
    """A success clears the hook's failing streak; deliveries out of attempts lengthen it and
    may turn the hook off."""
    answers = [o.answer for _, o in done if o.answer is not None]
    if not answers:
        return
    hook = Webhook.objects.select_for_update().filter(pk=hook_id).first()
    if hook is None:  # removed while its deliveries were out
        return
    exhausted = sum(1 for d, _ in done if d.status == S.FAILED)
    if any(a.ok for a in answers):
        hook.failing_since, hook.exhausted_in_a_row = None, 0
    else:
        hook.failing_since = hook.failing_since or moment
    hook.exhausted_in_a_row += exhausted
    fields = ["failing_since", "exhausted_in_a_row"]
    if exhausted and hook.enabled and _too_many_failures(hook, moment):
        last = next(a for a in reversed(answers) if not a.ok)
        _disable(hook, moment, last)
        fields += ["enabled", "disabled_at", "disabled_reason"]
    hook.save(update_fields=fields)


def _too_many_failures(hook: Webhook, moment: dt.datetime) -> bool:
    limit = int(_setting("DOCKET_WEBHOOK_DISABLE_AFTER", 10))
    if hook.exhausted_in_a_row >= limit:
        return True
    return hook.failing_since is not None and moment - hook.failing_since >= FAILING_TOO_LONG


def _disable(hook: Webhook, moment: dt.datetime, last: Answer) -> None:
    what = f"HTTP {last.status}" if last.status is not None else last.error
    hook.enabled = False
    hook.disabled_at = moment
    hook.disabled_reason = (
        f"turned off: {hook.exhausted_in_a_row} deliveries in a row failed every attempt "
        f"(last: {what})"
    )[:300]
    tell_admins_disabled(hook)
    log.warning("webhook %s of project %s %s", hook.id, hook.project_id, hook.disabled_reason)
