"""The access matrix: who sees what, on every read path of the API and the web app.

How to read this folder
-----------------------
`conftest.py` builds one world (four projects PRIV private, INTL internal, PUBL public, DESK
internal support desk; a cast per project; three issues per project full of canaries) and
describes the *seats*: `role@PROJECT` for roles held in one project, plain `role` for
site-wide ones. The tables below are the rules, written once, like the matrix in
docs/security-and-reliability.md §3(d); every test derives its expectations from them.

* ISSUES: can the seat see the issue?  Column = the role held *in that column's project*
  (a per-project seat is an outsider to every other project, and is checked as one by the
  all-project lists and searches).
* PROJECTS: can the seat see the project (and its members, workflow, components,
  milestones and shared saved filters), and what does its audit log answer?
* SITE: the site-wide reads (users, audit log, tokens, teams, me).
* MODERATORS see a deleted comment's text in the history; nobody else sees it anywhere.

Every response of every test is also scanned for *every* canary of the world: a canary of an
issue or project the seat may not see is a leak wherever it shows up (body, error message,
suggestion, snippet, file name, file bytes).

Paths covered
-------------
API, per seat x issue: GET /issues/{key} (and with If-None-Match: 304 vs 404), /comments,
/history, /access, /watchers, /transitions, /attachments, /attachments/{id},
/attachments/{id}/download, GET /search?q=<comment canary>.
API, per seat x project: /projects/{key}, /members, /components, /milestones, /workflow,
/audit, GET /issues?project=, ?q=project:, the project's shared saved filter run, and
query-language errors about the project's custom state (`status:` and `?status=`).
API, per seat: GET /issues, ?q=walrus, ?q=<every title canary OR'd>, ?q=description:…,
?q=comment:…, ?q=is:confidential, /search?q=walrus, /projects, /filters, /users, /audit,
/tokens, /teams, /teams/{slug}, /me; nobody finds a deleted comment.
Web app (session sign-in), per seat: the issue page, its timeline and @mention people, and
the edit forms it offers (each field's, with its choices, and each transition's); the issue
list, search, home, project list, project issue list, board, saved-filter board, query-bar
autocomplete (/issues/suggest: labels, milestones, components, states, projects), the bulk
bar's choices (people, labels, states) and the new-issue form (its label, component and
milestone choices).
Refusals: every API 404 for a hidden thing is byte-identical (apart from its key or id) to
the 404 for a missing one; revoked and expired tokens get one 401 body everywhere; a
read-only token reads byte-for-byte like its user and gets one 403 body on every write.
test_canary.py adds the canary differential (outsiders' lists, counts, page breaks and
searches equal a world without the confidential issues), revocation on the very next request,
and a seeded random walk of grants, revokes, role changes, assignments and confidentiality
toggles checked against a plain-Python model of the rules.

Notifications (the inbox API and the mails, per person): test_notifications.py.

Known leaks (strict xfail, so fixing them turns the test red until the mark goes):
test_canary.py::test_search_ranks_do_not_depend_on_hidden_issues (SQLite bm25 ranks).

TODO: read paths that do not exist yet (add each to these tables when it lands):
  - API: board columns and WIP counts, autocomplete/suggest (the web app has both: covered
    above), activity feed, export (CSV / JSON), counts, facets and badges (the issue list
    has no `total` today), relations between issues and moved-issue history
  - outbound webhooks, VCS webhook replies
  - markdown issue-reference tooltips, milestone burndown, dashboards and chart CSVs
  - web: /live (server-sent events) is not covered here: it streams until closed; it needs
    a test that reads a bounded number of events per seat
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from docket.accounts.models import ApiToken
from docket.issues.etags import etag
from docket.issues.models import Issue
from tests.access.conftest import (
    COMMON_WORD,
    DEAD_SEATS,
    GLOBAL_ROLES,
    KINDS,
    PARTS,
    PROJECT_ROLES,
    PROJECTS,
    SEATS,
    Res,
    Seat,
    World,
    canary,
)
from tests.conftest import Api

# --- the rules ---------------------------------------------------------------------------------

ISSUES = """
#              PRIV (private)      INTL (internal)     PUBL (public)       DESK (support desk)
#              normal own  conf    normal own  conf    normal own  conf    normal own  conf
site_admin     ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓
admin          ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓
admin_rw       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓
member         ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓
read_token     ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓
team           ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓
author         ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ·    ✓
assignee       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ✓      ✓    ✓
viewer         ✓      ✓    ·       ✓      ✓    ·       ✓      ✓    ·       ✓      ✓    ·
reporter       ✓      ✓    ·       ✓      ✓    ·       ✓      ✓    ·       ·      ✓    ·
grantee        ·      ·    ✓       ✓      ✓    ✓       ✓      ✓    ✓       ·      ·    ✓
outsider       ·      ·    ·       ✓      ✓    ·       ✓      ✓    ·       ·      ·    ·
root_rw        ·      ·    ·       ✓      ✓    ·       ✓      ✓    ·       ·      ·    ·
anon           ·      ·    ·       ·      ·    ·       ✓      ✓    ·       ·      ·    ·
"""
# normal: filed by `author`; own: filed by `reporter`; conf: confidential, filed by `author`,
# assigned to `assignee` (a viewer since), explicitly shared with `grantee`.
# admin_rw: the project admin's token without the `admin` scope (sees like a member).
# root_rw: the site admin's token without the `admin` scope (a plain signed-in user).
# revoked, expired: 401 on every path, with one body (test_dead_tokens_get_one_401_everywhere).

PROJECT_TABLE = """
#              PRIV        INTL        PUBL        DESK
#              see audit   see audit   see audit   see audit
site_admin     ✓   200     ✓   200     ✓   200     ✓   200
admin          ✓   200     ✓   200     ✓   200     ✓   200
admin_rw       ✓   403     ✓   403     ✓   403     ✓   403
member         ✓   403     ✓   403     ✓   403     ✓   403
read_token     ✓   403     ✓   403     ✓   403     ✓   403
team           ✓   403     ✓   403     ✓   403     ✓   403
author         ✓   403     ✓   403     ✓   403     ✓   403
assignee       ✓   403     ✓   403     ✓   403     ✓   403
viewer         ✓   403     ✓   403     ✓   403     ✓   403
reporter       ✓   403     ✓   403     ✓   403     ✓   403
grantee        ·   404     ✓   403     ✓   403     ✓   403
outsider       ·   404     ✓   403     ✓   403     ✓   403
root_rw        ·   404     ✓   403     ✓   403     ✓   403
anon           ·   404     ·   404     ✓   401     ·   404
"""
# see: GET /projects/{key} and its members, workflow, components, milestones, the project's
# shared saved filters; its issues follow ISSUES. A project you cannot see is a 404.

SITE_TABLE = """
#              /users  /audit  /me   /tokens  /teams  /teams/staff
site_admin     200     200     200   own      staff   200
team           404     404     200   own      staff   200
root_rw        404     404     200   own      -       404
anon           401     404     401   401      401     401
*              404     404     200   own      -       404
"""
# *: every other seat. own: exactly the caller's own live tokens. staff: the team `staff`.

MODERATORS = {"site_admin", "admin"}  # see deleted comments' text in the history


def _rows(table: str) -> dict[str, list[str]]:
    rows = {}
    for line in table.strip().splitlines():
        if line.startswith("#"):
            continue
        role, *cells = line.split()
        rows[role] = cells
    return rows


def _issue_rules() -> dict[tuple[str, str, str], bool]:
    rules = {}
    columns = [(p, k) for p in PROJECTS for k in KINDS]
    for role, cells in _rows(ISSUES).items():
        assert len(cells) == len(columns), role
        for (project, kind), cell in zip(columns, cells, strict=True):
            assert cell in ("✓", "·"), (role, cell)
            rules[role, project, kind] = cell == "✓"
    return rules


def _project_rules() -> dict[tuple[str, str], tuple[bool, int]]:
    rules = {}
    for role, cells in _rows(PROJECT_TABLE).items():
        assert len(cells) == 2 * len(PROJECTS), role
        for i, project in enumerate(PROJECTS):
            see, audit = cells[2 * i : 2 * i + 2]
            rules[role, project] = (see == "✓", int(audit))
    return rules


ISSUE_RULES = _issue_rules()
PROJECT_RULES = _project_rules()
SITE_RULES = _rows(SITE_TABLE)
assert {r for r, _, _ in ISSUE_RULES} == set(PROJECT_ROLES + GLOBAL_ROLES)
assert {r for r, _ in PROJECT_RULES} == set(PROJECT_ROLES + GLOBAL_ROLES)


def sees(seat: Seat, res: Res) -> bool:
    return ISSUE_RULES[seat.relation(res.project), res.project, res.kind]


def sees_project(seat: Seat, project: str) -> bool:
    return PROJECT_RULES[seat.relation(project), project][0]


def audit_status(seat: Seat, project: str) -> int:
    return PROJECT_RULES[seat.relation(project), project][1]


def moderates(seat: Seat, project: str) -> bool:
    return seat.relation(project) in MODERATORS


def site_rule(seat: Seat, column: str) -> str:
    columns = ["/users", "/audit", "/me", "/tokens", "/teams", "/teams/staff"]
    row = SITE_RULES.get(seat.role, SITE_RULES["*"])
    return row[columns.index(column)]


# --- checking responses ------------------------------------------------------------------------


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        # Reading to the end closes the file (the test client's wrapper does, with the
        # database connection kept: do not call response.close() here).
        return b"".join(response.streaming_content)
    return response.content


def allowed_canaries(world: World, seat: Seat) -> set[str]:
    cached = world.cache.get(("allowed", seat))
    if cached is not None:
        return cached
    allowed = set()
    for res in world.issues.values():
        if sees(seat, res):
            allowed |= {res.canary[part] for part in PARTS if part != "deleted"}
            if moderates(seat, res.project):
                allowed.add(res.canary["deleted"])
    for key, facts in world.projects.items():
        if sees_project(seat, key):
            allowed.add(facts.canary)
    world.cache["allowed", seat] = allowed
    return allowed


def no_leak(world: World, seat: Seat, content: bytes, where: str, asked: str = "") -> None:
    """No canary the seat may not see, except the ones it sent itself (errors echo input)."""
    leaked = world.canaries_in(content) - allowed_canaries(world, seat)
    leaked -= world.canaries_in(asked.encode())
    owners = sorted({world.owner.get(c, "?") for c in leaked})
    assert not leaked, f"LEAK: {seat} sees canaries of {owners} via {where}"


def same_404(hidden: Any, missing: Any, swaps: list[tuple[str, str]], where: str) -> None:
    """A hidden thing's 404 is byte-identical to a missing one's, apart from its key or id."""
    hidden_body, missing_body = body(hidden), body(missing)
    assert hidden.status_code == missing.status_code == 404, (where, hidden_body[:200])
    for mine, theirs in swaps:
        hidden_body = hidden_body.replace(mine.encode(), theirs.encode())
    assert hidden_body == missing_body, f"{where}: {hidden_body!r} != {missing_body!r}"
    assert hidden["Content-Type"] == missing["Content-Type"] == "application/problem+json"
    assert sorted(hidden.headers) == sorted(missing.headers), where


def key_list(response: Any, where: str = "") -> list[str]:
    assert response.status_code == 200, (where, response.content)
    return [(item.get("issue") or item)["key"] for item in response.json()["items"]]


# --- per seat x issue: every path that names one issue -----------------------------------------


@dataclass(frozen=True)
class Target:
    """What a path needs to name an issue: a real one, or a missing one of the project."""

    key: str
    attachment: int
    canary: dict[str, str]


def target(res: Res) -> Target:
    return Target(res.key, res.attachment, res.canary)


def missing(world: World, project: str) -> Target:
    return Target(world.missing_key(project), 999_999, {p: canary() for p in PARTS})


ITEM_PATHS: dict[str, tuple[Callable[[Target], str], tuple[str, ...]]] = {
    # name: (path, the canaries a 200 must show)
    "get": (lambda t: f"/issues/{t.key}", ("title", "description")),
    "comments": (lambda t: f"/issues/{t.key}/comments", ("comment",)),
    "history": (lambda t: f"/issues/{t.key}/history", ("title",)),
    "access": (lambda t: f"/issues/{t.key}/access", ()),
    "watchers": (lambda t: f"/issues/{t.key}/watchers", ()),
    "transitions": (lambda t: f"/issues/{t.key}/transitions", ()),
    "attachments": (lambda t: f"/issues/{t.key}/attachments", ("attachment",)),
    "attachment": (lambda t: f"/attachments/{t.attachment}", ("attachment",)),
    "download": (lambda t: f"/attachments/{t.attachment}/download", ("attachment",)),
}
ISSUE_PATHS = [*ITEM_PATHS, "etag", "search_comment"]
# Who runs the per-issue paths, on which issues (every table cell is also checked by the
# per-seat lists and searches below, which cost one request per seat):
# - site-wide seats on all twelve issues, except: the site admin and the team (who see
#   everything) on the confidential ones, root_rw (a site admin's token without `admin`,
#   whose risk is seeing too much) on the ones it must not see;
# - per-project roles at home in PRIV (private), and DESK's reporter, author, assignee and
#   viewer (what makes a support desk differ); admins and members see everything there as in
#   PRIV, and on INTL and PUBL roles differ from PRIV only towards outsiders. The
#   scope-limited tokens (admin_rw, read_token) are compared byte for byte with their owners'
#   answers instead (test_a_read_only_token_reads_like_its_user_and_never_writes).
DESK_ROLES = ("reporter", "author", "assignee", "viewer")
ISSUE_PATH_SEATS = [
    s
    for s in SEATS
    if (s.home in (None, "PRIV") or (s.home == "DESK" and s.role in DESK_ROLES))
    and s.role not in ("admin_rw", "read_token")
]
SEES_EVERYTHING = {"site_admin", "team"}


def resources_for(world: World, seat: Seat) -> list[Res]:
    if seat.home:
        return world.in_project(seat.home)
    if seat.role in SEES_EVERYTHING:
        return [r for r in world.issues.values() if r.kind == "conf"]
    if seat.role == "root_rw":
        return [r for r in world.issues.values() if not sees(seat, r)]
    return list(world.issues.values())


def _swaps(res: Res, gone: Target) -> list[tuple[str, str]]:
    return [
        (f"issue {res.key}", f"issue {gone.key}"),
        (f"attachment {res.attachment}", f"attachment {gone.attachment}"),
    ]


class Baselines:
    """What a seat gets for a missing thing, asked once per test and project."""

    def __init__(self, api: Api):
        self.api = api
        self.seen: dict[Any, Any] = {}
        self.word = canary()  # a word found nowhere

    def get(self, path: str, **params: Any) -> Any:
        marker = (path, tuple(sorted(params.items())))
        if marker not in self.seen:
            response = self.api.get(path, **params)
            response.data = body(response)  # type: ignore[attr-defined]
            self.seen[marker] = response
        return self.seen[marker]


def check_item_path(world: World, seat: Seat, name: str, res: Res, base: Baselines) -> None:
    to_path, proofs = ITEM_PATHS[name]
    where = f"GET {to_path(target(res))} ({res.name})"
    response = base.api.get(to_path(target(res)))
    content = body(response)
    no_leak(world, seat, content, where)
    if sees(seat, res):
        assert response.status_code == 200, (where, content[:300])
        shown = world.canaries_in(content)
        for part in proofs:
            assert res.canary[part] in shown, f"{where}: no {part} canary"
        if name == "history":
            assert (res.canary["deleted"] in shown) == moderates(seat, res.project), where
    else:
        gone = missing(world, res.project)
        absent = base.get(to_path(gone))
        assert response.status_code == 404, (where, content[:300])
        swapped = content
        for mine, theirs in _swaps(res, gone):
            swapped = swapped.replace(mine.encode(), theirs.encode())
        assert swapped == absent.data, f"{where}: {content!r} != {absent.data!r}"
        assert sorted(response.headers) == sorted(absent.headers), where


def check_etag(world: World, seat: Seat, res: Res, base: Baselines) -> None:
    tag = etag(Issue.objects.get(pk=res.pk))
    header = {"HTTP_IF_NONE_MATCH": tag}
    where = f"GET /issues/{res.key} If-None-Match ({res.name})"
    response = base.api.get(f"/issues/{res.key}", headers=header)
    no_leak(world, seat, response.content, where)
    if sees(seat, res):
        assert response.status_code == 304, (where, response.content)
        assert response["ETag"] == tag and response.content == b""
    else:
        gone = missing(world, res.project)
        absent = base.api.get(f"/issues/{gone.key}", headers=header)
        same_404(response, absent, _swaps(res, gone), where)
        assert "ETag" not in response


def check_search(world: World, seat: Seat, res: Res, base: Baselines) -> None:
    where = f"GET /search?q=<comment canary> ({res.name})"
    response = base.api.get("/search", q=res.canary["comment"])
    no_leak(world, seat, response.content, where)
    if sees(seat, res):
        assert key_list(response, where) == [res.key], where
    else:  # exactly what a word found nowhere answers
        nowhere = base.get("/search", q=base.word)
        assert (response.status_code, response.content) == (200, nowhere.data), where


@pytest.mark.parametrize("path", ISSUE_PATHS)
@pytest.mark.parametrize("seat", ISSUE_PATH_SEATS, ids=str)
def test_issue_paths(world, seat, path):
    base = Baselines(world.api(seat))
    for res in resources_for(world, seat):
        if path in ITEM_PATHS:
            check_item_path(world, seat, path, res, base)
        elif path == "etag":
            check_etag(world, seat, res, base)
        else:
            check_search(world, seat, res, base)


# --- per seat: every path that lists issues from everywhere ------------------------------------


def _any_of(part: str, prefix: str = "") -> Callable[[World], dict[str, Any]]:
    def params(world: World) -> dict[str, Any]:
        words = [f"{prefix}{r.canary[part]}" for r in world.issues.values()]
        return {"q": " OR ".join(words), "limit": 200}

    return params


LISTS: dict[str, tuple[str, Callable[[World], dict[str, Any]], Callable[[Res], bool]]] = {
    # name: (path, its parameters, which issues it would show someone who sees everything)
    "list": ("/issues", lambda w: {"limit": 200}, lambda r: True),
    "q_word": ("/issues", lambda w: {"q": COMMON_WORD, "limit": 200}, lambda r: True),
    "q_titles": ("/issues", _any_of("title"), lambda r: True),
    "q_descriptions": ("/issues", _any_of("description", "description:"), lambda r: True),
    "q_comments": ("/issues", _any_of("comment", "comment:"), lambda r: True),
    "q_confidential": (
        "/issues",
        lambda w: {"q": "is:confidential sort:priority-desc", "limit": 200},
        lambda r: r.kind == "conf",
    ),
    "search_word": ("/search", lambda w: {"q": COMMON_WORD, "limit": 200}, lambda r: True),
}


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("seat", SEATS, ids=str)
def test_lists_show_exactly_the_visible_issues(world, seat, name):
    path, params, shown = LISTS[name]
    asked = params(world)
    response = world.api(seat).get(path, **asked)
    where = f"GET {path} {name}"
    no_leak(world, seat, response.content, where, asked=str(asked))
    expected = sorted(r.key for r in world.issues.values() if shown(r) and sees(seat, r))
    got = key_list(response, where)
    assert len(got) == len(set(got)), where
    assert sorted(got) == expected, where
    assert response.json().get("next_cursor") is None


@pytest.mark.parametrize(
    "seat", [Seat("site_admin"), Seat("admin", "PRIV"), Seat("outsider"), Seat("anon")], ids=str
)
def test_nobody_finds_a_deleted_comment(world, seat):
    """Deleted comments leave the index: not even a moderator finds them by searching."""
    api = world.api(seat)
    for path, prefix in (("/issues", "comment:"), ("/search", "")):
        params = _any_of("deleted", prefix)(world)
        response = api.get(path, **params)
        no_leak(world, seat, response.content, path, asked=str(params))
        assert key_list(response, path) == [], path


# --- per seat x project: the project and what hangs off it -------------------------------------


def project_seats() -> list[tuple[Seat, str]]:
    """Per-project roles at home in PRIV and DESK; site-wide seats on every project."""
    home = [(s, s.home) for s in SEATS if s.home in ("PRIV", "DESK")]  # every role: audit
    return home + [(s, p) for s in SEATS if not s.home for p in PROJECTS]


PROJECT_PATHS = {
    # path: whether a 200 shows the project's canary
    "/projects/{}": True,
    "/projects/{}/members": False,
    "/projects/{}/components": True,
    "/projects/{}/milestones": True,
    "/projects/{}/workflow": True,
}


@pytest.mark.parametrize("seat, project", project_seats(), ids=str)
def test_project_paths(world, seat, project):
    api = world.api(seat)
    facts = world.projects[project]
    for pattern, shows_canary in PROJECT_PATHS.items():
        where = f"GET {pattern.format(project)}"
        response = api.get(pattern.format(project))
        no_leak(world, seat, response.content, where)
        if sees_project(seat, project):
            assert response.status_code == 200, (where, response.content)
            assert not shows_canary or facts.canary in response.content.decode(), where
        else:
            absent = api.get(pattern.format("NOPE"))
            same_404(response, absent, [(f"project {project}", "project NOPE")], where)
    audit = api.get(f"/projects/{project}/audit")
    no_leak(world, seat, audit.content, "project audit")
    assert audit.status_code == audit_status(seat, project), audit.content
    if audit.status_code == 404:
        absent = api.get("/projects/NOPE/audit")
        same_404(audit, absent, [(f"project {project}", "project NOPE")], "audit")


@pytest.mark.parametrize("seat, project", project_seats(), ids=str)
def test_project_issue_lists(world, seat, project):
    """GET /issues?project=, ?q=project:, and the project's shared saved filter."""
    api = world.api(seat)
    expected = sorted(r.key for r in world.in_project(project) if sees(seat, r))
    for params in ({"project": project}, {"q": f"project:{project}"}):
        response = api.get("/issues", **params)
        no_leak(world, seat, response.content, f"/issues {params}")
        assert sorted(key_list(response, str(params))) == expected, params
    shared = world.projects[project].filter_id
    for path in (f"/filters/{shared}", f"/filters/{shared}/issues"):
        response = api.get(path)
        no_leak(world, seat, response.content, path)
        if not sees_project(seat, project) or seat.role == "anon":
            absent = api.get(path.replace(str(shared), "999999"))
            same_404(response, absent, [(f"filter {shared}", "filter 999999")], path)
        elif path.endswith("/issues"):
            assert sorted(key_list(response, path)) == expected
        else:
            assert response.status_code == 200
            assert world.projects[project].canary in response.content.decode()


