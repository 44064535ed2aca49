"""`Idempotency-Key` on the API's writes (draft-ietf-httpapi-idempotency-key-header), in one
place: a client whose connection died retries a POST/PUT/PATCH/DELETE with the same key and
gets the first answer again instead of a second issue.

Per signed-in user (an anonymous request's key is ignored), for `LIFETIME`:
- same key, same request (method, path with query, `If-Match`, body) → the stored answer,
  replayed with `Idempotency-Replayed: true`, and nothing is run again;
- same key, another request → 422; the same key while its first request runs → 409;
- a key that is not 1–255 printable ASCII characters → 400.
Stored: 2xx answers and the 4xx ones a retry would get again (not 408/409/425/429, which
depend on the moment); never a 5xx, so the client can retry it.

Why one transaction. A keyed write runs inside `transaction.atomic()` opened here, around the
whole operation; the actions' own `atomic` blocks become savepoints inside it, and the
answer is stored in it before it commits. So the write and the memory of it commit together
or not at all: a crash (or `kill -9`) anywhere leaves either both or neither, never an issue
whose retry would create it again. A 5xx rolls the transaction back. (ATOMIC_REQUESTS would
give every request one transaction; only keyed writes need it, and bulk edit's one
transaction per issue keeps its short row locks for everyone else.) Uploads are the
exception: the attachment action must commit on its own (`durable`, so its file and row agree),
so an upload's answer is stored just after it commits, and a crash in between loses the key.

Concurrency: on PostgreSQL the operation first takes a transaction-scoped advisory lock on
(user, key), without waiting: a second request with the key while the first runs gets 409.
On SQLite every write transaction starts with `BEGIN IMMEDIATE`, so the second request waits
for the first to commit and is then answered with its replay.

Ninja authenticates inside the operation, so this works in two steps (`install`): a "view"
decorator around the operation (the key's syntax, the transaction, storing the answer) and an
"operation" decorator after authentication and input validation (who is asking: replay, 422,
409, or go on). Core stays free of apps: the storage is a `KeyStore` (accounts implements it).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from ninja import NinjaAPI

from docket.core.clock import now
from docket.core.errors import BadParameter, DocketError
from docket.core.http import docket_error_response

HEADER = "Idempotency-Key"
REPLAYED = "Idempotency-Replayed"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LIFETIME = dt.timedelta(hours=24)
MAX_KEY = 255
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
# Client errors whose retry may well succeed: not stored, so the key stays usable.
MOMENTARY = frozenset({408, 409, 425, 429})
PRUNE_EVERY_SECONDS = 600


class KeyReused(DocketError):
    status = 422
    title = "Idempotency key reused"


class KeyInFlight(DocketError):
    status = 409
    title = "Request in progress"


@dataclass(frozen=True)
class Answer:
    """A stored answer: the request it answered (`fingerprint`) and what was sent back."""

    fingerprint: str
    status: int
    headers: dict[str, str]
    body: bytes


class KeyStore(Protocol):
    def owner(self, request: HttpRequest) -> int | None:
        """Whose keys this request uses (a user id), or None for an anonymous one."""

    def find(self, owner: int, key: str, at: dt.datetime) -> Answer | None:
        """The answer stored under `key` that is still valid `at`."""

    def keep(
        self, owner: int, key: str, answer: Answer, at: dt.datetime, expires_at: dt.datetime
    ) -> None:
        """Store `answer` under `key` (a unique key per owner), replacing one expired `at`."""

    def prune(self, at: dt.datetime) -> int:
        """Forget every answer expired by `at`; how many."""


@dataclass(frozen=True)
class _Claim:
    owner: int
    key: str
    fingerprint: str


def install(api: NinjaAPI, store: KeyStore) -> None:
    """Honour `Idempotency-Key` on every write operation of `api` (see the module)."""
    api.add_decorator(functools.partial(_around_operation, store), mode="view")
    api.add_decorator(functools.partial(_after_authentication, store), mode="operation")


def key_problem(key: str) -> str | None:
    """Why `key` cannot be an idempotency key, if it cannot (the draft makes it a Structured
    Field string: printable ASCII; sent quoted or bare, the value is the key as sent)."""
    if not 0 < len(key) <= MAX_KEY:
        return f"must be 1–{MAX_KEY} characters long"
    if not all(" " <= char <= "~" for char in key):
        return "must be printable ASCII characters only"
    return None


def _around_operation(store: KeyStore, run: Callable[..., HttpResponse]) -> Callable[..., Any]:
    @functools.wraps(run)
    def keyed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER) if request.method in WRITES else None
        if key is None:
            return run(request, *args, **kwargs)
        problem = key_problem(key)
        if problem is not None:
            refused = BadParameter.field(HEADER, problem, location="header")
            return docket_error_response(request, refused)
        request.idempotency_key = key  # type: ignore[attr-defined]
        if request.content_type == "multipart/form-data":  # an upload commits on its own
            response = run(request, *args, **kwargs)
            with transaction.atomic():
                _keep(store, request, response)
            return response
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # nothing kept, nothing done: retry it
            else:
                _keep(store, request, response)
        return response

    return keyed


def _after_authentication(store: KeyStore, view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key: str | None = getattr(request, "idempotency_key", None)
        owner = store.owner(request) if key is not None else None
        if key is None or owner is None:
            return view(request, *args, **kwargs)
        if not _hold(owner, key):
            raise KeyInFlight(
                f"a request with this {HEADER} is still being processed; retry it later"
            )
        fingerprint = fingerprint_of(request)
        answer = store.find(owner, key, now())
        if answer is None:
            request.idempotency_claim = _Claim(owner, key, fingerprint)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)
        if answer.fingerprint != fingerprint:
            raise KeyReused(
                f"this {HEADER} was used for a different request (method, path or body); "
                "use a new key for a new request"
            )
        return replay(answer)

    return checked


def _hold(owner: int, key: str) -> bool:
    """Take (user, key)'s lock for this transaction if nobody holds it; False if somebody
    does. PostgreSQL only: SQLite's IMMEDIATE transactions already run one at a time."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return True
    name = hashlib.sha256(f"docket.idempotency:{owner}:{key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s)", [int.from_bytes(name[:8], signed=True)]
        )
        return bool(cursor.fetchone()[0])


