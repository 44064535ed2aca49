"""The shared look: relative times, avatars, icons, the theme the server renders and
/favicon.ico (web/look.py, web/views/favicon.py; the browser side is tests/browser/test_look.py)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from docket.web import look

NOW = dt.datetime(2026, 12, 6, 14, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (dt.timedelta(seconds=-20), "just now"),
        (dt.timedelta(minutes=-1), "1 min ago"),
        (dt.timedelta(minutes=-59), "59 min ago"),
        (dt.timedelta(hours=-3), "3 h ago"),
        (dt.timedelta(hours=-35), "35 h ago"),
        (dt.timedelta(days=-3), "3 d ago"),
        (dt.timedelta(days=2), "in 2 d"),
        (dt.timedelta(minutes=25), "in 25 min"),
        (dt.timedelta(days=-29), "29 d ago"),
        (dt.timedelta(days=-31), ""),  # a date reads better
    ],
)
def test_relative_words(offset: dt.timedelta, words: str) -> None:
    assert look.relative_words(NOW + offset, NOW) == words


def test_ago_is_a_time_element_with_the_exact_time_in_its_title() -> None:
    with timezone.override("Europe/Berlin"):
        html = look.ago(NOW - dt.timedelta(hours=3), now=NOW)
    assert html == (
        '<time class="ago" datetime="2026-12-06T11:00:00+00:00" '
        'title="2026-12-06 12:00 CET">3 h ago</time>'
    )


def test_ago_shows_a_date_for_old_times_and_nothing_for_none() -> None:
    with timezone.override("UTC"):
        assert ">Mar 3<" in look.ago(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC), now=NOW)
        assert ">2024-01-01<" in look.ago(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), now=NOW)
        # a plain date (a due date) counts calendar days
        assert ">in 2 d<" in look.ago(dt.date(2026, 12, 8), now=NOW)
        assert ">tomorrow<" in look.ago(dt.date(2026, 12, 7), now=NOW)
        assert ">today<" in look.ago(dt.date(2026, 12, 6), now=NOW)
        assert ">yesterday<" in look.ago(dt.date(2026, 12, 5), now=NOW)
        assert ">tomorrow<" in look.ago("2026-12-07", now=NOW)  # ISO text (API-shaped dicts)
        assert ">5 min ago<" in look.ago("2026-12-06T13:55:00+00:00", now=NOW)
    assert look.ago(None) == ""


def test_avatars_take_initials_and_a_palette_colour_from_the_id(cast: Any) -> None:
    cast.alice.first_name, cast.alice.last_name = "Alice", "Liddell"
    html = look.avatar(cast.alice)
    assert f'class="avatar av-{cast.alice.pk % 8}"' in html
    assert 'aria-hidden="true"' in html and ">AL</span>" in html
    assert 'role="img" aria-label="bob"' in look.avatar(cast.bob, labelled=True)
    assert look.initials("ada.lovelace") == "AL"
    assert look.initials("root") == "RO"
    assert look.avatar("bob") == look.avatar("bob")  # a name alone: a stable colour
    assert look.avatar("<b>").endswith('title="&lt;b&gt;">&lt;B</span>')  # escaped
    assert look.avatar(None) == ""


def test_type_icons_name_the_type_and_fall_back_to_task() -> None:
    bug = look.type_icon("bug")
    assert 'role="img" aria-label="Bug"' in bug and "#i-type-bug" in bug
    assert "#i-type-task" in look.type_icon("epic")
    assert 'aria-hidden="true"' in look.icon("search")


@pytest.mark.parametrize(
    ("cookie", "rendered"),
    [
        ("dark", 'class="theme-dark"'),
        ("light", 'class="theme-light"'),
        ("system", 'class=""'),
        ("<x>", 'class=""'),
    ],  # fmt: skip
)
def test_the_server_renders_the_chosen_theme_on_the_html_element(
    cast: Any, cookie: str, rendered: str
) -> None:
    client = Client()
    client.force_login(cast.alice)
    client.cookies["docket_theme"] = cookie
    page = client.get("/projects/").content.decode()
    assert f'<html lang="en" {rendered}>' in page
    chosen = cookie if cookie in look.THEMES else "system"
    assert f'data-theme="{chosen}" aria-pressed="true"' in page


def test_favicon_ico_leads_to_the_app_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]
    assert client.post("/favicon.ico").status_code == 405


def test_dates_formatted_by_hand_read_as_strftime_writes_them() -> None:
    """look.py formats dates without strftime (a list page formats ~100): same text."""
    zone = zoneinfo.ZoneInfo("America/St_Johns")  # a half-hour offset, a named zone
    for month in range(1, 13):
        at = dt.datetime(2026, month, 9, 7, 5, tzinfo=dt.UTC)
        local = at.astimezone(zone)
        assert look.short_date(at, NOW) == f"{at:%b} {at.day}"
        assert look.short_date(at, NOW.replace(year=2027)) == f"{at:%Y-%m-%d}"
        assert look.exact_time(at, zone) == f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    with timezone.override(zone):
        at = NOW - dt.timedelta(days=40)
        assert look.ago(at, now=NOW) == look.ago(at, now=NOW, zone=zone)  # the rows' zone
