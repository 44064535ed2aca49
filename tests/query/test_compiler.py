"""Compiled queries against real issue rows (tests/query/conftest.py has the dataset)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query
from tests.query.conftest import NOW

CASES = {
    "": ["login", "search", "crash", "docs", "export", "rate"],
    "is:open": ["login", "search", "export", "rate"],
    "is:closed": ["crash", "docs"],
    'status:open,"in progress"': ["search"],
    "status:NEW": ["login", "export", "rate"],
    "priority:high": ["login", "rate"],
    "priority:>=high": ["login", "crash", "rate"],
    "priority:<medium": ["search"],
    "severity:critical": ["login", "crash"],
    "type:bug -priority:highest": ["login", "rate"],
    "resolution:none": ["login", "search", "export", "rate"],
    "resolution:wontfix": ["docs"],
    "assignee:bob": ["login", "export"],
    "assignee:@me": ["crash", "rate"],
    "assignee:none is:open": ["search"],
    "-assignee:bob": ["search", "crash", "docs", "rate"],
    "reporter:carol": ["docs"],
    "label:ui": ["login", "crash"],
    "label:ui label:bug-bash": ["login"],  # two different labels on one issue
    "label:UI,perf": ["login", "search", "crash"],
    "-label:wontfix": ["login", "search", "crash", "docs", "rate"],
    "label:none": ["docs", "rate"],
    "has:labels": ["login", "search", "crash", "export"],
    "component:frontend": ["login", "export"],
    "component:Frontend component:Backend": ["export"],
    "milestone:1.0": ["login"],
    "has:milestone": ["login", "export"],
    "confidential:true": ["crash"],
    "is:confidential": ["crash"],
    "project:api": ["rate"],
    "key:WEB-1,api-1": ["login", "rate"],
    "due:<today": ["login"],
    "due:today": ["export"],
    "due:<=today": ["login", "export"],
    "due:>today": ["search"],
    "is:overdue": ["login"],
    "has:due": ["login", "search", "export"],
    "due:none": ["crash", "docs", "rate"],
    "created:2026-01-05": ["login"],
    "created:<2026-01-01": ["crash"],
    "created:>=2026-03-08": ["docs", "export"],
    "created:>2026-03-08": ["export"],
    "created:today": ["export"],
    "updated:<-7d": ["search", "rate"],
    "updated:>=yesterday": ["login", "crash", "export"],
    "resolved:2026-03-02": ["crash"],
    "has:resolved": ["crash", "docs"],
    "resolved:none": ["login", "search", "export", "rate"],
    "login": ["login", "docs"],
    '"login button"': ["login"],
    "text:csv": ["export"],
    "title:crash description:nothing": [],
    "title:crash OR description:nothing": ["login", "crash"],
    "comment:firefox": ["login"],
    "comment:secret": [],  # deleted comments are not searched
    "comment:none": ["search", "crash", "docs", "export", "rate"],
    "is:open (label:ui OR assignee:none) -project:api": ["login", "search"],
    "NOT (priority:high OR priority:low)": ["crash", "docs", "export"],
}


def _matches(text: str, user) -> list[str]:
    q, ordering = compile_issue_query(text, user, now=NOW)
    return list(Issue.objects.filter(q).order_by(*ordering).values_list("id", flat=True))


@pytest.mark.parametrize("text", CASES)
def test_query(data, text):
    expected = {data.issues[name].id for name in CASES[text]}
    assert set(_matches(text, data.cast.alice)) == expected


def test_me_for_nobody_matches_nothing(data):
    assert _matches("assignee:@me", AnonymousUser()) == []
    assert len(_matches("-assignee:@me", AnonymousUser())) == 6


def test_days_start_in_the_zone_of_now(data):
    from zoneinfo import ZoneInfo

    def created_on_new_year(now):
        q, _ = compile_issue_query("created:2026-01-01", data.cast.alice, now=now)
        return {issue.id for issue in Issue.objects.filter(q)}

    crash, rate = data.issues["crash"].id, data.issues["rate"].id
    assert created_on_new_year(NOW) == {rate}  # 2026-01-01 00:00 UTC
    tokyo = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    assert created_on_new_year(tokyo) == {crash, rate}  # crash: 2025-12-31 23:30 UTC


def test_relative_dates_use_the_given_now(data):
    later = NOW.replace(month=4, day=2)
    q, _ = compile_issue_query("due:<today", data.cast.alice, now=later)
    assert {i.id for i in Issue.objects.filter(q)} == {
        data.issues[n].id for n in ("login", "search", "export")
    }


def _order(data, text: str) -> list[str]:
    ids = _matches(text, data.cast.alice)
    names = {issue.id: name for name, issue in data.issues.items()}
    return [names[i] for i in ids]


def test_sort(data):
    assert _order(data, "sort:priority-desc,created")[:3] == ["crash", "rate", "login"]
    assert _order(data, "is:open sort:due") == ["login", "export", "search", "rate"]
    assert _order(data, "is:open sort:due-desc") == ["search", "export", "login", "rate"]
    assert _order(data, "sort:key") == ["rate", "login", "search", "crash", "docs", "export"]


def test_default_sort_is_newest_first(data):
    assert _order(data, "")[:2] == ["export", "docs"]