@pytest.mark.parametrize("seat, project", project_seats(), ids=str)
def test_query_errors_name_only_states_the_seat_may_know(world, seat, project):
    """A project's custom state never appears in an error, a suggestion, or as 'this name
    exists' (the query language's `status:` and the `status` parameter) to a seat that cannot
    see the project."""
    api = world.api(seat)
    state = world.projects[project].state.lower()
    asks = {
        "typo": {"q": f'status:"{state[:-1]}"'},
        "exact": {"q": f'status:"{state}"'},
        "param": {"status": state},
        "nonsense": {"q": f'status:"{canary()}"'},
    }
    got = {name: api.get("/issues", **params) for name, params in asks.items()}
    for name, response in got.items():
        no_leak(world, seat, response.content, f"status {name}", asked=str(asks[name]))
    assert got["typo"].status_code == 400, got["typo"].content
    if sees_project(seat, project):
        assert got["typo"].json()["suggestion"] == state
        assert got["exact"].status_code == got["param"].status_code == 200
    else:
        assert {got[n].status_code for n in ("exact", "param", "nonsense")} == {400}
        assert got["exact"].json()["expected"] == got["nonsense"].json()["expected"]
        assert got["typo"].json()["suggestion"] != state


# --- per seat: site-wide reads -----------------------------------------------------------------


