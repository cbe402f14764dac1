"""Tokenizer of the factor expression language (hand-written, no regex-driven eval).

Tokens: numbers (``12``, ``0.5``, ``1e-12``), names (``close``, ``ts_mean``; a leading ``$``
is accepted and dropped, so Qlib-style ``$close`` reads as ``close``), operators
``+ - * / ^ < <= > >= == != & | ? :``, parentheses and commas. Every token carries its 0-based
character position in the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from nautilus.core.errors import ValidationError


class Kind(StrEnum):
    NUMBER = "number"
    NAME = "name"
    OP = "op"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    END = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    pos: int


_TWO_CHAR_OPS = ("<=", ">=", "==", "!=", "&&", "||")
_ONE_CHAR_OPS = "+-*/^<>&|?:"
MAX_EXPRESSION_LENGTH = 10_000


def syntax_error(message: str, pos: int, token: str) -> ValidationError:
    """A ValidationError with code ``expr_syntax``, the position and the offending token."""
    return ValidationError(f"{message} at position {pos} (token {token!r})",
                           code="expr_syntax", position=pos, token=token)


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens ending with an END token.

    >>> [t.text for t in tokenize("ts_mean($close, 5) / 2")]
    ['ts_mean', '(', 'close', ',', '5', ')', '/', '2', '']
    """
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ValidationError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters",
                              code="expr_too_long")
    tokens: list[Token] = []
    i = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c.isspace():
            i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and source[i + 1].isdigit()):
            start = i
            while i < n and source[i].isdigit():
                i += 1
            if i < n and source[i] == ".":
                i += 1
                while i < n and source[i].isdigit():
                    i += 1
            if i < n and source[i] in "eE":
                j = i + 1
                if j < n and source[j] in "+-":
                    j += 1
                if j < n and source[j].isdigit():
                    i = j
                    while i < n and source[i].isdigit():
                        i += 1
            if i < n and (source[i].isalpha() or source[i] == "_"):
                raise syntax_error("malformed number", start, source[start:i + 1])
            tokens.append(Token(Kind.NUMBER, source[start:i], start))
        elif c.isalpha() or c == "_" or c == "$":
            start = i
            i += 1
            if c == "$" and (i >= n or not (source[i].isalpha() or source[i] == "_")):
                raise syntax_error("'$' must start a field name", start, "$")
            while i < n and (source[i].isalnum() or source[i] == "_"):
                i += 1
            tokens.append(Token(Kind.NAME, source[start:i].lstrip("$"), start))
        elif source.startswith(_TWO_CHAR_OPS, i):
            op = source[i:i + 2]
            tokens.append(Token(Kind.OP, {"&&": "&", "||": "|"}.get(op, op), i))
            i += 2
        elif c in _ONE_CHAR_OPS:
            tokens.append(Token(Kind.OP, c, i))
            i += 1
        elif c == "(":
            tokens.append(Token(Kind.LPAREN, c, i))
            i += 1
        elif c == ")":
            tokens.append(Token(Kind.RPAREN, c, i))
            i += 1
        elif c == ",":
            tokens.append(Token(Kind.COMMA, c, i))
            i += 1
        else:
            raise syntax_error("unexpected character", i, c)
    tokens.append(Token(Kind.END, "", n))
    return tokens
