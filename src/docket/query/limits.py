"""Checks that run before and just after parsing: size, characters, balance, complexity.

They give precise messages for the common mistakes (an unclosed quote or parenthesis) and keep
hostile input cheap: nothing deeper than MAX_DEPTH reaches the (recursive) tree building.
"""

from __future__ import annotations

from lark import Token, Tree

from docket.query.errors import QueryError

MAX_LENGTH = 2000  # characters
MAX_TERMS = 200  # values and free words
MAX_DEPTH = 20  # parentheses and negations inside one another
LEAF_TOKENS = {"VALUE", "STRING", "WORD"}


def check_text(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise QueryError(
            f"query too long ({len(text)} characters, at most {MAX_LENGTH})", MAX_LENGTH
        )
    for pos, char in enumerate(text):
        if char == "\x00" or "\ud800" <= char <= "\udfff":
            raise QueryError("query contains an invalid character", pos)
    _check_balance(text)


def _check_balance(text: str) -> None:
    opened: list[int] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == '"':
            pos = _string_end(text, pos)
        elif char == "(":
            opened.append(pos)
        elif char == ")":
            if not opened:
                raise QueryError("unmatched ')'", pos)
            opened.pop()
        pos += 1
    if opened:
        raise QueryError("unclosed '('", opened[-1], expected=["')'"])


def _string_end(text: str, start: int) -> int:
    pos = start + 1
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
            continue
        if text[pos] == '"':
            return pos
        pos += 1
    raise QueryError("unterminated quote", start, expected=["'\"'"])


def check_tree(tree: Tree) -> None:
    """Refuse trees nested deeper than MAX_DEPTH or with more than MAX_TERMS leaves."""
    leaves = 0
    stack: list[tuple[Tree | Token, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Token):
            leaves += node.type in LEAF_TOKENS
            if leaves > MAX_TERMS:
                message = f"query too complex (more than {MAX_TERMS} terms)"
                raise QueryError(message, node.start_pos or 0)
            continue
        if node.data in ("neg", "group"):
            depth += 1
            if depth > MAX_DEPTH:
                raise QueryError(
                    f"query too complex (nested deeper than {MAX_DEPTH})", node.meta.start_pos
                )
        stack.extend((child, depth) for child in reversed(node.children))