@pytest.mark.parametrize("seat", SEATS, ids=str)
def test_project_and_filter_listings(world, seat):
    api = world.api(seat)
    projects = api.get("/projects")
    no_leak(world, seat, projects.content, "/projects")
    assert projects.status_code == 200
    visible = [p for p in PROJECTS if sees_project(seat, p)]
    assert sorted(p["key"] for p in projects.json()) == sorted(visible)
    filters = api.get("/filters")
    no_leak(world, seat, filters.content, "/filters")
    assert filters.status_code == 200
    expected = [] if seat.role == "anon" else [world.projects[p].filter_id for p in visible]
    assert sorted(f["id"] for f in filters.json()) == sorted(expected)


def _status(rule: str) -> int:
    return int(rule) if rule.isdigit() else 200


@pytest.mark.parametrize("seat", SEATS, ids=str)
def test_site_wide_reads(world, seat):
    api = world.api(seat)
    user = world.user(seat)
    for column in ("/users", "/audit", "/me", "/tokens", "/teams", "/teams/staff"):
        rule = site_rule(seat, column)
        response = api.get(column)
        no_leak(world, seat, response.content, column)
        assert response.status_code == _status(rule), (column, response.content)
        if response.status_code != 200:
            continue
        data = response.json()
        if column == "/me":
            assert data["username"] == user.username
        elif column == "/tokens":
            own = {t.pk for n, t in world.tokens.items() if t.user_id == user.pk and n != "revoked"}
            assert {t["id"] for t in data} == own
            assert all("token" not in t and "digest" not in t for t in data)
        elif column == "/teams":
            assert [t["slug"] for t in data] == ([] if rule == "-" else ["staff"])
        elif column == "/users":
            assert len(data) == type(user).objects.count()


