"""core/bulk.instance_maker: the importer's instances are the ones `Model(**values)` builds."""

from __future__ import annotations

import datetime as dt

import pytest

from docket.audit.models import AuditEntry
from docket.core.bulk import instance_maker
from docket.issues.models import Issue
from docket.issues.relations import initial_state
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


def _state_of(instance):
    """Everything an instance holds: its attributes and its cached related objects."""
    attrs = {k: v for k, v in instance.__dict__.items() if k != "_state"}
    return attrs, dict(instance._state.fields_cache), instance._state.adding


@pytest.mark.parametrize("with_relations", [True, False])
def test_an_issue_made_is_the_issue_the_model_builds(cast, with_relations):
    parent = make_issue(cast.alice, cast.web, title="Parent")
    moment = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    values = {
        "project": cast.web,
        "status": initial_state(cast.web),
        "reporter": cast.bob,
        "title": "Gate sticks",
        "description": "",
        "severity": 2,
        "created_at": moment,
        "updated_at": moment,
        "due_date": dt.date(2025, 4, 1),
        # a related object given as None, and one given at all, each as the model takes them
        "assignee": cast.bob if with_relations else None,
        "parent": parent if with_relations else None,
    }
    made = instance_maker(Issue)(values)
    assert _state_of(made) == _state_of(Issue(**values))
    # the related objects read from the cache, without a query
    assert made.project.key == "WEB" and made.status.name == values["status"].name
    assert made.parent_id == (parent.pk if with_relations else None)
    assert made.version == 1 and made.sla_state == "" and made.team_id is None  # defaults


def test_a_field_with_a_callable_default_gets_a_fresh_value_for_each_instance(cast):
    """A default that is a function (`default=dict`) runs per instance, as in the model: two
    instances never share one mutable default."""
    make = instance_maker(AuditEntry)
    first, second = make({"actor": cast.alice}), make({"actor": None})
    assert first.data == {} == AuditEntry().data
    assert first.data is not second.data
    assert (first.actor_id, second.actor_id) == (cast.alice.pk, None)


def test_a_name_that_is_no_field_is_refused_as_the_model_refuses_it(cast):
    with pytest.raises(TypeError):
        Issue(titel="typo")
    with pytest.raises(TypeError, match="titel"):
        instance_maker(Issue)({"titel": "typo"})
