"""A parent the reader may not see is not named anywhere they read the child: the issue, the
list, search, history, the exports. Here WEB-1 is confidential and carol (a reporter) sees
its sub-task WEB-2 only."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.transfer.test_export_api import body


@pytest.fixture
def secret_parent(two):
    alice = two.api(two.alice)
    assert alice.patch("/issues/WEB-1", {"confidential": True}).status_code == 200
    assert alice.patch("/issues/WEB-2", {"parent": "WEB-1"}).status_code == 200
    assert alice.patch("/issues/WEB-3", {"parent": "WEB-4"}).status_code == 200  # both visible
    return two


def test_the_issue_and_list_rows_show_no_parent_the_reader_cannot_see(secret_parent):
    carol = secret_parent.api(secret_parent.carol)
    assert carol.get("/issues/WEB-2").json()["parent"] is None
    rows = {i["key"]: i["parent"] for i in carol.get("/issues", project="WEB").json()["items"]}
    assert rows["WEB-2"] is None and rows["WEB-3"] == "WEB-4" and "WEB-1" not in rows
    alice = secret_parent.api(secret_parent.alice)
    assert alice.get("/issues/WEB-2").json()["parent"] == "WEB-1"  # who may see it still does


def test_history_leaves_out_a_change_that_names_only_a_hidden_parent(secret_parent):
    alice = secret_parent.api(secret_parent.alice)
    assert alice.patch("/issues/WEB-2", {"parent": "WEB-4"}).status_code == 200
    carol = secret_parent.api(secret_parent.carol)
    changes = [
        (e["old"], e["new"])
        for e in carol.get("/issues/WEB-2/history").json()["items"]
        if e["field"] == "parent"
    ]
    assert changes == [(None, "WEB-4")]  # set to WEB-1 (hidden): gone; WEB-1 → WEB-4: half
    seen = [
        (e["old"], e["new"])
        for e in alice.get("/issues/WEB-2/history").json()["items"]
        if e["field"] == "parent"
    ]
    assert seen == [(None, "WEB-1"), ("WEB-1", "WEB-4")]


def test_exports_name_no_hidden_parent(secret_parent):
    carol = secret_parent.api(secret_parent.carol)
    table = body(carol.get("/projects/WEB/export", columns="key,parent"))
    parents = {row["key"]: row["parent"] for row in csv.DictReader(io.StringIO(table))}
    assert parents["WEB-2"] == "" and parents["WEB-3"] == "WEB-4"
    lines = body(carol.get("/projects/WEB/export", format="json"))
    assert "WEB-1" not in lines.replace('"id": 1,', "")  # no record or event names it
    records = [json.loads(line) for line in lines.splitlines()]
    assert not any(r.get("kind") == "issue" and r["id"] == 1 for r in records)
