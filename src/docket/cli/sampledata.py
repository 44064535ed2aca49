"""A deterministic generator of realistic tracker data, in Docket's import format (JSON Lines).

Used by the benchmark (bench/) and the import tests; `docket demo` tells its own story
(cli/demo_data.py) and borrows the people from here. Same seed, same data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any, TextIO

FIRST = [
    "ada",
    "alan",
    "grace",
    "linus",
    "margaret",
    "ken",
    "barbara",
    "dennis",
    "frances",
    "edsger",
    "radia",
    "guido",
    "anita",
    "tim",
    "hedy",
    "john",
    "katherine",
    "bjarne",
    "sophie",
    "niklaus",
]
LAST = [
    "lovelace",
    "turing",
    "hopper",
    "torvalds",
    "hamilton",
    "thompson",
    "liskov",
    "ritchie",
    "allen",
    "dijkstra",
    "perlman",
    "rossum",
    "borg",
    "berners",
    "lamarr",
    "backus",
    "johnson",
    "stroustrup",
    "wilson",
    "wirth",
]
PROJECTS = [
    ("WEB", "Web app", "internal"),
    ("API", "Public API", "internal"),
    ("OPS", "IT operations", "private"),
    ("HELP", "Customer support", "private"),
    ("SEC", "Security findings", "private"),
]
AREAS = [
    "login page",
    "search results",
    "invoice export",
    "dashboard",
    "file upload",
    "password reset email",
    "user settings",
    "billing page",
    "API token screen",
    "notification centre",
    "project board",
    "CSV import",
    "audit log",
    "mobile layout",
    "webhook delivery",
    "SSO callback",
    "report builder",
    "calendar view",
]
PROBLEMS = [
    "crashes when",
    "is slow when",
    "shows the wrong totals when",
    "times out when",
    "loses data when",
    "renders blank when",
    "throws a 500 error when",
    "ignores the time zone when",
    "double-submits when",
    "hangs when",
]
TRIGGERS = [
    "the user has more than 1000 items",
    "the session expires",
    "a filter is applied",
    "the browser is offline",
    "two people edit at once",
    "the name contains emoji",
    "the list is sorted by date",
    "a large file is attached",
    "the locale is German",
    "the page is opened from an email link",
    "dark mode is on",
    "the cache is cold",
]
TASKS = [
    "Upgrade {x} dependencies",
    "Document the {x}",
    "Add monitoring for the {x}",
    "Refactor the {x} module",
    "Write integration tests for the {x}",
    "Review accessibility of the {x}",
    "Migrate the {x} to the new API",
]
SENTENCES = [
    "Steps to reproduce: open the {area}, then {trigger}.",
    "Expected the page to load within a second; instead it {problem} {trigger}.",
    "This started after the last deploy and affects roughly {n} customers.",
    "The browser console shows `TypeError: cannot read properties of undefined`.",
    "Logs from the worker show a retry loop with exponential backoff that never ends.",
    "We could reproduce it on Firefox {n} and Chrome, but not on Safari.",
    "A workaround is to reload the page, but support receives several tickets a day.",
    "The database query behind the {area} does a full table scan of {n} thousand rows.",
    "Customers on the enterprise plan reported it first; see the support thread.",
    "Attaching the HAR file and a screenshot of the {area} would help triage.",
    "Priority is high because the {area} is part of the onboarding flow.",
    "Related to the change that moved the {area} behind the new feature flag.",
]
COMMENTS = [
    "I can reproduce this on staging.",
    "Looking into it now.",
    "Fixed in the latest build, please verify.",
    "This is a duplicate of an older report.",
    "Could you attach the server logs from around the time it happened?",
    "Still happening after the hotfix.",
    "Moving this to the next milestone.",
    "The root cause is a missing index; patch is in review.",
    "Customer confirmed the workaround helps for now.",
    "Verified, closing.",
]
LABELS = [
    "bug",
    "regression",
    "ux",
    "performance",
    "security",
    "docs",
    "customer",
    "backend",
    "frontend",
    "flaky-test",
    "needs-info",
    "good-first-issue",
]
STATUS_WEIGHTS = [("new", 15), ("open", 25), ("in progress", 15), ("resolved", 25), ("closed", 20)]
TYPES = [
    ("bug", 50),
    ("task", 20),
    ("feature", 15),
    ("improvement", 10),
    ("incident", 3),
    ("support", 2),
]
PRIORITIES = [("lowest", 5), ("low", 20), ("medium", 45), ("high", 22), ("highest", 8)]
SEVERITIES = [("trivial", 10), ("minor", 35), ("major", 45), ("critical", 10)]
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _description(rng: random.Random, area: str, problem: str, trigger: str) -> str:
    """About 100 words: the sentences in a random order, none twice."""
    parts: list[str] = []
    words = 0
    for template in rng.sample(SENTENCES, len(SENTENCES)):
        if words >= 95:
            break
        sentence = template.format(
            area=area, problem=problem, trigger=trigger, n=rng.randint(2, 120)
        )
        parts.append(sentence)
        words += len(sentence.split())
    return " ".join(parts)


def users(count: int) -> list[dict[str, Any]]:
    people = []
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
        username = f"{first}.{last}" if i < len(FIRST) else f"{first}.{last}{i}"
        people.append(
            {
                "kind": "user",
                "username": username,
                "email": f"{username}@example.com",
                "name": f"{first.title()} {last.title()}",
            }
        )
    return people


def generate(issues: int, *, seed: int = 42, user_count: int = 50) -> Iterator[dict[str, Any]]:
    """Yield records: users, then projects (with members), then issues spread over them."""
    rng = random.Random(seed)
    people = users(user_count)
    yield from people
    names = [p["username"] for p in people]
    for key, name, visibility in PROJECTS:
        members = [{"user": u, "role": "member"} for u in names]
        project: dict[str, Any] = {
            "kind": "project",
            "key": key,
            "name": name,
            "visibility": visibility,
            "members": members,
            "components": ["backend", "frontend", "infrastructure"],
            "milestones": ["1.0", "1.1", "2.0"],
        }
        yield project
    span = (dt.datetime(2026, 11, 1, tzinfo=dt.UTC) - START).total_seconds()
    for i in range(issues):
        key = PROJECTS[i % len(PROJECTS)][0]
        kind = _pick(rng, TYPES)
        area, problem, trigger = rng.choice(AREAS), rng.choice(PROBLEMS), rng.choice(TRIGGERS)
        title = (
            f"{area.capitalize()} {problem} {trigger}"
            if kind in ("bug", "incident", "support")
            else rng.choice(TASKS).format(x=area)
        )
        created = START + dt.timedelta(seconds=span * i / max(issues, 1) + rng.randint(0, 3600))
        comments = [
            {
                "author": rng.choice(names),
                "body": rng.choice(COMMENTS),
                "created_at": (created + dt.timedelta(hours=h + 1)).isoformat(),
            }
            for h in range(rng.randint(0, 5))
        ]
        record = {
            "kind": "issue",
            "project": key,
            "title": title[:255],
            "description": _description(rng, area, problem, trigger),
            "type": kind,
            "priority": _pick(rng, PRIORITIES),
            "severity": _pick(rng, SEVERITIES),
            "status": _pick(rng, STATUS_WEIGHTS),
            "reporter": rng.choice(names),
            "assignee": rng.choice(names) if rng.random() < 0.8 else None,
            "labels": sorted(rng.sample(LABELS, rng.randint(0, 3))),
            "components": [rng.choice(["backend", "frontend", "infrastructure"])],
            "milestone": rng.choice(["1.0", "1.1", "2.0", None]),
            "confidential": key == "SEC" or rng.random() < 0.05,
            "created_at": created.isoformat(),
            "comments": comments,
        }
        if rng.random() < 0.3:
            record["due_date"] = (
                (created + dt.timedelta(days=rng.randint(3, 90))).date().isoformat()
            )
        yield record


def write(out: TextIO, issues: int, *, seed: int = 42, user_count: int = 50) -> None:
    for record in generate(issues, seed=seed, user_count=user_count):
        out.write(json.dumps(record, separators=(",", ":")) + "\n")
