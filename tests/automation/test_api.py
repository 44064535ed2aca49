"""The rules API: project admins manage a project's rules, site admins the global ones; the
run log; a dry run that changes nothing; every change in the audit log."""

from __future__ import annotations

from docket.audit.models import AuditEntry
from docket.automation.models import Rule, RuleEffect, RuleRun
from docket.issues.models import Issue, IssueEvent
from tests.automation.conftest import run_rules
from tests.factories import make_issue

RULE = {
    "name": "Prioritise crashes",
    "trigger": {"on": "created"},
    "condition": "title:crash",
    "actions": [
        {"type": "set", "field": "priority", "value": "highest"},
        {"type": "add_labels", "labels": ["crash"]},
        {"type": "comment", "body": "Looking into it"},
    ],
}


def test_project_admins_manage_rules_and_see_their_runs(cast):
    admin = cast.api(cast.alice)
    made = admin.post("/projects/WEB/rules", RULE)
    assert made.status_code == 201, made.content
    rule = made.json()
    assert (rule["owner"], rule["position"], rule["enabled"]) == ("alice", 0, True)
    assert [r["name"] for r in admin.get("/projects/WEB/rules").json()] == ["Prioritise crashes"]
    assert cast.api(cast.bob).get("/projects/WEB/rules").status_code == 403
    assert cast.api(cast.eve).get("/projects/WEB/rules").status_code == 404
    issue = make_issue(cast.carol, cast.web, title="crash on start")
    run_rules()
    runs = admin.get(f"/projects/WEB/rules/{rule['id']}/runs").json()
    assert [(r["issue"], r["outcome"], r["matched"]) for r in runs] == [
        (f"WEB-{issue.number}", "done", True)
    ]
    changed = admin.patch(f"/projects/WEB/rules/{rule['id']}", {"enabled": False})
    assert changed.json()["enabled"] is False
    assert admin.delete(f"/projects/WEB/rules/{rule['id']}").status_code == 204
    logged = list(AuditEntry.objects.filter(action__startswith="rule.").order_by("id"))
    assert [e.action for e in logged] == ["rule.created", "rule.changed", "rule.deleted"]
    assert logged[1].data["changes"] == {"enabled": {"old": True, "new": False}}


def test_bad_rules_are_refused_with_the_field(cast):
    admin = cast.api(cast.alice)
    for body, field in (
        ({**RULE, "trigger": {"on": "never"}}, "trigger.on"),
        ({**RULE, "trigger": {"on": "schedule", "cron": "every day"}}, "trigger.cron"),
        ({**RULE, "condition": "priority:"}, "condition"),
        ({**RULE, "actions": [{"type": "set", "field": "status", "value": "done"}]},
         "actions[0].field"),
    ):  # fmt: skip
        answer = admin.post("/projects/WEB/rules", body)
        assert answer.status_code == 422, body
        assert field in str(answer.json()), answer.json()


def test_global_rules_are_for_site_admins(cast):
    assert cast.api(cast.alice).post("/rules", RULE).status_code == 404
    made = cast.api(cast.root).post("/rules", RULE)
    assert made.status_code == 201 and made.json()["project"] is None
    make_issue(cast.carol, cast.web, title="crash again")
    run_rules()
    assert RuleRun.objects.get().outcome == "done"  # root is a site admin: the bot is an admin


def test_dry_run_changes_nothing(cast):
    admin = cast.api(cast.alice)
    rule = admin.post("/projects/WEB/rules", RULE).json()
    issue = make_issue(cast.carol, cast.web, title="crash when idle")
    Rule.objects.update(enabled=False)  # the worker must not act on it meanwhile
    run_rules()
    events = IssueEvent.objects.count()
    path = f"/projects/WEB/rules/{rule['id']}/dry-run"
    tried = admin.post(path, {"issue": f"WEB-{issue.number}"})
    assert tried.status_code == 200, tried.content
    body = tried.json()
    assert (body["matched"], body["outcome"]) == (True, "done")
    assert [a["detail"] for a in body["results"]] == [
        "set priority to 'highest'", "labels now crash", "commented",
    ]  # fmt: skip
    fresh = Issue.objects.get(pk=issue.pk)
    assert (fresh.version, fresh.priority, fresh.labels.count(), fresh.comments.count()) == (
        1, issue.priority, 0, 0,
    )  # fmt: skip
    assert IssueEvent.objects.count() == events
    assert not RuleRun.objects.exists() and not RuleEffect.objects.exists()
    assert not cast.web.labels.filter(name="crash").exists()
    other = admin.post(path, {"issue": "WEB-999"})
    assert other.status_code == 404
