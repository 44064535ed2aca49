"""Current user, user administration and personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status
from pydantic import ConfigDict, EmailStr, Field

from docket.accounts import actions, throttle, tokens
from docket.accounts.access import assert_site_admin
from docket.accounts.actor import Actor
from docket.accounts.api_auth import ApiRequest
from docket.accounts.models import ApiToken, User
from docket.core.errors import Unauthenticated

router = Router(tags=["accounts"])


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class UserOut(Schema):
    username: str
    name: str
    email: str | None
    site_admin: bool
    active: bool


class UserCreate(StrictIn):
    username: str = Field(min_length=1, max_length=150)
    email: EmailStr | None = None
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(default="", max_length=300)
    site_admin: bool = False


class TokenCreate(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(default_factory=lambda: ["read", "write"], max_length=3)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The secret. Shown once; store it now.")


def user_out(user: User, *, show_email: bool) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.display_name,
        "email": user.email if show_email else None,
        "site_admin": user.is_superuser,
        "active": user.is_active,
    }


def signed_in(request: ApiRequest) -> Actor:
    """The caller, who must be signed in (with their token's scopes, if any)."""
    if not request.auth.is_authenticated:
        raise Unauthenticated("sign in or send an API token")
    return request.auth


@router.get("/me", response=UserOut, summary="Who you are signed in as")
def me(request: ApiRequest) -> Any:
    return user_out(signed_in(request).account, show_email=True)


@router.get("/users", response=list[UserOut], summary="All users (site admins)")
def list_users(request: ApiRequest) -> Any:
    assert_site_admin(signed_in(request))
    return [user_out(u, show_email=True) for u in User.objects.order_by("username")]


@router.post("/users", response={201: UserOut}, summary="Create a user (site admins)")
def create_user(request: ApiRequest, payload: UserCreate) -> Any:
    actor = signed_in(request)
    assert_site_admin(actor)
    user = actions.create_user(
        actor=actor,
        username=payload.username,
        email=payload.email or "",
        password=payload.password,
        full_name=payload.name,
        site_admin=payload.site_admin,
    )
    return Status(201, user_out(user, show_email=True))


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens (secrets never shown)")
def list_tokens(request: ApiRequest) -> Any:
    user = signed_in(request).account
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("id"))


@router.post("/tokens", response={201: NewTokenOut}, summary="Create an API token")
def create_token(request: ApiRequest, payload: TokenCreate) -> Any:
    actor = signed_in(request)
    limit = [throttle.token_creation(actor.account)]
    throttle.enforce(limit)  # 429 past DOCKET_THROTTLE_TOKENS_PER_HOUR new tokens
    token, secret = tokens.create_token(
        actor=actor,
        name=payload.name,
        scopes=payload.scopes,
        expires_in_days=payload.expires_in_days,
    )
    throttle.hit(limit)
    token.token = secret  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def revoke_token(request: ApiRequest, token_id: int) -> Any:
    tokens.revoke_token(actor=signed_in(request), token_id=token_id)
    return Status(204, None)
