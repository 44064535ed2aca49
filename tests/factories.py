"""Test data builders. Plain rows come from factories; anything with history goes through
the actions, exactly as a user's request would."""

from __future__ import annotations

from typing import Any

import factory

from docket.accounts.models import User
from docket.accounts.tokens import create_token
from docket.issues import actions as issue_actions
from docket.issues.models import Issue
from docket.projects import actions as project_actions
from docket.projects.models import Project

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def token_for(user: User, scopes: list[str] | None = None) -> str:
    """A token acting with the user's full powers unless `scopes` narrows it."""
    return create_token(actor=user, name="test", scopes=scopes or ["read", "write", "admin"])[1]


def make_project(
    admin: User,
    key: str = "WEB",
    *,
    visibility: str = "private",
    members: dict[User, str] | None = None,
    workflow: str = "default",
) -> Project:
    project = project_actions.create_project(
        actor=admin, key=key, name=f"{key} project", visibility=visibility, workflow=workflow
    )
    for user, role in (members or {}).items():
        project_actions.set_member(actor=admin, project=project, user=user.username, role=role)
    return project


def make_issue(actor: User, project: Project, **fields: Any) -> Issue:
    fields.setdefault("title", "Something is broken")
    return issue_actions.create_issue(actor=actor, project=project, fields=fields)
