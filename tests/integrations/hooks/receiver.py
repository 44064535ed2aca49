"""A real HTTP receiver on 127.0.0.1 for webhook tests: it records every request (path,
headers, body) and behaves as its path says:

  /ok        200 "ok"                   /fail      500 "boom"
  /slow      200 after SLOW seconds     /hang      answers nothing for HANG seconds
  /close     starts an answer, then closes the connection
  /big       200 with a 100 KB body     /redirect  302 to /ok
  /flaky     500 to the first FLAKY attempts of each webhook-id, then 200
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLOW = 0.3
HANG = 3.0
FLAKY = 2


@dataclass
class Hit:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: Counter[str] = field(default_factory=Counter)

    def received(self, path: str | None = None) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if path is None or h.path == path]

    def accepted(self, path: str | None = None) -> list[Hit]:
        return [h for h in self.received(path) if 200 <= h.status < 300]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    receiver: Receiver

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        try:
            self._answer()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: its business
            self.close_connection = True

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path, _, query = self.path.partition("?")
        status = self._status(path)
        with self.receiver.lock:
            self.receiver.hits.append(Hit(path, query, dict(self.headers.items()), body, status))
        if path == "/hang":
            time.sleep(HANG)
        if path == "/slow":
            time.sleep(SLOW)
        if path == "/close":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
            self.wfile.flush()
            self.close_connection = True
            return
        answer = b"x" * 100_000 if path == "/big" else (b"ok" if status < 300 else b"boom")
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/ok")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _status(self, path: str) -> int:
        if path == "/fail":
            return 500
        if path == "/redirect":
            return 302
        if path == "/flaky":
            with self.receiver.lock:
                self.receiver.seen[self.headers.get("webhook-id", "")] += 1
                tries = self.receiver.seen[self.headers.get("webhook-id", "")]
            return 500 if tries <= FLAKY else 200
        return 200


class _Server(ThreadingHTTPServer):
    # A sweep sends a batch of 32 at once: with socketserver's backlog of 5, a busy machine
    # drops connections, the kernel retries them 1 s, 3 s, 7 s later, and a delivery times out
    # into a 30 s retry wait (a test once waited 31 s for nothing).
    request_queue_size = 128


@contextmanager
def receiver() -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    found = Receiver(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = type("Handler", (_Handler,), {"receiver": found})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