def test_site_admin_reads_answer_others_as_if_nothing_were_there(world):
    outsider = world.api(Seat("outsider"))
    nothing = outsider.get("/no-such-endpoint")
    for path in ("/users", "/audit", "/teams/staff"):
        response = outsider.get(path)
        assert response.status_code == nothing.status_code == 404, path
        assert response.json()["title"] == nothing.json()["title"], path


# --- the web app: the same rules on its pages (session sign-in) ---------------------------------

# Sessions carry every power of their user, so the token-scope seats have no web twin.
WEB_SEATS = [Seat(r) for r in ("site_admin", "team", "grantee", "outsider", "anon")] + [
    s for s in ISSUE_PATH_SEATS if s.home
]


def browser(world: World, seat: Seat) -> Client:
    client = Client()
    user = world.user(seat)
    if user is not None:
        client.force_login(user)
    return client


def _titles(world: World, content: bytes) -> list[str]:
    titles = {r.canary["title"]: r.key for r in world.issues.values()}
    return sorted({titles[c] for c in world.canaries_in(content) if c in titles})


@pytest.mark.parametrize("seat", WEB_SEATS, ids=str)
def test_web_issue_pages(world, seat):
    """The issue page, its timeline and its @mention people: 200 or 404 as the API."""
    client = browser(world, seat)
    for res in resources_for(world, seat):
        for path in (f"/{res.key}", f"/{res.key}/timeline", f"/{res.key}/people?q="):
            response = client.get(path)
            no_leak(world, seat, response.content, f"web {path} ({res.name})")
            if seat.role == "anon":
                assert response.status_code == 302, path  # the web app asks to sign in
            elif sees(seat, res):
                assert response.status_code == 200, (path, response.status_code)
            else:
                assert response.status_code == 404, (path, response.status_code)
        if seat.role != "anon" and sees(seat, res):
            assert res.canary["title"] in client.get(f"/{res.key}").content.decode()


