"""`GET /search`: ranked, highlighted, and never past the permission gate."""

from tests.factories import make_issue


def test_title_hits_rank_first_with_highlighted_snippets(cast):
    make_issue(cast.alice, cast.web, title="Printer jams", description="paper stuck")
    make_issue(cast.alice, cast.web, title="Office move", description="the printer moves too")
    response = cast.api(cast.bob).get("/search", q="printer")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [i["issue"]["key"] for i in items] == ["WEB-1", "WEB-2"]
    assert "<mark>" in items[1]["snippet"].lower()


def test_a_confidential_word_is_never_found_by_outsiders(cast):
    make_issue(cast.alice, cast.web, title="xylophone leak", confidential=True)
    assert cast.api(cast.dave).get("/search", q="xylophone").json()["items"] == []
    assert cast.api(cast.eve).get("/search", q="xylophone").json()["items"] == []
    found = cast.api(cast.bob).get("/search", q="xylophone").json()["items"]
    assert [i["issue"]["key"] for i in found] == ["WEB-1"]


def test_search_syntax_in_user_input_is_a_plain_search_not_an_error(cast):
    make_issue(cast.alice, cast.web, title="Near miss")
    for text in ["NEAR(", '"abc', "*", "x' OR 1=1 --"]:
        response = cast.api(cast.bob).get("/search", q=text)
        assert response.status_code in (200, 400), (text, response.content)


def test_filters_in_the_query_narrow_the_search(cast):
    make_issue(cast.alice, cast.web, title="Crash on login", priority="high")
    make_issue(cast.alice, cast.web, title="Crash on logout", priority="low")
    items = cast.api(cast.bob).get("/search", q="crash priority:high").json()["items"]
    assert [i["issue"]["key"] for i in items] == ["WEB-1"]
