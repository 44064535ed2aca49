"""Links between issues (docs/api.md, "Links"): blocks / is blocked by, duplicates / is
duplicated by, relates to — across projects. One `IssueLink` row per link; the inverse is how
the same row reads from its target. Making or removing a link is an event on both issues.

Privacy: a link is shown, counted and queried only when the reader may see the issue at its
other end; its history event reads "an issue you cannot see" otherwise (web/views and the
API's history ask `hidden_keys`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import Combinable

from docket.accounts.actor import Who, account_of
from docket.core.clock import now
from docket.core.errors import Conflict, Invalid, NotFound
from docket.issues.access import get_issue_for, require_on_issue, visible_issues
from docket.issues.actions import transition
from docket.issues.events import record
from docket.issues.models import EventKind, Issue, IssueLink, LinkKind, Resolution
from docket.projects.access import Perm
from docket.projects.models import WorkflowState
from docket.projects.workflow_rules import Mover, available, rules_with_targets

# The kinds as the API names them, seen from one issue: (stored kind, this issue is source).
KINDS: dict[str, tuple[str, bool]] = {
    "blocks": (LinkKind.BLOCKS, True),
    "is_blocked_by": (LinkKind.BLOCKS, False),
    "duplicates": (LinkKind.DUPLICATES, True),
    "is_duplicated_by": (LinkKind.DUPLICATES, False),
    "relates_to": (LinkKind.RELATES, True),
}
LABELS = {
    "blocks": "blocks",
    "is_blocked_by": "is blocked by",
    "duplicates": "duplicates",
    "is_duplicated_by": "is duplicated by",
    "relates_to": "relates to",
}
MAX_LINKS = 200  # per issue: a page lists them all


def seen_from(link: IssueLink, issue_id: int) -> str:
    """The API kind of `link` as it reads from the issue `issue_id`."""
    if link.kind == LinkKind.RELATES:
        return "relates_to"
    outgoing = link.source_id == issue_id
    for name, (kind, is_source) in KINDS.items():
        if kind == link.kind and is_source == outgoing:
            return name
    raise AssertionError(link.kind)


@dataclass(frozen=True)
class LinkView:
    id: int
    kind: str
    other: Issue

    @property
    def label(self) -> str:
        return LABELS[self.kind]


# --- writing ----------------------------------------------------------------------------------


def _kind(value: Any) -> tuple[str, bool]:
    if not isinstance(value, str) or value not in KINDS:
        raise Invalid.field("kind", f"must be one of: {', '.join(KINDS)}")
    return KINDS[value]


@transaction.atomic
def link_issues(
    *, actor: Who, issue: Issue, kind: str, other: str, resolve_duplicate: bool = False
) -> IssueLink:
    """Link `issue` to the issue keyed `other` (`issue` <kind> `other`). The actor must be
    allowed to edit `issue` and to see `other` (a hidden one is the 404 of a missing key).
    With `resolve_duplicate` (kinds duplicates / is_duplicated_by), the duplicate also moves
    through a transition the actor may take to a done state, with resolution "duplicate"."""
    stored, outgoing = _kind(kind)
    require_on_issue(actor, issue, Perm.EDIT_ISSUE)
    if not isinstance(other, str):
        raise Invalid.field("issue", "must be an issue key like WEB-12")
    target = get_issue_for(actor, other.strip())
    if target.pk == issue.pk:
        raise Invalid.field("issue", "an issue cannot be linked to itself")
    if resolve_duplicate and stored != LinkKind.DUPLICATES:
        raise Invalid.field("resolve_duplicate", "applies only to duplicates / is_duplicated_by")
    source, dest = (issue, target) if outgoing else (target, issue)
    if _exists(source, dest, stored):
        raise Invalid.field("issue", f"{issue.key} already {LABELS[kind]} {target.key}")
    if IssueLink.objects.filter(Q(source=issue) | Q(target=issue)).count() >= MAX_LINKS:
        raise Invalid(f"{issue.key} has {MAX_LINKS} links already")
    moment = now()
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin is a 409, not a 500
            link = IssueLink.objects.create(
                source=source,
                target=dest,
                kind=stored,
                created_by=account_of(actor),
                created_at=moment,
            )
    except IntegrityError:
        raise Conflict(f"{issue.key} already {LABELS[kind]} {target.key}") from None
    _record_both(actor, link, EventKind.LINKED, moment)
    if resolve_duplicate:
        resolve_as_duplicate(actor, source)
    return link


def _exists(source: Issue, dest: Issue, kind: str) -> bool:
    if kind == LinkKind.RELATES:  # symmetric: either direction is the same link
        pair = Q(source=source, target=dest) | Q(source=dest, target=source)
        return IssueLink.objects.filter(pair, kind=kind).exists()
    return IssueLink.objects.filter(source=source, target=dest, kind=kind).exists()


@transaction.atomic
def unlink_issues(*, actor: Who, issue: Issue, link_id: int) -> None:
    """Remove a link of `issue` (404 if it has none with that id, or its other end is hidden
    from the actor, who must be allowed to edit `issue`)."""
    require_on_issue(actor, issue, Perm.EDIT_ISSUE)
    link = (
        IssueLink.objects.select_for_update(of=("self",))
        .select_related("source__project", "target__project")
        .filter(Q(source=issue) | Q(target=issue), pk=link_id)
        .first()
    )
    other = None if link is None else (link.target if link.source_id == issue.pk else link.source)
    if link is None or other is None or not visible_issues(actor).filter(pk=other.pk).exists():
        raise NotFound(f"no link {link_id} on {issue.key}")
    _record_both(actor, link, EventKind.UNLINKED, now())
    link.delete()


def _record_both(actor: Who, link: IssueLink, kind: str, moment: Any) -> None:
    """One event on each end: {"kind": as seen from that issue, "issue": the other's key}."""
    ends = Issue.objects.select_related("project").filter(pk__in=[link.source_id, link.target_id])
    by_id = {i.pk: i for i in ends}
    for here, there in ((link.source_id, link.target_id), (link.target_id, link.source_id)):
        value = {"kind": seen_from(link, here), "issue": by_id[there].key}
        data = {"new": value} if kind == EventKind.LINKED else {"old": value}
        record(by_id[here], actor, kind, moment, **data)
    Issue.objects.filter(pk__in=list(by_id)).update(updated_at=moment)


def resolve_as_duplicate(actor: Who, duplicate: Issue) -> None:
    """Move `duplicate` to a done state through the first transition the actor may take from
    its state, with resolution "duplicate" (422 if there is none; nothing is kept then)."""
    if duplicate.status.is_done:
        return
    rules, targets = rules_with_targets(duplicate.project.workflow_id)
    mover = Mover.of(actor, duplicate.project, duplicate.reporter_id)
    done = [r for r in available(rules, duplicate.status_id, mover) if targets[r.target].is_done]
    if not done:
        raise Invalid.field(
            "resolve_duplicate",
            f"no transition you may take moves {duplicate.key} from "
            f"{duplicate.status.name} to a done state",
        )
    state: WorkflowState = targets[done[0].target]
    transition(
        actor=actor,
        issue=duplicate,
        to=state.name,
        fields={"resolution": str(Resolution.DUPLICATE)},
    )


# --- reading ----------------------------------------------------------------------------------


def any_link(issue_id: Combinable) -> Exists:
    """Whether the issue (an OuterRef) has a link, whoever may see its other end."""
    return Exists(IssueLink.objects.filter(Q(source_id=issue_id) | Q(target_id=issue_id)))


def any_subtask(issue_id: Combinable) -> Exists:
    """Whether the issue (an OuterRef) has a sub-task, whoever may see it."""
    return Exists(Issue.objects.filter(parent_id=issue_id, deleted_at__isnull=True))


def links_of(viewer: Who, issue: Issue) -> list[LinkView]:
    """`issue`'s links whose other end `viewer` may see, in the order they were made, the other
    issue's project and status at hand (two queries)."""
    rows = list(
        IssueLink.objects.filter(Q(source=issue) | Q(target=issue)).order_by("id")[:MAX_LINKS]
    )
    others = {r.target_id if r.source_id == issue.pk else r.source_id for r in rows}
    if not others:
        return []
    seen = {
        i.pk: i
        for i in visible_issues(viewer).filter(pk__in=others).select_related("project", "status")
    }
    views = []
    for row in rows:
        other = row.target_id if row.source_id == issue.pk else row.source_id
        if other in seen:
            views.append(LinkView(row.pk, seen_from(row, issue.pk), seen[other]))
    return views


def seeable(viewer: Who | None) -> QuerySet[Issue]:
    """The issues `viewer` may see; every issue not deleted for a trusted caller (None)."""
    if viewer is None:
        return Issue.objects.filter(deleted_at__isnull=True)
    return visible_issues(viewer)


def blocking(blocked: QuerySet[Issue]) -> QuerySet[IssueLink]:
    """The links saying something blocks one of `blocked` (their sources are the blockers)."""
    return IssueLink.objects.filter(kind=LinkKind.BLOCKS, target__in=blocked)


def links_to(issues: QuerySet[Issue]) -> QuerySet[IssueLink]:
    return IssueLink.objects.filter(target__in=issues)


def links_from(issues: QuerySet[Issue]) -> QuerySet[IssueLink]:
    return IssueLink.objects.filter(source__in=issues)


def unresolved_blockers(viewer: Who | None) -> QuerySet[IssueLink]:
    """ "Is blocked by" links whose blocker is open and visible to `viewer`: what `is:blocked`
    and the Blocked badge count (a blocker the viewer cannot see does not block, for them)."""
    blockers = seeable(viewer).exclude(status__category=WorkflowState.Category.DONE)
    return IssueLink.objects.filter(kind=LinkKind.BLOCKS, source__in=blockers)


def blocked_annotation(viewer: Who | None) -> Exists:
    """`.annotate(blocked=blocked_annotation(viewer))` on an issue list: one subquery, no query
    per row."""
    return Exists(unresolved_blockers(viewer).filter(target=OuterRef("pk")))


def blocked_among(viewer: Who | None, issue_ids: list[int]) -> set[int]:
    """Which of these issues are blocked for `viewer` (the Blocked badge of a board)."""
    if not issue_ids:
        return set()
    links = IssueLink.objects.filter(kind=LinkKind.BLOCKS, target_id__in=issue_ids)
    pairs = list(links.values_list("source_id", "target_id"))
    blocking = _open_and_seen(viewer, {source for source, _ in pairs})
    return {target for source, target in pairs if source in blocking}


def mark_blocked(viewer: Who | None, issues: list[dict[str, Any]]) -> None:
    """Set `blocked` on API-shaped issue dicts (issues/queries.py's rows) of a list page."""
    keys = {(issue["project"], issue["number"]) for issue in issues}
    links = IssueLink.objects.filter(
        kind=LinkKind.BLOCKS,
        target__project__key__in={project for project, _ in keys},
        target__number__in={number for _, number in keys},
    )
    rows = list(links.values_list("source_id", "target__project__key", "target__number"))
    blocking = _open_and_seen(viewer, {source for source, _, _ in rows})
    blocked = {(key, number) for source, key, number in rows if source in blocking}
    for issue in issues:
        issue["blocked"] = (issue["project"], issue["number"]) in blocked


def _open_and_seen(viewer: Who | None, issue_ids: set[int]) -> set[int]:
    """Of these blockers, the open ones `viewer` may see. The Blocked badge reads the links
    to the page's issues first (a handful, by the target index) and gates only their
    blockers: gating first made the database build the set of every visible open issue
    (~55,000 at 100,000 issues: 55-100 ms a list page on SQLite)."""
    if not issue_ids:
        return set()
    blockers = seeable(viewer).exclude(status__category=WorkflowState.Category.DONE)
    return set(blockers.filter(pk__in=issue_ids).values_list("pk", flat=True))


def is_blocked(viewer: Who | None, issue: Issue) -> bool:
    return bool(blocked_among(viewer, [issue.pk]))  # links first, as for a list


def hidden_keys(viewer: Who, keys: set[str]) -> set[str]:
    """Of these issue keys (from link events), the ones `viewer` may not see (one query)."""
    wanted = Q()
    for key in keys:
        project, _, number = key.rpartition("-")
        if project and number.isdigit():
            wanted |= Q(project__key=project, number=int(number))
    if not wanted:
        return set(keys)
    visible = visible_issues(viewer).filter(wanted).values_list("project__key", "number")
    return keys - {f"{p}-{n}" for p, n in visible}


def mask_hidden(viewer: Who, events: list[dict[str, Any]]) -> None:
    """In history rows (`event_out`'s shape), blank each issue key `viewer` may not see: the
    other issue of a link event ({"kind": …, "issue": null} reads "an issue you cannot see")
    and a parent before or after a change (null). A parent change that then says nothing
    (every key in it hidden) is left out."""
    linked = [e for e in events if e["kind"] in (EventKind.LINKED, EventKind.UNLINKED)]
    parents = [e for e in events if e["kind"] == EventKind.CHANGED and e.get("field") == "parent"]
    keys = {
        value["issue"]
        for e in linked
        for value in (e["old"], e["new"])
        if isinstance(value, dict) and isinstance(value.get("issue"), str)
    } | {value for e in parents for value in (e["old"], e["new"]) if isinstance(value, str)}
    hidden = hidden_keys(viewer, keys) if keys else set()
    if not hidden:
        return
    for event in linked:
        for side in ("old", "new"):
            value = event[side]
            if isinstance(value, dict) and value.get("issue") in hidden:
                event[side] = {"kind": value.get("kind"), "issue": None}
    for event in parents:
        for side in ("old", "new"):
            if event[side] in hidden:
                event[side] = None
        if event["old"] is None and event["new"] is None:
            events.remove(event)


def mask_hidden_parents(viewer: Who, issues: list[dict[str, Any]]) -> None:
    """In API-shaped issues, a parent `viewer` may not see reads as none (a desk reporter's
    ticket under another customer's, a sub-task of a confidential issue, a shared issue)."""
    keys = {issue["parent"] for issue in issues if issue.get("parent")}
    hidden = hidden_keys(viewer, keys) if keys else set()
    for issue in issues:
        if issue.get("parent") in hidden:
            issue["parent"] = None
