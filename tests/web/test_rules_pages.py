"""The automation rules pages: the list (order, on/off, delete), the form (new and edit, with
spec.py's 422 next to the field), and a rule's run log and dry run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from docket.accounts.models import Team
from docket.audit.models import AuditEntry
from docket.automation.consumer import NAME
from docket.automation.models import Rule, RuleRun
from docket.cli.demo_rules import add_demo_rules
from docket.issues.models import Issue
from tests.automation.conftest import make_rule, run_rules
from tests.factories import UserFactory, make_issue, make_project
from tests.notifications.conftest import cursor_at_the_end


@pytest.fixture(autouse=True)
def fresh_cursor(db: Any) -> None:
    cursor_at_the_end(NAME)


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**extra: Any) -> dict[str, Any]:
    """The form as a browser posts it for "When priority changes to high, if type:bug, assign
    round robin in team sre; add label hot"."""
    return {
        "name": "Hot bugs", "on": "changed", "t_field": "priority", "c_from": "", "c_to": "high",
        "condition": "type:bug",
        "actions-0-type": "assign", "actions-0-strategy": "round_robin", "actions-0-team": "sre",
        "actions-1-type": "add_labels", "actions-1-labels": "hot",
        "save": "1", **extra,
    }  # fmt: skip


def _order(project) -> list[str]:
    return list(Rule.objects.filter(project=project).values_list("name", flat=True))


def test_an_admin_creates_a_rule_through_the_form_and_the_list_reads_it_as_a_sentence(cast):
    Team.objects.create(slug="sre", name="SRE")
    admin = _as(cast.alice)
    form = admin.get("/p/WEB/rules/new")
    assert form.status_code == 200
    assert 'name="actions-0-type"' in form.content.decode()
    assert admin.post("/p/WEB/rules/new", _form()).status_code == 302
    rule = Rule.objects.get(name="Hot bugs")
    assert rule.project == cast.web and rule.owner == cast.alice
    assert rule.trigger == {"on": "changed", "field": "priority", "to": "high"}
    assert rule.condition == "type:bug"
    assert rule.actions == [
        {"type": "assign", "strategy": "round_robin", "team": "sre"},
        {"type": "add_labels", "labels": ["hot"]},
    ]
    listed = admin.get("/p/WEB/rules").content.decode()
    assert (
        "When priority changes to high, if type:bug, assign round robin in team sre; "
        "add label hot" in listed
    )


def test_every_kind_of_action_row_becomes_the_apis_dict(cast):
    admin = _as(cast.alice)
    response = admin.post("/p/WEB/rules/new", {
        "name": "All of it", "on": "transitioned", "s_from": "open", "s_to": "in progress",
        "actions-0-type": "assign", "actions-0-strategy": "person", "actions-0-to": "",
        "actions-1-type": "set", "actions-1-field": "due_date", "actions-1-value": "",
        "actions-2-type": "set", "actions-2-field": "components", "actions-2-value": "a, b",
        "actions-3-type": "transition", "actions-3-state": "closed",
        "actions-4-type": "comment", "actions-4-body": "Moved **on**",
        "actions-5-type": "notify", "actions-5-people": "bob, carol",
        "actions-5-roles": ["admin", "member"], "actions-5-watchers": "on",
        "actions-5-message": "look",
        "actions-7-type": "remove_labels", "actions-7-labels": "new,  triage ",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    rule = Rule.objects.get(name="All of it")
    assert rule.trigger == {"on": "transitioned", "from": "open", "to": "in progress"}
    assert rule.actions == [
        {"type": "assign", "strategy": "person", "to": None},
        {"type": "set", "field": "due_date", "value": None},
        {"type": "set", "field": "components", "value": ["a", "b"]},
        {"type": "transition", "to": "closed"},
        {"type": "comment", "body": "Moved **on**"},
        {"type": "notify", "people": ["bob", "carol"], "roles": ["admin", "member"],
         "watchers": True, "message": "look"},
        {"type": "remove_labels", "labels": ["new", "triage"]},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "to", "expected"), [("labels", "hot", "hot"), ("confidential", "true", True)]
)
def test_a_changed_trigger_takes_one_value_of_the_field(cast, field, to, expected):
    form = _form(t_field=field, c_to=to)
    assert _as(cast.alice).post("/p/WEB/rules/new", form).status_code == 302
    assert Rule.objects.get().trigger == {"on": "changed", "field": field, "to": expected}


def test_a_bad_condition_is_a_422_next_to_the_field_and_keeps_the_input(cast):
    response = _as(cast.alice).post("/p/WEB/rules/new", _form(condition="priority:>>"))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="rule-condition-error"' in body
    assert response.context["errors"]["condition"]
    assert 'value="priority:&gt;&gt;"' in body and 'value="Hot bugs"' in body
    assert 'value="hot"' in body  # the action rows too
    assert not Rule.objects.exists()
    assert not AuditEntry.objects.filter(action="rule.created").exists()


def test_a_bad_action_row_is_named_at_its_row(cast):
    response = _as(cast.alice).post(
        "/p/WEB/rules/new", _form(**{"actions-1-labels": " , ", "on": "schedule", "cron": "9 9"})
    )
    assert response.status_code == 422
    assert "cron" in response.context["errors"]["trigger"]
    response = _as(cast.alice).post(
        "/p/WEB/rules/new", _form(**{"actions-1-labels": " , "})
    )  # fmt: skip
    assert response.status_code == 422
    assert response.context["errors"]["rows"] == {1: "labels: must be a non-empty list of names"}
    assert not Rule.objects.exists()


def test_adding_and_removing_rows_without_javascript_saves_nothing(cast):
    admin = _as(cast.alice)
    added = admin.post("/p/WEB/rules/new", _form(save="", add_action="1"))
    assert added.status_code == 200
    assert len(added.context["draft"]["actions"]) == 3
    assert 'name="actions-2-type"' in added.content.decode()
    removed = admin.post("/p/WEB/rules/new", _form(save="", remove_action="0"))
    assert [r["type"] for r in removed.context["draft"]["actions"]] == ["add_labels"]
    assert not Rule.objects.exists()


def test_editing_shows_the_rule_and_saves_through_update_rule(cast):
    rule = make_rule(cast.alice, cast.web, "Label new", {"on": "created"},
                     [{"type": "add_labels", "labels": ["new", "triage"]}],
                     condition="type:bug")  # fmt: skip
    admin = _as(cast.alice)
    page = admin.get(f"/p/WEB/rules/{rule.id}/edit")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="Label new"' in body and 'value="new, triage"' in body
    assert page.context["draft"]["condition"] == "type:bug"
    saved = admin.post(
        f"/p/WEB/rules/{rule.id}/edit",
        {"name": "Label new ones", "on": "commented", "condition": "",
         "actions-0-type": "comment", "actions-0-body": "Thanks!"},
    )  # fmt: skip
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.trigger, rule.condition) == ("Label new ones", {"on": "commented"}, "")
    assert rule.actions == [{"type": "comment", "body": "Thanks!"}]
    assert AuditEntry.objects.filter(action="rule.changed").count() == 1
    assert admin.get("/p/WEB/rules/999999/edit").status_code == 404


