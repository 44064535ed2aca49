"""A Jira Data Center-shaped dataset on PostgreSQL, fast: COPY of exactly the rows Docket's own
actions write (issue 20).

    .venv/bin/python bench/scale/generate.py \
        --database-url postgres://postgres@127.0.0.1:5432/docket_scale \
        --issues 1000000 --comments-per-issue 6 --projects 500 --users 21000 --jobs 2

The database named in the URL is dropped and created again (it must not be `postgres` or
`test`), then migrated. What it writes, and through which path:

- users (one shared password hash, `--password`), by COPY; a site admin `scaleadmin`;
- projects through the app's `create_project` action (its workflow copy, the admin
  membership, the audit entry); ~5% `internal` (every signed-in user sees them), the rest
  `private`; sizes skewed (weight 1/sqrt(rank)) so a few projects are large;
- memberships by COPY with the `member.role_set` audit entries `set_member` writes: every
  user belongs to 1-4 projects (2 admins per project, then 70% member, 20% reporter, 10%
  viewer), larger projects more likely;
- labels, components and milestones (8 two-week sprints around today, past ones closed);
- issues, their labels and components, comments, watchers and the event log by COPY, in
  chunks over `--jobs` processes: one `created` event per issue (the snapshot `create_issue`
  records, made by `issues.fields.snapshot`), one `commented` event per comment (at the
  issue's version then), a `changed` event per status move along the default workflow's
  transitions (version + 1 each; entering or leaving a done state also changes
  `resolution` in the same version, as `follow_status` does; `resolved_at` set), assignee
  changes; watchers as the actions add them (reporter, assignees, commenters);
- the full-text index: `issue_search_text` by COPY (title, description, the comments joined
  as `search_index.documents` joins them) and the two tsvector tables computed by the same
  SQL expression as the PostgreSQL backend's `write`;
- then: sequences, each project's `next_number`, the secondary indexes (dropped before the
  load, recreated after), the dashboards' roll-ups (the computation of
  `reports.rollup.rebuild`, run over id ranges in `--jobs` processes), every other
  event-log consumer's cursor moved to the end of the log (what a consumer's migration does:
  history before it is old news, so the worker does not mail 6M "new comment"
  notifications), VACUUM ANALYZE (so autovacuum does not start during a load run).

Issue ids follow creation time, so newest-first means highest id, as in real life; comment
and event ids ascend within each issue (a timeline's order) but are allocated per chunk.
Writes bench/out/scale/dataset-<issues>.json with counts, timings and sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing as mp
import os
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "out" / "scale"
SCALE_PASSWORD = "scale-bench-pass-1"
CHUNK = 5000  # issues per COPY transaction
MAX_COMMENTS = 40  # per issue: comment ids are allocated per chunk with this stride
MAX_EVENTS = 80
LOADED_TABLES = (
    "issues_issue",
    "issues_issue_labels",
    "issues_issue_components",
    "issues_comment",
    "issues_issueevent",
    "issues_watch",
    "issue_search_text",
    "issue_search",
    "issue_search_head",
)

# --- text ----------------------------------------------------------------------------------

AREAS = [
    "login page", "search results", "invoice export", "dashboard", "file upload",
    "password reset email", "user settings", "billing page", "API token screen",
    "notification centre", "project board", "CSV import", "audit log", "mobile layout",
    "webhook delivery", "SSO callback", "report builder", "calendar view", "payment form",
    "admin console", "release notes", "onboarding wizard", "team directory", "backup job",
]  # fmt: skip
PROBLEMS = [
    "crashes when", "is slow when", "shows the wrong totals when", "times out when",
    "loses data when", "renders blank when", "throws a 500 error when",
    "ignores the time zone when", "double-submits when", "hangs when",
]  # fmt: skip
TRIGGERS = [
    "the user has more than 1000 items", "the session expires", "a filter is applied",
    "the browser is offline", "two people edit at once", "the name contains emoji",
    "the list is sorted by date", "a large file is attached", "the locale is German",
    "the page is opened from an email link", "dark mode is on", "the cache is cold",
]  # fmt: skip
TASKS = [
    "Upgrade {x} dependencies", "Document the {x}", "Add monitoring for the {x}",
    "Refactor the {x} module", "Write integration tests for the {x}",
    "Review accessibility of the {x}", "Migrate the {x} to the new API",
]  # fmt: skip
SENTENCES = [
    "Steps to reproduce: open the {area}, then {trigger}.",
    "Expected the page to load within a second; instead it {problem} {trigger}.",
    "This started after the last deploy and affects roughly {n} customers.",
    "The browser console shows a TypeError about an undefined property.",
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
    "I can reproduce this on staging.", "Looking into it now.",
    "Fixed in the latest build, please verify.", "This is a duplicate of an older report.",
    "Could you attach the server logs from around the time it happened?",
    "Still happening after the hotfix.", "Moving this to the next sprint.",
    "The root cause is a missing index; patch is in review.",
    "Customer confirmed the workaround helps for now.", "Verified, closing.",
    "Added a regression test for this case.", "Can we get this into the next release?",
    "Pairing with the platform team on this tomorrow.", "Deployed to production.",
]  # fmt: skip
LABELS = [
    "bug", "regression", "ux", "performance", "security", "docs", "customer", "backend",
    "frontend", "flaky-test", "needs-info", "good-first-issue",
]  # fmt: skip
COMPONENTS = ["backend", "frontend", "infrastructure", "mobile", "api"]
FIRST = ["ada", "alan", "grace", "linus", "margaret", "ken", "barbara", "dennis", "frances",
         "edsger", "radia", "guido", "anita", "tim", "hedy", "john", "katherine", "bjarne",
         "sophie", "niklaus"]  # fmt: skip
LAST = ["lovelace", "turing", "hopper", "torvalds", "hamilton", "thompson", "liskov",
        "ritchie", "allen", "dijkstra", "perlman", "rossum", "borg", "berners", "lamarr",
        "backus", "johnson", "stroustrup", "wilson", "wirth"]  # fmt: skip
TYPES = [("bug", 45), ("task", 25), ("feature", 12), ("improvement", 12), ("incident", 3),
         ("support", 3)]  # fmt: skip
PRIORITIES = [(1, 5), (2, 20), (3, 45), (4, 22), (5, 8)]
SEVERITIES = [(1, 10), (2, 35), (3, 45), (4, 10)]
# Status paths along the default workflow's transitions (projects/workflows.py): New -Open->
# Open -Start progress-> In Progress -Resolve-> Resolved -Close-> Closed, Reopen -> Open,
# Start progress from New, Resolve from New/Open, Close from anywhere.
OPEN_PATHS = [(["new"], 30), (["new", "open"], 45), (["new", "open", "in progress"], 15),
              (["new", "in progress"], 10)]  # fmt: skip
DONE_PATHS = [
    (["new", "open", "in progress", "resolved"], 35),
    (["new", "in progress", "resolved"], 15),
    (["new", "open", "in progress", "resolved", "closed"], 30),
    (["new", "closed"], 8),
    (["new", "open", "in progress", "resolved", "open", "in progress", "resolved"], 7),
    (["new", "open", "resolved", "closed"], 5),
]
DONE = {"resolved", "closed"}
YEARS = 3  # issues were created over the last three years


def esc(value: str) -> str:
    """A text value for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def ts(moment: dt.datetime | None) -> str:
    return "\\N" if moment is None else moment.isoformat()


