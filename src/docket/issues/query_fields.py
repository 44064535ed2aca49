"""The issue fields of the query language (see docs/query-language.md), and the two calls the
rest of Docket uses: `compile_issue_query` for lists and `issue_matches` for one issue.

Permissions are not applied here: filter `visible_issues(user)` with the compiled Q.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy

from docket.accounts.actor import Who
from docket.accounts.models import Team
from docket.core.clock import now as clock_now
from docket.issues import links
from docket.issues.access import ISSUE_KEY
from docket.issues.durations import parse_duration
from docket.issues.fields import FIELDS as ISSUE_FIELDS
from docket.issues.fields import (
    PRIORITY_BY_NAME,
    RESOLUTION_NAMES,
    SEVERITY_BY_NAME,
    TYPE_NAMES,
)
from docket.issues.models import Comment, CustomField, CustomValue, Issue, Mention, Watch
from docket.issues.search_index import ISSUE_TEXT
from docket.projects.access import visible_projects
from docket.projects.models import WorkflowState
from docket.projects.workflows import TEMPLATES
from docket.query import (
    And,
    CheckedQuery,
    Context,
    Field,
    Flag,
    Kind,
    Query,
    QueryError,
    Registry,
    Term,
    compile_query,
    evaluate,
    parse,
    validate,
)
from docket.query.checked import EMPTY, ME
from docket.query.fields import Narrow, Related

MAX_NUMBER = 2**31 - 1
SLA_STATES = (
    ("breached", "breached"), ("at-risk", "at_risk"), ("running", "running"),
    ("paused", "paused"), ("met", "met"),
)  # fmt: skip


# The rows behind the multi-valued fields (query/fields.Related: one subquery per field,
# however many terms name it).
LABELED = Related(lambda: Issue.labels.through.objects.all(), "issue_id")
IN_COMPONENT = Related(lambda: Issue.components.through.objects.all(), "issue_id")
# Internal notes are not searched (for anyone): as the full-text index (search_index.py).
COMMENTED = Related(
    lambda: Comment.objects.filter(deleted_at__isnull=True, internal=False), "issue_id"
)
WATCHED = Related(lambda: Watch.objects.all(), "issue_id")
MENTIONED = Related(lambda: Mention.objects.all(), "issue_id")  # deleted comments' rows are gone


def _in_projects(path: str) -> Narrow:
    """A label or component belongs to one project: `project:P label:bug` reads P's rows."""
    return Narrow("project", lambda keys: Q(**{f"{path}__in": [str(k).upper() for k in keys]}))


# Who is asking, while a query is validated: `status:` accepts (and suggests) only state
# names of workflows the viewer can see, so a private project's custom state names never
# show up in an error, a suggestion or as "this name exists". None = trusted internal caller.
_VIEWER: ContextVar[Who | None] = ContextVar("docket_query_viewer", default=None)
TEMPLATE_STATES = {name for t in TEMPLATES.values() for name, _, _ in t.states}


def _state_names() -> list[str]:
    return state_names(_VIEWER.get())


def state_names(viewer: Who | None) -> list[str]:
    """The state names `viewer` may know of (all of them for a trusted caller, None)."""
    states = WorkflowState.objects.all()
    if viewer is not None:
        states = states.filter(workflow__projects__in=visible_projects(viewer))
    return sorted(TEMPLATE_STATES | set(states.values_list("name", flat=True).distinct()))


def _parse_key(text: str) -> tuple[str, int]:
    match = ISSUE_KEY.fullmatch(text)
    if not match or int(match.group(2)) > MAX_NUMBER:
        raise ValueError(f"'{text}' is not an issue key like WEB-12")
    return match.group(1).upper(), int(match.group(2))


def _key_q(op: str, key: tuple[str, int], ctx: Context) -> Q:
    return Q(project__key=key[0], number=key[1])


def _key_test(issue: Issue, op: str, key: tuple[str, int], ctx: Context) -> bool:
    return (issue.project.key, issue.number) == key


def _keyed(key: tuple[str, int], ctx: Context) -> QuerySet[Issue]:
    """The issue with this key, if the viewer may see it (a subquery)."""
    return links.seeable(ctx.viewer).filter(project__key=key[0], number=key[1])


