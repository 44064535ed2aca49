"""Receiving one delivery from a forge, in this order — each step refuses with a precise
answer and nothing changed:

1. the connection, by the delivery URL's random id (404);
2. the signature or token over the raw body bytes, before anything parses them (401);
3. the event header (400), JSON as the content type (415), the body as a JSON object (400,
   with the parser's line and column);
4. the repository the payload names must be the connected one (422);
5. the delivery's row, unique per (connection, forge delivery id, body sha256): a redelivery
   finds it and is answered "already processed" (200); the first one is applied (linking.py)
   in the same transaction as its row, so a crash leaves neither.

Ping (GitHub `ping`) answers 200 "pong"; events Docket does not read answer 200
"ignored: <event>" (and are logged), so the forge does not retry them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from docket.core.clock import now
from docket.core.errors import DocketError, Invalid, NotFound
from docket.integrations.vcs import linking, payloads
from docket.integrations.vcs.bot import bot_actor
from docket.integrations.vcs.models import Delivery, Repository
from docket.integrations.vcs.signatures import verify

MAX_JSON_DEPTH = 64


class MalformedDelivery(DocketError):
    status = 400
    title = "Malformed delivery"


class NotJson(DocketError):
    status = 415
    title = "Unsupported media type"


@dataclass
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def connection(hook_id: str) -> Repository:
    found = (
        Repository.objects.select_related("project").filter(hook_id=hook_id).first()
        if 0 < len(hook_id) <= 40
        else None
    )
    if found is None:
        raise NotFound("no repository connection at this address")
    return found


def parse(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as wrong:
        raise MalformedDelivery(f"the body is not valid UTF-8 (byte {wrong.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as wrong:
        raise MalformedDelivery(
            f"malformed JSON at {wrong.lineno}:{wrong.colno} (character {wrong.pos}): {wrong.msg}"
        ) from None
    except RecursionError:
        raise MalformedDelivery("the JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise MalformedDelivery("the body must be a JSON object")
    return data


def _json_content(content_type: str) -> None:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind != "application/json":
        raise NotJson(
            f"send JSON: set the hook's content type to application/json (got {kind or 'none'!r})"
        )


def receive(hook_id: str, headers: Mapping[str, str], body: bytes, content_type: str) -> Answer:
    repository = connection(hook_id)
    provider = repository.provider
    verify(provider, headers, body, repository.secret)
    event = payloads.first_header(headers, payloads.EVENT_HEADERS[provider])
    if not event:
        names = " or ".join(payloads.EVENT_HEADERS[provider])
        raise MalformedDelivery(f"missing event header: {names}")
    _json_content(content_type)
    payload = parse(body)
    kind = payloads.KINDS[provider].get(event)
    if kind not in (None, payloads.PING):
        named = payloads.repository_name(provider, payload)
        if named.lower() != repository.full_name.lower():
            raise Invalid(
                f"this address is connected to {repository.full_name}; the delivery is "
                f"from {named or 'no repository'}"
            )
    digest = hashlib.sha256(body).hexdigest()
    delivery_id = payloads.first_header(headers, payloads.DELIVERY_HEADERS[provider])[:100]
    return _apply(repository, event[:100], kind, payload, delivery_id or f"sha256:{digest}", digest)


@transaction.atomic
def _apply(
    repository: Repository,
    event: str,
    kind: str | None,
    payload: dict[str, Any],
    delivery_id: str,
    digest: str,
) -> Answer:
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                repository=repository, delivery_id=delivery_id, body_sha256=digest, event=event,
                outcome=Delivery.Outcome.IGNORED, received_at=now(),
            )  # fmt: skip
    except IntegrityError:
        return Answer(200, {"status": "already processed", "delivery": delivery_id})
    if kind == payloads.PING:
        delivery.outcome, delivery.detail = Delivery.Outcome.PING, "pong"
        delivery.save(update_fields=["outcome", "detail"])
        return Answer(200, {"status": "ok", "detail": "pong"})
    if kind is None:
        delivery.detail = f"ignored: {event}"
        delivery.save(update_fields=["detail"])
        return Answer(200, {"status": "ignored", "detail": delivery.detail})
    bot = bot_actor(repository.project)
    if kind == payloads.PUSH:
        push = payloads.read_push(repository.provider, payload)
        if push.branch is None:
            delivery.detail = f"ignored: {push.ref or 'a push without a ref'} is not a branch"
            delivery.save(update_fields=["detail"])
            return Answer(200, {"status": "ignored", "detail": delivery.detail})
        tally = linking.apply_push(repository, push, bot)
        delivery.detail = f"{len(push.commits)} commit(s) to {push.branch}"
    else:
        pr = payloads.read_pull_request(repository.provider, payload)
        tally = linking.apply_pull_request(repository, pr, bot)
        delivery.detail = f"pull request #{pr.number} ({pr.state})"
    delivery.outcome = Delivery.Outcome.PROCESSED
    delivery.linked, delivery.closed = tally.linked, tally.closed
    delivery.save()
    return Answer(
        200,
        {"status": "processed", "event": event, "linked": tally.linked, "closed": tally.closed},
    )
