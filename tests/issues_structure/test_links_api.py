"""Links through the API: both ways, across projects, events on both issues, privacy."""

from __future__ import annotations

from tests.issues_structure.conftest import link, link_events


def test_a_link_reads_both_ways_across_projects_with_an_event_on_each(two):
    alice = two.api(two.alice)
    made = link(alice, "WEB-1", "blocks", "ops-1")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["kind"] == "blocks"
    assert body["issue"]["key"] == "OPS-1"
    assert body["issue"]["title"] == "Ops secret outage"

    [there] = alice.get("/issues/OPS-1/links").json()
    assert (there["kind"], there["issue"]["key"]) == ("is_blocked_by", "WEB-1")
    assert link_events(alice, "WEB-1") == [("linked", None, {"kind": "blocks", "issue": "OPS-1"})]
    assert link_events(alice, "OPS-1") == [
        ("linked", None, {"kind": "is_blocked_by", "issue": "WEB-1"})
    ]


def test_the_inverse_kind_stores_the_same_link(two):
    alice = two.api(two.alice)
    assert link(alice, "WEB-2", "is_blocked_by", "WEB-1").status_code == 201
    [seen] = alice.get("/issues/WEB-1/links").json()
    assert (seen["kind"], seen["issue"]["key"]) == ("blocks", "WEB-2")
    again = link(alice, "WEB-1", "blocks", "WEB-2")
    assert again.status_code == 422
    assert "already blocks WEB-2" in again.content.decode()
    relates = link(alice, "WEB-1", "relates_to", "WEB-3")
    assert relates.status_code == 201
    assert link(alice, "WEB-3", "relates_to", "WEB-1").status_code == 422


def test_a_hidden_target_is_the_404_of_a_missing_one(two):
    bob = two.api(two.bob)
    hidden = link(bob, "WEB-1", "blocks", "OPS-1")
    missing = link(bob, "WEB-1", "blocks", "OPS-9")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace("OPS-1", "X") == missing.json()["detail"].replace(
        "OPS-9", "X"
    )
    assert link_events(two.api(two.alice), "OPS-1") == []


def test_linking_needs_edit_rights_on_the_source_and_bad_input_is_422(two):
    carol = two.api(two.carol)  # a reporter: sees WEB-1 (not confidential) but may not edit it
    assert link(carol, "WEB-1", "blocks", "WEB-2").status_code == 403
    alice = two.api(two.alice)
    assert link(alice, "WEB-1", "causes", "WEB-2").status_code == 422
    assert link(alice, "WEB-1", "blocks", "WEB-1").status_code == 422
    assert link(alice, "WEB-1", "relates_to", "WEB-2", resolve_duplicate=True).status_code == 422
    assert alice.get("/issues/WEB-1/links").json() == []


def test_unlink_removes_it_with_an_event_on_both_issues(two):
    alice = two.api(two.alice)
    made = link(alice, "WEB-1", "duplicates", "OPS-1").json()
    assert alice.delete(f"/issues/OPS-1/links/{made['id']}").status_code == 204
    assert alice.get("/issues/WEB-1/links").json() == []
    assert link_events(alice, "WEB-1")[-1] == (
        "unlinked",
        {"kind": "duplicates", "issue": "OPS-1"},
        None,
    )
    assert link_events(alice, "OPS-1")[-1] == (
        "unlinked",
        {"kind": "is_duplicated_by", "issue": "WEB-1"},
        None,
    )
    assert alice.delete(f"/issues/OPS-1/links/{made['id']}").status_code == 404


def test_a_link_to_a_hidden_issue_is_not_listed_nor_removable_nor_named_in_history(two):
    alice, bob = two.api(two.alice), two.api(two.bob)
    made = link(alice, "WEB-1", "is_blocked_by", "OPS-1").json()
    link(alice, "WEB-1", "relates_to", "WEB-2")
    assert [x["issue"]["key"] for x in bob.get("/issues/WEB-1/links").json()] == ["WEB-2"]
    assert bob.delete(f"/issues/WEB-1/links/{made['id']}").status_code == 404
    assert link_events(bob, "WEB-1")[0] == (
        "linked",
        None,
        {"kind": "is_blocked_by", "issue": None},
    )
    assert "OPS-1" not in bob.get("/issues/WEB-1/history").content.decode()
    assert link_events(alice, "WEB-1")[0][2] == {"kind": "is_blocked_by", "issue": "OPS-1"}


def test_marking_a_duplicate_can_resolve_it(two):
    alice = two.api(two.alice)
    made = link(alice, "WEB-3", "duplicates", "WEB-1", resolve_duplicate=True)
    assert made.status_code == 201, made.content
    dup = alice.get("/issues/WEB-3").json()
    assert dup["status_category"] == "done"
    assert dup["resolution"] == "duplicate"
    assert alice.get("/issues/WEB-1").json()["status_category"] != "done"
    # From the original's side: the other end is the duplicate.
    assert (
        link(alice, "WEB-1", "is_duplicated_by", "WEB-4", resolve_duplicate=True).status_code == 201
    )
    assert alice.get("/issues/WEB-4").json()["resolution"] == "duplicate"
