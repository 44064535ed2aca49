"""Personal API tokens: minting, hashing, and resolving a presented secret to a user."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction

from docket.accounts.actor import Who, account_of, as_actor
from docket.accounts.models import ApiToken, User
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.db_faults import Fault, classify, without_waiting
from docket.core.errors import Forbidden, Invalid, NotFound
from docket.core.prepared import Prepared, columns, instance

TOKEN_PREFIX = "dkt_"  # noqa: S105 - a marker, not a secret


def digest_of(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (no brute force to slow).
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(
    *, actor: Who, name: str, scopes: list[str] | None = None, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Mint a token for `actor`; returns the row and the secret, which is never stored."""
    if not as_actor(actor).has_scope("admin"):
        # A leaked read/write token must not be able to mint itself a longer-lived successor.
        raise Forbidden("creating a token with a token needs the 'admin' scope; sign in instead")
    if scopes is None:
        scopes = [ApiToken.Scope.READ, ApiToken.Scope.WRITE]
    if not scopes:  # an explicit [] must not silently become read+write
        raise Invalid.field("scopes", "give at least one scope")
    unknown = set(scopes) - set(ApiToken.Scope.values)
    if unknown:
        raise Invalid.field("scopes", f"unknown scope(s): {', '.join(sorted(unknown))}")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise Invalid.field("expires_in_days", "must be between 1 and 3650")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=account_of(actor),
        name=name,
        prefix=secret[:10],
        digest=digest_of(secret),
        scopes=sorted(set(scopes)),
        expires_at=now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit(actor, "token.created", target=f"{token.name} ({token.prefix}…)", scopes=token.scopes)
    return token, secret


@transaction.atomic
def revoke_token(*, actor: Who, token_id: int) -> None:
    """Takes effect at once: every request looks the token up afresh."""
    token = ApiToken.objects.filter(
        id=token_id, user=account_of(actor), revoked_at__isnull=True
    ).first()
    if token is None:
        raise NotFound(f"no token {token_id}")
    token.revoked_at = now()
    token.save(update_fields=["revoked_at"])
    audit(actor, "token.revoked", target=f"{token.name} ({token.prefix}…)")


# Read on every API request with a token: compiled once (core/prepared.py).
_TOKEN_BY_DIGEST = Prepared(
    lambda digest: ApiToken.objects.filter(
        digest=digest, revoked_at__isnull=True, user__is_active=True
    ).values(*columns(ApiToken), *columns(User, "user__")),
    arguments=1,
)


def user_for_secret(secret: str) -> tuple[User, ApiToken] | None:
    """The active user behind a token, or None for unknown, revoked or expired tokens."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    rows = _TOKEN_BY_DIGEST.rows(digest_of(secret))
    token = instance(ApiToken, rows[0]) if rows else None  # the digest is unique
    if token is None:
        return None
    ApiToken.user.field.set_cached_value(token, instance(User, rows[0], "user__"))
    moment = now()
    if token.expires_at and token.expires_at <= moment:
        return None
    stale = timedelta(seconds=settings.DOCKET_TOKEN_TOUCH_SECONDS)
    if token.last_used_at is None or moment - token.last_used_at > stale:
        _touch(token, moment)
    return token.user, token


def _touch(token: ApiToken, moment: datetime) -> None:
    """Record when the token was last used: at most once a minute, so reads stay reads, and
    never by waiting for another writer's lock (it is skipped then; the next use records it)."""
    try:
        with without_waiting():
            ApiToken.objects.filter(id=token.id).update(last_used_at=moment)
    except DatabaseError as exc:
        if classify(exc) is not Fault.BUSY:
            raise
        return
    token.last_used_at = moment
