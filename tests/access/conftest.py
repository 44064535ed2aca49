"""The access-matrix world: four projects, a cast per project, issues full of canaries.

The world is built once per xdist worker for the whole `tests/access` package, inside one
transaction that is rolled back when the package is done (what Django's
`TestCase.setUpTestData` does per class). Each test then runs in a savepoint inside it
(pytest-django's `db`), so a test may write freely: its changes vanish after it.

Projects: PRIV (private), INTL (internal), PUBL (public), DESK (internal support desk,
`reporters_see_own_only`). Each has, reachable by a *seat* (a role and its home project):

  admin      its admin (full token)            admin_rw    the same admin, read+write token
  member     a member                          read_token  the same member, read-only token
  reporter   a reporter                        author      a reporter who filed `normal`, `conf`
  assignee   assigned to `conf` while a member, then demoted to viewer
  viewer     a viewer

and everywhere: site_admin (full token), root_rw (the site admin's read+write token, which
has no site-admin powers), team (in team `staff`, which is a member of every project),
grantee (explicitly given access to every project's `conf`), outsider (signed in, no
role), anon (no credentials), revoked and expired (dead tokens of PRIV's member).

Issues per project: `normal` (filed by the author), `own` (filed by the reporter) and
`conf` (confidential, filed by the author, assigned to the assignee). Every issue carries
its own canary in its title, description, a comment, an attachment (name and bytes), a
label (which the issue created: labels are made on first use) and a deleted comment; every
project one in its description, a custom workflow state, a component, a milestone and the
name of its shared saved filter (query `walrus`). A canary is `canary` + 32 hex digits, so
any response can be scanned for all of them at once.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings

from docket.accounts.models import ApiToken, Team, User
from docket.accounts.tokens import revoke_token
from docket.attachments import actions as attachment_actions
from docket.core.clock import now
from docket.issues import actions as issue_actions
from docket.issues import comments as issue_comments
from docket.issues import saved_filters, sharing
from docket.issues.models import Issue
from docket.projects import actions as project_actions
from docket.projects import workflow_actions
from tests.conftest import Api
from tests.factories import UserFactory, make_issue, token_for

PROJECTS = ("PRIV", "INTL", "PUBL", "DESK")
VISIBILITY = {"PRIV": "private", "INTL": "internal", "PUBL": "public", "DESK": "internal"}
KINDS = ("normal", "own", "conf")
PARTS = ("title", "description", "comment", "attachment", "label", "deleted")
# Seats that exist once per project (role@PROJECT) and once in the world.
PROJECT_ROLES = (
    "admin",
    "admin_rw",
    "member",
    "read_token",
    "reporter",
    "author",
    "assignee",
    "viewer",
)
GLOBAL_ROLES = ("site_admin", "root_rw", "team", "grantee", "outsider", "anon")
DEAD_ROLES = ("revoked", "expired")
CANARY = re.compile(rb"canary[0-9a-f]{32}")
COMMON_WORD = "walrus"  # in every issue title: searches that match many issues


def canary() -> str:
    return "canary" + uuid.uuid4().hex


@dataclass(frozen=True)
class Seat:
    """Who is asking: a role, and for per-project roles the project it is held in."""

    role: str
    home: str | None = None

    @property
    def id(self) -> str:
        return f"{self.role}@{self.home}" if self.home else self.role

    def relation(self, project: str) -> str:
        """The seat's role towards `project`: a per-project role elsewhere is an outsider."""
        if self.home is None or self.home == project:
            return self.role
        return "outsider"

    def __str__(self) -> str:
        return self.id


SEATS = [Seat(r, p) for r in PROJECT_ROLES for p in PROJECTS] + [Seat(r) for r in GLOBAL_ROLES]
DEAD_SEATS = [Seat(r) for r in DEAD_ROLES]


@dataclass(frozen=True)
class Res:
    """One issue of the world."""

    name: str  # e.g. "PRIV.conf"
    project: str
    kind: str
    key: str
    pk: int
    attachment: int
    canary: dict[str, str]  # part (PARTS) → its canary


@dataclass(frozen=True)
class ProjectFacts:
    key: str
    canary: str  # in the description, a state, a component, a milestone, the filter name
    state: str  # the custom workflow state, as written
    filter_id: int  # a shared saved filter (`walrus`) of this project


@dataclass
class World:
    users: dict[str, User]
    projects: dict[str, ProjectFacts]
    issues: dict[str, Res]
    secrets: dict[str, str | None]  # seat id → bearer token (None: anonymous)
    tokens: dict[str, ApiToken]  # seat id → its token row
    team: Team
    owner: dict[str, str] = field(default_factory=dict)  # canary → e.g. PRIV.conf.title, PRIV
    cache: dict[Any, Any] = field(default_factory=dict)  # for the tests' derived values

    def api(self, seat: Seat | str) -> Api:
        return Api(self.secrets[seat.id if isinstance(seat, Seat) else seat])

    def user(self, seat: Seat) -> User | None:
        return self.tokens[seat.id].user if seat.id in self.tokens else None

    def in_project(self, project: str) -> list[Res]:
        return [self.issues[f"{project}.{kind}"] for kind in KINDS]

    def canaries_in(self, content: bytes) -> set[str]:
        return {m.decode() for m in CANARY.findall(content)}

    def missing_key(self, project: str) -> str:
        return f"{project}-999"


def _username(role: str, home: str | None) -> str:
    base = {"admin_rw": "admin", "read_token": "member"}.get(role, role)
    return f"{home.lower()}_{base}" if home else base


