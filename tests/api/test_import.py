"""The bulk import action records the same history a hand-made issue would have."""

from docket.issues.imports import import_issues


def test_imported_issues_have_created_and_commented_events_and_links(cast):
    records = [
        {
            "title": "Imported crash",
            "reporter": "bob",
            "assignee": "bob",
            "priority": "high",
            "labels": ["legacy", "bug"],
            "created_at": "2025-01-02T03:04:05+00:00",
            "comments": [
                {"author": "carol", "body": "Me too", "created_at": "2025-01-03T00:00:00+00:00"}
            ],
        }
    ]
    import_issues(actor=cast.alice, project=cast.web, records=records)
    bob = cast.api(cast.bob)
    issue = bob.get("/issues/WEB-1").json()
    assert issue["labels"] == ["bug", "legacy"] and issue["priority"] == "high"
    assert issue["created_at"].startswith("2025-01-02T03:04:05")
    history = bob.get("/issues/WEB-1/history").json()["items"]
    assert [(e["kind"], e["actor"]) for e in history] == [
        ("created", "bob"),
        ("commented", "carol"),
    ]
    created = history[0]["new"]
    assert created["labels"] == ["bug", "legacy"] and created["imported_by"] == "alice"
    assert history[1]["new"] == "Me too" and history[1]["comment_id"] is not None
    assert history[1]["at"].startswith("2025-01-03")
    comments = bob.get("/issues/WEB-1/comments").json()["items"]
    assert [c["body"] for c in comments] == ["Me too"]
    assert [i["key"] for i in bob.get("/issues", q="label:legacy").json()["items"]] == ["WEB-1"]
