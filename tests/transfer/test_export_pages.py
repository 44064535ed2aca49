"""Exports from the pages (the issue list's links) and the command line's choice of whom it
exports as."""

from __future__ import annotations

import csv
import html
import io

import pytest
from django.test import Client

from docket.cli.exportfile import export
from docket.core.errors import Invalid
from tests.factories import make_issue


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_links_to_exports_of_its_query(cast):
    page = signed_in(cast.alice).get("/p/WEB/", {"q": "is:open label:ui"})
    text = html.unescape(page.content.decode())
    assert "/p/WEB/export?q=is%3Aopen+label%3Aui&format=csv" in text
    assert "/p/WEB/export?q=is%3Aopen+label%3Aui&format=json" in text
    everything = html.unescape(signed_in(cast.alice).get("/issues/", {"q": ""}).content.decode())
    assert "/issues/export?q=&format=csv" in everything
    default = html.unescape(signed_in(cast.alice).get("/issues/").content.decode())
    assert "/issues/export?q=is%3Aopen+sort%3Aupdated-desc&format=csv" in default


def test_the_page_export_is_the_viewers_own(cast):
    make_issue(cast.alice, cast.web, title="Secret plan", confidential=True)
    make_issue(cast.alice, cast.web, title="Public plan")
    answer = signed_in(cast.dave).get("/p/WEB/export", {"format": "csv"})
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [r["title"] for r in rows] == ["Public plan"]
    assert signed_in(cast.eve).get("/p/WEB/export").status_code == 404


def test_a_bad_query_on_the_page_is_an_error_page(cast):
    answer = signed_in(cast.alice).get("/p/WEB/export", {"q": "priority:"})
    assert answer.status_code == 400
    assert "Invalid query" in answer.content.decode()


def test_the_page_export_needs_a_sign_in(cast):
    answer = Client().get("/p/WEB/export")
    assert answer.status_code == 302 and "/login" in answer["Location"]


def test_the_command_exports_as_a_site_admin_or_as_the_user_named(cast):
    make_issue(cast.alice, cast.web, title="Secret plan", confidential=True)
    make_issue(cast.alice, cast.web, title="Public plan")
    out = io.StringIO()
    done = export(out, project="WEB", columns="title")
    assert done["as"] == "root"
    assert sorted(out.getvalue().split("\r\n")[1:-1]) == ["Public plan", "Secret plan"]
    out = io.StringIO()
    done = export(out, project="WEB", columns="title", username="dave")
    assert done["as"] == "dave" and out.getvalue().split("\r\n")[1:-1] == ["Public plan"]


def test_the_command_refuses_unknown_users_and_hidden_projects(cast):
    with pytest.raises(Invalid, match="no active user 'nobody'"):
        export(io.StringIO(), project="WEB", username="nobody")
    with pytest.raises(Exception, match="no project WEB"):
        export(io.StringIO(), project="WEB", username="eve")


def test_the_links_keep_the_lists_sort(cast):
    page = signed_in(cast.alice).get("/p/WEB/", {"q": "is:open", "sort": "priority-desc"})
    text = html.unescape(page.content.decode())
    assert "/p/WEB/export?q=is%3Aopen&format=csv&sort=priority-desc" in text