def test_reorder_toggle_and_delete_from_the_list(cast):
    first, second, third = (
        make_rule(cast.alice, cast.web, name, {"on": "created"}, [{"type": "comment", "body": "x"}])
        for name in ("One", "Two", "Three")
    )
    admin = _as(cast.root)  # a site admin moves them: the owners stay
    assert admin.post("/p/WEB/rules", {"rule": third.id, "op": "up"}).status_code == 302
    assert _order(cast.web) == ["One", "Three", "Two"]
    assert admin.post("/p/WEB/rules", {"rule": first.id, "op": "down"}).status_code == 302
    assert _order(cast.web) == ["Three", "One", "Two"]
    assert AuditEntry.objects.filter(action="rule.moved").count() == 2
    assert set(Rule.objects.values_list("owner__username", flat=True)) == {"alice"}
    stuck = admin.post("/p/WEB/rules", {"rule": third.id, "op": "up"})
    assert stuck.status_code == 422 and "cannot move" in stuck.content.decode()
    assert admin.post("/p/WEB/rules", {"rule": second.id, "op": "toggle"}).status_code == 302
    assert not Rule.objects.get(pk=second.pk).enabled
    assert '<span class="pill">off</span>' in admin.get("/p/WEB/rules").content.decode()
    assert admin.post("/p/WEB/rules", {"rule": first.id, "op": "delete"}).status_code == 302
    assert _order(cast.web) == ["Three", "Two"]
    assert admin.post("/p/WEB/rules", {"rule": first.id, "op": "delete"}).status_code == 404


def test_members_and_outsiders_are_refused_and_global_rules_are_for_site_admins(cast):
    rule = make_rule(
        cast.alice, cast.web, "R", {"on": "created"}, [{"type": "comment", "body": "x"}]
    )
    for path in ("/p/WEB/rules", "/p/WEB/rules/new", f"/p/WEB/rules/{rule.id}/edit",
                 f"/p/WEB/rules/{rule.id}/runs"):  # fmt: skip
        assert _as(cast.bob).get(path).status_code == 403
        assert _as(cast.eve).get(path).status_code == 404
    refused = _as(cast.bob).post("/p/WEB/rules", {"rule": rule.id, "op": "delete"})
    assert refused.status_code == 403 and Rule.objects.filter(pk=rule.pk).exists()
    assert _as(cast.bob).post("/p/WEB/rules/new", _form()).status_code == 403
    assert Rule.objects.count() == 1
    assert _as(cast.alice).get("/settings/rules").status_code == 404
    assert _as(cast.alice).get("/settings/rules/new").status_code == 404
    root = _as(cast.root)
    assert root.get("/settings/rules").status_code == 200
    assert root.post("/settings/rules/new", _form(name="Everywhere")).status_code == 302
    everywhere = Rule.objects.get(name="Everywhere")
    assert everywhere.project is None
    assert root.get(f"/settings/rules/{everywhere.id}/runs").status_code == 200
    assert root.get(f"/settings/rules/{rule.id}/runs").status_code == 404  # a project's rule


