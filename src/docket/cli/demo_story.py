"""What the demo's admin finds after `docket demo`, made through the same actions as the pages:
milestones with dates, component leads, custom fields on the support desk, labels with
colours, blockers, sub-tasks, estimates and logged time, attachments, watchers and comments
that @mention the admin (the worker turns today's events into their inbox).

`prepare` runs after the projects are loaded and before their issues (milestones and custom
fields must exist for the issues to use them); `tell` after the issues."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Iterable

from docket.accounts.models import User
from docket.attachments.actions import attach_bytes
from docket.cli import demo_data as data
from docket.core.clock import now
from docket.issues import actions, custom_fields, links, worklog
from docket.issues.comments import add_comment
from docket.issues.models import Issue, Label
from docket.issues.project_values import change_label
from docket.issues.watching import watch
from docket.projects.actions import (
    add_milestone,
    set_component_lead,
    update_milestone,
    update_project,
)
from docket.projects.models import Project

LEADS = {
    "WEB": {"frontend": "barbara.hopper", "backend": "ken.backus",
            "accessibility": "frances.johnson"},
    "API": {"endpoints": "radia.perlman", "sdk": "guido.stroustrup"},
    "HELP": {"billing": "ada.lovelace", "accounts": "alan.ritchie"},
    "OPS": {"database": "margaret.allen", "network": "ken.backus"},
}  # fmt: skip
COLOURS = {
    "regression": "#dc2626", "customer": "#2563eb", "ux": "#9333ea", "performance": "#d97706",
    "docs": "#0d9488", "good-first-issue": "#16a34a", "needs-info": "#64748b", "vip": "#db2777",
    "billing": "#0891b2", "paging": "#dc2626", "cve": "#b91c1c", "breaking-change": "#ea580c",
    "bug-report": "#dc2626", "how-to": "#0d9488", "capacity": "#d97706", "postmortem": "#475569",
    "pentest": "#7c3aed", "bounty": "#ca8a04",
}  # fmt: skip
PROJECT_LEADS = {"API": "radia.perlman", "HELP": "ada.lovelace", "OPS": "margaret.allen"}
TIER_FIELD, CUSTOMER_FIELD = "customer_tier", "customer"


def prepare(actor: User, now: dt.datetime) -> None:
    for key, dated in data.milestones(now).items():
        project = Project.objects.get(key=key)
        for name, start, due, closed in dated:
            add_milestone(actor=actor, project=project, name=name,
                          start_date=start.isoformat(), due_date=due.isoformat())  # fmt: skip
            if closed:
                update_milestone(actor=actor, project=project, name=name,
                                 changes={"closed": True})  # fmt: skip
    for key, leads in LEADS.items():
        project = Project.objects.get(key=key)
        for component, lead in leads.items():
            set_component_lead(actor=actor, project=project, component=component, lead=lead)
    for key, lead in PROJECT_LEADS.items():  # SLA escalations reach them (notify_lead)
        update_project(actor=actor, project=Project.objects.get(key=key), changes={"lead": lead})
    help_desk = Project.objects.get(key="HELP")
    custom_fields.define(actor=actor, project=help_desk, values={
        "name": TIER_FIELD, "label": "Customer tier", "type": "select", "options": data.TIERS,
    })  # fmt: skip
    custom_fields.define(actor=actor, project=help_desk, values={
        "name": CUSTOMER_FIELD, "label": "Customer", "type": "text",
    })  # fmt: skip


def tell(admin: User) -> None:
    """The story around the hand-written issues (demo_data.STORIES) and the admin."""
    people = {u.username: u for u in User.objects.filter(username__in=data.PEOPLE)}
    _paint_labels(admin)
    _blockers(people)
    _dark_mode(people)
    _support_desk(admin, people)
    _time_and_files(admin, people)
    _admins_inbox(admin, people)


def _issue(key: str, title: str) -> Issue:
    return Issue.objects.get(project__key=key, title=title)


def _paint_labels(admin: User) -> None:
    """Colours for the labels the issues brought (the importer makes them grey)."""
    for label in Label.objects.filter(name__in=COLOURS).select_related("project"):
        changes = {"color": COLOURS[label.name]}
        change_label(actor=admin, project=label.project, name=label.name, changes=changes)


def _blockers(people: dict[str, User]) -> None:
    """Redis blocks the session work; a few incidents and bugs block or relate to others."""
    sessions = _issue("WEB", data.SESSIONS)
    links.link_issues(actor=people["ken.backus"], issue=_issue("WEB", data.REDIS),
                      kind="blocks", other=sessions.key)  # fmt: skip
    latency = _issue("OPS", data.LATENCY)
    links.link_issues(actor=people["margaret.allen"], issue=latency, kind="relates_to",
                      other=_issue("API", data.RATE_LIMIT).key)  # fmt: skip
    open_bugs = Issue.objects.filter(
        project__key="WEB", type="bug", status__category="todo", assignee__isnull=False
    ).exclude(title__in=[s.title for s in data.STORIES])
    for blocker, blocked in _pairs(open_bugs.select_related("assignee").order_by("number")[:6]):
        who = people.get(blocker.assignee.username if blocker.assignee else "", sessions.reporter)
        links.link_issues(actor=who, issue=blocker, kind="blocks", other=blocked.key)


def _pairs(issues: Iterable[Issue]) -> list[tuple[Issue, Issue]]:
    found = list(issues)
    return list(zip(found[0::2], found[1::2], strict=False))


def _dark_mode(people: dict[str, User]) -> None:
    parent = _issue("WEB", data.DARK_MODE)
    for title in data.DARK_PARTS:
        actions.update_issue(actor=people["barbara.hopper"], issue=_issue("WEB", title),
                             changes={"parent": parent.key})  # fmt: skip


def _support_desk(admin: User, people: dict[str, User]) -> None:
    """Customer and tier on the open tickets (the fields came after the older ones closed)."""
    tickets = Issue.objects.filter(project__key="HELP").exclude(status__category="done")
    for number, ticket in enumerate(tickets.order_by("number")):
        customer = data.CUSTOMERS[number % len(data.CUSTOMERS)]
        tier = data.TIERS[(number * 3 + 1) % len(data.TIERS)]
        if ticket.title == data.SSO_TICKET:
            customer, tier = "Northwind Traders", "Enterprise"
        agent = ticket.assignee or people[data.SUPPORT[number % len(data.SUPPORT)]]
        actions.update_issue(actor=agent, issue=ticket, changes={
            "custom_fields": {TIER_FIELD: tier, CUSTOMER_FIELD: customer},
        })  # fmt: skip


def _time_and_files(admin: User, people: dict[str, User]) -> None:
    checkout = _issue("WEB", data.CHECKOUT)
    today = now().date()
    for days_ago, minutes, note in [(3, 90, "Reproduced with the test card"),
                                    (2, 150, "Traced to the form state reset"),
                                    (1, 60, "Fix and regression test")]:  # fmt: skip
        day = (today - dt.timedelta(days=days_ago)).isoformat()
        worklog.log_work(actor=admin, issue=checkout, time=minutes, day=day, note=note)
    attach_bytes(actor=people["ada.lovelace"], issue=checkout, filename="checkout-console.log",
                 data=CONSOLE_LOG.encode())  # fmt: skip
    for title in data.DARK_PARTS[:2]:
        part = _issue("WEB", title)
        worker = people[part.assignee.username] if part.assignee else admin
        worklog.log_work(actor=worker, issue=part, time=120, note="Styles and review")
    rate_limit = _issue("API", data.RATE_LIMIT)
    attach_bytes(actor=people["radia.perlman"], issue=rate_limit, filename="429s-tuesday.png",
                 data=bar_chart_png([3, 4, 3, 5, 21, 48, 44, 12, 5, 4]))  # fmt: skip


def _admins_inbox(admin: User, people: dict[str, User]) -> None:
    """Today's conversation around the admin: mentions, an assignment, issues they watch."""
    checkout = _issue("WEB", data.CHECKOUT)
    add_comment(actor=people["ada.lovelace"], issue=checkout, body=(
        f"@{admin.username} the console log is attached. It only happens when the bank's page "
        "takes longer than the session's CSRF token lives, so a slow 3-D Secure page is the key."
    ))  # fmt: skip
    sessions = _issue("WEB", data.SESSIONS)
    add_comment(actor=people["ken.backus"], issue=sessions, body=(
        f"Staging runs Redis 7.2 since this morning. @{admin.username} you can start once "
        "production is done on Tuesday."
    ))  # fmt: skip
    sso = _issue("HELP", data.SSO_TICKET)
    add_comment(actor=people["alan.ritchie"], issue=sso, body=(
        f"@{admin.username} Northwind is on Enterprise with a 4 hour response target. Their "
        "Okta sends a new `NameID` format since yesterday; could you check the SSO logs?"
    ))  # fmt: skip
    notes = _issue("WEB", data.RELEASE_NOTES)
    actions.update_issue(actor=people["ada.lovelace"], issue=notes,
                         changes={"assignee": admin.username})  # fmt: skip
    for key, title in [("OPS", data.LATENCY), ("API", data.RATE_LIMIT), ("WEB", data.REDIS)]:
        watch(actor=admin, issue=_issue(key, title))
    watched = Issue.objects.filter(project__key="API", status__category="in_progress")
    for issue in watched.order_by("number")[:3]:
        watch(actor=admin, issue=issue)


CONSOLE_LOG = """\
[09:14:02.118] POST /checkout/pay 302 -> https://acs.bank.example/3ds/challenge
[09:15:47.903] GET  /checkout/return?session=cs_test_a1b2 200
[09:15:47.951] checkout.js:212 restoring card form from sessionStorage
[09:15:47.952] checkout.js:219 TypeError: cannot read properties of undefined (reading 'name')
[09:15:47.952]     at restoreForm (checkout.js:219:31)
[09:15:47.952]     at HTMLDocument.<anonymous> (checkout.js:12:5)
[09:15:48.004] POST /csrf/refresh 403 (token expired after 90 s)
"""


def bar_chart_png(values: list[int], width: int = 200, height: int = 100) -> bytes:
    """A small PNG bar chart (RGB, no library): what a screenshot of a graph would be."""
    top = max(values) or 1
    bar = width // len(values)
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter: none
        for x in range(width):
            value = values[min(x // bar, len(values) - 1)]
            filled = height - y <= value * (height - 10) // top and x % bar not in (0, bar - 1)
            row += bytes((220, 38, 38) if filled else (248, 250, 252))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
