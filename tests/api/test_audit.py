"""The audit log: administrative actions are recorded, readable by admins, and append-only."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from docket.audit.models import AppendOnly, AuditEntry
from tests.api.issue_helpers import problem
from tests.factories import make_issue


def _actions(api, path: str = "/audit") -> list[tuple[str, str, str]]:
    response = api.get(path)
    assert response.status_code == 200, response.content
    return [(e["actor"], e["action"], e["target"]) for e in response.json()["items"]]


def test_administrative_actions_are_recorded_newest_first(cast):
    alice = cast.api(cast.alice)
    alice.patch("/projects/WEB", {"visibility": "internal"})
    alice.post("/projects/WEB/members", {"user": "eve", "role": "viewer"})
    alice.delete("/projects/WEB/members", user="eve")
    make_issue(cast.bob, cast.web)
    alice.delete("/issues/WEB-1")
    logged = [e for e in _actions(cast.api(cast.root)) if e[1] != "token.created"]
    assert logged[:4] == [
        ("alice", "issue.deleted", "WEB-1"),
        ("alice", "member.removed", "eve"),
        ("alice", "member.role_set", "eve"),
        ("alice", "project.updated", "WEB"),
    ]
    entry = cast.api(cast.root).get("/audit", action="project.updated").json()["items"][0]
    assert entry["data"] == {"changes": {"visibility": ["private", "internal"]}}
    assert entry["project"] == "WEB" and entry["ip"] == "127.0.0.1"
    assert entry["via"].startswith("dkt_")


def test_tokens_users_and_workflow_changes_are_recorded(cast):
    root = cast.api(cast.root)
    root.post("/users", {"username": "frank", "password": "a-long-enough-password"})
    created = cast.api(cast.eve).post("/tokens", {"name": "ci"}).json()
    cast.api(cast.eve).delete(f"/tokens/{created['id']}")
    cast.api(cast.alice).post(
        "/projects/WEB/workflow/states", {"name": "Review", "category": "in_progress"}
    )
    actions = {a for _, a, _ in _actions(root)}
    assert {"user.created", "token.created", "token.revoked", "workflow.state_added"} <= actions


def test_project_admins_read_their_projects_log_and_nobody_else_does(cast, anon):
    cast.api(cast.alice).patch("/projects/WEB", {"name": "Web"})
    assert ("alice", "project.updated", "WEB") in _actions(
        cast.api(cast.alice), "/projects/WEB/audit"
    )
    problem(cast.api(cast.bob).get("/projects/WEB/audit"), 403)
    problem(cast.api(cast.eve).get("/projects/WEB/audit"), 404)
    for api in (cast.api(cast.alice), cast.api(cast.bob), anon):
        problem(api.get("/audit"), 404)


def test_the_log_pages_with_a_cursor(cast):
    for n in range(5):
        cast.api(cast.alice).patch("/projects/WEB", {"name": f"Web {n}"})
    first = cast.api(cast.root).get("/audit", limit=3).json()
    second = cast.api(cast.root).get("/audit", limit=3, cursor=first["next_cursor"]).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids) >= 6


def test_entries_cannot_be_changed_or_deleted(cast):
    cast.api(cast.alice).patch("/projects/WEB", {"name": "Web"})
    entry = AuditEntry.objects.filter(action="project.updated").get()
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    for sql in ("UPDATE audit_auditentry SET action = 'x'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).action == "project.updated"


def test_a_failed_action_leaves_no_entry(cast):
    alice = cast.api(cast.alice)
    before = AuditEntry.objects.count()
    problem(alice.post("/projects/WEB/members", {"user": "ghost", "role": "admin"}), 422)
    problem(alice.post("/projects/WEB/workflow/states", {"name": "", "category": "x"}), 422)
    problem(alice.patch("/projects/WEB/workflow/states/open", {"category": "nope"}), 422)
    assert AuditEntry.objects.count() == before
