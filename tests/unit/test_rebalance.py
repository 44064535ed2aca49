"""Several server processes: a busy one sends its client to reconnect (config/asgi.py)."""

from __future__ import annotations

import pytest
from asgiref.testing import ApplicationCommunicator

from docket.config.asgi import BUSY_IN_FLIGHT, DocketASGIHandler
from tests.asyncrun import run_in_own_loop

pytestmark = pytest.mark.django_db(transaction=True)


def _answer(handler: DocketASGIHandler) -> dict[bytes, bytes]:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }

    async def exchange() -> dict[bytes, bytes]:
        talk = ApplicationCommunicator(handler, scope)
        await talk.send_input({"type": "http.request", "body": b""})
        start = await talk.receive_output(5)
        await talk.receive_output(5)
        return {name.lower(): value for name, value in start["headers"]}

    return run_in_own_loop(exchange())


def _handler(processes: int, monkeypatch: pytest.MonkeyPatch) -> DocketASGIHandler:
    monkeypatch.setenv("DOCKET_SERVER_PROCESSES", str(processes))
    return DocketASGIHandler()


def test_a_busy_process_among_several_asks_its_client_to_reconnect(monkeypatch):
    handler = _handler(2, monkeypatch)
    handler.in_flight = BUSY_IN_FLIGHT - 1  # others being answered beside this request
    assert _answer(handler).get(b"connection") == b"close"


def test_a_process_with_room_keeps_the_connection(monkeypatch):
    handler = _handler(2, monkeypatch)
    assert b"connection" not in _answer(handler)


def test_a_single_process_never_closes_a_connection_for_load(monkeypatch):
    handler = _handler(1, monkeypatch)
    handler.in_flight = BUSY_IN_FLIGHT + 5
    assert b"connection" not in _answer(handler)