EDIT_FORM = re.compile(r"/fields/[a-z_]+|/transitions\?take=[0-9]+")


@pytest.mark.parametrize("seat", [s for s in WEB_SEATS if s.role != "anon"], ids=str)
def test_web_issue_edit_forms(world, seat):
    """Every edit form an issue page offers (a field's, with its choices; a transition's)
    names only what the seat may see. Labels come with the issues that carry them."""
    client = browser(world, seat)
    offered = 0
    for res in resources_for(world, seat):
        if not sees(seat, res):
            continue
        issue_page = client.get(f"/{res.key}").content.decode()
        for form in sorted(set(EDIT_FORM.findall(issue_page))):
            path = f"/{res.key}{form}"
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            no_leak(world, seat, response.content, f"web {path} ({res.name})")
            offered += 1
    if seat.role in ("site_admin", "team", "admin", "member", "reporter", "author"):
        assert offered, "the page offered no forms to someone who may edit"


def _web_pages(world: World, kind: str) -> list[tuple[str, str | None]]:
    """(path, the project it belongs to: 404 unless the seat sees it) for one kind of page."""
    if kind == "issues":
        return [(f"/issues/?q={COMMON_WORD}", None), ("/issues/", None)]
    if kind == "search":
        return [(f"/search?q={COMMON_WORD}", None)]
    if kind == "home":
        return [("/", None), ("/projects/", None)]
    if kind == "project_issues":
        return [(f"/p/{p}/", p) for p in PROJECTS]
    if kind == "board":
        return [(f"/p/{p}/board", p) for p in PROJECTS]
    if kind == "filter_board":
        return [(f"/filters/{f.filter_id}/board", p) for p, f in world.projects.items()]
    if kind == "bulk_choices":
        return [("/issues/bulk-choices", None)] + [
            (f"/issues/bulk-choices?project={p}", p) for p in PROJECTS
        ]
    if kind == "create":
        return [(f"/p/{p}/new", p) for p in PROJECTS]
    asks = ["label:", "label:canary", "milestone:", "component:", "status:hold", "project:"]
    suggest = [(f"/issues/suggest?q={ask}", None) for ask in asks]
    return suggest + [(f"/issues/suggest?q=label:&project={p}", p) for p in PROJECTS]


