"""Sub-tasks through the API: `parent` like any field, cycles refused with the cycle named."""

from __future__ import annotations

import json


def test_parent_is_a_field_with_history(two):
    alice = two.api(two.alice)
    made = alice.post("/projects/WEB/issues", {"title": "Child", "parent": "web-1"})
    assert made.status_code == 201, made.content
    assert made.json()["parent"] == "WEB-1"
    changed = alice.patch("/issues/WEB-2", {"parent": "WEB-1"})
    assert changed.status_code == 200, changed.content
    events = [e for e in alice.get("/issues/WEB-2/history").json()["items"] if e["field"]]
    assert (events[-1]["field"], events[-1]["old"], events[-1]["new"]) == ("parent", None, "WEB-1")
    assert alice.patch("/issues/WEB-2", {"parent": None}).json()["parent"] is None
    listed = alice.get("/issues", q="parent:WEB-1").json()["items"]
    assert [(i["key"], i["parent"]) for i in listed] == [("WEB-5", "WEB-1")]


def test_a_cycle_is_refused_naming_it(two):
    alice = two.api(two.alice)
    assert alice.patch("/issues/WEB-2", {"parent": "WEB-1"}).status_code == 200
    assert alice.patch("/issues/WEB-3", {"parent": "WEB-2"}).status_code == 200
    refused = alice.patch("/issues/WEB-1", {"parent": "WEB-3"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "parent", "message": "would make a cycle: WEB-1 → WEB-3 → WEB-2 → WEB-1"}
    ]
    itself = alice.patch("/issues/WEB-1", {"parent": "WEB-1"})
    assert itself.status_code == 422
    assert alice.get("/issues/WEB-1").json()["parent"] is None


def test_the_parent_must_be_in_the_same_project(two):
    alice = two.api(two.alice)
    other = alice.patch("/issues/WEB-1", {"parent": "OPS-1"})
    assert other.status_code == 422
    assert "must be an issue of WEB" in other.content.decode()
    missing = alice.patch("/issues/WEB-1", {"parent": "WEB-99"})
    assert missing.status_code == 422
    assert alice.patch("/issues/WEB-1", {"parent": "not a key"}).status_code == 422


def test_reporters_may_not_set_a_parent(two):
    carol = two.api(two.carol)
    mine = carol.post("/projects/WEB/issues", {"title": "Mine"}).json()["key"]
    assert carol.patch(f"/issues/{mine}", {"parent": "WEB-1"}).status_code == 403


def test_a_json_export_leaves_the_parent_out_so_it_imports(two):
    alice = two.api(two.alice)
    alice.patch("/issues/WEB-2", {"parent": "WEB-1"})
    response = alice.get("/projects/WEB/export", format="json")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    issues = [record for record in lines if record["kind"] == "issue"]
    assert len(issues) == 4
    assert all("parent" not in record for record in issues)
    csv = alice.get("/projects/WEB/export", format="csv", columns="key,parent")
    rows = b"".join(csv.streaming_content).decode().splitlines()
    assert "WEB-2,WEB-1" in rows  # the CSV names the parent, when asked for