def _issue(world: World, project: Any, author: User, kind: str, admin: User, **fields: Any) -> None:
    words = {part: canary() for part in PARTS}
    issue = make_issue(
        author,
        project,
        title=f"{COMMON_WORD} {kind} {words['title']}",
        description=f"The {kind} issue of {project.key}: {words['description']}",
        labels=[words["label"]],  # created by this issue: labels are made on first use
        **fields,
    )
    issue_comments.add_comment(actor=admin, issue=issue, body=f"A note: {words['comment']}")
    gone = issue_comments.add_comment(actor=admin, issue=issue, body=f"Oops {words['deleted']}")
    issue_comments.delete_comment(actor=admin, issue=issue, comment_id=gone.pk)
    upload = SimpleUploadedFile(
        f"{words['attachment']}.txt", f"attached {words['attachment']}\n".encode()
    )
    attached = attachment_actions.upload_attachment(actor=admin, issue=issue, upload=upload)
    name = f"{project.key}.{kind}"
    world.issues[name] = Res(name, project.key, kind, issue.key, issue.pk, attached.pk, words)
    world.owner.update({word: f"{name}.{part}" for part, word in words.items()})


def build_world() -> World:
    site_admin = UserFactory(username="siteadmin", is_superuser=True, is_staff=True)
    world = World(users={}, projects={}, issues={}, secrets={}, tokens={}, team=None)  # type: ignore[arg-type]
    for name in ("staff", "grantee", "outsider"):
        world.users[name] = UserFactory(username=name)
    world.users["siteadmin"] = site_admin
    team = Team.objects.create(slug="staff", name="Staff")
    team.members.add(world.users["staff"])
    world.team = team

    for key in PROJECTS:
        people = {
            base: UserFactory(username=_username(base, key))
            for base in ("admin", "member", "reporter", "author", "assignee", "viewer")
        }
        world.users.update({_username(b, key): u for b, u in people.items()})
        admin = people["admin"]
        word = canary()
        project = project_actions.create_project(
            actor=admin,
            key=key,
            name=f"{key} project",
            description=f"About {key}: {word}",
            visibility=VISIBILITY[key],
            reporters_see_own_only=key == "DESK",
        )
        for base, role in (
            ("member", "member"),
            ("reporter", "reporter"),
            ("author", "reporter"),
            ("assignee", "member"),
            ("viewer", "viewer"),
        ):
            project_actions.set_member(
                actor=admin, project=project, user=people[base].username, role=role
            )
        project_actions.set_member(actor=admin, project=project, team="staff", role="member")
        state = f"Hold {word}"
        workflow_actions.add_state(actor=admin, project=project, name=state, category="todo")
        project_actions.add_component(actor=admin, project=project, name=f"part {word}")
        project_actions.add_milestone(actor=admin, project=project, name=f"goal {word}")
        world.owner[word] = key

        _issue(world, project, people["author"], "normal", admin)
        _issue(world, project, people["reporter"], "own", admin)
        _issue(world, project, people["author"], "conf", admin, confidential=True)
        conf = world.issues[f"{key}.conf"]
        issue = Issue.objects.select_related("project").get(pk=conf.pk)
        issue_actions.assign(actor=admin, issue=issue, assignee=people["assignee"].username)
        project_actions.set_member(
            actor=admin, project=project, user=people["assignee"].username, role="viewer"
        )
        sharing.grant_access(actor=admin, issue=issue, username="grantee")
        shared = saved_filters.create_filter(
            actor=people["member"], name=f"Walruses {word}", query=COMMON_WORD, project_key=key
        )
        world.projects[key] = ProjectFacts(key, word, state, shared.pk)

    def mint(seat: Seat, user: User, scopes: list[str] | None = None) -> None:
        secret = token_for(user, scopes)
        world.secrets[seat.id] = secret
        world.tokens[seat.id] = ApiToken.objects.get(prefix=secret[:10], user=user)

    for key in PROJECTS:
        for role in PROJECT_ROLES:
            scopes = {"admin_rw": ["read", "write"], "read_token": ["read"]}.get(role)
            mint(Seat(role, key), world.users[_username(role, key)], scopes)
    mint(Seat("site_admin"), site_admin)
    mint(Seat("root_rw"), site_admin, ["read", "write"])
    mint(Seat("team"), world.users["staff"])
    mint(Seat("grantee"), world.users["grantee"])
    mint(Seat("outsider"), world.users["outsider"])
    world.secrets["anon"] = None
    member = world.users["priv_member"]
    mint(Seat("revoked"), member)
    revoke_token(actor=member, token_id=world.tokens["revoked"].pk)
    mint(Seat("expired"), member)
    ApiToken.objects.filter(pk=world.tokens["expired"].pk).update(
        expires_at=now() - timedelta(days=1)
    )
    return world


@pytest.fixture(scope="package")
def world_data(django_db_setup, django_db_blocker, tmp_path_factory):
    files = override_settings(DOCKET_ATTACHMENTS_DIR=tmp_path_factory.mktemp("attachments"))
    files.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # As TestCase's class-wide atomics are marked: durable blocks (attachment uploads)
        # may run inside it, as they may inside a test's.
        outer._from_testcase = True
        outer.__enter__()
        try:
            built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            files.disable()
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    files.disable()


@pytest.fixture
def world(world_data, db) -> World:
    """The world, with this test's changes rolled back after it."""
    return world_data
