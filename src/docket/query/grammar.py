"""The query grammar (Lark, LALR with a contextual lexer: fast, and predictable errors).

Words and values are different tokens so that a value may start with "-" (`due:<-7d`) while
a leading "-" on a term negates it. AND/OR/NOT are keywords only in capitals and never
words (quote them to search for them).
"""

from __future__ import annotations

from functools import cache

from lark import Lark

GRAMMAR = r"""
start: expr?
?expr: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: unary (_AND? unary)*
?unary: _NOT unary -> neg
      | _MINUS unary -> neg
      | atom
?atom: LPAR expr RPAR -> group
     | term
     | text
term: FIELD OP value (COMMA value)*
?value: VALUE | STRING
?text: WORD | STRING

FIELD.2: /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?(?=:)/
OP: /:(?:[<>]=?)?/
VALUE: /[^\s(),"]+/
WORD: /(?!(?:AND|OR|NOT)(?:[\s()"]|$))[^\s()",:\-][^\s()"]*/
STRING: /"(?:[^"\\]|\\[\s\S])*"/
LPAR: "("
RPAR: ")"
COMMA: ","
_MINUS: "-"
_NOT: "NOT"
_OR: "OR"
_AND: "AND"
%ignore /\s+/
"""

# How the parser's terminal names read in an error message.
TERMINAL_NAMES = {
    "FIELD": "a field",
    "OP": "':'",
    "VALUE": "a value",
    "WORD": "a word",
    "STRING": "a quoted phrase",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "_MINUS": "'-'",
    "_NOT": "NOT",
    "_OR": "OR",
    "_AND": "AND",
    "$END": "the end of the query",
}


@cache
def parser() -> Lark:
    return Lark(
        GRAMMAR,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
    )
