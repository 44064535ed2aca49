"""Automation rules in a real browser, against a real `docket serve` with its worker: an admin
builds a rule with the form (the trigger's fields and action rows follow the selects, a row is
added in the page), the list reads it back as a sentence, the worker runs it on real changes
and the rule's run log shows what it did — done, refused, no match."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

WORKER_MS = 45_000  # the worker's step picks the changes up


def _as(site: Any, username: str) -> Any:
    return site.server.client(site.server.token(username, "read,write,admin"))


def _rule(client: Any, key: str, **body: Any) -> int:
    made = client.post(f"/projects/{key}/rules", json=body)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _runs(client: Any, key: str, rule_id: int, wanted: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WORKER_MS / 1000
    while time.monotonic() < deadline:
        runs = client.get(f"/projects/{key}/rules/{rule_id}/runs").json()
        if len(runs) >= wanted:
            return runs
        time.sleep(0.5)
    raise AssertionError(f"the worker ran rule {rule_id} {len(runs)} times, not {wanted}")


def _other_rules(client: Any, key: str, team: str) -> None:
    _rule(
        client,
        key,
        name="Triage new issues",
        trigger={"on": "created"},
        condition="-label:triage",
        actions=[{"type": "add_labels", "labels": ["triage"]}],
    )
    _rule(
        client,
        key,
        name="Support tickets go round robin",
        trigger={"on": "created"},
        condition="type:support",
        actions=[
            {"type": "assign", "strategy": "round_robin", "team": team},
            {"type": "comment", "body": "Thanks — someone from support has it now."},
        ],
    )
    _rule(client, key, name="Weekly nudge on stale work", enabled=False,
          trigger={"on": "schedule", "cron": "0 9 * * 1"}, condition="status:open priority:>=high",
          actions=[{"type": "notify", "watchers": True, "roles": ["admin"],
                    "message": "Still open after a week."}])  # fmt: skip


def _build_rule_with_the_form(page: Any, key: str) -> None:
    page.goto(f"/p/{key}/rules/new")
    page.get_by_label("Name", exact=True).fill("Start urgent bugs")
    page.get_by_label("Trigger").select_option("changed")
    expect(page.get_by_label("Cron expression (UTC)")).to_be_hidden()
    page.locator("#rule-t-field").select_option("priority")
    page.get_by_label("To", exact=True).fill("highest")
    page.get_by_label("Condition").fill("type:bug")
    page.locator("select[name='actions-0-type']").select_option("transition")
    expect(page.locator("input[name='actions-0-labels']")).to_be_hidden()
    page.locator("#actions-0-state").select_option("in progress")
    page.get_by_role("button", name="Add an action").click()
    page.locator("select[name='actions-1-type']").select_option("add_labels")
    page.locator("input[name='actions-1-labels']").fill("urgent")
    page.get_by_role("button", name="Add rule").click()
    page.wait_for_url(f"**/p/{key}/rules")


def test_an_admin_builds_a_rule_with_the_form_and_reads_its_run_log(site, new_page):
    alice, bob = site.user(), site.user()
    key = site.project(alice, members={bob: "member"})
    team = f"support-{key.lower()}"
    assert site.admin.post("/teams", json={"slug": team, "name": "Support"}).status_code == 201
    site.admin.post(f"/teams/{team}/members", json={"user": bob})
    with _as(site, alice) as mine:
        _other_rules(mine, key, team)
        page = new_page(alice)
        _build_rule_with_the_form(page, key)
        expect(page.get_by_role("status")).to_contain_text("Saved rule Start urgent bugs.")
        built = page.locator(".rule").filter(has_text="Start urgent bugs")
        expect(built).to_contain_text(
            "When priority changes to highest, if type:bug, move to in progress; add label urgent"
        )
        rule_id = next(r["id"] for r in mine.get(f"/projects/{key}/rules").json()
                       if r["name"] == "Start urgent bugs")  # fmt: skip

        fresh = mine.post(
            f"/projects/{key}/issues", json={"title": "Checkout crashes on Safari", "type": "bug"}
        ).json()
        closed = mine.post(
            f"/projects/{key}/issues", json={"title": "Search misses accented names", "type": "bug"}
        ).json()
        shut = mine.post(f"/issues/{closed['key']}/transitions", json={"to": "closed"})
        assert shut.status_code == 200, shut.text
        chore = mine.post(
            f"/projects/{key}/issues", json={"title": "Rotate the staging keys", "type": "task"}
        ).json()
        for issue in (fresh, closed, chore):
            changed = mine.patch(f"/issues/{issue['key']}", json={"priority": "highest"})
            assert changed.status_code == 200, changed.text
        runs = _runs(mine, key, rule_id, 3)  # fmt: skip
    assert sorted(r["outcome"] for r in runs) == ["done", "failed", "no match"]

    page.goto(f"/p/{key}/rules")
    expect(page.locator(".rule")).to_have_count(4)
    screenshot(page, "rules-page")

    page.locator(".rule").filter(has_text="Start urgent bugs").get_by_role(
        "link", name="Run log & dry run"
    ).click()
    rows = page.locator("table.runs tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text=fresh["key"])).to_contain_text("done")
    expect(rows.filter(has_text=closed["key"])).to_contain_text("failed")  # no way from closed
    page.get_by_label("Issue key").fill(chore["key"])
    page.get_by_role("button", name="Try the rule").click()
    expect(page.get_by_role("status").last).to_contain_text("the condition does not match")
    page.get_by_label("Issue key").fill(closed["key"])  # the rule would still be refused
    page.get_by_role("button", name="Try the rule").click()
    screenshot(page, "rule-runs")
    page.get_by_role("link", name="failed").click()
    expect(rows).to_have_count(1)
    assert page.dialogs_seen == []
