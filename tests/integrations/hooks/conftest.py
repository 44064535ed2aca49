"""Webhook tests: the consumer's cursor at the end of the log, a real receiver on 127.0.0.1
(allowed through DOCKET_WEBHOOK_ALLOW_NETWORKS, as an on-premise chat server would be), short
timeouts and retries so failures play out in seconds, and the worker's parts run in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from docket.integrations.hooks import sender
from docket.integrations.hooks.consumer import NAME
from docket.worker import consumers
from tests.integrations.hooks.receiver import Receiver, receiver
from tests.notifications.conftest import cursor_at_the_end


@pytest.fixture(autouse=True)
def fresh_cursor(db: Any) -> None:
    cursor_at_the_end(NAME)


@pytest.fixture(autouse=True)
def quick(settings: Any) -> None:
    settings.DOCKET_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.DOCKET_WEBHOOK_TIMEOUT_SECONDS = 1
    settings.DOCKET_WEBHOOK_RETRY_SECONDS = 0
    settings.DOCKET_WEBHOOK_MAX_ATTEMPTS = 3


@pytest.fixture
def target() -> Iterator[Receiver]:
    with receiver() as found:
        yield found


def queue() -> int:
    """Hand every new event to the webhooks consumer, as the worker does."""
    consumer = next(c for c in consumers.registered() if c.name == NAME)
    handled = 0
    while given := consumers.dispatch(consumer):
        handled += given
    return handled


def deliver(rounds: int = 10) -> int:
    """Queue new events, then send what is due, round after round, until nothing is."""
    queue()
    handled = 0
    for _ in range(rounds):
        done = sender.send_due()
        if not done:
            break
        handled += done
    return handled
