"""The demo's records (`docket demo`): five projects of a small product company and ten weeks
of their issues, in Docket's import format with each issue's *history* — created on some past
day, started later, resolved days after, some reopened — so the importer writes a true event
log with past timestamps and the dashboards (created vs resolved, cycle and lead time,
ageing, burndown, SLA) have something to show. Deterministic for a seed and a moment.

The story the admin finds (their work, blockers, sub-tasks, attachments, mentions) is added
after the load through the actions: cli/demo_story.py.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from docket.cli.sampledata import users

ADMIN = "admin"
PEOPLE = [person["username"] for person in users(12)]
SUPPORT, SRE, DEVELOPERS = PEOPLE[0:4], PEOPLE[4:7], PEOPLE[6:12]  # demo_rules.TEAMS agrees
HISTORY_DAYS = 70
SPRINT = "Sprint 14"
RECENT_HOURS = {"support": 96, "incident": 12}  # how old the open tickets and incidents are

# key, name, visibility, workflow template, share of the issues
PROJECTS = [
    ("WEB", "Web app", "internal", "default", 35),
    ("API", "Public API", "internal", "default", 20),
    ("HELP", "Customer support", "private", "support", 25),
    ("OPS", "IT operations", "private", "incident", 12),
    ("SEC", "Security findings", "private", "default", 8),
]
COMPONENTS = {
    "WEB": ["frontend", "backend", "accessibility"],
    "API": ["endpoints", "sdk", "docs"],
    "HELP": ["billing", "accounts", "integrations"],
    "OPS": ["database", "network", "monitoring"],
    "SEC": ["web app", "infrastructure"],
}

# Lifecycles per workflow: (weight, statuses in order). Each step's delay range in hours.
PATHS = {
    "default": [
        (12, ["new"]),
        (16, ["new", "open"]),
        (15, ["new", "open", "in progress"]),
        (25, ["new", "open", "in progress", "resolved"]),
        (20, ["new", "open", "in progress", "resolved", "closed"]),
        (7, ["new", "open", "in progress", "resolved", "open", "in progress", "resolved"]),
        (5, ["new", "open", "in progress", "resolved", "open"]),
    ],
    "support": [
        (6, ["new"]),
        (8, ["new", "waiting on us"]),
        (10, ["new", "waiting on us", "waiting on customer"]),
        (38, ["new", "waiting on us", "waiting on customer", "waiting on us", "solved"]),
        (35, ["new", "waiting on us", "solved", "closed"]),
        (3, ["new", "waiting on us", "solved", "waiting on us"]),
    ],
    "incident": [
        (2, ["triggered"]),
        (4, ["triggered", "acknowledged"]),
        (4, ["triggered", "acknowledged", "mitigated"]),
        (45, ["triggered", "acknowledged", "mitigated", "resolved"]),
        (43, ["triggered", "acknowledged", "mitigated", "resolved", "post-mortem done"]),
        (2, ["triggered", "acknowledged", "resolved", "triggered", "acknowledged"]),
    ],
}
DELAYS = {  # hours from the previous status into this one
    "open": (2, 40), "in progress": (6, 200), "resolved": (8, 190), "closed": (24, 120),
    "waiting on us": (0.2, 6), "waiting on customer": (1, 30), "solved": (2, 40),
    "acknowledged": (0.05, 0.4), "mitigated": (0.3, 4), "post-mortem done": (48, 160),
    "triggered": (12, 72),
}  # fmt: skip
INCIDENT_RESOLVED = (1, 20)  # incidents resolve in hours, software in days
DONE = {"resolved", "closed", "solved", "post-mortem done"}

# fmt: off
WEB_AREAS = ["checkout page", "search results", "invoice export", "project board", "file upload",
             "password reset email", "user settings", "billing page", "notification centre",
             "sign-up form", "calendar view", "report builder", "mobile navigation", "audit log"]
WEB_BUGS = ["crashes when", "is slow when", "shows the wrong totals when", "renders blank when",
            "throws a 500 error when", "ignores the time zone when", "double-submits when",
            "loses unsaved changes when"]
WEB_TRIGGERS = ["the session expires", "a filter is applied", "two people edit at once",
                "the name contains emoji", "the locale is German", "a large file is attached",
                "the page is opened from an email link", "the list is sorted by date",
                "the browser is offline for a minute"]
WEB_TASKS = ["Add loading skeletons to the {x}", "Write end-to-end tests for the {x}",
             "Review keyboard access of the {x}", "Move the {x} to the new design system",
             "Track usage of the {x}", "Lazy-load images on the {x}"]
API_AREAS = ["/v1/invoices endpoint", "rate limiter", "OAuth token refresh", "webhook signatures",
             "cursor pagination", "OpenAPI schema", "Python SDK", "bulk import endpoint",
             "/v1/customers search", "idempotency keys"]
API_BUGS = ["returns 500 when", "ignores the page size when", "leaks a stack trace when",
            "times out when", "returns stale data when", "rejects valid input when"]
API_TRIGGERS = ["the token has just expired", "the payload is larger than 1 MB",
                "a client retries after a timeout", "two requests arrive at once",
                "the Accept header is missing", "the cursor points past the last page",
                "a field is null instead of absent"]
API_TASKS = ["Document the {x} with curl examples", "Add contract tests for the {x}",
             "Deprecate v0 behaviour of the {x}", "Measure p95 latency of the {x}"]
HELP_TITLES = [
    "Charged twice for the March invoice", "How do I export all invoices as CSV?",
    "Cannot sign in after resetting my password", "Invitation email never arrived",
    "Please add a second admin to our account", "Webhook to our CRM stopped firing",
    "VAT number missing on the invoice", "Slack integration posts to the wrong channel",
    "Can we get an SSO setup call?", "Downgrade from Business to Team plan",
    "Report builder shows last year's data", "Bulk import rejects our CSV file",
    "Two-factor codes are not accepted", "Our API key was leaked, please rotate it",
    "Data export for our audit", "Calendar view does not show public holidays",
    "Cancel our subscription at the end of the term", "Mobile app logs us out every hour",
]
HELP_FIRST_LINES = [
    "Hi team, {title_lower}. Could you have a look? It is blocking our finance team.",
    "Hello, since yesterday {title_lower}. We tried another browser with the same result.",
    "Dear support, {title_lower}. Our account is on the {tier} plan. Thanks in advance!",
]
CUSTOMERS = ["Northwind Traders", "Globex", "Initech", "Umbrella Health", "Stark Logistics",
             "Wayne Analytics", "Hooli", "Vandelay Industries", "Acme Corp", "Soylent Foods"]
TIERS = ["Free", "Team", "Business", "Enterprise"]
OPS_ALERTS = ["Disk usage above 90%", "p95 latency above 800 ms", "5xx rate above 2%",
              "TLS certificate expires in 7 days", "Replication lag above 30 s",
              "Job queue backlog above 10k", "OOM kills in the last 10 minutes",
              "Backup did not finish"]
OPS_HOSTS = ["db-1", "db-2", "web-3", "worker-2", "lb-1", "search-1", "mail-1", "api-2"]
SEC_TITLES = [
    "Stored XSS in the {x} via a crafted label name", "Missing rate limit on the {x}",
    "Outdated image library in the {x} (CVE-2026-31337)",
    "Session cookie of the {x} lacks SameSite",
    "SSRF through webhook URLs pointing at 169.254.169.254", "Clickjacking on the {x}",
    "Verbose error pages on the {x} reveal versions",
]
# fmt: on
COMMENTS = {
    "default": [
        "I can reproduce this on staging with a fresh account.",
        "Looking into it now; first guess is the cache key.",
        "Fixed in the latest build, please verify on staging.",
        "The root cause is a missing index on `created_at`; patch is in review.",
        "Could we split this? The UI part can ship without the migration.",
        "Verified on staging, looks good to me.",
        "Moving this to the next sprint, we ran out of time.",
        "@{person} can you take a look at the query plan?",
        "Added a regression test so this stays fixed.",
    ],
    "support": [
        "Thanks for the report! Could you send a screenshot of the error?",
        "I have forwarded this to billing, we will get back to you today.",
        "The customer confirmed the workaround helps for now.",
        "Refund issued, it can take 3-5 business days to show up.",
        "@{person} this looks like the import bug from last week, same CSV header.",
        "Customer replied: it works again after clearing the cache.",
    ],
    "incident": [
        "Acknowledged, looking at the dashboards.",
        "Mitigated by failing over to the replica; root cause still unknown.",
        "Graphs are back to normal since 14:20 UTC.",
        "@{person} can you check whether last night's deploy is related?",
        "Post-mortem: the autovacuum fell behind after the bulk import. Action items filed.",
    ],
}
LABEL_POOL = {
    "WEB": ["regression", "ux", "performance", "customer", "good-first-issue", "needs-info"],
    "API": ["breaking-change", "performance", "docs", "customer"],
    "HELP": ["billing", "vip", "bug-report", "how-to"],
    "OPS": ["paging", "capacity", "postmortem"],
    "SEC": ["cve", "pentest", "bounty"],
}
# Titles of the hand-written issues the story (cli/demo_story.py) finds and builds on.
CHECKOUT = "Checkout: card form loses its input after the 3-D Secure redirect"
SESSIONS = "Move session storage from cookies to Redis"
REDIS = "Upgrade Redis to 7.2 on staging and production"
DARK_MODE = "Dark mode for the issue list and the board"
DARK_PARTS = [
    "Dark mode: colour tokens for list rows",
    "Dark mode: board cards and swimlanes",
    "Dark mode: check contrast with axe",
]
RELEASE_NOTES = "Write the release notes for 2.4"
BACK_BUTTON = "Search results lose their sort order after pressing Back"
RATE_LIMIT = "Rate limiter counts retried webhook deliveries twice"
SSO_TICKET = "Enterprise SSO: users bounced back to the sign-in page"
LATENCY = "p95 latency above 800 ms on api-2"


@dataclass(frozen=True)
class Story:
    """A hand-written issue: where it stands today, and who it involves."""

    project: str
    title: str
    description: str
    statuses: list[str]
    days_ago: float
    reporter: str
    assignee: str | None
    type: str = "task"
    priority: str = "medium"
    due_in_days: int | None = None
    milestone: str | None = None
    estimate: int | None = None  # minutes
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()


STORIES = [
    Story("WEB", CHECKOUT,
          "Customers paying by card get sent to their bank for 3-D Secure and come back to an "
          "**empty card form**. Roughly 4% of checkouts are abandoned at this step since the "
          "2.3 release (see the funnel in the report builder).\n\nSteps: add a plan to the "
          "cart, pay with the test card `4000 0027 6000 3184`, approve the challenge.\n\n"
          "Expected: the order confirmation. Actual: the form again, without the name.",
          ["new", "open", "in progress"], 9, "ada.lovelace", ADMIN, "bug", "highest",
          due_in_days=-2, milestone=SPRINT, estimate=6 * 60, labels=("regression", "customer"),
          components=("frontend",)),
    Story("WEB", SESSIONS,
          "Sessions live in signed cookies today, which caps what we can store and makes "
          "\"sign out everywhere\" impossible. Move them to Redis with a 14 day idle timeout.\n\n"
          "- [ ] session backend behind a setting\n- [ ] migrate active sessions on deploy\n"
          "- [ ] \"sign out everywhere\" in the user settings",
          ["new", "open"], 20, "grace.lamarr", ADMIN, "task", "high", due_in_days=-4,
          milestone=SPRINT, estimate=2 * 8 * 60, components=("backend",)),
    Story("WEB", REDIS,
          "Staging and production run Redis 6.0, which is out of support. 7.2 is needed for "
          "the session work. Plan: staging first, watch memory for two days, then production "
          "in the Tuesday maintenance window.",
          ["new", "open", "in progress"], 16, "margaret.allen", "ken.backus", "task", "high",
          due_in_days=3, milestone=SPRINT, estimate=4 * 60, components=("backend",)),
    Story("WEB", DARK_MODE,
          "Many of you asked for it: a dark theme that follows the operating system. The list "
          "and the board first, other pages after. Sub-tasks track the parts.",
          ["new", "open", "in progress"], 30, ADMIN, "barbara.hopper", "feature", "medium",
          milestone=SPRINT, estimate=3 * 8 * 60, labels=("ux",), components=("frontend",)),
    Story("WEB", DARK_PARTS[0], "Define the dark palette as CSS custom properties.",
          ["new", "open", "in progress", "resolved"], 28, "barbara.hopper", "barbara.hopper",
          milestone=SPRINT, estimate=4 * 60, components=("frontend",)),
    Story("WEB", DARK_PARTS[1], "Cards, swimlane headers and WIP limit badges.",
          ["new", "open", "in progress"], 28, "barbara.hopper", "dennis.dijkstra",
          milestone=SPRINT, estimate=6 * 60, components=("frontend",)),
    Story("WEB", DARK_PARTS[2], "Run axe on both themes; every text needs 4.5:1 contrast.",
          ["new", "open"], 28, "barbara.hopper", "frances.johnson", milestone=SPRINT,
          estimate=2 * 60, labels=("good-first-issue",), components=("accessibility",)),
    Story("WEB", BACK_BUTTON,
          "Sort the search results by *updated*, open an issue, press Back: the list is sorted "
          "by relevance again. The sort should live in the URL.",
          ["new", "open"], 6, ADMIN, "linus.turing", "bug", "medium", labels=("ux",),
          components=("frontend",)),
    Story("WEB", RELEASE_NOTES,
          "Collect what changed since 2.3 from the milestone, group it by audience (admins, "
          "everyone) and draft the blog post. Screenshots from the demo site.",
          ["new", "open"], 3, "ada.lovelace", None, "task", "medium", due_in_days=5,
          milestone="2.4", estimate=3 * 60, labels=("docs",)),
    Story("API", RATE_LIMIT,
          "Our own webhook retries go through the public rate limiter, so a customer whose "
          "endpoint was down gets throttled when it comes back. The limiter should key on the "
          "delivery id. See the attached graph of 429s during Tuesday's outage.",
          ["new", "open"], 12, "radia.perlman", ADMIN, "bug", "high", due_in_days=-1,
          estimate=5 * 60, labels=("customer",), components=("endpoints",)),
    Story("API", "Document cursor pagination with examples in Python and curl",
          "The pagination page only describes the `next` link. Add a loop in Python (httpx) and "
          "a curl example, and explain why offsets are not supported.",
          ["new", "open"], 5, ADMIN, "guido.stroustrup", "task", "low", labels=("docs",),
          components=("docs",)),
    Story("HELP", SSO_TICKET,
          "Hi, since this morning about half of our staff cannot sign in with Okta: after the "
          "Okta screen they land on the sign-in page again. Others are fine. This blocks our "
          "support team. — Priya, IT at Northwind Traders",
          ["new", "waiting on us"], 0.3, "alan.ritchie", ADMIN, "support", "highest",
          labels=("vip",), components=("accounts",)),
    Story("OPS", LATENCY,
          "Alertmanager: p95 latency of api-2 has been above 800 ms for 10 minutes "
          "(threshold 800 ms, current 1.4 s). Started 09:12 UTC.",
          ["triggered", "acknowledged"], 0.1, "margaret.allen", "ken.backus", "incident",
          "highest", labels=("paging",), components=("database",)),
]  # fmt: skip


STORY_TITLES = frozenset(story.title for story in STORIES)


def records(
    count: int, *, now: dt.datetime, seed: int = 7, admin: str = ADMIN
) -> Iterator[dict[str, Any]]:
    """Users, projects (members, components; milestones come with dates from the story), then
    `count` issues and the hand-written ones, each project's in the order they were filed.
    `admin`: the site admin the story is about (the one loading the demo)."""
    rng = random.Random(seed)
    yield from users(12)
    for key, name, visibility, workflow, _ in PROJECTS:
        members = [{"user": u, "role": "member"} for u in PEOPLE] + [
            {"user": admin, "role": "admin"}
        ]
        yield {
            "kind": "project", "key": key, "name": name, "visibility": visibility,
            "workflow": workflow, "members": members, "components": COMPONENTS[key],
        }  # fmt: skip
    total = sum(share for *_, share in PROJECTS)
    shares = {key: count * share // total for key, *_, share in PROJECTS}
    shares["WEB"] += count - sum(shares.values())  # so that they add up to `count`
    for key, _, _, workflow, _ in PROJECTS:
        made = [_story_issue(story, now, admin) for story in STORIES if story.project == key]
        how_many = max(0, shares[key] - len(made))
        made += [_filler(rng, key, workflow, now) for _ in range(how_many)]
        made.sort(key=lambda record: record["created_at"])
        yield from made


def _filler(rng: random.Random, key: str, workflow: str, now: dt.datetime) -> dict[str, Any]:
    planned = key == "WEB" and rng.random() < 0.22  # filed for the sprint before it began
    created = now - dt.timedelta(hours=rng.uniform(1, HISTORY_DAYS * 24))
    if planned:
        created = now - dt.timedelta(days=SPRINT_DAYS_GONE + rng.uniform(0.5, 6))
    title, description, kind = _words(rng, key)
    while title in STORY_TITLES:  # the story finds its issues by title
        title, description, kind = _words(rng, key)
    statuses = _path(rng, workflow, created, now)
    if workflow != "default" and statuses[-1] not in DONE:  # a desk keeps up: open is recent
        created = now - dt.timedelta(hours=rng.uniform(0.5, RECENT_HOURS[workflow]))
    team = SUPPORT if key == "HELP" else SRE if key == "OPS" else DEVELOPERS
    assignee = rng.choice(team) if statuses != [statuses[0]] or rng.random() < 0.5 else None
    record = _issue(
        key=key, title=title, description=description, kind=kind, created=created,
        statuses=_timed(rng, statuses, created, now),
        reporter=rng.choice([p for p in PEOPLE if p not in team]),
        assignee=assignee, priority=_weighted(rng, [("lowest", 5), ("low", 20), ("medium", 45),
                                                    ("high", 22), ("highest", 8)]),
        labels=sorted(rng.sample(LABEL_POOL[key], rng.randint(0, 2))),
        components=[rng.choice(COMPONENTS[key])], now=now,
    )  # fmt: skip
    record["severity"] = _weighted(rng, [("trivial", 10), ("minor", 35), ("major", 45),
                                         ("critical", 10)])  # fmt: skip
    _comments(rng, record, workflow, created, now)
    if workflow != "default":
        _first_answer(record)
    if key in ("WEB", "API") and rng.random() < 0.6:
        record["estimate"] = rng.choice([30, 60, 120, 240, 480, 960])
    if key == "WEB":
        record["milestone"] = SPRINT if planned else _milestone_of(rng, created, now)
    if key == "API" and created > now - dt.timedelta(days=30) and rng.random() < 0.6:
        record["milestone"] = "v2 beta"
    if record["status"] not in DONE and rng.random() < 0.25:
        record["due_date"] = (now + dt.timedelta(days=rng.randint(-10, 30))).date().isoformat()
    _created_snapshot(record)
    return record


def _story_issue(story: Story, now: dt.datetime, admin: str) -> dict[str, Any]:
    rng = random.Random(story.title)
    created = now - dt.timedelta(days=story.days_ago)
    cast = {ADMIN: admin}
    record = _issue(
        key=story.project, title=story.title, description=story.description, kind=story.type,
        created=created, statuses=_timed(rng, story.statuses, created, now, squeeze=True),
        reporter=cast.get(story.reporter, story.reporter),
        assignee=cast.get(story.assignee or "", story.assignee), priority=story.priority,
        labels=sorted(story.labels), components=list(story.components), now=now,
    )  # fmt: skip
    if story.due_in_days is not None:
        record["due_date"] = (now + dt.timedelta(days=story.due_in_days)).date().isoformat()
    if story.milestone:
        record["milestone"] = story.milestone
    if story.estimate:
        record["estimate"] = story.estimate
    _created_snapshot(record)
    return record


def _issue(
    *, key: str, title: str, description: str, kind: str, created: dt.datetime,
    statuses: list[tuple[str, dt.datetime]], reporter: str, assignee: str | None,
    priority: str, labels: list[str], components: list[str], now: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    """The record and its status history: one version per move, a resolution with each
    move into a done state and its removal on a reopen (as the transition actions record)."""
    history: list[dict[str, Any]] = []
    resolved_at: dt.datetime | None = None
    mover = assignee or reporter
    for version, ((before, _), (after, at)) in enumerate(
        zip(statuses, statuses[1:], strict=False), start=2
    ):
        event = {"kind": "changed", "actor": mover, "at": at.isoformat(), "version": version}
        history.append({**event, "field": "status", "old": before, "new": after})
        if after in DONE and before not in DONE:
            history.append({**event, "field": "resolution", "old": None, "new": "fixed"})
            resolved_at = at
        elif before in DONE and after not in DONE:
            history.append({**event, "field": "resolution", "old": "fixed", "new": None})
            resolved_at = None
    status, last = statuses[-1]
    record: dict[str, Any] = {
        "kind": "issue", "project": key, "title": title, "description": description,
        "type": kind, "priority": priority, "status": status, "reporter": reporter,
        "severity": "major", "assignee": assignee, "labels": labels, "components": components,
        "created_at": created.isoformat(), "updated_at": last.isoformat(),
        "comments": [], "history": history,
    }  # fmt: skip
    if status in DONE:
        record["resolution"] = "fixed"
        record["resolved_at"] = (resolved_at or last).isoformat()
    return record


def _created_snapshot(record: dict[str, Any]) -> None:
    """The `created` event first in the history: the fields as they were when it was filed
    (as the export writes it; transfer/export.py)."""
    first = record["history"][0]["old"] if record["history"] else record["status"]
    fields = ("title", "description", "type", "severity", "priority", "assignee", "due_date",
              "labels", "components", "milestone", "estimate")  # fmt: skip
    snapshot = {name: record.get(name) for name in fields}
    snapshot.update(status=first, resolution=None, team=None, confidential=False, parent=None)
    snapshot["severity"] = snapshot["severity"] or "major"
    snapshot["labels"], snapshot["components"] = record["labels"], record["components"]
    created = {"kind": "created", "actor": record["reporter"], "at": record["created_at"],
               "version": 1, "old": None, "new": snapshot}  # fmt: skip
    record["history"].insert(0, created)


def _path(rng: random.Random, workflow: str, created: dt.datetime, now: dt.datetime) -> list[str]:
    paths = PATHS[workflow]
    return list(rng.choices([p for _, p in paths], weights=[w for w, _ in paths])[0])


def _timed(
    rng: random.Random, statuses: list[str], created: dt.datetime, now: dt.datetime,
    squeeze: bool = False,
) -> list[tuple[str, dt.datetime]]:  # fmt: skip
    """When the issue entered each status; moves that would lie in the future do not happen
    yet (`squeeze`: the story's moves all happen, spread over its age)."""
    timed, at = [(statuses[0], created)], created
    incident = statuses[0] == "triggered"
    age = (now - created).total_seconds()
    for status in statuses[1:]:
        low, high = INCIDENT_RESOLVED if incident and status == "resolved" else DELAYS[status]
        step = dt.timedelta(hours=rng.uniform(low, high))
        if squeeze:
            step = dt.timedelta(seconds=age / len(statuses) * rng.uniform(0.6, 1.0))
        if at + step >= now:
            break
        at += step
        timed.append((status, at))
    return timed


def _comments(
    rng: random.Random, record: dict[str, Any], workflow: str, created: dt.datetime,
    now: dt.datetime,
) -> None:  # fmt: skip
    last = dt.datetime.fromisoformat(record["updated_at"])
    end = min(now, last + dt.timedelta(hours=6))
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        at = created + (end - created) * rng.uniform(0.1, 1.0)
        author = rng.choice(PEOPLE)
        body = rng.choice(COMMENTS[workflow]).format(
            person=rng.choice([p for p in PEOPLE if p != author])
        )
        record["comments"].append({"author": author, "body": body, "created_at": at.isoformat()})
    record["comments"].sort(key=lambda comment: comment["created_at"])


FIRST_ANSWERS = {
    "support": "Thanks for writing in! I am looking into it and will update you here.",
    "incident": "Acknowledged, I am on it. Checking the dashboards and the last deploy.",
}


def _first_answer(record: dict[str, Any]) -> None:
    """The assignee answers as the ticket or incident leaves its first state: what the SLA's
    first-response clock stops on (a staff member's comment)."""
    moves = [e for e in record["history"] if e.get("field") == "status"]
    if not moves or not record["assignee"]:
        return
    at = dt.datetime.fromisoformat(moves[0]["at"]) - dt.timedelta(minutes=2)
    workflow = "incident" if record["type"] == "incident" else "support"
    answer = {"author": record["assignee"], "body": FIRST_ANSWERS[workflow],
              "created_at": at.isoformat()}  # fmt: skip
    record["comments"] = sorted([answer, *record["comments"]], key=lambda c: c["created_at"])


def _milestone_of(rng: random.Random, created: dt.datetime, now: dt.datetime) -> str | None:
    """WEB's milestones besides the sprint's planned work: a little scope creep into the
    current sprint, the 2.3 release (shipped) and the 2.4 release (next)."""
    if created >= now - dt.timedelta(days=SPRINT_DAYS_GONE):
        return rng.choice([SPRINT, "2.4", None, None])
    if created < now - dt.timedelta(days=SPRINT_DAYS_GONE + 20):
        return rng.choice(["2.3", "2.3", None])
    return rng.choice(["2.4", None])


SPRINT_DAYS_GONE = 8  # the sprint started 8 days ago and runs 14 days


def milestones(now: dt.datetime) -> dict[str, list[tuple[str, dt.date, dt.date, bool]]]:
    """Per project: name, start, due, closed."""
    today = now.date()
    start = today - dt.timedelta(days=SPRINT_DAYS_GONE)
    return {
        "WEB": [
            ("2.3", today - dt.timedelta(days=75), today - dt.timedelta(days=20), True),
            (SPRINT, start, start + dt.timedelta(days=13), False),
            ("2.4", today - dt.timedelta(days=19), today + dt.timedelta(days=26), False),
        ],
        "API": [("v2 beta", today - dt.timedelta(days=30), today + dt.timedelta(days=30), False)],
    }


def _words(rng: random.Random, key: str) -> tuple[str, str, str]:
    """Title, description and type of a filler issue of project `key`."""
    if key == "WEB":
        area = rng.choice(WEB_AREAS)
        if rng.random() < 0.6:
            title = f"{area.capitalize()} {rng.choice(WEB_BUGS)} {rng.choice(WEB_TRIGGERS)}"
            return title, _bug_text(rng, area), "bug"
        kind = rng.choice(["task", "improvement", "feature"])
        return rng.choice(WEB_TASKS).format(x=area), _task_text(area), kind
    if key == "API":
        area = rng.choice(API_AREAS)
        if rng.random() < 0.6:
            title = f"The {area} {rng.choice(API_BUGS)} {rng.choice(API_TRIGGERS)}"
            return title, _bug_text(rng, area), "bug"
        return rng.choice(API_TASKS).format(x=area), _task_text(area), "task"
    if key == "HELP":
        title = rng.choice(HELP_TITLES)
        line = rng.choice(HELP_FIRST_LINES).format(
            title_lower=title[0].lower() + title[1:].rstrip("?."), tier=rng.choice(TIERS)
        )
        return title, f"{line}\n\n— {rng.choice(CUSTOMERS)}", "support"
    if key == "OPS":
        alert, host = rng.choice(OPS_ALERTS), rng.choice(OPS_HOSTS)
        text = (f"Alertmanager fired `{alert}` on {host}. Runbook: "
                f"https://runbooks.example.com/{host.split('-')[0]}.")  # fmt: skip
        return f"{alert} on {host}", text, "incident"
    area = rng.choice(WEB_AREAS + API_AREAS)
    title = rng.choice(SEC_TITLES).format(x=area)
    text = (f"Found during the quarterly pentest. Affects the {area}; CVSS 3.1 score "
            f"{rng.uniform(3.1, 8.8):.1f}. Proof of concept in the report, section "
            f"{rng.randint(2, 9)}.")  # fmt: skip
    return title, text, "bug"


def _bug_text(rng: random.Random, area: str) -> str:
    lines = [
        f"Steps to reproduce: open the {area} and repeat the action from the title.",
        f"This started after the {rng.choice(['2.3.1', '2.3.2', '2.3.3'])} deploy and "
        f"affects about {rng.randint(2, 90)} customers.",
        "The browser console shows `TypeError: cannot read properties of undefined`.",
        f"The query behind the {area} scans {rng.randint(20, 400)} thousand rows.",
        "A reload works around it, but support gets several tickets a day.",
    ]
    return " ".join(rng.sample(lines, 3))


def _task_text(area: str) -> str:
    return (
        f"Part of the 2.4 polish work on the {area}. Done when it is merged, documented in the "
        "changelog and checked on a phone-sized screen."
    )


def _weighted(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]
