"""The workflow rule engine on its own: plain `Rule`s, no database. Which transition a move
takes, who may take it, what it needs, what the error says; and that every template's rules
are ones the editing actions would accept."""

from __future__ import annotations

import pytest

from docket.core.errors import Forbidden, Invalid
from docket.projects.workflow_rules import (
    EDITOR_ROLES,
    Mover,
    Rule,
    available,
    choose,
    clean_effects,
    clean_required,
    clean_roles,
    from_here,
    may_take,
    missing,
    require_fields,
)
from docket.projects.workflows import DONE, TEMPLATES

NEW, OPEN, DOING, RESOLVED, CLOSED = 1, 2, 3, 4, 5
NAMES = {NEW: "new", OPEN: "open", DOING: "in progress", RESOLVED: "resolved", CLOSED: "closed"}
RULES = [
    Rule(1, "Open", NEW, OPEN),
    Rule(2, "Start progress", OPEN, DOING, required_fields=("assignee",)),
    Rule(3, "Resolve", DOING, RESOLVED, required_fields=("resolution",)),
    Rule(4, "Resolve", OPEN, RESOLVED, allowed_roles=("admin",)),
    Rule(5, "Close", None, CLOSED),
    Rule(6, "Reopen", RESOLVED, OPEN, allowed_roles=("admin", "member", "reporter")),
    Rule(7, "Reopen", CLOSED, OPEN, allowed_roles=("admin", "member", "reporter")),
    Rule(8, "Archive", RESOLVED, CLOSED, allowed_roles=("admin",)),
]
ADMIN, MEMBER = Mover("admin"), Mover("member")
OWN_REPORTER, OTHER_REPORTER = Mover("reporter", reported=True), Mover("reporter")
VIEWER, NOBODY = Mover("viewer"), Mover(None)


def pick(mover: Mover, current: int, *, to: int | None = None, name: str | None = None) -> Rule:
    return choose(RULES, current=current, mover=mover, names=NAMES, target=to, name=name)


def ids(rules: list[Rule]) -> list[int]:
    return [r.id for r in rules]


# --- who may take a transition ---------------------------------------------------------------


def test_no_allowed_roles_means_every_role_that_may_edit_issues():
    assert EDITOR_ROLES == ("admin", "member")
    assert RULES[0].roles == ("admin", "member")


@pytest.mark.parametrize(
    "mover, expected",
    [
        (ADMIN, True),
        (MEMBER, True),
        (OWN_REPORTER, False),
        (OTHER_REPORTER, False),
        (VIEWER, False),
        (NOBODY, False),
    ],
)
def test_an_unrestricted_transition_is_for_editors(mover, expected):
    assert may_take(RULES[0], mover) is expected


@pytest.mark.parametrize(
    "mover, expected",
    [
        (ADMIN, True),
        (MEMBER, True),
        (OWN_REPORTER, True),
        (OTHER_REPORTER, False),  # reporters move only issues they reported
        (VIEWER, False),
        (NOBODY, False),
    ],
)
def test_a_transition_open_to_reporters_is_for_their_own_issues(mover, expected):
    assert may_take(RULES[5], mover) is expected


def test_a_transition_limited_to_admins_refuses_members():
    assert may_take(RULES[3], ADMIN)
    assert not may_take(RULES[3], MEMBER)


# --- which transitions leave a state ---------------------------------------------------------


def test_from_here_includes_from_any_transitions_but_never_a_move_to_itself():
    assert ids(from_here(RULES, OPEN)) == [2, 4, 5]
    assert ids(from_here(RULES, CLOSED)) == [7]  # "Close" from any does not leave closed


def test_a_transition_from_this_state_hides_a_from_any_one_of_the_same_name():
    rules = [Rule(1, "Close", None, CLOSED), Rule(2, "Close", OPEN, RESOLVED)]
    assert ids(from_here(rules, OPEN)) == [2]
    assert ids(from_here(rules, NEW)) == [1]


@pytest.mark.parametrize(
    "mover, current, expected",
    [
        (ADMIN, OPEN, [2, 4, 5]),
        (MEMBER, OPEN, [2, 5]),
        (MEMBER, RESOLVED, [5, 6]),
        (ADMIN, RESOLVED, [5, 6, 8]),
        (OWN_REPORTER, RESOLVED, [6]),
        (OTHER_REPORTER, RESOLVED, []),
        (VIEWER, OPEN, []),
        (NOBODY, OPEN, []),
    ],
)
def test_available_lists_what_the_mover_may_do_in_workflow_order(mover, current, expected):
    assert ids(available(RULES, current, mover)) == expected


