"""Which keys a text names and which it closes (integrations/vcs/mentions.py)."""

from __future__ import annotations

import pytest

from docket.integrations.vcs.mentions import find


@pytest.mark.parametrize(
    ("text", "named", "closed"),
    [
        ("Fix WEB-12.", {12}, {12}),
        ("Fixes: WEB-1, WEB-2 and WEB-3", {1, 2, 3}, {1, 2, 3}),
        ("closes web-4 & WEB-5, see WEB-6", {4, 5, 6}, {4, 5}),
        ("RESOLVED WEB-9\n\nalso touches WEB-10", {9, 10}, {9}),
        ("fixed WEB-7 fixing WEB-8", {7, 8}, {7}),  # "fixing" is no keyword
        ("hotfix WEB-8", {8}, set()),  # nor is a word ending in one
        ("WEB-7 is fixed", {7}, set()),  # the keyword comes first
        ("SUBWEB-12 WEB-12a WEB-", set(), set()),  # not inside a longer word
        ("WEB-123", {123}, set()),
        ("OPS-1 fixes OPS-2", set(), set()),  # another project's keys are not read
        ("fix WEB-0 WEB-99999999999", set(), set()),  # no such numbers
    ],
)
def test_keys_and_closing_keywords(text: str, named: set[int], closed: set[int]) -> None:
    found = find("WEB", text)
    assert (found.numbers, found.closing) == (named, closed)


def test_a_branch_name_names_but_never_closes() -> None:
    found = find("WEB", "fix/web-12-login", closing_allowed=False)
    assert (found.numbers, found.closing) == ({12}, set())