def _blocks_q(op: str, key: tuple[str, int], ctx: Context) -> Q:
    return Q(pk__in=links.blocking(_keyed(key, ctx)).values("source_id"))


def _blocks_test(issue: Issue, op: str, key: tuple[str, int], ctx: Context) -> bool:
    return links.blocking(_keyed(key, ctx)).filter(source_id=issue.pk).exists()


def _linked_q(op: str, key: tuple[str, int], ctx: Context) -> Q:
    other = _keyed(key, ctx)
    return Q(pk__in=links.links_to(other).values("source_id")) | Q(
        pk__in=links.links_from(other).values("target_id")
    )


def _linked_test(issue: Issue, op: str, key: tuple[str, int], ctx: Context) -> bool:
    other = _keyed(key, ctx)
    return (
        links.links_to(other).filter(source_id=issue.pk).exists()
        or links.links_from(other).filter(target_id=issue.pk).exists()
    )


def _blocked_q(op: str, operand: Any, ctx: Context) -> Q:
    blocked = Q(pk__in=links.unresolved_blockers(ctx.viewer).values("target_id"))
    return blocked if operand else ~blocked


def _blocked_test(issue: Issue, op: str, operand: Any, ctx: Context) -> bool:
    return links.is_blocked(ctx.viewer, issue) == bool(operand)


def _parent_q(op: str, operand: Any, ctx: Context) -> Q:
    if operand is EMPTY:
        return Q(parent__isnull=True)
    return Q(parent__in=_keyed(operand, ctx))


def _parent_test(issue: Issue, op: str, operand: Any, ctx: Context) -> bool:
    if operand is EMPTY:
        return issue.parent_id is None
    return issue.parent_id is not None and _keyed(operand, ctx).filter(pk=issue.parent_id).exists()


# --- custom fields: `cf.<name>` (issues/custom_fields.py) ---------------------------------
# A name means the fields of that name in the projects the viewer can see; their values are
# rows of CustomValue, so a term is one `pk IN (SELECT issue_id …)` on its typed index, and
# the terms of one field in an AND or OR gather into one subquery as labels' do.
CUSTOM_PREFIX = "cf."
CUSTOM_KINDS = {  # field type -> (query kind, CustomValue column compared)
    "text": (Kind.TEXT, "text"),
    "select": (Kind.NAME, "text"),
    "multi_select": (Kind.NAME, "text"),
    "number": (Kind.NUMBER, "number"),
    "date": (Kind.DATE, "date"),
    "user": (Kind.USER, "user__username"),
}
# The fields made while one query is checked: `cf.x:a cf.x:b` must be one Field to gather.
_CUSTOM: ContextVar[dict[str, Field] | None] = ContextVar("docket_query_custom", default=None)


def _custom_field(name: str) -> Field | None:
    """The query field `cf.<name>`; ValueError naming it if no visible project has it."""
    if not name.startswith(CUSTOM_PREFIX):
        return None
    made = _CUSTOM.get()
    if made is not None and name in made:
        return made[name]
    field = _make_custom(name)
    if made is not None:
        made[name] = field
    return field


def _make_custom(name: str) -> Field:
    short = name[len(CUSTOM_PREFIX) :]
    viewer = _VIEWER.get()
    definitions = CustomField.objects.filter(name=short)
    if viewer is not None:
        definitions = definitions.filter(project__in=visible_projects(viewer))
    types = sorted(set(definitions.values_list("type", flat=True)))
    if not types:
        raise ValueError(f"unknown custom field '{name}'")
    kinds = {CUSTOM_KINDS[t] for t in types}
    if len(kinds) > 1:
        raise ValueError(f"custom field '{name}' has different types in different projects")
    kind, column = kinds.pop()
    rows = Related(
        lambda: CustomValue.objects.filter(field__name=short, field__type__in=types), "issue_id"
    )

    def values(issue: Issue) -> list[Any]:
        found = CustomValue.objects.filter(issue_id=issue.pk, field__name=short)
        return list(found.filter(field__type__in=types).values_list(column, flat=True))

    first = (
        CustomValue.objects.filter(issue_id=OuterRef("pk"), field__name=short)
        .filter(field__type__in=types)
        .order_by(column)
        .values(column)[:1]
    )
    return Field(
        name, kind, column, values, nullable=True, within=rows.within,
        within_all=rows.within_all, sort=(Subquery(first),),
    )  # fmt: skip