# --- choosing the transition a move takes ----------------------------------------------------


def test_a_move_by_target_takes_the_transition_that_leads_there():
    assert pick(MEMBER, NEW, to=OPEN).id == 1
    assert pick(MEMBER, DOING, to=RESOLVED).id == 3


def test_a_move_by_name_takes_the_one_leaving_the_current_state():
    assert pick(ADMIN, OPEN, name="Resolve").id == 4
    assert pick(MEMBER, DOING, name="resolve").id == 3  # names match in any case


def test_target_and_name_together_must_agree():
    assert pick(MEMBER, DOING, to=RESOLVED, name="Resolve").id == 3
    with pytest.raises(Invalid) as caught:
        pick(MEMBER, DOING, to=CLOSED, name="Resolve")
    assert caught.value.detail == "status: Resolve goes to resolved, not closed"


def test_a_transition_from_this_state_wins_over_a_from_any_one():
    rules = [Rule(1, "Close", None, CLOSED), Rule(2, "Archive", RESOLVED, CLOSED)]
    names = dict(NAMES)
    assert choose(rules, current=RESOLVED, mover=MEMBER, names=names, target=CLOSED).id == 2
    assert choose(rules, current=OPEN, mover=MEMBER, names=names, target=CLOSED).id == 1


def test_when_the_preferred_one_is_not_for_the_role_another_that_fits_is_taken():
    # Archive (admins only) leaves resolved for closed, and so does Close (from any).
    assert pick(ADMIN, RESOLVED, to=CLOSED).id == 8
    assert pick(MEMBER, RESOLVED, to=CLOSED).id == 5


def test_a_move_nowhere_the_workflow_leads_names_the_allowed_targets():
    with pytest.raises(Invalid) as caught:
        pick(MEMBER, OPEN, to=NEW)
    assert caught.value.errors == [
        {"field": "status", "message": "cannot move from open to new; allowed: closed, in progress"}
    ]


def test_the_allowed_targets_are_those_the_mover_may_take():
    with pytest.raises(Invalid) as caught:
        pick(ADMIN, OPEN, to=NEW)
    assert caught.value.errors[0]["message"].endswith("allowed: closed, in progress, resolved")
    with pytest.raises(Forbidden):
        pick(OTHER_REPORTER, OPEN, to=CLOSED)  # the move exists, just not for them


def test_a_move_to_the_current_state_is_refused():
    with pytest.raises(Invalid) as caught:
        pick(MEMBER, OPEN, to=OPEN)
    assert caught.value.detail == "status: the issue is already open"


def test_an_unknown_transition_name_is_refused_listing_what_is_available():
    with pytest.raises(Invalid) as caught:
        pick(MEMBER, OPEN, name="Escalate")
    message = "no transition 'Escalate' in this workflow; available: Close, Start progress"
    assert caught.value.errors == [{"field": "transition", "message": message}]


def test_a_transition_that_does_not_leave_the_current_state_is_refused():
    with pytest.raises(Invalid) as caught:
        pick(MEMBER, NEW, name="Reopen")
    assert caught.value.errors[0] == {
        "field": "transition",
        "message": "Reopen is not available from new; available: Close, Open",
    }


def test_a_transition_not_for_the_role_is_forbidden_naming_the_rule():
    with pytest.raises(Forbidden) as caught:
        pick(MEMBER, OPEN, to=RESOLVED)
    assert caught.value.detail == "Resolve is allowed only for admin; your role is member"


def test_a_reporter_is_told_they_may_only_move_their_own_issues():
    with pytest.raises(Forbidden) as caught:
        pick(OTHER_REPORTER, RESOLVED, name="Reopen")
    assert caught.value.detail == "Reopen: reporters may only move issues they reported"


def test_someone_without_a_role_is_forbidden():
    with pytest.raises(Forbidden) as caught:
        pick(NOBODY, NEW, to=OPEN)
    assert caught.value.detail == "Open is allowed only for admin, member; your role is none"


