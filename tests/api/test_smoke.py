from tests.factories import make_issue


def test_a_member_creates_and_reads_an_issue(cast):
    bob = cast.api(cast.bob)
    created = bob.post("/projects/WEB/issues", {"title": "Login fails", "priority": "high"})
    assert created.status_code == 201, created.content
    assert created.json()["key"] == "WEB-1"
    fetched = bob.get("/issues/WEB-1")
    assert fetched.json()["priority"] == "high"
    assert fetched["ETag"].startswith('"1-')


def test_an_outsider_gets_404_for_a_private_issue(cast):
    make_issue(cast.alice, cast.web)
    assert cast.api(cast.eve).get("/issues/WEB-1").status_code == 404