def test_the_run_log_shows_runs_and_filters_by_outcome(cast):
    rule = make_rule(cast.alice, cast.web, "Triage", {"on": "created"},
                     [{"type": "add_labels", "labels": ["triage"]}],
                     condition="type:bug")  # fmt: skip
    bug = make_issue(cast.bob, cast.web, title="A real bug", type="bug")
    make_issue(cast.bob, cast.web, title="A task", type="task")
    run_rules()
    admin = _as(cast.alice)
    page = admin.get(f"/p/WEB/rules/{rule.id}/runs")
    body = page.content.decode()
    assert page.status_code == 200
    assert [r.outcome for r in page.context["runs"]] == ["no match", "done"]
    assert f"WEB-{bug.number}" in body and "A real bug" in body and "labels now triage" in body
    done = admin.get(f"/p/WEB/rules/{rule.id}/runs?outcome=done")
    assert [r.issue_id for r in done.context["runs"]] == [bug.id]
    listed = admin.get("/p/WEB/rules").content.decode()
    assert "1 done" in listed and "1 no match" in listed


def test_the_run_log_pages_back_through_older_runs(cast):
    rule = make_rule(
        cast.alice, cast.web, "Many", {"on": "created"}, [{"type": "comment", "body": "x"}]
    )
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    RuleRun.objects.bulk_create(
        RuleRun(rule=rule, key=f"k{i}", trigger="created", matched=False, outcome="no match",
                created_at=moment + dt.timedelta(minutes=i))
        for i in range(30)
    )  # fmt: skip
    admin = _as(cast.alice)
    first = admin.get(f"/p/WEB/rules/{rule.id}/runs")
    assert [r.key for r in first.context["runs"]][:2] == ["k29", "k28"]
    assert len(first.context["runs"]) == 25 and first.context["older_url"]
    second = admin.get(first.context["older_url"])
    assert [r.key for r in second.context["runs"]] == [f"k{i}" for i in range(4, -1, -1)]
    assert not second.context["older_url"] and "Newest" in second.content.decode()


def test_the_run_log_hides_issues_the_viewer_cannot_see(cast):
    """The gate is applied to each row's issue, whichever issue a run names."""
    rule = make_rule(
        cast.alice, cast.web, "R", {"on": "created"}, [{"type": "comment", "body": "x"}]
    )
    secret_project = make_project(cast.eve, "SEC")
    secret = make_issue(cast.eve, secret_project, title="Top secret merger")
    RuleRun.objects.create(
        rule=rule, key="x", trigger="created", issue=secret, matched=True, outcome="failed",
        results=[{"type": "comment", "ok": False, "detail": "refused on Top secret merger"}],
        error="SEC-1: refused", created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    body = _as(cast.alice).get(f"/p/WEB/rules/{rule.id}/runs").content.decode()
    assert "an issue you cannot see" in body
    assert "SEC-1" not in body and "Top secret" not in body
    assert "failed" in body


def test_a_dry_run_shows_what_would_happen_and_changes_nothing(cast):
    rule = make_rule(cast.alice, cast.web, "Raise", {"on": "created"},
                     [{"type": "set", "field": "priority", "value": "highest"}],
                     condition="type:bug")  # fmt: skip
    bug = make_issue(cast.bob, cast.web, title="Crash", type="bug", priority="low")
    task = make_issue(cast.bob, cast.web, title="Chore", type="task")  # the worker is idle
    admin = _as(cast.alice)
    tried = admin.post(f"/p/WEB/rules/{rule.id}/runs", {"issue": f"web-{bug.number}"})
    assert tried.status_code == 200
    assert tried.context["dry"]["matched"] and tried.context["dry"]["outcome"] == "done"
    assert "set priority to &#39;highest&#39;" in tried.content.decode()
    assert Issue.objects.get(pk=bug.pk).get_priority_display().lower() == "low"
    assert not RuleRun.objects.exists()
    no_match = admin.post(f"/p/WEB/rules/{rule.id}/runs", {"issue": f"WEB-{task.number}"})
    assert "does not match" in no_match.content.decode()
    missing = admin.post(f"/p/WEB/rules/{rule.id}/runs", {"issue": "WEB-999"})
    assert missing.status_code == 404 and "WEB-999" in missing.content.decode()


def test_the_demo_rules_pass_the_rules_checks_and_read_well(cast):
    names = [UserFactory(username=f"demo{i}").username for i in range(7)]
    for key in ("HELP", "OPS"):
        make_project(cast.root, key)
    assert add_demo_rules(cast.root, names) == 3  # WEB is the cast's
    assert Team.objects.get(slug="support").members.count() == 4
    help_page = _as(cast.root).get("/p/HELP/rules").content.decode()
    assert "When an issue is created, assign round robin in team support" in help_page