WEB_PAGES = [
    "issues",
    "search",
    "home",
    "project_issues",
    "board",
    "filter_board",
    "suggest",
    "bulk_choices",
    "create",
]
MAY_REFUSE = {"create"}  # 403 to those who see the project but may not file issues


@pytest.mark.parametrize("kind", WEB_PAGES)
@pytest.mark.parametrize("seat", WEB_SEATS, ids=str)
def test_web_lists_boards_and_suggestions(world, seat, kind):
    client = browser(world, seat)
    for path, project in _web_pages(world, kind):
        response = client.get(path)
        no_leak(world, seat, response.content, f"web {path}")
        if seat.role == "anon":
            assert response.status_code == 302, path  # the web app asks to sign in
        elif project is not None and sees_project(seat, project):
            assert response.status_code in ((200, 403) if kind in MAY_REFUSE else (200,)), path
        elif project is not None:
            assert response.status_code == 404, path
        else:
            assert response.status_code == 200, path
    if seat.role != "anon" and kind in ("issues", "search"):
        expected = sorted(r.key for r in world.issues.values() if sees(seat, r))
        assert _titles(world, client.get(_web_pages(world, kind)[0][0]).content) == expected


# --- refusals that must not differ -------------------------------------------------------------


def _every_read(world: World) -> list[str]:
    paths = [to(target(r)) for r in world.issues.values() for to, _ in ITEM_PATHS.values()]
    for project, facts in world.projects.items():
        paths += [pattern.format(project) for pattern in PROJECT_PATHS]
        paths += [f"/projects/{project}/audit", f"/filters/{facts.filter_id}/issues"]
    paths += [f"/issues?q={COMMON_WORD}", f"/search?q={COMMON_WORD}", "/issues", "/projects"]
    paths += ["/filters", "/users", "/audit", "/me", "/tokens", "/teams", "/teams/staff"]
    return paths


