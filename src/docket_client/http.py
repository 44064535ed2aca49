"""A small HTTP client for /api/v1 on the standard library's http.client.

httpx would add ~60 ms to every start (docs/benchmark.md, "Terminal client"); one request per
command over http.client needs none of its features. Every failure becomes a ClientError
with the exit code docs/cli.md lists.
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from docket_client.errors import ERROR, ClientError, code_for_status

USER_AGENT = "docket-cli"
TIMEOUT = 30.0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Api:
    """Requests to one server's API; `token` signs them in, `cookies` carry a session."""

    def __init__(self, url: str, token: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ClientError(f"not a server address: {url!r} (want http(s)://host[:port])")
        self.url = url.rstrip("/")
        self.token = token
        self.cookies: dict[str, str] = {}
        self._parts = parts
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Any = None, **headers: str) -> Response:
        return self.request("POST", path, body=body if body is not None else {}, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        expect_error: bool = False,
    ) -> Response:
        """One request; a 4xx/5xx raises ClientError unless `expect_error`."""
        target = self._parts.path.rstrip("/") + "/api/v1" + path
        query = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        if query:
            target += "?" + urlencode(query)
        sent = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update({k.replace("_", "-"): v for k, v in (headers or {}).items()})
        response = self._send(method, target, payload, sent)
        if response.status >= 400 and not expect_error:
            raise problem_error(response)
        return response

    def _send(
        self, method: str, target: str, payload: bytes | None, headers: dict[str, str]
    ) -> Response:
        try:
            connection = self._connect()
            connection.request(method, target, body=payload, headers=headers)
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ClientError(f"cannot reach {self.url}: {_reason(exc)}", ERROR) from exc
        for header, value in answer.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            host, port = self._parts.hostname or "", self._parts.port
            if self._parts.scheme == "https":
                self._connection = http.client.HTTPSConnection(host, port, timeout=TIMEOUT)
            else:
                self._connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def web_url(self, path: str) -> str:
        return self.url + "/" + quote(path.lstrip("/"))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"no answer within {TIMEOUT:.0f} s"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    return str(exc) or type(exc).__name__


def problem_error(response: Response) -> ClientError:
    """An RFC 9457 problem as one line (status, title, detail) and its field errors."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        text = response.body.decode("utf-8", "replace").strip().splitlines()
        return ClientError(
            f"server answered {response.status}" + (f": {text[0][:200]}" if text else ""),
            code_for_status(response.status),
        )
    title = problem.get("title") or "error"
    detail = problem.get("detail") or ""
    line = f"{title} (HTTP {response.status})" + (f": {detail}" if detail else "")
    details = [
        f"{item.get('field')}: {item.get('message')}"
        for item in problem.get("errors") or []
        if isinstance(item, dict) and item.get("message") and item.get("message") not in detail
    ]
    if response.status == 409 and isinstance(problem.get("current"), dict):
        fields = {
            item.get("field") for item in problem.get("errors") or [] if isinstance(item, dict)
        }
        details += [
            f"now {name}: {value!r}" for name, value in problem["current"].items() if name in fields
        ]
        details.append("nothing was overwritten: look at the issue again, then redo your change")
    if response.status == 401:
        details.append("run `docket login` again (the token may have expired or been revoked)")
    if "retry_after" in problem:
        details.append(f"retry after {problem['retry_after']} s")
    return ClientError(line, code_for_status(response.status), details)
