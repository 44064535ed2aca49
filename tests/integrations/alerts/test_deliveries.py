"""Deliveries through the real endpoint (Django's test client), every shared sample byte for
byte: what opens an incident, what comments, what resolves, what changes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from docket.integrations.alerts.models import AlertGroup
from docket.issues.models import Comment, IssueEvent
from tests.integrations.alerts.conftest import (
    DATA,
    Intake,
    comments,
    incidents,
    make_intake,
    sample,
    samples,
)

AM = "alertmanager/"
GF = "grafana/"
# Each sample replayed into a fresh intake: the title it opens, its priority and severity
# (from the `severity` label through the default map); None: nothing is firing, so nothing
# opens.
OPENS: dict[str, tuple[str, str, str] | None] = {
    AM + "alertmanager-bot__firing.json": ("Fire: Something is on fire", "highest", "critical"),
    AM + "alertmanager-bot__resolved.json": None,
    AM + "prometheus-msteams__firing_3_alerts.json": (
        "JustATestAlert_1: Ratio(Max(Working Set, RSS) / Reservation) [5m Avg] < 40 %",
        "low",
        "minor",
    ),  # fmt: skip
    AM + "zulip__firing_2_alerts.json": (
        "High CPU Temperature: High CPU core temperature",
        "highest",
        "critical",
    ),  # fmt: skip
    AM + "zulip__resolved_same_group.json": None,
    GF + "zulip__v11_firing_values_image.json": (
        "Memory (copy): High memory usage",
        "medium",
        "major",
    ),  # fmt: skip
    GF + "zulip__v9_firing_3_alerts.json": (
        "Test alert (+1 more): This is a summary field, failure on badhost.example.com",
        "medium",
        "major",
    ),  # fmt: skip
    GF + "zulip__v9_mixed_1_firing_2_resolved.json": (
        "Second webhook test: Testing **another** failing alert",
        "medium",
        "major",
    ),  # fmt: skip
    GF + "zulip__v9_resolved.json": None,
}


def test_the_table_covers_every_sample() -> None:
    on_disk = set(samples("alertmanager") + samples("grafana"))
    if not on_disk:
        pytest.skip(
            f"shared alert samples not found at {DATA.resolve()} (../shared/data; CI has it)"
        )
    assert on_disk == set(OPENS)


@pytest.mark.parametrize("name", sorted(OPENS))
def test_every_sample_replayed_byte_for_byte(cast: Any, name: str) -> None:
    source = "grafana" if name.startswith(GF) else "alertmanager"
    intake = make_intake(cast.alice, cast.web, source=source)
    raw = sample(name)
    answer = intake.replay(name)
    expected = OPENS[name]
    if expected is None:
        assert answer == {
            "outcome": "ignored", "issue": None,
            "detail": "no open incident for this group and nothing firing",
        }  # fmt: skip
        assert incidents(cast.web) == []
        return
    assert answer["outcome"] == "opened"
    [issue] = incidents(cast.web)
    assert answer["issue"] == issue.key
    assert (issue.title, issue.get_priority_display(), issue.get_severity_display()) == expected
    assert issue.type == "incident"
    assert issue.reporter == intake.row.bot
    body = json.loads(raw)
    firing = [a for a in body["alerts"] if a["status"] == "firing"]
    assert f"**{len(firing)} firing**" in issue.description
    for alert in firing:  # every firing alert's labels are in the description's tables
        for label in alert["labels"]:
            assert f"` {label} `" in issue.description
        assert alert["generatorURL"].replace("\\u0026", "&") in issue.description
    # The same bytes again: nothing new.
    again = intake.replay(name)
    assert again["outcome"] == "unchanged"
    assert comments(issue) == []


def test_firing_then_resolved_same_group_resolves_the_one_incident(intake: Intake, cast: Any):
    opened = intake.replay(AM + "zulip__firing_2_alerts.json")
    resolved = intake.replay(AM + "zulip__resolved_same_group.json")
    [issue] = incidents(cast.web)
    assert opened["issue"] == resolved["issue"] == issue.key
    assert resolved["outcome"] == "resolved"
    issue.refresh_from_db()
    assert issue.status.is_done and issue.resolution == "fixed"
    [note] = comments(issue)
    assert note.startswith("**Resolved** at ")
    group = AlertGroup.objects.get()
    assert (group.open, group.issue_id, group.firing) == (False, issue.id, [])


def test_resolved_alert_keeps_its_end_time(intake: Intake, cast: Any):
    intake.replay(AM + "alertmanager-bot__firing.json")
    intake.replay(AM + "alertmanager-bot__resolved.json")
    [issue] = incidents(cast.web)
    assert comments(issue)[0].startswith("**Resolved** at 2018-11-04 21:48:13 UTC")


def test_repeats_do_not_add_comments(intake: Intake, cast: Any):
    intake.replay(AM + "zulip__firing_2_alerts.json")
    outcomes = [intake.replay(AM + "zulip__firing_2_alerts.json")["outcome"] for _ in range(3)]
    assert outcomes == ["unchanged"] * 3
    [issue] = incidents(cast.web)
    assert comments(issue) == []
    assert AlertGroup.objects.get().deliveries == 4


def test_grafana_flap_comments_per_alert_then_resolves(grafana: Intake, cast: Any):
    """Mixed payload first (per-alert status wins over the top-level "firing"), then the two
    other alerts fire again, then the group resolves."""
    first = grafana.replay(GF + "zulip__v9_mixed_1_firing_2_resolved.json")
    assert first["outcome"] == "opened"
    [issue] = incidents(cast.web)
    assert "**1 firing**" in issue.description
    assert "badhost" not in issue.description  # resolved alerts are not the incident's
    second = grafana.replay(GF + "zulip__v9_firing_3_alerts.json")
    assert second == {"outcome": "commented", "issue": issue.key, "detail": "3 alert(s) firing"}
    [change] = comments(issue)
    assert "**2 alert(s) started firing:**" in change
    assert "**Firing now (3):**" in change
    assert grafana.replay(GF + "zulip__v9_firing_3_alerts.json")["outcome"] == "unchanged"
    third = grafana.replay(GF + "zulip__v9_resolved.json")
    assert third["outcome"] == "resolved"
    issue.refresh_from_db()
    assert issue.status.is_done
    assert len(comments(issue)) == 2
    assert incidents(cast.web) == [issue]


def test_a_new_firing_after_resolution_opens_a_new_incident(intake: Intake, cast: Any):
    intake.replay(AM + "alertmanager-bot__firing.json")
    intake.replay(AM + "alertmanager-bot__resolved.json")
    again = intake.replay(AM + "alertmanager-bot__firing.json")
    first, second = incidents(cast.web)
    assert again == {
        "outcome": "opened", "issue": second.key,
        "detail": f"opened {second.key} for 1 firing alert(s)",
    }  # fmt: skip
    assert f"The previous incident of this group was {first.key}." in second.description
    assert AlertGroup.objects.filter(open=True).get().issue == second


def test_an_incident_closed_by_hand_is_not_commented_on(intake: Intake, cast: Any):
    from docket.issues import actions as issue_actions

    intake.replay(AM + "zulip__firing_2_alerts.json")
    [issue] = incidents(cast.web)
    issue_actions.update_issue(actor=cast.alice, issue=issue, changes={"status": "resolved"})
    assert intake.replay(AM + "zulip__firing_2_alerts.json")["outcome"] == "opened"
    assert len(incidents(cast.web)) == 2
    assert comments(issue) == []


def test_comment_only_when_the_intake_says_so(cast: Any):
    intake = make_intake(cast.alice, cast.web, resolve_on_resolved=False)
    intake.replay(AM + "alertmanager-bot__firing.json")
    answer = intake.replay(AM + "alertmanager-bot__resolved.json")
    [issue] = incidents(cast.web)
    assert answer == {
        "outcome": "commented", "issue": issue.key,
        "detail": "resolved; the intake leaves the incident open",
    }  # fmt: skip
    issue.refresh_from_db()
    assert not issue.status.is_done
    # It fires again: the still-open incident hears of it, no second one opens.
    assert intake.replay(AM + "alertmanager-bot__firing.json")["outcome"] == "commented"
    assert incidents(cast.web) == [issue]
    assert len(comments(issue)) == 2


def test_a_workflow_that_will_not_let_the_bot_resolve_gets_a_comment_saying_why(cast: Any):
    from docket.projects.models import WorkflowTransition

    intake = make_intake(cast.alice, cast.web)
    WorkflowTransition.objects.filter(workflow=cast.web.workflow).update(allowed_roles=["admin"])
    intake.replay(AM + "alertmanager-bot__firing.json")
    answer = intake.replay(AM + "alertmanager-bot__resolved.json")
    [issue] = incidents(cast.web)
    assert answer["outcome"] == "commented"
    assert "stays open" in answer["detail"]
    [note] = comments(issue)
    assert "Not resolved automatically: no transition from" in note
    issue.refresh_from_db()
    assert not issue.status.is_done


def test_an_incident_workflow_needs_a_person_to_acknowledge_first(cast: Any):
    """The incident template has no move from Triggered straight to a done state: the bot
    says so instead of resolving, and the incident waits for a person."""
    from tests.factories import make_project

    ops = make_project(cast.alice, "OPS", workflow="incident")
    intake = make_intake(cast.alice, ops)
    intake.replay(AM + "alertmanager-bot__firing.json")
    [issue] = incidents(ops)
    assert issue.status.name == "Triggered"
    answer = intake.replay(AM + "alertmanager-bot__resolved.json")
    assert answer["outcome"] == "commented"
    [note] = comments(issue)
    assert "no transition from 'Triggered' to a done state" in note


def test_history_names_the_intake(intake: Intake, cast: Any):
    intake.replay(AM + "alertmanager-bot__firing.json")
    event = IssueEvent.objects.get(kind="created")
    assert event.actor == intake.row.bot
    assert event.actor.display_name == "Alerts: Prometheus"
    assert not event.actor.is_active  # nobody signs in as it


def test_assignee_and_team_come_from_the_intake(cast: Any):
    from docket.accounts.models import Team
    from docket.projects import actions as project_actions

    team = Team.objects.create(slug="ops", name="Ops")
    team.members.add(cast.bob)
    project_actions.set_member(actor=cast.alice, project=cast.web, team="ops", role="member")
    intake = make_intake(cast.alice, cast.web, assignee="bob", team="ops")
    intake.replay(AM + "zulip__firing_2_alerts.json")
    [issue] = incidents(cast.web)
    assert (issue.assignee, issue.team) == (cast.bob, team)


# --- refused deliveries: each changes nothing -------------------------------------------------


def _nothing_changed(cast: Any) -> None:
    assert incidents(cast.web) == []
    assert AlertGroup.objects.count() == 0
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer dka_wrong", "Token dka_wrong", "Bearer " + "x" * 500],
    ids=["none", "empty", "wrong", "scheme", "long"],
)
def test_a_bad_token_is_401(intake: Intake, cast: Any, header: str | None) -> None:
    headers = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    answer = intake.post(sample(AM + "zulip__firing_2_alerts.json"), token=None, **headers)
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert "token" in answer.json()["detail"]
    _nothing_changed(cast)


def test_unknown_intake_is_401_like_a_bad_token(intake: Intake, cast: Any) -> None:
    other = intake.client.post(
        f"/api/v1/alerts/{intake.row.id + 1000}", data=b"{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {intake.token}",
    )  # fmt: skip
    assert other.status_code == 401
    assert other.json()["detail"] == intake.post(b"{}", token="nope").json()["detail"]


def test_token_of_another_intake_is_refused(intake: Intake, cast: Any) -> None:
    other = make_intake(cast.alice, cast.web, name="Other")
    answer = intake.post(sample(AM + "zulip__firing_2_alerts.json"), token=other.token)
    assert answer.status_code == 401
    _nothing_changed(cast)


def test_a_signed_in_session_is_no_credential(intake: Intake, cast: Any) -> None:
    intake.client.force_login(cast.alice)
    answer = intake.post(sample(AM + "zulip__firing_2_alerts.json"), token=None)
    assert answer.status_code == 401
    _nothing_changed(cast)


def test_token_in_the_query_string_and_basic_auth(intake: Intake, cast: Any) -> None:
    body = sample(AM + "alertmanager-bot__firing.json")
    by_query = intake.client.post(
        f"/api/v1/alerts/{intake.row.id}?token={intake.token}", data=body,
        content_type="application/json",
    )  # fmt: skip
    assert by_query.status_code == 200, by_query.content
    basic = base64.b64encode(f"grafana:{intake.token}".encode()).decode()
    by_basic = intake.post(body, token=None, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert by_basic.json()["outcome"] == "unchanged"


def test_a_rotated_token_replaces_the_old(intake: Intake, cast: Any) -> None:
    from docket.integrations.alerts import actions

    new = actions.rotate_token(actor=cast.alice, intake=intake.row)
    body = sample(AM + "alertmanager-bot__firing.json")
    assert intake.post(body).status_code == 401
    assert intake.post(body, token=new).status_code == 200


def test_a_disabled_intake_refuses(intake: Intake, cast: Any) -> None:
    from docket.integrations.alerts import actions

    actions.update_intake(actor=cast.alice, intake=intake.row, data={"enabled": False})
    answer = intake.post(sample(AM + "alertmanager-bot__firing.json"))
    assert answer.status_code == 403
    _nothing_changed(cast)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"alerts": [', "malformed JSON at 1:13"),
        (b'{"status": "firing",\n "alerts": [}', "malformed JSON at 2:13"),
        (b"[]", "the body must be a JSON object"),
        (b"\xff\xfe", "body is not valid UTF-8"),
    ],
)
def test_malformed_json_is_400_with_where(intake: Intake, cast: Any, body: bytes, where: str):
    answer = intake.post(body)
    assert answer.status_code == 400
    assert where in answer.json()["detail"]
    _nothing_changed(cast)


def _firing(**changes: Any) -> dict[str, Any]:
    body = json.loads(sample(AM + "alertmanager-bot__firing.json"))
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("changes", "field"),
    [  # changes to a real firing sample (read in the test, so collection needs no files)
        (None, "alerts"),
        ({"alerts": {"not": "a list"}}, "alerts"),
        ({"alerts": [{"labels": {}}]}, "alerts.0.status"),
        ({"alerts": [{"status": "firing"}]}, "alerts.0.labels"),
        ({"alerts": [{"status": "burning", "labels": {}}]}, "alerts.0.status"),
        ({"alerts": [{"status": "firing", "labels": ["a"]}]}, "alerts.0.labels"),
        ({"groupKey": None, "alerts": []}, "groupKey"),
    ],
)
def test_wrong_shape_is_422_naming_the_field(
    intake: Intake, cast: Any, changes: dict[str, Any] | None, field: str
):
    body = {"receiver": "x", "status": "firing"} if changes is None else _firing(**changes)
    answer = intake.post(json.dumps(body))
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"][0]["field"] == field
    _nothing_changed(cast)


@pytest.mark.parametrize(
    "name", ["sentry/zulip__event_alert_triggered.json", "zabbix/zulip__problem.json",
             "zabbix/zulip__ok.json"],
)  # fmt: skip
def test_sentry_and_zabbix_are_not_supported(grafana: Intake, cast: Any, name: str) -> None:
    answer = grafana.post(sample(name))
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["field"] == "alerts"
    assert "Sentry, Zabbix" in problem["detail"]
    _nothing_changed(cast)


def test_grafana_legacy_alerting(grafana: Intake, cast: Any) -> None:
    """Grafana before 8 (legacy alerting) posts one rule; written here from its documented
    fields, as no captured sample exists."""
    legacy = {
        "title": "[Alerting] Disk full", "ruleId": 7, "ruleName": "Disk full",
        "ruleUrl": "https://grafana.example.com/d/abc?panelId=2", "state": "alerting",
        "message": "Less than 5% free", "tags": {"severity": "warning"},
        "evalMatches": [{"metric": "free", "value": 3.2, "tags": None}],
    }  # fmt: skip
    assert grafana.post(json.dumps(legacy)).json()["outcome"] == "opened"
    [issue] = incidents(cast.web)
    assert (issue.title, issue.get_priority_display()) == ("Disk full: Less than 5% free", "high")
    assert "free=3.2" in issue.description
    legacy["state"] = "ok"
    assert grafana.post(json.dumps(legacy)).json()["outcome"] == "resolved"


def test_truncated_groups_count_only_what_they_say(intake: Intake, cast: Any) -> None:
    """With `max_alerts` the sender leaves alerts out: a missing alert has not ended."""
    body = json.loads(sample(AM + "zulip__firing_2_alerts.json"))
    intake.post(json.dumps(body))
    body["alerts"] = body["alerts"][:1]
    body["truncatedAlerts"] = 1
    assert intake.post(json.dumps(body)).json()["outcome"] == "unchanged"
    del body["truncatedAlerts"]  # the full group now has one alert: the other one ended
    answer = intake.post(json.dumps(body)).json()
    assert answer["outcome"] == "commented"
    [issue] = incidents(cast.web)
    [note] = comments(issue)
    assert "**1 alert(s) no longer in the group.**" in note
    assert "**Firing now (1):**" in note


def test_a_huge_group_still_opens_an_incident(intake: Intake, cast: Any) -> None:
    """20 alerts of 150 long labels each would make a description past the field's limit:
    it is cut at a line's end instead of the delivery being refused."""
    body = json.loads(sample(AM + "zulip__firing_2_alerts.json"))
    alert = body["alerts"][0]
    body["alerts"] = [
        {**alert, "fingerprint": f"f{n}",
         "labels": {**alert["labels"], **{f"l{i}": f"{n}-" + "x" * 400 for i in range(150)}}}
        for n in range(25)
    ]  # fmt: skip
    assert intake.post(json.dumps(body)).json()["outcome"] == "opened"
    [issue] = incidents(cast.web)
    assert len(issue.description) < 100_000
    assert issue.description.endswith("…cut here: the rest of the alerts is too long to show.\n")