def _username(user: Who) -> str | None:
    return user.username if user is not None else None


# `assignee:team:sre`: the issues on a team's plate — routed to the team (`team:sre`) or
# assigned to someone who is a member of it now (whatever the issue's team). The team and its
# members are read when the query is compiled (one indexed lookup per such term), so the SQL
# compares two columns of the issue with constants: no join, no subquery, however many terms.
TEAM_PREFIX = "team:"


@dataclass(frozen=True)
class TeamRef:
    slug: str


def _assignee_value(word: str) -> str | TeamRef:
    if word[: len(TEAM_PREFIX)].lower() != TEAM_PREFIX:
        return word
    slug = word[len(TEAM_PREFIX) :].strip()
    if not slug:
        raise ValueError("give a team after 'team:', like assignee:team:sre")
    return TeamRef(slug.lower())


def _team_and_members(slug: str) -> tuple[int | None, list[int]]:
    """The team's id (None: no such team) and its members' ids, in one query."""
    rows = list(Team.objects.filter(slug=slug).values_list("id", "members"))
    if not rows:
        return None, []
    return rows[0][0], [user for _, user in rows if user is not None]


def _assignee_q(op: str, operand: Any, ctx: Context) -> Q:
    if operand is EMPTY:
        return Q(assignee__isnull=True)
    if isinstance(operand, TeamRef):
        team, members = _team_and_members(operand.slug)
        if team is None:
            return Q(pk__in=[])
        return Q(team_id=team) | Q(assignee_id__in=members)
    username = ctx.me if operand is ME else operand
    if username is None:  # @me, nobody signed in
        return Q(pk__in=[])
    return Q(assignee__username=username, assignee__isnull=False)


def _assignee_test(issue: Issue, op: str, operand: Any, ctx: Context) -> bool:
    if operand is EMPTY:
        return issue.assignee_id is None
    if isinstance(operand, TeamRef):
        if issue.team is not None and issue.team.slug == operand.slug:
            return True
        return issue.assignee_id is not None and (
            Team.members.through.objects.filter(
                team__slug=operand.slug, user_id=issue.assignee_id
            ).exists()
        )
    username = ctx.me if operand is ME else operand
    return (
        username is not None
        and issue.assignee is not None
        and (issue.assignee.username == username)
    )


def _column(name: str) -> str:
    """The issue column a field of the field table is compared on (fields.py)."""
    return ISSUE_FIELDS[name].column


