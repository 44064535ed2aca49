"""Writes to users. Site administration only."""

from __future__ import annotations

import re
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.accounts.models import Team, User
from docket.audit.log import record as audit
from docket.core.errors import Conflict, Forbidden, Invalid, NotFound

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,149}$")


@transaction.atomic
def create_user(
    *,
    actor: Who | None,
    username: str,
    email: str = "",
    password: str | None = None,
    full_name: str = "",
    site_admin: bool = False,
) -> User:
    """Create an account. `actor=None` is the command line, which the server owner runs."""
    if actor is not None:
        _require_site_admin(actor, "create users")
    if not USERNAME.fullmatch(username):  # not .match: "$" also matches before a final "\n"
        raise Invalid.field(
            "username", "use letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in full_name):  # e.g. "\r\nBcc: …"
        raise Invalid.field("name", "must be one line, without control characters")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            f"the username {username!r} is taken",
            errors=[{"field": "username", "message": "already taken"}],
        )
    user = User(username=username, email=email, is_superuser=site_admin, is_staff=site_admin)
    _split_name(user, full_name)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise Invalid.field("password", " ".join(exc.messages)) from None
        user.set_password(password)
    user.save()
    audit(actor, "user.created", target=username, site_admin=site_admin)
    return user


@transaction.atomic
def ensure_first_admin(
    *, username: str, email: str, password: str | None
) -> tuple[bool, str | None]:
    """Create a site admin when there is none (a fresh install). Returns whether it did, and
    the password when it made one up (for the caller to show once)."""
    if User.objects.filter(is_superuser=True, is_active=True).exists():
        return False, None
    generated = None if password else secrets.token_urlsafe(12)
    create_user(
        actor=None, username=username, email=email, password=password or generated,
        site_admin=True,
    )  # fmt: skip
    return True, generated


# --- teams ------------------------------------------------------------------------------------

TEAM_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _require_site_admin(actor: Who, doing: str) -> None:
    if not is_site_admin(actor):
        raise Forbidden(f"only site admins can {doing}")


@transaction.atomic
def create_team(*, actor: Who, slug: str, name: str) -> Team:
    _require_site_admin(actor, "create teams")
    if not TEAM_SLUG.fullmatch(slug):
        raise Invalid.field("slug", "use lower-case letters, digits and '-' (e.g. support-l2)")
    if Team.objects.filter(slug=slug).exists():
        raise Conflict(f"a team {slug!r} already exists")
    team = Team.objects.create(slug=slug, name=name)
    audit(actor, "team.created", target=slug)
    return team


@transaction.atomic
def update_team(*, actor: Who, team: Team, name: str) -> Team:
    """Rename a team (its slug stays: queries, history and URLs name it)."""
    _require_site_admin(actor, "change teams")
    if team.name != name:
        audit(actor, "team.changed", target=team.slug, name=[team.name, name])
        team.name = name
        team.save(update_fields=["name"])
    return team


@transaction.atomic
def add_team_member(*, actor: Who, team: Team, username: str) -> User:
    """Team members gain the team's project roles from their next request."""
    _require_site_admin(actor, "change teams")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Invalid.field("user", f"no active user '{username[:150]}'")
    if team.members.filter(pk=user.pk).exists():
        raise Conflict(f"{user.username} is already in {team.slug}")
    team.members.add(user)
    audit(actor, "team.member_added", target=team.slug, user=user.username)
    return user


@transaction.atomic
def remove_team_member(*, actor: Who, team: Team, username: str) -> None:
    """Takes effect from the member's next request (roles are read per request)."""
    _require_site_admin(actor, "change teams")
    user = team.members.filter(username=username).first()
    if user is None:
        raise NotFound(f"{username[:150]} is not in {team.slug}")
    team.members.remove(user)
    audit(actor, "team.member_removed", target=team.slug, user=user.username)


@transaction.atomic
def delete_team(*, actor: Who, team: Team) -> None:
    """Removes the team and its project memberships (its members keep their own roles)."""
    _require_site_admin(actor, "delete teams")
    projects = sorted(team.memberships.values_list("project__key", flat=True))
    members = sorted(team.members.values_list("username", flat=True))
    team.delete()
    audit(actor, "team.deleted", target=team.slug, projects=projects, members=members)


# --- your own account -------------------------------------------------------------------------


def _split_name(user: User, full_name: str) -> None:
    first, _, last = full_name.strip().partition(" ")
    user.first_name, user.last_name = first[:150], last[:150]


@transaction.atomic
def update_profile(*, user: User, full_name: str) -> User:
    if any(char in full_name for char in "\r\n\x00"):
        raise Invalid.field("name", "must be one line")
    _split_name(user, full_name[:300])
    user.save(update_fields=["first_name", "last_name"])
    return user


@transaction.atomic
def change_password(*, user: User, current: str, new: str) -> User:
    """Needs the current password; the new one must pass the validators. Changing it ends
    the user's other sessions (Django ties sessions to the password hash)."""
    if not user.check_password(current):
        raise Invalid.field("current", "That is not your current password.")
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise Invalid.field("new", " ".join(exc.messages)) from None
    user.set_password(new)
    user.save(update_fields=["password"])
    return user


# --- external contacts (mail in) ----------------------------------------------------------

CONTACT_USERNAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


@transaction.atomic
def contact_for(email: str, name: str = "") -> User:
    """The external contact with `email`, made if missing (docs/mail.md): an inactive account
    with no usable password and `contact` set, so the support desk's rules (reporters see
    only their own tickets) apply to it like to anyone. Callers have checked that no active
    account has this address."""
    email = email.strip().lower()
    found = User.objects.filter(contact=True, email__iexact=email).order_by("pk").first()
    if found is not None:
        return found
    base = CONTACT_USERNAME_CHARS.sub("-", email.replace("@", ".at.")).strip("-.")[:140]
    username = base if base[:1].isalnum() else f"contact-{base}"[:140]
    suffix = 1
    while User.objects.filter(username__iexact=username).exists():
        suffix += 1
        username = f"{base[:140]}-{suffix}"
    clean_name = "".join(char for char in name if ord(char) >= 32 and ord(char) != 127)
    user = User(username=username, email=email, is_active=False, contact=True)
    _split_name(user, clean_name.strip())
    user.set_unusable_password()
    try:
        with transaction.atomic():  # a savepoint: the same sender's other message may win
            user.save()
    except IntegrityError:
        raced = User.objects.filter(contact=True, email__iexact=email).order_by("pk").first()
        if raced is None:
            raise
        return raced
    return user
