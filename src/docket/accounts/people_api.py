"""Teams: site admins manage them; members see their own.

Deactivating and reactivating users hands open issues over, so those endpoints live with
that action in issues/offboarding_api.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts import actions
from docket.accounts.access import is_site_admin
from docket.accounts.api import signed_in
from docket.accounts.api_auth import ApiRequest
from docket.accounts.models import Team
from docket.core.errors import NotFound

router = Router(tags=["people"])


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class TeamIn(StrictIn):
    slug: str = Field(min_length=1, max_length=64, examples=["support-l2"])
    name: str = Field(min_length=1, max_length=200)


class TeamOut(Schema):
    slug: str
    name: str
    members: list[str]
    projects: dict[str, str] = Field(description="Project key → the team's role there")
    created_at: datetime


class TeamUpdate(StrictIn):
    name: str = Field(min_length=1, max_length=200)


class TeamMemberIn(StrictIn):
    user: str = Field(min_length=1, max_length=150)


def team_out(team: Team) -> dict[str, Any]:
    return {
        "slug": team.slug,
        "name": team.name,
        "members": sorted(u.username for u in team.members.all()),
        "projects": {m.project.key: m.role for m in team.memberships.select_related("project")},
        "created_at": team.created_at,
    }


def _team_for(request: ApiRequest, slug: str) -> Team:
    """Site admins see every team; others only teams they belong to (404 for the rest)."""
    actor = signed_in(request)
    teams = Team.objects.all() if is_site_admin(actor) else actor.account.teams.all()
    team = teams.filter(slug=slug).first()
    if team is None:
        raise NotFound(f"no team {slug[:64]}")
    return team


@router.get("/teams", response=list[TeamOut], summary="Teams (all for site admins, else yours)")
def list_teams(request: ApiRequest) -> Any:
    actor = signed_in(request)
    teams = Team.objects.all() if is_site_admin(actor) else actor.account.teams.all()
    return [team_out(t) for t in teams.order_by("slug").prefetch_related("members")]


@router.post("/teams", response={201: TeamOut}, summary="Create a team (site admins)")
def create_team(request: ApiRequest, payload: TeamIn) -> Any:
    team = actions.create_team(actor=signed_in(request), slug=payload.slug, name=payload.name)
    return Status(201, team_out(team))


@router.get("/teams/{slug}", response=TeamOut)
def get_team(request: ApiRequest, slug: str) -> Any:
    return team_out(_team_for(request, slug))


@router.patch("/teams/{slug}", response=TeamOut, summary="Rename a team (site admins)")
def update_team(request: ApiRequest, slug: str, payload: TeamUpdate) -> Any:
    team = actions.update_team(actor=request.auth, team=_team_for(request, slug), name=payload.name)
    return team_out(team)


@router.delete("/teams/{slug}", response={204: None}, summary="Delete a team (site admins)")
def delete_team(request: ApiRequest, slug: str) -> Any:
    actions.delete_team(actor=request.auth, team=_team_for(request, slug))
    return Status(204, None)


@router.post("/teams/{slug}/members", response={201: TeamOut}, summary="Add a team member")
def add_member(request: ApiRequest, slug: str, payload: TeamMemberIn) -> Any:
    team = _team_for(request, slug)
    actions.add_team_member(actor=request.auth, team=team, username=payload.user)
    return Status(201, team_out(team))


@router.delete("/teams/{slug}/members/{username}", response={204: None})
def remove_member(request: ApiRequest, slug: str, username: str) -> Any:
    team = _team_for(request, slug)
    actions.remove_team_member(actor=request.auth, team=team, username=username)
    return Status(204, None)
