"""Canaries over time: the differential against a world without the confidential issues,
revocation on the very next request, and a seeded random walk checked against a model.

The rules are the tables in test_matrix.py; the world is conftest.py's.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from docket.accounts import actions as account_actions
from docket.issues import actions as issue_actions
from docket.issues import sharing
from docket.issues.models import Issue
from docket.projects import actions as project_actions
from docket.projects.models import Project
from tests.access.conftest import COMMON_WORD, PROJECTS, Seat, World
from tests.access.test_matrix import key_list, no_leak, sees
from tests.conftest import Api
from tests.factories import UserFactory, token_for

# --- the canary differential -------------------------------------------------------------------

# Seats that may not see some confidential issue: outsiders to it (test_matrix.ISSUES).
BLIND_SEATS = [
    Seat("viewer", "PRIV"),
    Seat("reporter", "DESK"),
    Seat("outsider"),
    Seat("root_rw"),
    Seat("anon"),
]


def _probes(world: World) -> list[tuple[str, dict[str, Any]]]:
    """Every list, search and count-like read, as (path, params)."""
    confs = [world.issues[f"{p}.conf"] for p in PROJECTS]
    probes: list[tuple[str, dict[str, Any]]] = [
        ("/issues", {"limit": 200}),
        ("/issues", {"limit": 1}),  # does a hidden issue change where a page ends?
        ("/issues", {"q": COMMON_WORD}),
        ("/issues", {"q": "is:confidential"}),
        ("/issues", {"q": "-confidential:false"}),
        ("/issues", {"q": "assignee:priv_assignee OR reporter:priv_author"}),
        ("/issues", {"q": " OR ".join(c.canary["title"] for c in confs)}),
        ("/issues", {"q": " OR ".join(f"comment:{c.canary['comment']}" for c in confs)}),
        ("/issues", {"q": " OR ".join(f"label:{c.canary['label']}" for c in confs)}),
        ("/issues", {"label": confs[0].canary["label"]}),
        ("/issues", {"q": " OR ".join(f"key:{c.key}" for c in confs)}),
        ("/issues", {"q": f"{COMMON_WORD} sort:updated-desc", "limit": 2}),
        ("/search", {"q": COMMON_WORD}),
        ("/search", {"q": f"{COMMON_WORD} conf"}),
        ("/search", {"q": " ".join(c.canary["comment"] for c in confs[:1])}),
        ("/search", {"q": "publ"}),  # in PUBL's three descriptions, one of them hidden
        ("/search", {"q": "issue of intl"}),
        ("/projects", {}),
        ("/filters", {}),
    ]
    for project, facts in world.projects.items():
        probes.append(("/issues", {"project": project}))
        probes.append((f"/filters/{facts.filter_id}/issues", {}))
    probes += [(f"/issues/{c.key}", {}) for c in confs]
    return probes


def _normalised(response: Any, *, ranks: bool) -> Any:
    """The response as compared: status and JSON. A cursor is opaque, so only whether there
    is one counts (a "more" that only hidden issues cause would be a count oracle)."""
    data = json.loads(response.content) if response.content else None
    if isinstance(data, dict):
        if "next_cursor" in data:
            data["next_cursor"] = data["next_cursor"] is not None
        for item in data.get("items", []):
            if not ranks and isinstance(item, dict):
                item.pop("rank", None)
    return response.status_code, data


def _snapshot(api: Api, probes: list[tuple[str, dict[str, Any]]], *, ranks: bool) -> list[Any]:
    return [_normalised(api.get(path, **params), ranks=ranks) for path, params in probes]


def _without_confidential_issues(world: World) -> None:
    root = get_user_model().objects.get(username="siteadmin")
    for project in PROJECTS:
        issue = Issue.objects.select_related("project").get(pk=world.issues[f"{project}.conf"].pk)
        issue_actions.delete_issue(actor=root, issue=issue)


@pytest.mark.parametrize("seat", BLIND_SEATS, ids=str)
def test_outsiders_see_the_same_as_in_a_world_without_confidential_issues(world, seat):
    """Not just 'the canary is absent': every list, count, page break, search result and
    snippet is the same as if the confidential issues did not exist (here: soft-deleted,
    which also takes them out of the full-text index)."""
    api, probes = world.api(seat), _probes(world)
    with_them = _snapshot(api, probes, ranks=False)
    for (path, params), (_, data) in zip(probes, with_them, strict=True):
        no_leak(world, seat, json.dumps(data).encode(), f"{path} {params}", asked=str(params))
    _without_confidential_issues(world)
    without_them = _snapshot(api, probes, ranks=False)
    for probe, before, after in zip(probes, with_them, without_them, strict=True):
        assert before == after, f"{seat}: {probe} differs when the confidential issues go"


@pytest.mark.parametrize("seat", [Seat("outsider"), Seat("anon")], ids=str)
def test_search_ranks_do_not_depend_on_hidden_issues(world, seat):
    """Ranks come from each document alone (SQLite: which fields match, and how much of the
    title; PostgreSQL: ts_rank), never from index-wide statistics such as bm25's IDF, which
    counted hidden issues: an outsider's ranks then told whether one contained a word."""
    api = world.api(seat)
    # Words in some documents only: every issue's description names its project, so "publ"
    # is in PUBL's three issues, of which the outsider sees two.
    probes = [("/search", {"q": "publ"}), ("/search", {"q": "issue publ"})]
    before = _snapshot(api, probes, ranks=True)
    _without_confidential_issues(world)
    assert _snapshot(api, probes, ranks=True) == before


