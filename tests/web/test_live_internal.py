"""The live stream and internal notes, against a real server: a note's `commented` event
reaches the project's staff, never a reporter following the same issue."""

from __future__ import annotations

from tests.web.test_live import listen, site  # noqa: F401 - `site`: the module's real server


def test_a_note_reaches_staff_streams_and_never_a_reporters(site):  # noqa: F811
    bob, carol = site.user(), site.user()
    key = site.project({bob: "member", carol: "reporter"})
    issue = site.issue(key)
    member = listen(site.session(bob), f"/live?issue={issue}")
    reporter = listen(site.session(carol), f"/live?issue={issue}")
    noted = site.admin.post(f"/issues/{issue}/comments", json={"body": "x", "internal": True})
    assert noted.status_code == 201, noted.text
    said = site.admin.post(f"/issues/{issue}/comments", json={"body": "public"})
    assert said.status_code == 201, said.text
    assert [member.next()["kind"], member.next()["kind"]] == ["commented", "commented"]
    assert reporter.next()["kind"] == "commented"  # the public one...
    assert reporter.nothing_for(1.0)  # ...and nothing about the note
    assert reporter.ids and len(reporter.ids) == 1 and len(member.ids) == 2
