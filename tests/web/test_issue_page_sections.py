"""The issue page's history offers "View as of…" (a GET form to `?as_of=`) and the as-of page
links back; empty sections say so in their markup (on a phone they are one "Add …" row,
issue.css) and only those the reader may add to offer the button."""

from __future__ import annotations

import re

from django.test import Client

from docket.core.clock import now
from docket.issues import worklog
from tests.factories import make_issue


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section_classes(page: str, section_id: str) -> set[str]:
    found = re.search(rf'<section class="([^"]*)" id="{section_id}"', page)
    assert found, section_id
    return set(found.group(1).split())


def test_view_as_of_from_the_history_and_back(cast):
    make_issue(cast.alice, cast.web, title="Then")
    member = client_for(cast.bob)
    page = member.get("/WEB-1").content.decode()
    today = now().date().isoformat()
    control = page.split('class="asof-control small"')[1].split("</details>")[0]
    assert "View as of…" in control
    assert 'action="/WEB-1"' in control and 'method="get"' in control
    assert f'name="as_of" type="date" required min="{today}" max="{today}"' in control
    as_of = member.get("/WEB-1", {"as_of": today})
    assert as_of.status_code == 200
    shown = as_of.content.decode()
    assert f"as of {today}" in shown and 'href="/WEB-1"' in shown  # back to the issue now


def test_empty_sections_offer_one_add_row(cast):
    make_issue(cast.alice, cast.web, title="Bare")
    page = client_for(cast.bob).get("/WEB-1").content.decode()
    for section in ("attachments", "issue-links", "issue-work"):
        assert {"issue-section", "is-empty"} <= section_classes(page, section), section
        assert "no-add" not in section_classes(page, section)
    assert 'aria-controls="issue-links">Add a link or sub-task</button>' in page
    assert 'aria-controls="attachments">Add a file</button>' in page
    assert 'aria-controls="issue-work">Log time</button>' in page  # no custom fields here
    viewer = client_for(cast.dave).get("/WEB-1").content.decode()
    for section in ("issue-links", "issue-work"):
        assert "no-add" in section_classes(viewer, section), section  # left out on a phone
    assert "data-section-open" not in viewer.split('id="issue-links"')[1].split("</section>")[0]


def test_sections_with_content_show_in_full(cast):
    make_issue(cast.alice, cast.web, title="Parent")
    make_issue(cast.alice, cast.web, title="Child", parent="WEB-1")
    worklog.log_work(actor=cast.bob, issue=cast.web.issues.get(number=1), time="1h")
    page = client_for(cast.bob).get("/WEB-1").content.decode()
    assert "is-empty" not in section_classes(page, "issue-links")
    assert "is-empty" not in section_classes(page, "issue-work")
    assert "is-empty" in section_classes(page, "attachments")
    assert '<link rel="stylesheet" href="/static/web/issue.css' in page