# --- revocation takes effect on the next request -----------------------------------------------


def _user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def _project(key: str) -> Project:
    return Project.objects.get(key=key)


def _issue(world: World, name: str) -> Issue:
    return Issue.objects.select_related("project").get(pk=world.issues[name].pk)


def remove_member(world: World) -> None:
    project_actions.remove_member(
        actor=_user("priv_admin"), project=_project("PRIV"), user="priv_member"
    )


def demote_member(world: World) -> None:
    project_actions.set_member(
        actor=_user("priv_admin"), project=_project("PRIV"), user="priv_member", role="viewer"
    )


def revoke_grant(world: World) -> None:
    sharing.revoke_access(
        actor=_user("priv_admin"), issue=_issue(world, "PRIV.conf"), username="grantee"
    )


def leave_team(world: World) -> None:
    account_actions.remove_team_member(actor=_user("siteadmin"), team=world.team, username="staff")


def team_loses_role(world: World) -> None:
    project_actions.remove_member(actor=_user("priv_admin"), project=_project("PRIV"), team="staff")


def make_confidential(world: World) -> None:
    admin = Api(token_for(_user("priv_admin")))
    key = world.issues["PRIV.normal"].key
    assert admin.patch(f"/issues/{key}", {"confidential": True}).status_code == 200


def unassign(world: World) -> None:
    issue_actions.assign(actor=_user("priv_admin"), issue=_issue(world, "PRIV.conf"), assignee=None)


def close_the_desk(world: World) -> None:
    admin = Api(token_for(_user("intl_admin")))
    assert admin.patch("/projects/INTL", {"reporters_see_own_only": True}).status_code == 200


def make_private(world: World) -> None:
    admin = Api(token_for(_user("publ_admin")))
    assert admin.patch("/projects/PUBL", {"visibility": "private"}).status_code == 200


@dataclass
class Revocation:
    seat: Seat
    issue: str  # the issue that must disappear
    act: Any
    gone: str = "404"  # or "401": the credential itself dies
    stays: list[str] = field(default_factory=list)  # issues that must stay visible

    def __str__(self) -> str:
        return f"{self.act.__name__}-{self.seat}"


