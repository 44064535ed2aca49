"""The server's front door (config/asgi.py): refusing past the process's cap before any work,
and sending clients of a busy process among several to reconnect."""

from __future__ import annotations

import json

import pytest
from asgiref.testing import ApplicationCommunicator

from docket.config.asgi import BUSY_IN_FLIGHT, DocketASGIHandler
from tests.asyncrun import run_in_own_loop

pytestmark = pytest.mark.django_db(transaction=True)


def _exchange(handler: DocketASGIHandler, path: str = "/healthz") -> tuple[dict, bytes]:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }

    async def exchange() -> tuple[dict, bytes]:
        talk = ApplicationCommunicator(handler, scope)
        await talk.send_input({"type": "http.request", "body": b""})
        start = await talk.receive_output(5)
        body = await talk.receive_output(5)
        headers = {name.lower(): value for name, value in start["headers"]}
        return {"status": start["status"], **headers}, body["body"]

    return run_in_own_loop(exchange())


def _answer(handler: DocketASGIHandler) -> dict[bytes, bytes]:
    return _exchange(handler)[0]


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


def test_a_process_past_its_cap_refuses_at_the_door_with_retry_after(monkeypatch):
    handler = _handler(1, monkeypatch)
    handler.in_flight = handler.most_in_flight
    head, body = _exchange(handler, "/api/v1/issues")
    assert head["status"] == 503 and head[b"retry-after"] == b"1"
    assert json.loads(body)["title"] == "Server busy"
    assert handler.in_flight == handler.most_in_flight  # the refusal took no place


def test_one_request_below_the_cap_is_served(monkeypatch):
    handler = _handler(1, monkeypatch)
    handler.in_flight = handler.most_in_flight - 1
    assert _answer(handler)["status"] == 200
