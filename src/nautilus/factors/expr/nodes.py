"""AST of the factor expression language: frozen nodes with their 0-based source position.

``key`` is a canonical text of a node (positions left out) used to share the results of equal
sub-expressions during evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    pos: int

    @property
    def key(self) -> str:
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    pos: int

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node
    pos: int

    @property
    def key(self) -> str:
        return f"({self.op}{self.operand.key})"


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node
    pos: int

    @property
    def key(self) -> str:
        return f"({self.left.key}{self.op}{self.right.key})"


@dataclass(frozen=True, slots=True)
class Conditional:
    cond: Node
    then: Node
    other: Node
    pos: int

    @property
    def key(self) -> str:
        return f"if({self.cond.key},{self.then.key},{self.other.key})"


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int

    @property
    def key(self) -> str:
        return f"{self.name}({','.join(a.key for a in self.args)})"


Node = Number | Field | Unary | Binary | Conditional | Call