REVOCATIONS = [
    Revocation(Seat("member", "PRIV"), "PRIV.conf", remove_member),
    Revocation(Seat("member", "PRIV"), "PRIV.normal", remove_member),
    Revocation(Seat("read_token", "PRIV"), "PRIV.own", remove_member),
    Revocation(Seat("member", "PRIV"), "PRIV.conf", demote_member, stays=["PRIV.normal"]),
    Revocation(Seat("grantee"), "PRIV.conf", revoke_grant, stays=["INTL.conf"]),
    Revocation(Seat("team"), "PRIV.conf", leave_team),
    Revocation(Seat("team"), "PRIV.normal", team_loses_role, stays=["INTL.conf"]),
    Revocation(Seat("viewer", "PRIV"), "PRIV.normal", make_confidential, stays=["PRIV.own"]),
    Revocation(Seat("assignee", "PRIV"), "PRIV.conf", unassign, stays=["PRIV.normal"]),
    Revocation(Seat("outsider"), "INTL.normal", close_the_desk, stays=["PUBL.normal"]),
    Revocation(Seat("anon"), "PUBL.own", make_private),
]


@pytest.mark.parametrize("case", REVOCATIONS, ids=str)
def test_revocation_takes_effect_on_the_next_request(world, case):
    api = world.api(case.seat)  # one client, one token, before and after
    res = world.issues[case.issue]
    reads = {
        "get": f"/issues/{res.key}",
        "comments": f"/issues/{res.key}/comments",
        "download": f"/attachments/{res.attachment}/download",
    }
    finds = {
        "list": ("/issues", {"limit": 200}),
        "q": ("/issues", {"q": res.canary["title"]}),
        "search": ("/search", {"q": res.canary["comment"]}),
    }
    assert sees(case.seat, res)
    for path in reads.values():
        assert api.get(path).status_code == 200, path
    for path, params in finds.values():
        assert res.key in key_list(api.get(path, **params)), (path, params)
    case.act(world)
    for path in reads.values():
        response = api.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert world.canaries_in(response.content) == set(), path
    for path, params in finds.values():
        response = api.get(path, **params)
        assert res.key not in key_list(response), (path, params)
        assert not world.canaries_in(response.content) & set(res.canary.values())
    for name in case.stays:
        assert api.get(f"/issues/{world.issues[name].key}").status_code == 200, name


def test_a_revoked_token_is_refused_on_the_next_request(world, settings):
    settings.DOCKET_THROTTLE_IP_FAILURES = 0
    member = _user("priv_member")
    secret = token_for(member)
    api = Api(secret)
    assert api.get("/issues/PRIV-1").status_code == 200
    token_id = next(t["id"] for t in api.get("/tokens").json() if secret.startswith(t["prefix"]))
    assert api.delete(f"/tokens/{token_id}").status_code == 204
    assert api.get("/issues/PRIV-1").status_code == 401


def test_a_deactivated_users_tokens_stop_on_the_next_request(world, settings):
    settings.DOCKET_THROTTLE_IP_FAILURES = 0
    api = world.api(Seat("member", "INTL"))
    assert api.get("/issues/INTL-3").status_code == 200
    root = world.api(Seat("site_admin"))
    assert root.post("/users/intl_member/deactivate", {}).status_code == 200
    assert api.get("/issues/INTL-3").status_code == 401
    assert api.get("/issues/INTL-1").status_code == 401


# --- a seeded random walk against a model of the rules -----------------------------------------

ROLES = (None, "viewer", "reporter", "member", "admin")
SEES_ALL_ON_A_DESK = {"viewer", "member", "admin"}


@dataclass
class ModelIssue:
    key: str
    project: str
    confidential: bool
    reporter: str
    assignee: str | None = None
    granted: bool = False


@dataclass
class Model:
    """The rules of the access matrix for one watcher, in plain Python."""

    private: dict[str, bool]  # project → private?
    desk: dict[str, bool]  # project → reporters_see_own_only?
    role: dict[str, str | None]
    issues: dict[str, ModelIssue] = field(default_factory=dict)

    def sees(self, issue: ModelIssue, me: str = "watcher") -> bool:
        role = self.role[issue.project]
        if role in ("member", "admin"):
            return True
        if me in (issue.reporter, issue.assignee) or issue.granted:
            return True
        if issue.confidential or (self.private[issue.project] and role is None):
            return False
        return not self.desk[issue.project] or role in SEES_ALL_ON_A_DESK

    def visible(self) -> list[str]:
        return sorted(k for k, i in self.issues.items() if self.sees(i))