@pytest.mark.parametrize("seat", DEAD_SEATS, ids=str)
def test_dead_tokens_get_one_401_everywhere(world, seat, settings):
    settings.DOCKET_THROTTLE_IP_FAILURES = 0  # not the throttle under test: no 429s here
    api, garbage = world.api(seat), Api("dkt_" + "x" * 43)
    reference = garbage.get("/issues")
    assert reference.status_code == 401
    writes = [
        ("patch", f"/issues/{world.issues['PRIV.normal'].key}", {"title": "x"}),
        ("post", f"/issues/{world.issues['PRIV.conf'].key}/comments", {"body": "x"}),
        ("post", "/projects/PUBL/issues", {"title": "x"}),
        ("delete", f"/issues/{world.issues['INTL.own'].key}", None),
    ]
    before = list(Issue.objects.order_by("pk").values_list("pk", "version"))
    for path in _every_read(world):
        response = api.get(path)
        assert response.status_code == 401, (path, response.status_code)
        assert body(response) == reference.content, path
        assert response["WWW-Authenticate"] == reference["WWW-Authenticate"]
    for method, path, payload in writes:
        response = getattr(api, method)(path, payload) if payload else api.delete(path)
        assert (response.status_code, response.content) == (401, reference.content), path
    assert list(Issue.objects.order_by("pk").values_list("pk", "version")) == before


