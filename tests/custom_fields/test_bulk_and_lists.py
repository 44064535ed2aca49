"""Custom fields on many issues: set or clear one by bulk edit (API and the list's bulk bar),
refused clearly across projects that do not share it; their values on the API's list rows
(one query for the page) and as list columns; history names them by their label."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from docket.issues import custom_fields
from docket.projects import actions as project_actions
from docket.projects.models import Project
from tests.custom_fields.conftest import history
from tests.factories import make_issue, make_project


@pytest.fixture
def issues(fielded):
    custom_fields.redefine(
        actor=fielded.alice, project=fielded.web, name="tier", values={"label": "Customer tier"}
    )
    for title in ("one", "two", "three"):
        make_issue(fielded.alice, fielded.web, title=title)
    return fielded


@pytest.fixture
def ops(issues):
    """OPS: bob is a member; it has no `tier` field (but its own `tier`-less fields)."""
    project = make_project(issues.alice, "OPS", members={issues.bob: "member"})
    make_issue(issues.alice, project, title="ops one")
    return project


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tiers(api, keys):
    return [api.get(f"/issues/{key}").json()["custom_fields"]["tier"] for key in keys]


def test_bulk_edit_sets_and_clears_a_custom_field_with_events(issues):
    api = issues.api(issues.bob)
    keys = ["WEB-1", "WEB-2", "WEB-3"]
    done = api.post(
        "/issues/bulk", {"issues": keys, "changes": {"custom_fields": {"tier": "gold"}}}
    )
    assert done.status_code == 200, done.content
    assert done.json()["changed"] == 3
    assert tiers(api, keys) == ["gold", "gold", "gold"]
    events = [e for e in history(api, "WEB-2") if e["field"] == "cf.tier"]
    assert [(e["old"], e["new"], e["label"]) for e in events] == [(None, "gold", "Customer tier")]

    cleared = api.post(
        "/issues/bulk", {"issues": keys[:2], "changes": {"custom_fields": {"tier": None}}}
    )
    assert cleared.json()["changed"] == 2
    assert tiers(api, keys) == [None, None, "gold"]


def test_bulk_values_are_checked_as_a_single_edit_is(issues):
    api = issues.api(issues.bob)
    body = {"issues": ["WEB-1", "WEB-2"], "changes": {"custom_fields": {"tier": "platinum"}}}
    refused = api.post("/issues/bulk", body).json()
    assert refused["failed"] == 2
    assert {r["status"] for r in refused["results"]} == {422}
    assert "must be one of: gold, silver, bronze" in refused["results"][0]["errors"][0]["message"]
    assert tiers(api, ["WEB-1", "WEB-2"]) == [None, None]
    viewer = issues.api(issues.dave).post(
        "/issues/bulk", {"issues": ["WEB-1"], "changes": {"custom_fields": {"tier": "gold"}}}
    )
    assert viewer.json()["results"][0]["status"] == 403


def test_bulk_across_projects_without_the_field_is_refused_whole(issues, ops):
    api = issues.api(issues.bob)
    body = {"issues": ["WEB-1", "OPS-1"], "changes": {"custom_fields": {"tier": "gold"}}}
    refused = api.post("/issues/bulk", body)
    assert refused.status_code == 422
    message = refused.json()["errors"][0]
    assert message["field"] == "custom_fields.tier"
    assert "OPS has no custom field 'tier' (only WEB has it)" in message["message"]
    assert tiers(api, ["WEB-1"]) == [None]  # nothing changed
    only_ops = api.post("/issues/bulk", {**body, "issues": ["OPS-1"]})
    assert only_ops.status_code == 422
    assert "OPS has no custom field 'tier'" in only_ops.json()["errors"][0]["message"]


def test_a_project_one_cannot_see_is_not_revealed_by_the_check(issues):
    secret = make_project(issues.alice, "SEC")  # bob is not in it; it has no `tier`
    make_issue(issues.alice, secret, title="secret")
    api = issues.api(issues.bob)
    body = {"issues": ["WEB-1", "SEC-1"], "changes": {"custom_fields": {"tier": "gold"}}}
    done = api.post("/issues/bulk", body)
    assert done.status_code == 200, done.content
    results = {r["key"]: r["status"] for r in done.json()["results"]}
    assert results == {"WEB-1": 200, "SEC-1": 404}
    assert "SEC" not in done.content.decode().replace("SEC-1", "")


def test_the_bulk_bar_sets_clears_and_refuses(issues, ops):
    member = client_for(issues.bob)
    page = member.get("/p/WEB/").content.decode()
    assert '<option value="tier">Customer tier</option>' in page  # the bar's field choice
    headers = {"HTTP_HX_REQUEST": "true"}
    form = {"selected": ["WEB-1", "WEB-3"], "cf_field": "tier", "cf_value": "silver"}
    answer = member.post("/issues/bulk", form, **headers).content.decode()
    assert "2 updated" in answer
    form = {"selected": ["WEB-1"], "cf_field": "platforms", "cf_value": "ios, web"}
    assert "1 updated" in member.post("/issues/bulk", form, **headers).content.decode()
    api = issues.api(issues.bob)
    assert tiers(api, ["WEB-1", "WEB-2", "WEB-3"]) == ["silver", None, "silver"]
    assert api.get("/issues/WEB-1").json()["custom_fields"]["platforms"] == ["web", "ios"]

    cleared = member.post(
        "/issues/bulk", {"selected": ["WEB-3"], "cf_field": "tier", "cf_clear": "1"}, **headers
    )
    assert "1 updated" in cleared.content.decode()
    assert tiers(api, ["WEB-3"]) == [None]

    mixed = {"selected": ["WEB-1", "OPS-1"], "cf_field": "tier", "cf_value": "gold"}
    refused = member.post("/issues/bulk", mixed, **headers).content.decode()
    assert "span projects that do not share this field" in refused
    assert tiers(api, ["WEB-1"]) == ["silver"]
    neither = {"selected": ["WEB-1"], "cf_field": "tier"}
    assert "tick Clear" in member.post("/issues/bulk", neither, **headers).content.decode()


def test_list_rows_carry_custom_fields_in_a_bounded_number_of_queries(issues):
    api = issues.api(issues.bob)
    api.patch("/issues/WEB-1", {"custom_fields": {"tier": "gold", "owner": "bob", "points": 2}})

    def listed(limit: int):
        with CaptureQueriesContext(connection) as queries:
            rows = api.get("/issues", project="WEB", sort="key", limit=limit).json()["items"]
        return rows, len(queries)

    rows, few = listed(1)
    assert rows[0]["key"] == "WEB-1"
    assert rows[0]["custom_fields"] == {
        "customer": None, "points": 2, "deadline": None, "tier": "gold", "platforms": [],
        "owner": "bob",
    }  # fmt: skip
    rows, many = listed(3)
    assert [r["custom_fields"]["tier"] for r in rows] == ["gold", None, None]
    assert many == few  # one prefetch for the page, not one query per issue


def test_saved_filter_rows_carry_custom_fields(issues):
    api = issues.api(issues.bob)
    api.patch("/issues/WEB-2", {"custom_fields": {"tier": "bronze"}})
    saved = api.post("/filters", {"name": "bronze", "query": "cf.tier:bronze"})
    assert saved.status_code == 201, saved.content
    rows = api.get(f"/filters/{saved.json()['id']}/issues").json()["items"]
    assert [(r["key"], r["custom_fields"]["tier"]) for r in rows] == [("WEB-2", "bronze")]


def test_a_user_field_reads_null_to_who_may_not_know_the_person(cast):
    """Former staff named in a user field: on a support desk's list, as on the issue, the
    customer reads null (the list never says more than the issue does)."""
    desk = make_project(
        cast.alice, "HELP", visibility="public", members={cast.bob: "member", cast.eve: "reporter"}
    )
    Project.objects.filter(pk=desk.pk).update(reporters_see_own_only=True)
    custom_fields.define(actor=cast.alice, project=desk, values={"name": "owner", "type": "user"})
    make_issue(cast.eve, desk, title="my ticket", custom_fields={"owner": "bob"})
    assert cast.api(cast.eve).get("/issues", project="HELP").json()["items"][0][
        "custom_fields"
    ] == {"owner": "bob"}  # staff: the customer may know of them
    project_actions.remove_member(actor=cast.alice, project=desk, user="bob")
    for reader in (cast.alice, cast.eve):
        api = cast.api(reader)
        row = api.get("/issues", project="HELP").json()["items"][0]["custom_fields"]
        assert row == api.get("/issues/HELP-1").json()["custom_fields"] == {"owner": None}


def test_custom_field_columns_on_a_project_list(issues):
    api = issues.api(issues.bob)
    api.patch("/issues/WEB-2", {"custom_fields": {"tier": "gold", "platforms": ["web", "ios"]}})
    member = client_for(issues.bob)
    page = member.get("/p/WEB/", {"columns": ["cf.tier", "cf.platforms"]}).content.decode()
    assert "Customer tier" in page.split("<thead>")[1].split("</thead>")[0]
    row = page.split('data-key="WEB-2"')[1].split("</tr>")[0]
    assert '<td class="cf">gold</td>' in row and '<td class="cf">web, ios</td>' in row
    plain = member.get("/p/WEB/").content.decode()
    assert 'class="cf"' not in plain
    # The column chooser offers each field; an unknown or foreign name is left out.
    assert 'value="cf.tier"' in plain
    odd = member.get("/p/WEB/", {"columns": "cf.nope,cf.tier"}).content.decode()
    assert "cf.nope" not in odd.split("<thead>")[1].split("</thead>")[0]


def test_the_timeline_names_a_custom_field_by_its_label(issues):
    api = issues.api(issues.bob)
    api.patch("/issues/WEB-1", {"custom_fields": {"tier": "gold"}})
    page = client_for(issues.bob).get("/WEB-1").content.decode()
    assert "set Customer tier to" in page
    assert "cf.tier" not in page.split('id="issue-timeline"')[1]
    custom_fields.remove(actor=issues.alice, project=issues.web, name="tier")
    gone = [e for e in history(api, "WEB-1") if e["field"] == "cf.tier"]
    assert gone[0]["label"] == "tier"  # a removed field reads as its name