def test_a_seeded_random_walk_matches_the_model(world):
    rng = random.Random(1234)
    boss = UserFactory(username="sm_admin")
    UserFactory(username="sm_member")
    UserFactory(username="watcher")
    admin = Api(token_for(boss))
    watcher = Api(token_for(get_user_model().objects.get(username="watcher")))
    for key, visibility, desk in (("SMP", "private", False), ("SMD", "internal", True)):
        made = admin.post(
            "/projects",
            {"key": key, "name": key, "visibility": visibility, "reporters_see_own_only": desk},
        )
        assert made.status_code == 201, made.content
        added = admin.post(f"/projects/{key}/members", {"user": "sm_member", "role": "member"})
        assert added.status_code == 201
    model = Model(
        private={"SMP": True, "SMD": False},
        desk={"SMP": False, "SMD": True},
        role={"SMP": None, "SMD": None},
    )

    def create(by: str, api: Api) -> str:
        project = rng.choice(["SMP", "SMD"])
        if by == "watcher" and model.role[project] not in ("reporter", "member", "admin"):
            by, api = "sm_admin", admin
        confidential = rng.random() < 0.4
        response = api.post(
            f"/projects/{project}/issues",
            {"title": f"{COMMON_WORD} step", "confidential": confidential},
        )
        assert response.status_code == 201, response.content
        key = response.json()["key"]
        model.issues[key] = ModelIssue(key, project, confidential, by)
        return f"create {key} by {by} conf={confidential}"

    def step() -> str:
        moves = ["create", "create_mine", "role", "role"]
        if model.issues:
            moves += ["grant", "revoke", "toggle", "toggle", "assign"]
        move = rng.choice(moves)
        if move == "create":
            return create("sm_admin", admin)
        if move == "create_mine":
            return create("watcher", watcher)
        if move == "role":
            project, role = rng.choice(["SMP", "SMD"]), rng.choice(ROLES)
            if role is None and model.role[project] is not None:
                gone = admin.delete(f"/projects/{project}/members?user=watcher")
                assert gone.status_code == 204, gone.content
            elif role is not None:
                body = {"user": "watcher", "role": role}
                assert admin.post(f"/projects/{project}/members", body).status_code == 201
            model.role[project] = role
            return f"role {project} {role}"
        issue = model.issues[rng.choice(sorted(model.issues))]
        if move == "grant" and not issue.granted:
            response = admin.post(f"/issues/{issue.key}/access", {"user": "watcher"})
            assert response.status_code == 201, response.content
            issue.granted = True
        elif move == "revoke" and issue.granted:
            assert admin.delete(f"/issues/{issue.key}/access/watcher").status_code == 204
            issue.granted = False
        elif move == "toggle":
            issue.confidential = not issue.confidential
            body = {"confidential": issue.confidential}
            assert admin.patch(f"/issues/{issue.key}", body).status_code == 200
        elif move == "assign":
            who = "watcher" if model.role[issue.project] in ("member", "admin") else "sm_member"
            who = rng.choice([who, None])
            response = admin.patch(f"/issues/{issue.key}", {"assignee": who})
            assert response.status_code == 200, response.content
            issue.assignee = who
        return f"{move} {issue.key}"

    history = []
    for _ in range(30):
        history.append(step())
        expected = model.visible()
        listed = key_list(watcher.get("/issues", project="SMP,SMD", limit=200))
        assert sorted(listed) == expected, history
        found = key_list(watcher.get("/search", q=f"{COMMON_WORD} step", limit=200))
        assert sorted(found) == expected, history
        for key in model.issues:
            status = watcher.get(f"/issues/{key}").status_code
            assert status == (200 if key in expected else 404), (key, history)
    assert len(set(history)) > 10  # the walk went somewhere
