"""Does each prepared read (core/prepared.py) still pay? In-process, on an existing database.

Times every public read built on a `Prepared` query twice in the same run: as it is, and with
`Prepared.rows` swapped for `Prepared.plain_rows` (the same queryset through the ORM, compiled
on every call: what the read would cost without core/prepared.py). Everything around the
query (loading rows into models, merging the timeline) is the same in both.

    DOCKET_DATA_DIR=/path/with/docket.sqlite3 python bench/prepared_reads.py
    DOCKET_DATABASE_URL=postgres://... python bench/prepared_reads.py

Use a database loaded by `docket import` (bench/README.md): the reads pick the user with the
most memberships and the issue with the most comments.
"""

from __future__ import annotations

import argparse
import os
import statistics
import timeit
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore  # noqa: E402
from django.db.models import Count  # noqa: E402

from docket.accounts.models import User  # noqa: E402
from docket.accounts.sessions import SessionStore  # noqa: E402
from docket.core.prepared import Prepared  # noqa: E402
from docket.issues.access import issue_by_key  # noqa: E402
from docket.issues.models import Comment, Issue, Label  # noqa: E402
from docket.issues.relations import ProjectRelations, initial_state  # noqa: E402
from docket.issues.timeline import timeline_page  # noqa: E402
from docket.issues.watching import watch_state  # noqa: E402
from docket.live.changes import newest_event_id  # noqa: E402
from docket.notifications.preferences import muted  # noqa: E402
from docket.notifications.queries import unread_count  # noqa: E402
from docket.projects import access  # noqa: E402
from docket.projects.workflow_rules import rules_of, rules_with_targets, states_of  # noqa: E402
from docket.web.views.issue_page import sections_of  # noqa: E402


def reads() -> dict[str, Callable[[], Any]]:
    user = User.objects.annotate(n=Count("memberships")).order_by("-n", "id").first()
    busiest = Comment.objects.values("issue_id").annotate(n=Count("id")).order_by("-n").first()
    if user is None or busiest is None:
        raise SystemExit("no comments: load a tracker with `docket import` first")
    issue = Issue.objects.select_related("project").get(pk=busiest["issue_id"])
    project = issue.project
    print(
        f"{user.username} (in {len(access.project_roles(user))} projects); {issue.key}:"
        f" {busiest['n']} comments, {issue.events.count()} events, {issue.watches.count()} watchers"
    )
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session.create()
    key = session.session_key

    def roles() -> Any:
        access.forget_roles(user)  # the roles are cached for one request: read them anew
        return access.project_roles(user)

    names = ProjectRelations(project)
    label = Label.objects.filter(project=project).values_list("name", flat=True).first()
    component = project.components.values_list("name", flat=True).first()
    milestone = project.milestones.values_list("name", flat=True).first()

    def create_names() -> Any:
        """What a create looks up by name (issues/relations.py), as the bench's bodies have."""
        return (
            initial_state(project),
            names.assignee(user.username),
            names.labels([label] if label else []),
            names.components([component] if component else []),
            names.milestone(milestone) if milestone else None,
        )

    return {
        "create's names (issues/relations.py)": create_names,
        "session (accounts/sessions.py)": lambda: SessionStore(key).load(),
        "project roles (projects/access.py)": roles,
        "project by key (projects/access.py)": lambda: access.project_by_key(project.key),
        "issue by key (issues/access.py)": lambda: issue_by_key(project.key, issue.number),
        "workflow states (workflow_rules.states_of)": lambda: states_of(project.workflow_id),
        "transition rules (workflow_rules.rules_of)": lambda: rules_of(project.workflow_id),
        "rules and targets (workflow_rules.rules_with_targets)": lambda: rules_with_targets(
            project.workflow_id
        ),
        "timeline's first page (issues/timeline.py)": lambda: timeline_page(user, issue, limit=50),
        "watchers (issues/watching.py)": lambda: watch_state(user, issue),
        "unread notifications (notifications/queries.py)": lambda: unread_count(user),
        "mutes (notifications/preferences.muted)": lambda: muted(user, issue),
        "newest event (live/changes.newest_event_id)": newest_event_id,
        "issue page sections (web/views/issue_page.sections_of)": lambda: sections_of(issue),
        "(Django's own session store, for reference)": lambda: DjangoSessionStore(key).load(),
    }


def per_call_ms(read: Callable[[], Any], number: int, plain: bool) -> float:
    """Milliseconds per call over `number` calls, prepared or through the ORM."""
    Prepared.rows = Prepared.plain_rows if plain else PREPARED_ROWS  # type: ignore[method-assign]
    try:
        return timeit.timeit(read, number=number) / number * 1000
    finally:
        Prepared.rows = PREPARED_ROWS  # type: ignore[method-assign]


PREPARED_ROWS = Prepared.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=300, help="calls per run")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each, taken in turns")
    args = parser.parse_args()
    measured = reads()
    print(f"{'read':56} {'prepared ms':>16} {'plain ORM ms':>16} {'ratio':>6}")
    for name, read in measured.items():
        for plain in (False, True):
            per_call_ms(read, 1, plain)  # warm: compiles the prepared plans
        # In turns, so a busy moment on the machine weighs on both sides alike.
        fast, slow = [], []
        for _ in range(args.repeat):
            fast.append(per_call_ms(read, args.number, plain=False))
            slow.append(per_call_ms(read, args.number, plain=True))
        print(
            f"{name:56} {min(fast):7.3f} ({statistics.median(fast):6.3f})"
            f" {min(slow):7.3f} ({statistics.median(slow):6.3f})"
            f" {min(slow) / min(fast):5.1f}x"
        )
    print("best of runs (median in brackets); ratio = plain / prepared, best against best")


if __name__ == "__main__":
    main()