def test_the_error_names_the_input_field_that_chose_the_target():
    with pytest.raises(Invalid) as caught:
        choose(RULES, current=OPEN, mover=MEMBER, names=NAMES, target=NEW, field="to")
    assert caught.value.errors[0]["field"] == "to"


# --- required fields -------------------------------------------------------------------------


def test_missing_lists_the_required_fields_without_a_value():
    rule = Rule(1, "Resolve", DOING, RESOLVED, required_fields=("resolution", "comment"))
    assert missing(rule, {"assignee"}) == ["resolution", "comment"]
    assert missing(rule, {"comment", "resolution"}) == []


def test_a_missing_required_field_is_refused_naming_the_rule():
    rule = Rule(3, "Resolve", DOING, RESOLVED, required_fields=("resolution",))
    with pytest.raises(Invalid) as caught:
        require_fields(rule, set())
    assert caught.value.detail == "Resolve requires resolution"
    assert caught.value.errors == [
        {"field": "resolution", "message": "Resolve requires resolution"}
    ]
    require_fields(rule, {"resolution"})  # no error


def test_several_missing_fields_are_all_named():
    rule = Rule(1, "Escalate", OPEN, DOING, required_fields=("assignee", "due_date"))
    with pytest.raises(Invalid) as caught:
        require_fields(rule, set())
    assert caught.value.detail == "Escalate requires assignee, due_date"
    assert [e["field"] for e in caught.value.errors] == ["assignee", "due_date"]


# --- checking rules an admin writes ----------------------------------------------------------


def test_roles_are_deduplicated_and_ordered_strongest_first():
    assert clean_roles(["reporter", "admin", "reporter"]) == ["admin", "reporter"]
    assert clean_roles([]) == []


@pytest.mark.parametrize("value", [["viewer"], ["owner"], "admin", [1], None])
def test_bad_roles_are_refused(value):
    with pytest.raises(Invalid) as caught:
        clean_roles(value)
    assert caught.value.errors[0]["field"] == "allowed_roles"


def test_required_fields_come_back_in_a_fixed_order():
    assert clean_required(["comment", "assignee"], target_is_done=False) == ["assignee", "comment"]


@pytest.mark.parametrize("value", [["title"], ["status"], "assignee", [None]])
def test_fields_that_cannot_be_required_are_refused(value):
    with pytest.raises(Invalid):
        clean_required(value, target_is_done=True)


def test_only_a_transition_into_done_may_require_a_resolution():
    assert clean_required(["resolution"], target_is_done=True) == ["resolution"]
    with pytest.raises(Invalid) as caught:
        clean_required(["resolution"], target_is_done=False)
    assert "done" in caught.value.errors[0]["message"]


def test_effects_are_checked():
    assert clean_effects(["unassign"]) == ["unassign"]
    for bad in (["teleport"], ["unassign", "assign_if_unassigned"], "unassign"):
        with pytest.raises(Invalid):
            clean_effects(bad)


# --- the templates ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_every_template_is_a_workflow_the_editor_would_accept(key):
    template = TEMPLATES[key]
    states = {name: category for name, category, _ in template.states}
    assert len({n.lower() for n in states}) == len(states)
    assert DONE in states.values()
    leaving: set[tuple[str, str | None]] = set()
    for move in template.transitions:
        assert move.target in states and (move.source is None or move.source in states)
        assert move.source != move.target
        assert (move.name.lower(), move.source) not in leaving, move
        leaving.add((move.name.lower(), move.source))
        assert clean_roles(list(move.roles)) == list(move.roles)
        target_done = states[move.target] == DONE
        assert clean_required(list(move.requires), target_is_done=target_done) == list(
            move.requires
        )
        assert clean_effects(list(move.effects)) == list(move.effects)
    # Every state but the last done ones can be left, and every state can be reached.
    reachable = {template.states[0][0]} | {m.target for m in template.transitions}
    assert reachable == set(states)


def test_the_templates_are_default_support_and_incident():
    assert {k: [s[0] for s in t.states] for k, t in TEMPLATES.items()} == {
        "default": ["New", "Open", "In Progress", "Resolved", "Closed"],
        "support": ["New", "Waiting on customer", "Waiting on us", "Solved", "Closed"],
        "incident": ["Triggered", "Acknowledged", "Mitigated", "Resolved", "Post-mortem done"],
    }
