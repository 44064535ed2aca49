"""The issue page's Links and Sub-tasks section (web/issue/links.html): links grouped by kind
with the other issue's key, title and status; the parent, and the children with their status
and progress. Only issues the reader may see are listed or counted (issues/links.py, the gate).
The forms post to issue_links.py.
"""

from __future__ import annotations

from typing import Any

from docket.accounts.actor import Actor
from docket.issues import links
from docket.issues.access import visible_issues
from docket.issues.links import KINDS, LABELS
from docket.issues.models import Issue

CHILDREN_SHOWN = 100  # the API's `parent:` query lists any number


def links_section(
    user: Actor,
    issue: Issue,
    editable: frozenset[str],
    *,
    linked: bool = True,
    subtasks: bool = True,
) -> dict[str, Any]:
    """The context of issue/links.html (and the header's Blocked badge). `linked`, `subtasks`:
    False when the caller knows the issue has no links, or no sub-tasks."""
    views = links.links_of(user, issue) if linked else []
    groups = [
        {"kind": kind, "label": LABELS[kind], "links": [v for v in views if v.kind == kind]}
        for kind in KINDS
    ]
    children = (
        list(
            visible_issues(user)
            .filter(parent=issue)
            .select_related("project", "status")
            .order_by("number")[:CHILDREN_SHOWN]
        )
        if subtasks
        else []
    )
    done = sum(1 for child in children if child.status.is_done)
    parent = None
    if issue.parent_id is not None:
        parent = visible_issues(user).filter(pk=issue.parent_id).select_related("status").first()
    return {
        "link_groups": [g for g in groups if g["links"]],
        "link_kinds": [(kind, LABELS[kind]) for kind in KINDS],
        # Whoever may edit the issue may link it and set its parent (the actions' own rules).
        "may_link": "priority" in editable,
        "blocked": any(v.kind == "is_blocked_by" and not v.other.status.is_done for v in views),
        "children": children,
        "children_done": done,
        "children_percent": round(100 * done / len(children)) if children else 0,
        "parent_issue": parent,
    }
