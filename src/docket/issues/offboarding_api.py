"""Deactivating and reactivating people (site admins), beside the action that hands their
open issues over (issues/offboarding.py).

The operation ids are the ones these endpoints had under accounts/people_api.py, so generated
clients keep their method names.
"""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema
from pydantic import ConfigDict, Field

from docket.accounts.api import UserOut, signed_in, user_out
from docket.accounts.api_auth import ApiRequest
from docket.issues import offboarding

router = Router(tags=["people"])


class DeactivateIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    reassign_to: str | None = Field(
        None, description="Who takes over their open issues (where they may be assigned)"
    )


class HandoverOut(Schema):
    username: str
    reassigned_to: str | None
    reassigned: list[str]
    unassigned: list[str]
    tokens_revoked: int


@router.post(
    "/users/{username}/deactivate",
    response=HandoverOut,
    summary="Deactivate a user (site admins)",
    operation_id="docket_accounts_people_api_deactivate",
)
def deactivate(request: ApiRequest, username: str, payload: DeactivateIn) -> Any:
    return offboarding.deactivate_user(
        actor=signed_in(request), username=username, reassign_to=payload.reassign_to
    )


@router.post(
    "/users/{username}/reactivate",
    response=UserOut,
    summary="Reactivate a user (site admins)",
    operation_id="docket_accounts_people_api_reactivate",
)
def reactivate(request: ApiRequest, username: str) -> Any:
    user = offboarding.reactivate_user(actor=signed_in(request), username=username)
    return user_out(user, show_email=True)