def _choices(names: dict[str, Any] | tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """(name, stored value) pairs of an enum field of the field table, in its order."""
    if isinstance(names, dict):
        return tuple(names.items())
    return tuple((name, name) for name in names)


# The field table's fields first (same names, columns and choices), then what only queries see.
FIELDS = (
    Field("title", Kind.TEXT, _column("title"), lambda i: i.title, sort=("title",)),
    Field("description", Kind.TEXT, _column("description"), lambda i: i.description),
    Field("type", Kind.ENUM, _column("type"), lambda i: i.type, values=_choices(TYPE_NAMES)),
    Field(
        "severity", Kind.ENUM, _column("severity"), lambda i: i.severity,
        values=_choices(SEVERITY_BY_NAME), ordered=True, sort=("severity",),
    ),
    Field(
        "priority", Kind.ENUM, _column("priority"), lambda i: i.priority,
        values=_choices(PRIORITY_BY_NAME), ordered=True, sort=("priority",),
    ),
    Field(
        "status", Kind.NAME, _column("status"), lambda i: i.status.name,
        known=_state_names, sort=("status__order",),
    ),
    Field(
        "category", Kind.ENUM, "status__category", lambda i: i.status.category,
        values=tuple((c.value, c.value) for c in WorkflowState.Category),
    ),
    Field(
        "resolution", Kind.ENUM, _column("resolution"), lambda i: i.resolution,
        values=_choices(RESOLUTION_NAMES), nullable=True, empty_value="",
    ),
    Field(
        "reporter", Kind.USER, "reporter__username", lambda i: i.reporter.username,
        sort=("reporter__username",),
    ),
    Field(
        "assignee", Kind.USER, _column("assignee"), lambda i: _username(i.assignee),
        nullable=True, sort=("assignee__username",), parse_value=_assignee_value,
        compile=_assignee_q, test=_assignee_test,
    ),
    Field(
        "team", Kind.NAME, _column("team"), lambda i: i.team.slug if i.team_id else None,
        nullable=True, empty_path="team", sort=("team__slug",),
    ),
    Field(
        "due", Kind.DATE, _column("due_date"), lambda i: i.due_date,
        aliases=("due_date",), nullable=True, sort=("due_date",),
    ),
    Field(
        "labels", Kind.NAME, "label__name", lambda i: [x.name for x in i.labels.all()],
        aliases=("label",), nullable=True, within=LABELED.within, within_all=LABELED.within_all,
        narrow=_in_projects("label__project__key"),
    ),
    Field(
        "components", Kind.NAME, "component__name",
        lambda i: [x.name for x in i.components.all()],
        aliases=("component",), nullable=True,
        within=IN_COMPONENT.within, within_all=IN_COMPONENT.within_all,
        narrow=_in_projects("component__project__key"),
    ),
    Field(
        "milestone", Kind.NAME, _column("milestone"),
        lambda i: i.milestone.name if i.milestone_id else None,
        nullable=True, empty_path="milestone", sort=("milestone__name",),
    ),
    Field("confidential", Kind.BOOL, _column("confidential"), lambda i: i.confidential),
    Field(
        "estimate", Kind.NUMBER, _column("estimate"), lambda i: i.estimate, nullable=True,
        sort=("estimate",), parse_value=parse_duration,
        help="estimate:>2h, estimate:<=90 (minutes), estimate:none",
    ),
    Field("created", Kind.DATETIME, "created_at", lambda i: i.created_at, sort=("created_at",)),
    Field("updated", Kind.DATETIME, "updated_at", lambda i: i.updated_at, sort=("updated_at",)),
    Field(
        "resolved", Kind.DATETIME, "resolved_at", lambda i: i.resolved_at,
        nullable=True, sort=("resolved_at",),
    ),
    Field(
        "project", Kind.NAME, "project__key", lambda i: i.project.key, sort=("project__key",)
    ),
    Field(
        "key", Kind.NAME, parse_value=_parse_key, compile=_key_q, test=_key_test,
        sort=("project__key", "number"),
    ),
    Field("text", Kind.SEARCH),
    Field(
        "comment", Kind.SEARCH, "body",
        lambda i: [c.body for c in i.comments.all() if c.deleted_at is None and not c.internal],
        aliases=("comments",), nullable=True, searches=("comments",),
        within=COMMENTED.within, within_all=COMMENTED.within_all,
    ),
    Field(
        "watcher", Kind.USER, "user__username",
        lambda i: [w.user.username for w in i.watches.all()],
        aliases=("watchers",), nullable=True, within=WATCHED.within, within_all=WATCHED.within_all,
    ),
    Field(
        "mentions", Kind.USER, "user__username",
        lambda i: sorted({m.user.username for m in i.mentions.all()}),
        aliases=("mention",), nullable=True,
        within=MENTIONED.within, within_all=MENTIONED.within_all,
    ),
    # The SLA summary the sla app keeps on each issue (issues/sla_summary.py, docs/sla.md):
    # `sla:breached`, `sla:at-risk`; `sort:sla` puts the nearest deadline first.
    Field(
        "sla", Kind.ENUM, "sla_state", lambda i: i.sla_state, values=SLA_STATES,
        nullable=True, empty_value="", sort=("sla_due_at",),
    ),
    # Links and sub-tasks (issues/links.py): only issues the viewer may see count, at either
    # end. Each term is one `IN (SELECT …)` on the link table's indexes, the key resolved in it.
    Field(
        "blocks", Kind.NAME, parse_value=_parse_key, compile=_blocks_q, test=_blocks_test,
        help="blocks:WEB-12: the issues that block WEB-12",
    ),
    Field(
        "linked", Kind.NAME, parse_value=_parse_key, compile=_linked_q, test=_linked_test,
        help="linked:WEB-12: the issues linked to WEB-12 in any way",
    ),
    Field(
        "blocked", Kind.BOOL, compile=_blocked_q, test=_blocked_test,
        help="blocked:true (is:blocked): an open blocker the viewer may see",
    ),
    Field(
        "parent", Kind.NAME, _column("parent"), parse_value=_parse_key, compile=_parent_q,
        test=_parent_test, nullable=True,
        help="parent:WEB-12: its sub-tasks (one level); parent:none",
    ),
)  # fmt: skip

FLAGS = (
    Flag("open", "-category:done", "status is not in a done category"),
    Flag("blocked", "blocked:true", "blocked by an open issue you may see"),
    Flag("closed", "category:done", "status is in a done category"),
    Flag("overdue", "due:<today is:open", "open, and due before today"),
    Flag("unassigned", "assignee:none"),
    Flag("confidential", "confidential:true"),
)

ISSUE_QUERY = Registry(
    FIELDS,
    flags=FLAGS,
    search=ISSUE_TEXT,  # the full-text index (search_index.py)
    default_sort=(("created", True),),
    dynamic=_custom_field,
)


def issue_context(user: Who, now: dt.datetime | None = None) -> Context:
    me = user.username if user is not None and user.is_authenticated else None
    return Context(now=now or clock_now(), me=me, viewer=user)


def check_issue_query(query: str | Query, viewer: Who | None = None) -> CheckedQuery:
    """Parse (if text) and validate once; keep the result to compile or evaluate many times.
    Pass the `viewer` whenever the query comes from a user (it limits what errors reveal)."""
    token = _VIEWER.set(viewer)
    made = _CUSTOM.set({})
    try:
        return validate(parse(query) if isinstance(query, str) else query, ISSUE_QUERY)
    finally:
        _CUSTOM.reset(made)
        _VIEWER.reset(token)


def compile_issue_query(
    text: str, user: Who, *, now: dt.datetime | None = None
) -> tuple[Q, list[OrderBy]]:
    """`visible_issues(user).filter(q).order_by(*ordering)`. Raises QueryError."""
    return compile_query(check_issue_query(text, user), issue_context(user, now))


def projects_required(text: str) -> list[str]:
    """The project keys every match of the query must be in (a `project:` term the whole
    query is ANDed with), upper case; [] when it can be in any. For the lists' gate
    (`queries.filtered_issues`). The query is checked when compiled, not here."""
    try:
        where = parse(text).where
    except QueryError:
        return []
    terms = where.children if isinstance(where, And) else (where,)
    for term in terms:
        if isinstance(term, Term) and term.name.lower() == "project" and term.op == ":":
            keys = [v.text.upper() for v in term.values]
            if keys and all(v.quoted or v.text.lower() != "none" for v in term.values):
                return keys
    return []


def issue_matches(
    query: str | Query | CheckedQuery, issue: Issue, user: Who, *, now: dt.datetime | None = None
) -> bool:
    """Whether one issue matches, in memory (labels, components and comments are read through
    the issue, so prefetch them when testing many). Raises QueryError."""
    checked = query if isinstance(query, CheckedQuery) else check_issue_query(query, user)
    return evaluate(checked, issue, issue_context(user, now))


def issues_for_evaluation(issue_ids: Iterable[int]) -> dict[int, Issue]:
    """The issues as they are now, with what the in-memory evaluator reads (labels,
    components, watchers, mentions) loaded in one go, by id; deleted ones are left out. For
    automation conditions and webhook filters, which evaluate queries against one issue."""
    found = (
        Issue.objects.filter(pk__in=list(issue_ids), deleted_at__isnull=True)
        .select_related(
            "project", "project__workflow", "status", "reporter", "assignee", "milestone"
        )
        .prefetch_related(
            "labels",
            "components",
            Prefetch("watches", queryset=Watch.objects.select_related("user")),
            "mentions__user",
        )  # fmt: skip
    )
    return {issue.pk: issue for issue in found}