def fingerprint_of(request: HttpRequest) -> str:
    """What makes two requests the same one: method, path and query, `If-Match`, body."""
    digest = hashlib.sha256()
    for part in (
        request.method or "",
        request.get_full_path(),
        request.headers.get("If-Match", ""),
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    try:
        digest.update(request.body)
    except RawPostDataException:  # a multipart body, already parsed into its parts
        _digest_parts(digest, request)
    return digest.hexdigest()


def _digest_parts(digest: Any, request: HttpRequest) -> None:
    for name, values in sorted(request.POST.lists()):
        digest.update(f"{name}={values!r}\x00".encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(f"{name}:{upload.name}:{upload.size}\x00".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)


def storable(status: int) -> bool:
    return 200 <= status < 300 or (400 <= status < 500 and status not in MOMENTARY)


def _keep(store: KeyStore, request: HttpRequest, response: HttpResponse) -> None:
    claim: _Claim | None = getattr(request, "idempotency_claim", None)
    if claim is None or response.streaming or not storable(response.status_code):
        return
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    answer = Answer(claim.fingerprint, response.status_code, headers, response.content)
    moment = now()
    store.keep(claim.owner, claim.key, answer, moment, moment + LIFETIME)
    _prune_now_and_then(store, moment)


_last_pruned = 0.0


def _prune_now_and_then(store: KeyStore, moment: dt.datetime) -> None:
    """Forget expired answers, at most once per `PRUNE_EVERY_SECONDS` per process: one
    indexed DELETE, however many keys there are."""
    global _last_pruned
    if time.monotonic() - _last_pruned >= PRUNE_EVERY_SECONDS:
        _last_pruned = time.monotonic()
        store.prune(moment)


def replay(answer: Answer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status)
    if "Content-Type" not in answer.headers:
        del response["Content-Type"]
    for name, value in answer.headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response