def opt(value: Any) -> str:
    return "\\N" if value is None else str(value)


def jsonb(value: Any) -> str:
    return "\\N" if value is None else esc(json.dumps(value, ensure_ascii=False))


def weighted(rng: random.Random, table: list[tuple[Any, int]]) -> Any:
    total = sum(w for _, w in table)
    x = rng.random() * total
    for value, w in table:
        x -= w
        if x < 0:
            return value
    return table[-1][0]


def skewed(rng: random.Random, pool: list[Any]) -> Any:
    """A pick that favours the front of the pool (a project's most active people)."""
    return pool[int(len(pool) * rng.random() ** 2)]


def username(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]}.{LAST[(i // len(FIRST)) % len(LAST)]}{i}"


# --- the world: users, projects, members, labels, milestones ---------------------------------


def reset_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if name in ("postgres", "test", "template0", "template1", ""):
        raise SystemExit(f"refusing to drop the database {name!r}")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def raw_connection(url: str) -> Any:
    import psycopg

    conn = psycopg.connect(url)
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET statement_timeout = 0")
    conn.execute("SET maintenance_work_mem = '512MB'")
    # Foreign keys are not checked row by row (the generator makes them consistent by
    # construction; the unique constraints still hold): the trick pg_restore uses.
    conn.execute("SET session_replication_role = replica")
    conn.commit()
    return conn


def copy_rows(conn: Any, table: str, columns: Iterable[str], lines: list[str]) -> None:
    if not lines:
        return
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for start in range(0, len(lines), 20000):
            copy.write("\n".join(lines[start : start + 20000]) + "\n")


def build_world(args: argparse.Namespace, url: str, now: dt.datetime) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from docket.accounts.models import User
    from docket.issues.models import Label
    from docket.projects import actions as project_actions
    from docket.projects.models import Component, Milestone, Project

    rng = random.Random(args.seed)
    digest = make_password(args.password)
    conn = raw_connection(url)
    joined = now - dt.timedelta(days=YEARS * 366)
    # Migrations may have made accounts (the automation bot): ours come after them.
    base = conn.execute("SELECT coalesce(max(id), 0) FROM docket_user").fetchone()[0]
    admin_row = (str(base + 1), esc(digest), "scaleadmin", "Scale", "Admin",
                 "scaleadmin@example.com", "t", "t", "t", ts(joined), "0", "f")  # fmt: skip
    lines = ["\t".join(admin_row)]
    names = {}
    for i in range(args.users):
        name = username(i)
        names[base + 2 + i] = name
        first, last = name.split(".")
        row = (str(base + 2 + i), esc(digest), name, first.title(), last.title(),
               f"{name}@example.com", "f", "f", "t", ts(joined), "0", "f")  # fmt: skip
        lines.append("\t".join(row))
    copy_rows(conn, "docket_user", ("id", "password", "username", "first_name", "last_name",
              "email", "is_superuser", "is_staff", "is_active", "date_joined", "sessions_epoch",
              "contact"), lines)  # fmt: skip
    conn.execute(
        "SELECT setval(pg_get_serial_sequence('docket_user', 'id'), "
        "(SELECT max(id) FROM docket_user))"
    )
    conn.commit()
    admin = User.objects.get(username="scaleadmin")

    # Projects: weight 1/sqrt(rank) for size.
    weights = [1 / math.sqrt(r + 1) for r in range(args.projects)]
    total = sum(weights)
    sizes = [max(1, int(args.issues * w / total)) for w in weights]
    sizes[0] += args.issues - sum(sizes)
    order = list(range(args.projects))
    rng.shuffle(order)  # the big ones are not the first keys
    internal = set(rng.sample(range(args.projects), max(1, args.projects // 20)))
    projects = []
    for index in range(args.projects):
        key = f"P{index + 1:03d}" if args.projects < 1000 else f"P{index + 1:04d}"
        visibility = "internal" if index in internal else "private"
        project = project_actions.create_project(
            actor=admin, key=key, name=f"{rng.choice(AREAS).title()} {index + 1}",
            visibility=visibility, description="A generated project (bench/scale).",
        )  # fmt: skip
        projects.append({"id": project.pk, "key": key, "visibility": visibility,
                         "size": sizes[order[index]], "workflow": project.workflow_id})  # fmt: skip
    # Members: every user in 1-4 projects, larger projects likelier.
    pick_weights = [p["size"] ** 0.7 for p in projects]
    members: dict[int, list[tuple[int, str]]] = {p["id"]: [] for p in projects}
    user_ids = list(names)
    for uid in user_ids:
        count = weighted(rng, [(1, 35), (2, 30), (3, 20), (4, 15)])
        chosen = set()
        while len(chosen) < count:
            chosen.add(rng.choices(range(len(projects)), weights=pick_weights)[0])
        for index in chosen:
            members[projects[index]["id"]].append((uid, ""))
    moment = now - dt.timedelta(days=YEARS * 366 - 1)
    rows, audits = [], []
    for project in projects:
        people = members[project["id"]]
        rng.shuffle(people)
        roles = []
        for n, (uid, _) in enumerate(people):
            role = "admin" if n < 2 else weighted(rng, [("member", 70), ("reporter", 20),
                                                           ("viewer", 10)])  # fmt: skip
            roles.append((uid, role))
            rows.append(f"{role}\t{ts(moment)}\t\\N\t{uid}\t{project['id']}")
            data = json.dumps({"role": role, "previous": None})
            audits.append(
                "\t".join(
                    (
                        ts(moment),
                        "scaleadmin",
                        "member.role_set",
                        project["key"],
                        names[uid],
                        esc(data),
                        "\\N",
                        "cli",
                        str(admin.pk),
                        str(project["id"]),
                    )
                )
            )
        members[project["id"]] = roles
    copy_rows(conn, "projects_membership", ("role", "created_at", "team_id", "user_id",
              "project_id"), rows)  # fmt: skip
    copy_rows(conn, "audit_auditentry", ("at", "actor_name", "action", "project_key", "target",
              "data", "ip", "via", "actor_id", "project_id"), audits)  # fmt: skip
    conn.commit()
    conn.close()

    # Labels, components, milestones (sprints of two weeks: 5 past and closed, the current
    # one, 2 ahead).
    sprint_end = (now + dt.timedelta(days=7)).date()
    for project in projects:
        pid = project["id"]
        labels = Label.objects.bulk_create(
            [Label(project_id=pid, name=n) for n in rng.sample(LABELS, 8)]
        )
        comps = Component.objects.bulk_create(
            [Component(project_id=pid, name=n) for n in rng.sample(COMPONENTS, 4)]
        )
        sprints = []
        for k in range(8):
            end = sprint_end + dt.timedelta(days=14 * (k - 5))
            sprints.append(Milestone(project_id=pid, name=f"Sprint {k + 1}",
                                     start_date=end - dt.timedelta(days=13), due_date=end,
                                     closed=k < 5))  # fmt: skip
        sprints = Milestone.objects.bulk_create(sprints)
        project["labels"] = [(x.pk, x.name) for x in labels]
        project["components"] = [(x.pk, x.name) for x in comps]
        project["milestones"] = [(m.pk, m.name, m.start_date, m.due_date) for m in sprints]
        states = Project.objects.get(pk=pid).workflow.states.all()
        project["states"] = {s.name.lower(): (s.pk, s.name, s.category) for s in states}
        roles = dict(members[pid])
        people = [uid for uid, _ in members[pid]]
        project["staff"] = [u for u in people if roles[u] in ("admin", "member")] or [admin.pk]
        project["writers"] = [u for u in people if roles[u] != "viewer"] or [admin.pk]
        project["members"] = len(people)
    connection.close()
    names[admin.pk] = admin.username
    return {"projects": projects, "names": names, "admin": admin.pk}


# --- issues --------------------------------------------------------------------------------


def plan_issues(world: dict[str, Any], args: argparse.Namespace, now: dt.datetime) -> list[Any]:
    """(created_at, project index) for every issue, in creation order: the issue's id is its
    position + 1, its number its position within the project."""
    rng = random.Random(args.seed + 1)
    span = YEARS * 365 * 86400
    start = now - dt.timedelta(seconds=span)
    plan = []
    for index, project in enumerate(world["projects"]):
        for _ in range(project["size"]):
            # more issues recently (a growing tracker): density rises linearly
            plan.append((math.sqrt(rng.random()) * span, index))
    plan.sort()
    numbers = [0] * len(world["projects"])
    out = []
    for seconds, index in plan:
        numbers[index] += 1
        out.append((start + dt.timedelta(seconds=seconds), index, numbers[index]))
    return out


class Chunk:
    """The rows of one chunk of issues, as COPY lines."""

    def __init__(self) -> None:
        self.issues: list[str] = []
        self.labels: list[str] = []
        self.components: list[str] = []
        self.comments: list[str] = []
        self.events: list[str] = []
        self.watches: list[str] = []
        self.search: list[str] = []


def _description(rng: random.Random, area: str, problem: str, trigger: str) -> str:
    parts = []
    for template in rng.sample(SENTENCES, rng.randint(2, 6)):
        parts.append(template.format(area=area, problem=problem, trigger=trigger,
                                     n=rng.randint(2, 120)))  # fmt: skip
    return " ".join(parts)


def make_issue(  # noqa: PLR0915 - one issue's whole story
    rng: random.Random,
    out: Chunk,
    ids: dict[str, int],
    issue_id: int,
    number: int,
    created: dt.datetime,
    project: dict[str, Any],
    names: dict[int, str],
    models: dict[str, Any],
    now: dt.datetime,
    comments_mean: float,
) -> None:
    from docket.issues.fields import PRIORITY_NAMES, SEVERITY_NAMES, snapshot
    from docket.issues.models import Issue
    from docket.issues.search_index import COMMENT_SEPARATOR

    kind = weighted(rng, TYPES)
    area, problem, trigger = rng.choice(AREAS), rng.choice(PROBLEMS), rng.choice(TRIGGERS)
    if kind in ("bug", "incident", "support"):
        title = f"{area.capitalize()} {problem} {trigger}"
    else:
        title = rng.choice(TASKS).format(x=area)
    description = _description(rng, area, problem, trigger)
    priority, severity = weighted(rng, PRIORITIES), weighted(rng, SEVERITIES)
    labels = sorted(
        rng.sample(project["labels"], weighted(rng, [(0, 35), (1, 35), (2, 20), (3, 10)])),
        key=lambda x: x[1],
    )
    comps = sorted(rng.sample(project["components"], weighted(rng, [(0, 40), (1, 50), (2, 10)])),
                   key=lambda x: x[1])  # fmt: skip
    reporter = skewed(rng, project["writers"])
    assignee = skewed(rng, project["staff"]) if rng.random() < 0.6 else None
    age = (now - created).total_seconds()
    p_done = min(0.9, 0.15 + 0.75 * age / (YEARS * 365 * 86400) + (0.2 if age > 60 * 86400 else 0))
    done = rng.random() < p_done
    path = weighted(rng, DONE_PATHS if done else OPEN_PATHS)
    # When it ends: done issues within ~2 months, open ones move now and then until today.
    life = min(age, rng.expovariate(1 / (20 * 86400)) + 3600) if done else age * rng.random()
    step_times = sorted(created + dt.timedelta(seconds=life * rng.random())
                        for _ in range(len(path) - 1))  # fmt: skip
    ended = step_times[-1] if step_times else created
    milestone = None
    sprints = project["milestones"]
    if done and rng.random() < 0.6:
        day = ended.date()
        milestone = next((m for m in sprints if m[2] <= day <= m[3]), None)
    elif not done:
        r = rng.random()
        milestone = sprints[5] if r < 0.35 else sprints[6] if r < 0.5 else None
    due = (created + dt.timedelta(days=rng.randint(3, 90))).date() if rng.random() < 0.2 else None
    # None confidential: a confidential issue is a 404 to the project's reporters, viewers
    # and outsiders, and the load run picks issue numbers at random.
    confidential = False
    # The story, in time order: status moves (the assignee takes it when work starts),
    # comments spread over the issue's life.
    actions: list[tuple[dt.datetime, int, str, Any]] = []
    current_assignee = assignee
    for when, target in zip(step_times, path[1:], strict=True):
        if target == "in progress" and current_assignee is None:
            current_assignee = skewed(rng, project["staff"])
            actions.append((when - dt.timedelta(minutes=5), 0, "assignee", current_assignee))
        actions.append((when, 1, "status", target))
    # floor of an exponential with mean m + 0.5 averages m (the Jira shape's 6 per issue)
    n_comments = (
        min(MAX_COMMENTS, int(rng.expovariate(1 / (comments_mean + 0.5)))) if comments_mean else 0
    )
    talk_end = min(now, ended + dt.timedelta(days=3)) if done else now
    talk_span = max(60.0, (talk_end - created).total_seconds())
    for _ in range(n_comments):
        when = created + dt.timedelta(seconds=60 + talk_span * rng.random() ** 1.5)
        author = current_assignee if current_assignee and rng.random() < 0.4 else reporter
        if rng.random() < 0.4:
            author = skewed(rng, project["writers"])
        body = rng.choice(COMMENTS)
        if rng.random() < 0.5:
            body += " " + rng.choice(SENTENCES).format(
                area=area, problem=problem, trigger=trigger, n=rng.randint(2, 99)
            )
        actions.append((min(when, now), 2, "comment", (author, body)))
    actions.sort(key=lambda a: (a[0], a[1]))

    # The issue as `create_issue` saw it: its `created` snapshot, in the field table's order
    # (checked against `issues.fields.snapshot` once per chunk: `check_snapshot`).
    state_rows = models["states"][project["id"]]
    created_event = {
        "title": title, "description": description, "type": kind,
        "severity": SEVERITY_NAMES[severity], "priority": PRIORITY_NAMES[priority],
        "status": "new", "resolution": None, "assignee": names[assignee] if assignee else None,
        "team": None, "due_date": due.isoformat() if due else None,
        "labels": [x[1] for x in labels], "components": [x[1] for x in comps],
        "milestone": milestone[1] if milestone else None, "confidential": confidential,
        "estimate": None, "parent": None,
    }  # fmt: skip
    if models.get("check"):
        models["check"] = False
        issue = Issue(
            id=issue_id, project=models["projects"][project["id"]], number=number, title=title,
            description=description, type=kind, severity=severity, priority=priority,
            status=state_rows["new"], resolution="", reporter=models["user"](reporter),
            assignee=models["user"](assignee) if assignee else None, due_date=due,
            milestone=models["milestones"][milestone[0]] if milestone else None,
            confidential=confidential, version=1, created_at=created, updated_at=created,
        )  # fmt: skip
        names_of = {"labels": created_event["labels"], "components": created_event["components"]}
        expected = snapshot(issue, names_of)
        if expected != created_event or list(expected) != list(created_event):
            raise SystemExit(f"created snapshot differs:\n{expected}\n{created_event}")
    # The milestone a sprint gets when planned: created into it for simplicity.
    version = 1
    iid = str(issue_id)
    ev = out.events
    ev.append(
        f"{ids['event']}\t{iid}\t{reporter}\tcreated\t\t\\N\t{jsonb(created_event)}\t\\N\t1\t{ts(created)}"
    )
    ids["event"] += 1
    watchers = {reporter: created}
    if assignee:
        watchers.setdefault(assignee, created)
    status, resolution, resolved_at, updated = "new", "", None, created
    texts = []
    for when, _, what, value in actions:
        if what == "assignee":
            version += 1
            actor = skewed(rng, project["staff"])
            old = names[assignee] if assignee else None
            ev.append(
                f"{ids['event']}\t{iid}\t{actor}\tchanged\tassignee\t{jsonb(old)}\t{jsonb(names[value])}\t\\N\t{version}\t{ts(when)}"
            )
            ids["event"] += 1
            assignee = value
            watchers.setdefault(value, when)
            updated = when
        elif what == "status":
            version += 1
            actor = assignee or skewed(rng, project["staff"])
            ev.append(
                f"{ids['event']}\t{iid}\t{actor}\tchanged\tstatus\t{jsonb(status)}\t{jsonb(value)}\t\\N\t{version}\t{ts(when)}"
            )
            ids["event"] += 1
            if value in DONE and status not in DONE:
                new_res = "won't fix" if path == ["new", "closed"] else "fixed"
                ev.append(
                    f"{ids['event']}\t{iid}\t{actor}\tchanged\tresolution\t\\N\t{jsonb(new_res)}\t\\N\t{version}\t{ts(when)}"
                )
                ids["event"] += 1
                resolution, resolved_at = new_res, when
            elif value not in DONE and status in DONE:
                ev.append(
                    f"{ids['event']}\t{iid}\t{actor}\tchanged\tresolution\t{jsonb(resolution)}\t\\N\t\\N\t{version}\t{ts(when)}"
                )
                ids["event"] += 1
                resolution, resolved_at = "", None
            status = value
            updated = when
        else:
            author, body = value
            cid = ids["comment"]
            ids["comment"] += 1
            out.comments.append(
                f"{cid}\t{iid}\t{author}\t{esc(body)}\t{ts(when)}\t{ts(when)}\t\\N\tf"
            )
            ev.append(
                f"{ids['event']}\t{iid}\t{author}\tcommented\t\t\\N\t{jsonb(body)}\t{cid}\t{version}\t{ts(when)}"
            )
            ids["event"] += 1
            watchers.setdefault(author, when)
            texts.append(body)
            updated = max(updated, when)
    final_state = state_rows[status]
    out.issues.append("\t".join((
        iid, str(project["id"]), str(number), esc(title), esc(description), kind, str(severity),
        str(priority), str(final_state.pk), esc(resolution), str(reporter), opt(assignee),
        opt(due.isoformat() if due else None), opt(milestone[0] if milestone else None),
        "t" if confidential else "f", "\\N", str(version), ts(created), ts(updated),
        ts(resolved_at), "\\N", "\\N", "", "\\N", "\\N",
    )))  # fmt: skip
    out.labels += [f"{iid}\t{x[0]}" for x in labels]
    out.components += [f"{iid}\t{x[0]}" for x in comps]
    out.watches += [f"{iid}\t{uid}\t{ts(at)}" for uid, at in watchers.items()]
    out.search.append(
        f"{iid}\t{esc(title)}\t{esc(description)}\t{esc(COMMENT_SEPARATOR.join(texts))}"
    )


ISSUE_COLUMNS = (
    "id", "project_id", "number", "title", "description", "type", "severity", "priority",
    "status_id", "resolution", "reporter_id", "assignee_id", "due_date", "milestone_id",
    "confidential", "team_id", "version", "created_at", "updated_at", "resolved_at",
    "deleted_at", "sla_due_at", "sla_state", "parent_id", "estimate",
)  # fmt: skip

_STATE: dict[str, Any] = {}


def _worker_init(world: dict[str, Any], plan: list[Any], args: argparse.Namespace,
                 url: str, now: dt.datetime) -> None:  # fmt: skip
    from docket.accounts.models import User
    from docket.projects.models import Milestone, Project, WorkflowState

    users: dict[int, Any] = {}

    def user(uid: int) -> Any:
        if uid not in users:
            users[uid] = User(id=uid, username=world["names"].get(uid, "scaleadmin"))
        return users[uid]

    models: dict[str, Any] = {"user": user, "projects": {}, "states": {}, "milestones": {}}
    for p in world["projects"]:
        models["projects"][p["id"]] = Project(id=p["id"], key=p["key"])
        models["states"][p["id"]] = {
            low: WorkflowState(id=pk, name=name, category=cat, workflow_id=p["workflow"])
            for low, (pk, name, cat) in p["states"].items()
        }
        for mid, name, _start, _due in p["milestones"]:
            models["milestones"][mid] = Milestone(id=mid, name=name, project_id=p["id"])
    _STATE.update(world=world, plan=plan, args=args, url=url, now=now, models=models)
    _STATE["conn"] = raw_connection(url)
    _STATE["text_table"] = search_text_table(_STATE["conn"])


def load_chunk(index: int) -> dict[str, int]:
    s = _STATE
    world, plan, args, now = s["world"], s["plan"], s["args"], s["now"]
    first = index * CHUNK
    rows = plan[first : first + CHUNK]
    rng = random.Random(args.seed * 1_000_003 + index)
    ids = {"comment": first * MAX_COMMENTS + 1, "event": first * MAX_EVENTS + 1}
    t0 = time.perf_counter()
    out = Chunk()
    s["models"]["check"] = True
    for offset, (created, pindex, number) in enumerate(rows):
        make_issue(rng, out, ids, first + offset + 1, number, created, world["projects"][pindex],
                   world["names"], s["models"], now, args.comments_per_issue)  # fmt: skip
    conn = s["conn"]
    t1 = time.perf_counter()
    copy_rows(conn, "issues_issue", ISSUE_COLUMNS, out.issues)
    copy_rows(conn, "issues_issue_labels", ("issue_id", "label_id"), out.labels)
    copy_rows(conn, "issues_issue_components", ("issue_id", "component_id"), out.components)
    copy_rows(conn, "issues_comment", ("id", "issue_id", "author_id", "body", "created_at",
              "updated_at", "deleted_at", "internal"), out.comments)  # fmt: skip
    copy_rows(conn, "issues_issueevent", ("id", "issue_id", "actor_id", "kind", "field", "old",
              "new", "comment_id", "version", "created_at"), out.events)  # fmt: skip
    copy_rows(conn, "issues_watch", ("issue_id", "user_id", "created_at"), out.watches)
    if s["text_table"]:  # the index keeps its own copy of the texts (before issues 0020)
        copy_rows(conn, s["text_table"], ("id", "title", "description", "comments"), out.search)
    conn.commit()
    t3 = time.perf_counter()
    return {
        "gen_s": t1 - t0, "copy_s": t3 - t1,
        "issues": len(out.issues), "comments": len(out.comments), "events": len(out.events),
        "watches": len(out.watches), "labels": len(out.labels),
        "max_comment": ids["comment"] - 1, "max_event": ids["event"] - 1,
    }  # fmt: skip


def search_text_table(conn: Any) -> str | None:
    """The full-text index's text table if it keeps one (a view instead reads the rows)."""
    from docket.issues.search_index import ISSUE_INDEX

    name = f"{ISSUE_INDEX.table}_text"
    kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = %s", [name]).fetchone()
    return name if kind and kind[0] == "r" else None


def _vectors(bounds: tuple[str, int, int]) -> float:
    """The tsvectors of issues lo..hi, by the PostgreSQL backend's own expression and from
    its own text source (query/search/postgres.py)."""
    from docket.issues.search_index import ISSUE_INDEX
    from docket.query.search.postgres import PUNCTUATION, SPACES, PostgresBackend

    url, lo, hi = bounds
    started = time.perf_counter()
    conn = raw_connection(url)
    backend = PostgresBackend(ISSUE_INDEX, None)
    texts = getattr(ISSUE_INDEX, "source", None) or f"{ISSUE_INDEX.table}_text"
    fields = ISSUE_INDEX.fields
    part = f"{p}, " if (p := getattr(ISSUE_INDEX, "partition", "")) else ""
    for table, source in ((ISSUE_INDEX.table, fields), (f"{ISSUE_INDEX.table}_head", fields[:1])):
        conn.execute(
            f"INSERT INTO {table} (id, {part}doc) SELECT id, {part}"  # noqa: S608
            f"{backend.vector_sql(source)} FROM {texts} WHERE id BETWEEN %s AND %s",
            [*[PUNCTUATION, SPACES] * len(source), lo, hi],
        )
    conn.commit()
    conn.close()
    return time.perf_counter() - started


# --- finishing -----------------------------------------------------------------------------


def drop_secondary_indexes(conn: Any) -> list[tuple[str, str]]:
    """Drop the indexes of the loaded tables that back no constraint; returns (table,
    definition) to recreate them."""
    rows = conn.execute(
        """SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                             WHERE c.conindid = (quote_ident(i.indexname))::regclass)""",
        [list(LOADED_TABLES)],
    ).fetchall()
    for _table, name, _definition in rows:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    return [(table, definition) for table, _name, definition in rows]


def _run_sql(args: tuple[str, str]) -> float:
    url, sql = args
    started = time.perf_counter()
    conn = raw_connection(url)
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 0")
    conn.execute(sql)
    conn.commit()
    conn.close()
    return time.perf_counter() - started


def run_parallel(url: str, statements: list[str], jobs: int) -> None:
    with mp.get_context("fork").Pool(jobs) as pool:
        for seconds, sql in zip(
            pool.imap(_run_sql, [(url, s) for s in statements]), statements, strict=True
        ):
            print(f"    {seconds:6.1f}s  {sql[:110]}", flush=True)


ROLLUP_ISSUE_COLUMNS = ("issue_id", "project_id", "state", "created_at", "due_date",
                        "resolved_at", "started_at", "lead_us", "cycle_us", "adds",
                        "confidential")  # fmt: skip


def _rollup_projects(job: tuple[str, list[int]]) -> tuple[int, int]:
    """The roll-ups of these projects' issues, counted as `reports.rollup.rebuild` counts them
    (`facts_of` over chunks of ids, `add_facts`), written by COPY. A project's tallies are
    its own (its confidential part's too, under -project_id), so processes given different
    projects never add to the same row."""
    from django.db import connection

    from docket.issues.models import Issue
    from docket.reports.rollup import CHUNK as ROLLUP_CHUNK
    from docket.reports.rollup import Workflow, add_facts, facts_of

    url, projects = job
    connection.close()
    workflow = Workflow.now()
    conn = raw_connection(url)
    counted = tally_rows = 0
    for project_id in projects:
        ids = list(
            Issue.objects.filter(project_id=project_id, deleted_at__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        tallies: dict[Any, list[int]] = {}
        lines = []
        for start in range(0, len(ids), ROLLUP_CHUNK):
            facts = facts_of(ids[start : start + ROLLUP_CHUNK], workflow)
            add_facts(tallies, facts.values())
            for f in facts.values():
                lines.append("\t".join((
                    str(f.issue_id), str(f.project_id), f.state, ts(f.created_at),
                    opt(f.due_date), ts(f.resolved_at), ts(f.started_at), opt(f.lead_us),
                    opt(f.cycle_us), jsonb(f.adds), "t" if f.confidential else "f",
                )))  # fmt: skip
        copy_rows(conn, "reports_rollupissue", ROLLUP_ISSUE_COLUMNS, lines)
        rows = [
            f"{p}\t{esc(d)}\t{esc(k)}\t{day.isoformat()}\t{n}\t{m}"
            for (p, d, k, day), (n, m) in tallies.items()
            if (n, m) != (0, 0)
        ]
        copy_rows(conn, "reports_rolluptally", ("project_id", "dim", "key", "day", "n", "minutes"),
                  rows)  # fmt: skip
        conn.commit()
        counted += len(lines)
        tally_rows += len(rows)
    conn.close()
    connection.close()
    return counted, tally_rows


def build_rollups(url: str, projects: list[int], jobs: int) -> tuple[int, int]:
    """`reports.rollup.rebuild` on an empty roll-up: the counting split over `jobs` processes
    by project, then the state and the consumer's cursor as `rebuild` leaves them."""
    from django.db import connection, transaction

    from docket.core.clock import now
    from docket.reports import rollup
    from docket.reports.models import RollupIssue, RollupState
    from docket.reports.rollup import NAME, Workflow
    from docket.worker.models import ConsumerCursor

    names = tuple(f.column for f in RollupIssue._meta.concrete_fields)
    if sorted(names) != sorted(ROLLUP_ISSUE_COLUMNS):
        raise SystemExit(f"reports_rollupissue has columns {names}: update ROLLUP_ISSUE_COLUMNS")
    position = rollup.covered_position()
    workflow = Workflow.now()
    connection.close()
    # Largest first, dealt round-robin into 4 piles per process.
    piles: list[list[int]] = [[] for _ in range(jobs * 4)]
    for n, project_id in enumerate(projects):
        piles[n % len(piles)].append(project_id)
    counted = tally_rows = 0
    with mp.get_context("fork").Pool(jobs) as pool:
        for issues, tallies in pool.imap_unordered(_rollup_projects, [(url, p) for p in piles]):
            counted += issues
            tally_rows += tallies
    with transaction.atomic():
        cursor, _ = ConsumerCursor.objects.select_for_update().get_or_create(
            name=NAME, defaults={"last_event_id": position, "updated_at": now()}
        )
        RollupState.objects.all().delete()
        RollupState.objects.create(
            signature=workflow.signature, built_at=now(), requested=workflow.signature
        )
        cursor.last_event_id = position
        cursor.updated_at = now()
        cursor.save(update_fields=["last_event_id", "updated_at"])
    return counted, tally_rows


def sizes(url: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url) as conn:
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        tables = conn.execute(
            """SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r'
               ORDER BY 2 DESC LIMIT 14"""
        ).fetchall()
    return {
        "database_bytes": database,
        "tables": {name: {"total_bytes": t, "heap_bytes": h} for name, t, h in tables},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "DOCKET_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/docket_scale"))  # fmt: skip
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--comments-per-issue", type=float, default=6.0)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--users", type=int, default=21_000)
    parser.add_argument("--jobs", type=int, default=2, help="loader processes")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--password", default=SCALE_PASSWORD, help="every user's password")
    parser.add_argument("--skip-vacuum", action="store_true")
    args = parser.parse_args(argv)
    url = args.database_url
    os.environ["DOCKET_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
    timings: dict[str, float] = {}
    began = time.perf_counter()
    mark = began

    def step(name: str) -> None:
        nonlocal mark
        timings[name] = round(time.perf_counter() - mark, 1)
        print(f"  {name}: {timings[name]}s (total {time.perf_counter() - began:.0f}s)",
              flush=True)  # fmt: skip
        mark = time.perf_counter()

    print(f"load average before: {os.getloadavg()}", flush=True)
    load_before = os.getloadavg()
    reset_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    step("migrate")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    world = build_world(args, url, now)
    step("users, projects, members")
    plan = plan_issues(world, args, now)
    step("plan")
    conn = raw_connection(url)
    text_table = search_text_table(conn)
    dropped = drop_secondary_indexes(conn)
    conn.close()  # no connection crosses a fork
    connections.close_all()
    chunks = math.ceil(len(plan) / CHUNK)
    totals = {"issues": 0, "comments": 0, "events": 0, "watches": 0, "labels": 0,
              "gen_s": 0.0, "copy_s": 0.0}  # fmt: skip
    max_comment = max_event = 0
    ctx = mp.get_context("fork")
    with ctx.Pool(args.jobs, initializer=_worker_init,
                  initargs=(world, plan, args, url, now)) as pool:  # fmt: skip
        for done, result in enumerate(pool.imap_unordered(load_chunk, range(chunks)), 1):
            for key in totals:
                totals[key] += result[key]
            max_comment = max(max_comment, result["max_comment"])
            max_event = max(max_event, result["max_event"])
            if done % 20 == 0 or done == chunks:
                rate = totals["issues"] / (time.perf_counter() - mark)
                print(f"    {totals['issues']:>9} issues  {totals['comments']:>9} comments  "
                      f"{totals['events']:>9} events  {rate:,.0f} issues/s  (generate "
                      f"{totals['gen_s']:.0f}s, COPY {totals['copy_s']:.0f}s over "
                      f"{args.jobs} processes)", flush=True)  # fmt: skip
    step("issues, comments, events, watchers (COPY)")
    conn = raw_connection(url)
    for table, last in (("issues_issue", len(plan)), ("issues_comment", max_comment),
                        ("issues_issueevent", max_event)):  # fmt: skip
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [max(1, last)])
    numbers: dict[int, int] = {}
    for _created, pindex, number in plan:
        numbers[pindex] = max(numbers.get(pindex, 0), number)
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE projects_project SET next_number = %s WHERE id = %s",
            [(numbers.get(i, 0) + 1, p["id"]) for i, p in enumerate(world["projects"])],
        )
    conn.commit()
    conn.close()
    # B-tree indexes first (the text view reads comments by issue), biggest first so the
    # processes finish together; then the tsvectors by id range; then their GIN indexes.
    order = ["issues_issueevent", "issues_comment", "issues_issue", "issues_watch"]
    search_tables = ("issue_search", "issue_search_head")
    btree = sorted((d for d in dropped if d[0] not in search_tables),
                   key=lambda td: order.index(td[0]) if td[0] in order else len(order))  # fmt: skip
    run_parallel(url, [definition for _table, definition in btree], args.jobs)
    step(f"secondary indexes ({len(btree)})")
    step_size = 20000
    ranges = [(url, lo, min(len(plan), lo + step_size - 1))
              for lo in range(1, len(plan) + 1, step_size)]  # fmt: skip
    with mp.get_context("fork").Pool(args.jobs) as pool:
        vector_seconds = sum(pool.imap_unordered(_vectors, ranges))
    step(f"full-text tsvectors ({vector_seconds:.0f}s over {args.jobs} processes)")
    run_parallel(url, [d for t, d in dropped if t in search_tables], args.jobs)
    step("full-text GIN indexes")
    conn = raw_connection(url)
    conn.execute("ANALYZE")
    conn.commit()
    step("analyze")
    conn.close()
    by_size = sorted(world["projects"], key=lambda p: -p["size"])
    counted, tally_rows = build_rollups(url, [p["id"] for p in by_size], args.jobs)
    step(f"dashboard roll-ups ({counted} issues, {tally_rows} tallies)")
    conn = raw_connection(url)
    conn.execute(
        "UPDATE worker_consumercursor SET last_event_id = %s, updated_at = now() WHERE name <> %s",
        [max_event, "reports"],
    )
    conn.commit()
    conn.close()
    if not args.skip_vacuum:
        tables = [
            "issues_issueevent",
            "issues_comment",
            "issue_search",
            "issues_issue",
            "issues_watch",
            "issue_search_head",
            "reports_rollupissue",
            "issues_issue_labels",
            "issues_issue_components",
            "reports_rolluptally",
        ]
        if text_table:  # the texts' own table (before issues 0020): a view since
            tables.append(text_table)
        vacuum = [f"VACUUM (ANALYZE) {t}" for t in tables]
        import psycopg

        with psycopg.connect(url, autocommit=True) as c:
            for sql in vacuum:
                t0 = time.perf_counter()
                c.execute(sql)
                print(f"    {time.perf_counter() - t0:6.1f}s  {sql}", flush=True)
        step("vacuum analyze")
    total = round(time.perf_counter() - began, 1)
    summary = {
        "issues": totals["issues"], "comments": totals["comments"], "events": totals["events"],
        "watches": totals["watches"], "issue_labels": totals["labels"],
        "chunk_seconds": {k: round(totals[k], 1) for k in ("gen_s", "copy_s")},
        "projects": args.projects, "users": args.users + 1,
        "internal_projects": sum(p["visibility"] == "internal" for p in world["projects"]),
        "memberships": sum(p["members"] for p in world["projects"]),
        "largest_project": max(p["size"] for p in world["projects"]),
        "smallest_project": min(p["size"] for p in world["projects"]),
        "seconds": total, "timings": timings, "load_before": load_before,
        "load_after": os.getloadavg(), "jobs": args.jobs, "seed": args.seed,
        "generated_at": now.isoformat(), **sizes(url),
    }  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"dataset-{args.issues}.json"
    path.write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "tables"}, indent=2))
    print(f"database size {summary['database_bytes'] / 1e9:.2f} GB; written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
