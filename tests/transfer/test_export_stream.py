"""Large exports stream: the answer is a generator written a chunk at a time, and the memory
an export of 5,000 issues takes at its peak is a small part of what it writes."""

from __future__ import annotations

import tracemalloc
import types

import pytest
from django.http import StreamingHttpResponse

from docket.issues.imports import import_issues
from docket.transfer import export

pytestmark = pytest.mark.slow

ISSUES = 5000


@pytest.fixture
def many(cast):
    """5,000 issues with a paragraph each and a comment each, imported in bulk."""
    text = "A paragraph of description that makes each record weigh something. " * 18
    records = [
        {
            "title": f"Issue number {n}",
            "description": text,
            "labels": ["bulk", f"l{n % 7}"],
            "reporter": "alice",
            "comments": [{"author": "bob", "body": f"comment {n} " + text[:120]}],
        }
        for n in range(ISSUES)
    ]
    for start in range(0, ISSUES, 1000):
        import_issues(actor=cast.alice, project=cast.web, records=records[start : start + 1000])
    return cast


def peak_while_reading(parts) -> tuple[int, int]:
    """(peak bytes traced while the parts are read and dropped, characters written)."""
    tracemalloc.start()
    try:
        written = sum(len(part) for part in parts)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, written


def test_the_api_answer_is_a_stream_of_chunks(many):
    response = many.api(many.alice).get("/projects/WEB/export", format="csv")
    assert isinstance(response, StreamingHttpResponse)
    assert not response.has_header("Content-Length")
    parts = list(response.streaming_content)
    assert len(parts) > ISSUES // export.CHUNK  # a header, then a part per chunk
    assert b"".join(parts).count(b"\nWEB-") == ISSUES


def measured(cast, form: str, query: str = "") -> tuple[int, int]:
    selection = export.select(cast.alice, project="WEB", query=query)
    wanted = export.asked(form, "key,title,description,labels,created", "WEB")
    parts = export.chunks(cast.alice, selection, wanted)
    assert isinstance(parts, types.GeneratorType)  # nothing is read until asked for
    return peak_while_reading(parts)


@pytest.mark.parametrize("form", ["csv", "json"])
def test_memory_stays_flat_and_small_next_to_the_output(many, form):
    measured(many, form, "label:l0")  # first use: caches, compiled queries
    small_peak, small = measured(many, form, "label:l0")  # 715 issues
    peak, written = measured(many, form)  # all 5,000
    assert written > 5_000_000 and written > 6 * small
    # A chunk (200 issues) at a time: seven times the issues, not seven times the memory,
    # and far less than the output (holding it all would take more than the output).
    assert peak < 1.5 * small_peak, f"peak {peak:,} bytes; {small_peak:,} for a seventh"
    assert peak < written / 3, f"peak {peak:,} bytes for {written:,} characters"
