"""The board: a project's issues that a person may see, one column per workflow state.

Bounded at any size: ONE query reads the cards of every column (see `column_rows`), each
column walking the (project, status, priority, id) index and stopping after `per_column` rows
(by priority, newest first); ONE more counts each column, stopping at COUNT_CAP ("+N more";
a column holding more shows "COUNT_CAP+"). Then one query for the cards' labels and one for
the workflow's transitions, whatever the number of issues. (An exact COUNT over 100,000 rows
cost ~120 ms on SQLite; see docs/web.md.)

Which moves a card offers comes from the workflow rule engine (projects/workflow_rules.py),
the same one the `transition` action obeys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections
from django.db.models import QuerySet

from docket.accounts.actor import Who
from docket.issues import links
from docket.issues.access import visible_in
from docket.issues.capped import SENTINEL, capped_counts, per_value
from docket.issues.fields import priority_name
from docket.issues.models import Issue, Label
from docket.issues.query_fields import compile_issue_query
from docket.projects.access import role_in
from docket.projects.models import Project, WorkflowState
from docket.projects.workflow_rules import Mover, available, rules_of, states_of

PER_COLUMN = 50
COUNT_CAP = 200
LANES = ("assignee", "priority")
_CARD_FIELDS = (
    "id",
    "number",
    "title",
    "priority",
    "version",
    "reporter_id",
    "confidential",
    "assignee__username",
    "sla_state",
    "sla_due_at",
)


@dataclass
class Card:
    id: int
    key: str
    title: str
    priority: str
    assignee: str | None
    version: int
    confidential: bool
    labels: list[tuple[str, str]] = field(default_factory=list)  # (name, colour)
    # The SLA summary (issues/sla_summary.py): the worst state, the nearest deadline.
    sla_state: str = ""
    sla_due_at: dt.datetime | None = None
    moves: list[str] = field(default_factory=list)  # statuses this person may move it to
    blocked: bool = False  # an open blocker the viewer may see (issues/links.py)


@dataclass
class Column:
    state: WorkflowState
    cards: list[Card]
    count: int  # matching issues in the state, up to `capped`
    capped: bool  # more than COUNT_CAP: `count` is a lower bound

    @property
    def status(self) -> str:
        return self.state.name.lower()

    @property
    def more(self) -> int:
        return self.count - len(self.cards)

    @property
    def wip_limit(self) -> int | None:
        return self.state.wip_limit

    @property
    def over_limit(self) -> bool:
        return self.state.wip_limit is not None and self.count > self.state.wip_limit


@dataclass
class Lane:
    title: str | None  # None: the board has no lanes
    cells: list[tuple[Column, list[Card]]]  # each column with this lane's cards in it

    @property
    def size(self) -> int:
        return sum(len(cards) for _, cards in self.cells)


@dataclass
class Board:
    project: Project
    columns: list[Column]
    lanes: list[Lane]
    can_move: bool  # the person may move at least some cards


def build_board(
    user: Who, project: Project, *, query: str = "", lanes: str | None = None,
    per_column: int = PER_COLUMN,
) -> Board:  # fmt: skip
    """The board of `project` (visible to `user`, as checked by the caller) filtered by a
    query in the query language (raises QueryError). `lanes`: None, "assignee" or "priority";
    lanes group the cards each column shows."""
    where, _ = compile_issue_query(query, user)  # the board has its own order
    issues = visible_in(user, [project.pk]).filter(where)
    states = states_of(project.workflow_id)
    rules = rules_of(project.workflow_id)
    role = role_in(user, project)
    names = {state.id: state.name.lower() for state in states}
    moves: dict[tuple[int, bool], list[str]] = {}  # (state, reported it) -> where to

    def moves_from(state_id: int, reported: bool) -> list[str]:
        found = moves.get((state_id, reported))
        if found is None:
            rules_here = available(rules, state_id, Mover(role=role, reported=reported))
            targets = {r.target for r in rules_here}
            found = moves[(state_id, reported)] = [names[t] for t in names if t in targets]
        return found

    me = user.id if user.is_authenticated else None
    caps = {state.id: max(COUNT_CAP, per_column, state.wip_limit or 0) for state in states}
    state_ids = [state.id for state in states]
    by_state = column_rows(issues, state_ids, per_column)
    counts = column_counts(issues, state_ids, max(caps.values(), default=0) + 1)
    columns = []
    for state in states:
        cap, rows, count = caps[state.id], by_state[state.id], counts[state.id]
        cards = []
        for row in rows:
            pk, number, title, priority, version, reporter_id, confidential, assignee = row[:8]
            card = Card(
                id=pk,
                key=f"{project.key}-{number}",
                title=title,
                priority=priority_name(priority),
                assignee=assignee,
                version=version,
                confidential=bool(confidential),
                moves=moves_from(state.id, reporter_id == me),
                sla_state=row[8] or "",
                sla_due_at=_moment(row[9]),
            )
            cards.append(card)
        columns.append(Column(state=state, cards=cards, count=min(count, cap), capped=count > cap))
    _attach_labels([card for column in columns for card in column.cards])
    all_cards = [card for column in columns for card in column.cards]
    blocked = links.blocked_among(user, [card.id for card in all_cards])  # one query
    for card in all_cards:
        card.blocked = card.id in blocked
    return Board(
        project=project,
        columns=columns,
        lanes=_lanes(columns, lanes),
        can_move=any(card.moves for column in columns for card in column.cards),
    )


def column_rows(issues: QuerySet[Issue], state_ids: list[int], limit: int) -> dict[int, list[Any]]:
    """The first `limit` rows (`_CARD_FIELDS`) of each state, best first, in ONE query, each
    part walking the (project, status, priority, id) index and stopping after its LIMIT."""
    found: dict[int, list[Any]] = {state_id: [] for state_id in state_ids}
    if not state_ids:
        return found
    ordered = issues.order_by("-priority", "-id")
    column = ordered.filter(status_id=SENTINEL).values_list("status_id", *_CARD_FIELDS)[:limit]
    statement = per_value(column, state_ids, "SELECT * FROM ({sql}) AS column_{n}")
    if statement is None:
        for state_id in state_ids:
            found[state_id] = list(
                ordered.filter(status_id=state_id).values_list(*_CARD_FIELDS)[:limit]
            )
        return found
    with connections[issues.db].cursor() as cursor:
        cursor.execute(*statement)
        for state_id, *row in cursor.fetchall():
            found[state_id].append(row)
    for part in found.values():  # each part came in order; make sure of it
        part.sort(key=lambda row: (-row[3], -row[0]))  # priority, id (see _CARD_FIELDS)
    return found


def _moment(value: Any) -> dt.datetime | None:
    """A datetime column as a raw cursor gives it: aware on PostgreSQL, text or naive UTC
    on SQLite (Django's converters do not see through the per-column subqueries)."""
    if value is None or value == "":
        return None
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def column_counts(issues: QuerySet[Issue], state_ids: list[int], cap: int) -> dict[int, int]:
    """How many issues each state holds, counting no further than `cap` (an exact COUNT over
    100,000 rows cost ~120 ms on SQLite), in ONE query."""
    return capped_counts(issues, "status_id", state_ids, cap)


def _attach_labels(cards: list[Card]) -> None:
    """The cards' labels in one plain SQL query (the ORM spent longer building it for a
    250-card board than the database spent answering)."""
    by_id = {card.id: card for card in cards}
    if not by_id:
        return
    marks = ", ".join(["%s"] * len(by_id))
    sql = (
        f"SELECT t.issue_id, n.name, n.color FROM {Issue.labels.through._meta.db_table} t "  # noqa: S608 - model names and %s only
        f"JOIN {Label._meta.db_table} n ON n.id = t.label_id "
        f"WHERE t.issue_id IN ({marks}) ORDER BY n.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(by_id))
        for issue_id, name, color in cursor.fetchall():
            by_id[issue_id].labels.append((name, color))


def _lanes(columns: list[Column], by: str | None) -> list[Lane]:
    if by not in LANES:
        return [Lane(title=None, cells=[(column, column.cards) for column in columns])]
    if by == "priority":
        titles = ["highest", "high", "medium", "low", "lowest"]
        lane_of = lambda card: card.priority  # noqa: E731
    else:
        people = {c.assignee for column in columns for c in column.cards if c.assignee}
        titles = [*sorted(people, key=str.lower), "Unassigned"]
        lane_of = lambda card: card.assignee or "Unassigned"  # noqa: E731
    lanes = [Lane(title=t, cells=[(column, []) for column in columns]) for t in titles]
    index = {lane.title: lane for lane in lanes}
    for n, column in enumerate(columns):
        for card in column.cards:
            index[lane_of(card)].cells[n][1].append(card)
    return [lane for lane in lanes if lane.size]


def moves_for(user: Who, issue: Issue) -> list[str]:
    """The statuses `user` may move `issue` to (the card's "Move…" menu), in workflow order."""
    states = states_of(issue.project.workflow_id)
    mover = Mover.of(user, issue.project, issue.reporter_id)
    targets = {
        r.target for r in available(rules_of(issue.project.workflow_id), issue.status_id, mover)
    }
    return [state.name.lower() for state in states if state.id in targets]
