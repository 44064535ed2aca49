"""Rate limits for sign-in and other abusable endpoints, kept in the database.

Every server process shares the limits because the counts live in a table
(`ThrottleHit`), so they hold with several `docket serve` workers on one SQLite file or on
PostgreSQL, with no Redis. Each counted attempt is one row (a SHA-256 of the rule and the
subject — a username, address or IP — and the time), written by a plain INSERT in its own
short transaction: concurrent writers never contend for one counter row.

The window **slides**: a key is over its limit while `limit` or more of its rows are younger
than `window` seconds, and `Retry-After` is exactly when enough of them age out. (No burst
at a window boundary, as fixed windows allow.) Rows older than the longest window are
deleted whenever a hit is recorded.

Usage: `check(keys)` before the attempt (seconds to wait, or None), `hit(keys)` when it
fails, `reset(keys)` when it succeeds — per-account keys only: resetting an IP's count on
success would let one valid account launder guesses from that IP. `enforce` raises the 429;
`take` is check-and-count for things limited whether they succeed or not (token creation).
Because the check and the hit are separate statements, requests in flight at the same
moment may overshoot a limit by the number of concurrent workers; that bound is accepted.

Call these outside `transaction.atomic` blocks: a hit recorded inside one is rolled back
with it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from docket.accounts.models import ThrottleHit, User
from docket.core import clock
from docket.core.errors import DocketError, TooManyRequests, Unauthenticated
from docket.core.proxies import client_ip

HOUR = 3600


@dataclass(frozen=True)
class Key:
    """A rule (`scope`, `limit` attempts per `window` seconds) applied to one subject."""

    scope: str
    subject: str
    limit: int
    window: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.scope}\0{self.subject}".encode()).hexdigest()

    @property
    def enabled(self) -> bool:
        return self.limit > 0 and self.window > 0


# --- the rules ---------------------------------------------------------------------------------


def _window() -> int:
    return settings.DOCKET_THROTTLE_WINDOW_SECONDS


def ip_subject(ip: str) -> str:
    """An IPv6 client is counted by its /64 (one host usually holds a whole /64)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def login_account(username: str) -> Key:
    """Failed sign-ins for one username, case-folded, whether or not the account exists."""
    return Key(
        "login-account", username.casefold(), settings.DOCKET_THROTTLE_ACCOUNT_FAILURES, _window()
    )


def login_ip(request: HttpRequest) -> Key:
    subject = ip_subject(client_ip(request))
    return Key("login-ip", subject, settings.DOCKET_THROTTLE_IP_FAILURES, _window())


def bearer_ip(request: HttpRequest) -> Key:
    subject = ip_subject(client_ip(request))
    return Key("bearer-ip", subject, settings.DOCKET_THROTTLE_IP_FAILURES, _window())


def reset_ip(request: HttpRequest) -> Key:
    """Password-reset requests and bad reset links from one IP."""
    subject = ip_subject(client_ip(request))
    return Key("reset-ip", subject, settings.DOCKET_THROTTLE_IP_FAILURES, _window())


def reset_address(email: str) -> Key:
    """Password-reset requests for one address, whether or not an account has it."""
    return Key("reset-address", email.casefold(), settings.DOCKET_THROTTLE_RESETS_PER_HOUR, HOUR)


def token_creation(user: User) -> Key:
    return Key("token-create", str(user.pk), settings.DOCKET_THROTTLE_TOKENS_PER_HOUR, HOUR)


def _retention() -> int:
    """How long a row can matter: the longest window of any rule."""
    return max(_window(), HOUR)


# --- the window --------------------------------------------------------------------------------


def retry_after(times: Sequence[datetime], limit: int, window: int, at: datetime) -> int | None:
    """Whole seconds until fewer than `limit` of `times` lie in the `window` seconds before
    `at`, or None when that is already so. Pure: the sliding window, testable alone."""
    span = timedelta(seconds=window)
    live = sorted(t for t in times if t > at - span)
    if len(live) < limit:
        return None
    # Once the (n - limit + 1) oldest rows have aged out, n - (n - limit + 1) < limit remain.
    frees_at = live[len(live) - limit] + span
    return max(1, math.ceil((frees_at - at).total_seconds()))


def check(keys: Iterable[Key]) -> int | None:
    """Seconds to wait when any key is at its limit, else None."""
    active = [key for key in keys if key.enabled]
    if not active:
        return None
    at = clock.now()
    since = at - timedelta(seconds=max(key.window for key in active))
    times: dict[str, list[datetime]] = defaultdict(list)
    rows = ThrottleHit.objects.filter(key__in={key.digest for key in active}, at__gt=since)
    for digest, moment in rows.values_list("key", "at"):
        times[digest].append(moment)
    waits = [retry_after(times[key.digest], key.limit, key.window, at) for key in active]
    return max((wait for wait in waits if wait is not None), default=None)


def hit(keys: Iterable[Key]) -> None:
    """Count one attempt against each key, and drop rows too old to matter."""
    active = [key for key in keys if key.enabled]
    if not active:
        return
    at = clock.now()
    with transaction.atomic():
        ThrottleHit.objects.bulk_create([ThrottleHit(key=key.digest, at=at) for key in active])
        ThrottleHit.objects.filter(at__lte=at - timedelta(seconds=_retention())).delete()


def reset(keys: Iterable[Key]) -> None:
    """Forget every attempt counted against these keys (after a success)."""
    digests = {key.digest for key in keys}
    if digests:
        ThrottleHit.objects.filter(key__in=digests).delete()


def enforce(keys: Iterable[Key]) -> None:
    """Raise the 429 when any key is at its limit."""
    wait = check(keys)
    if wait is not None:
        raise TooManyRequests(f"too many attempts; try again in {wait} seconds", retry_after=wait)


def take(keys: Sequence[Key]) -> None:
    """Refuse (429) when over a limit, else count this attempt: for what is limited whether it
    succeeds or not."""
    enforce(keys)
    hit(keys)


def failed_bearer(request: HttpRequest) -> DocketError:
    """What to answer an unknown, expired or revoked token: 401, counted against the client's
    IP; once the IP is over its limit, 429 (valid tokens from that IP keep working)."""
    keys = [bearer_ip(request)]
    wait = check(keys)
    if wait is not None:
        return TooManyRequests(
            f"too many failed tokens; try again in {wait} seconds", retry_after=wait
        )
    hit(keys)
    return Unauthenticated("invalid, expired or revoked token")
