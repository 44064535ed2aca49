"""Where `Idempotency-Key` answers are kept: per user (core/idempotency.py is the mechanism;
config/api.py installs it with this store)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest

from docket.accounts.actor import user_of
from docket.accounts.models import IdempotencyKey
from docket.core.idempotency import Answer
from docket.core.rows import one_or_none


class UserKeys:
    """A `KeyStore`: keys belong to the signed-in user (whichever token or session they
    use), so one user's key never answers another's request."""

    def owner(self, request: HttpRequest) -> int | None:
        user = user_of(getattr(request, "auth", None))
        return user.pk if user is not None else None

    def find(self, owner: int, key: str, at: dt.datetime) -> Answer | None:
        rows = IdempotencyKey.objects.filter(user_id=owner, key=key, expires_at__gt=at)
        row = one_or_none(rows.only("fingerprint", "status", "headers", "body"))
        if row is None:
            return None
        return Answer(row.fingerprint, row.status, row.headers, bytes(row.body))

    def keep(
        self, owner: int, key: str, answer: Answer, at: dt.datetime, expires_at: dt.datetime
    ) -> None:
        # An unexpired answer under this key would have been replayed; an expired one goes.
        IdempotencyKey.objects.filter(user_id=owner, key=key, expires_at__lte=at).delete()
        IdempotencyKey.objects.create(
            user_id=owner,
            key=key,
            fingerprint=answer.fingerprint,
            status=answer.status,
            headers=answer.headers,
            body=answer.body,
            created_at=at,
            expires_at=expires_at,
        )

    def prune(self, at: dt.datetime) -> int:
        deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=at).delete()
        return deleted