@pytest.mark.parametrize("project", PROJECTS)
def test_a_read_only_token_reads_like_its_user_and_never_writes(world, project):
    seat, owner = Seat("read_token", project), Seat("member", project)
    reader, member = world.api(seat), world.api(owner)
    normal, conf = world.issues[f"{project}.normal"], world.issues[f"{project}.conf"]
    reads = [to(target(r)) for r in world.in_project(project) for to, _ in ITEM_PATHS.values()]
    reads += [f"/issues?project={project}", f"/search?q={COMMON_WORD}", "/projects"]
    for path in reads:
        mine, theirs = reader.get(path), member.get(path)
        assert mine.status_code == theirs.status_code == 200, path
        assert body(mine) == body(theirs), path
    before = list(Issue.objects.order_by("pk").values_list("pk", "version", "deleted_at"))
    tokens = ApiToken.objects.count()
    writes = []
    for key in (normal.key, conf.key, world.missing_key(project), "PRIV-3"):
        writes += [
            ("patch", f"/issues/{key}", {"title": "x"}),
            ("patch", f"/issues/{key}", {"confidential": False}),
            ("post", f"/issues/{key}/comments", {"body": "x"}),
            ("post", f"/issues/{key}/access", {"user": "outsider"}),
            ("delete", f"/issues/{key}/access/grantee", None),
            ("post", f"/issues/{key}/watchers", {}),
            ("post", f"/issues/{key}/transitions", {"to": "done"}),
            ("delete", f"/issues/{key}", None),
            ("post", f"/issues/{key}/restore", {}),
        ]
    writes += [
        ("post", f"/projects/{project}/issues", {"title": "x"}),
        ("patch", f"/projects/{project}", {"name": "x"}),
        ("post", f"/projects/{project}/members", {"user": "outsider", "role": "admin"}),
        ("post", "/filters", {"name": "x", "query": "x"}),
        ("post", "/tokens", {"name": "x"}),
        ("delete", f"/tokens/{world.tokens[seat.id].pk}", None),
        ("delete", f"/attachments/{conf.attachment}", None),
    ]
    refusals = set()
    for method, path, payload in writes:
        call = getattr(reader, method)
        response = call(path, payload) if payload is not None else call(path)
        assert response.status_code == 403, (method, path, response.content)
        refusals.add(response.content)
    assert len(refusals) == 1, refusals  # one body: nothing about the target shows through
    assert list(Issue.objects.order_by("pk").values_list("pk", "version", "deleted_at")) == before
    assert ApiToken.objects.count() == tokens


@pytest.mark.parametrize("project", PROJECTS)
def test_an_admin_token_without_the_admin_scope_cannot_moderate(world, project):
    api = world.api(Seat("admin_rw", project))
    conf = world.issues[f"{project}.conf"]
    assert api.patch(f"/issues/{conf.key}", {"confidential": False}).status_code == 403
    assert api.delete(f"/issues/{conf.key}").status_code == 403
    assert api.get(f"/projects/{project}/audit").status_code == 403
    assert Issue.objects.get(pk=conf.pk).confidential
