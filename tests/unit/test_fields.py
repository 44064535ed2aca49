"""The one table of issue fields: its checks, and that the other tables agree with it."""

from __future__ import annotations

import datetime as dt

import pytest

from docket.core.errors import Invalid
from docket.issues.fields import (
    EDITABLE_FIELDS,
    FIELDS,
    INLINE_FIELDS,
    REPORTER_FIELDS,
    ROW_COLUMNS,
    TRANSITION_FIELDS,
)
from docket.issues.query_fields import ISSUE_QUERY
from docket.issues.schemas import BulkChanges, IssueCreate, IssueUpdate
from docket.projects.workflow_rules import REQUIRABLE_FIELDS


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("2026-12-31", "2026-12-31"),
        (dt.date(2026, 12, 31), "2026-12-31"),
        (None, None),
    ],
)
def test_due_date_takes_iso_dates(value, clean):
    assert FIELDS["due_date"].check(value) == clean


@pytest.mark.parametrize(
    "value",
    [
        "31/12/2026",
        "2026-13-01",
        "",
        "tomorrow",
        20261231,
        "20261231",
        "2026-W53-4",
        "2026-12-31T00:00",
        dt.datetime(2026, 1, 1),
    ],  # fmt: skip
)
def test_due_date_refuses_anything_else_naming_the_field(value):
    with pytest.raises(Invalid) as refused:
        FIELDS["due_date"].check(value)
    assert refused.value.errors == [
        {"field": "due_date", "message": "must be a date like 2026-12-31"}
    ]


@pytest.mark.parametrize("value", ["false", "true", 0, 1, None])
def test_confidential_takes_only_json_booleans(value):
    with pytest.raises(Invalid):
        FIELDS["confidential"].check(value)


def test_labels_are_trimmed_deduplicated_and_sorted():
    assert FIELDS["labels"].check(["ui ", "b", "ui"]) == ["b", "ui"]
    with pytest.raises(Invalid):
        FIELDS["labels"].check("ui")


def test_the_query_language_knows_every_field_on_the_same_column():
    for field in FIELDS.values():
        entry = ISSUE_QUERY.field(field.query_name)
        assert entry is not None, field.name
        if field.column:
            assert entry.path == field.column, field.name


def test_the_other_tables_are_read_from_the_field_table():
    assert set(REQUIRABLE_FIELDS) - {"comment"} <= set(EDITABLE_FIELDS)
    assert {f for f in EDITABLE_FIELDS if FIELDS[f].requirable} == set(REQUIRABLE_FIELDS) - {
        "comment"
    }
    assert set(TRANSITION_FIELDS) <= set(EDITABLE_FIELDS)
    assert REPORTER_FIELDS <= set(INLINE_FIELDS) <= set(EDITABLE_FIELDS)
    assert len(ROW_COLUMNS) == sum(1 for f in FIELDS.values() if f.column)
    # Custom fields ride along in one object of their own (issues/custom_fields.py).
    assert set(IssueCreate.model_fields) == set(EDITABLE_FIELDS) - {"resolution"} | {
        "custom_fields"
    }
    assert set(IssueUpdate.model_fields) == {*EDITABLE_FIELDS, "version", "custom_fields"}
    assert set(BulkChanges.model_fields) == set(EDITABLE_FIELDS) - {"status", "labels"} | {
        "custom_fields"
    }
    for name in ("type", "severity", "priority", "description", "confidential"):
        assert IssueCreate.model_fields[name].default == FIELDS[name].default


@pytest.mark.parametrize("name", ["ur\u202egent", "ui\u200b", "\ufeffbug", "a\u2066b\u2069"])
def test_names_refuse_invisible_and_bidi_characters(name):
    with pytest.raises(Invalid) as refused:
        FIELDS["labels"].check([name])
    assert "invisible or bidi" in refused.value.errors[0]["message"]


def test_names_keep_ordinary_unicode():
    assert FIELDS["labels"].check(["día", "日本", "naïve"]) == ["día", "naïve", "日本"]
