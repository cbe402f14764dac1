"""Pratt parser of the factor expression language.

Grammar, loosest binding first: ``c ? a : b`` (right-associative), ``|``, ``&``, comparisons
``< <= > >= == !=``, ``+ -``, ``* /``, prefix ``-``/``+``, ``^`` (right-associative, binds
tighter than prefix minus: ``-x^2`` is ``-(x^2)``). Calls ``name(arg, ...)`` are checked against
the function table as they are parsed: unknown names, wrong arity and non-literal or invalid
window/number arguments raise ``ValidationError`` carrying the 0-based ``position`` and the
offending ``token``.

>>> parse("-close^2 + ts_mean(close, 5)").key
'((-(close^2.0))+ts_mean(close,5.0))'
"""

from __future__ import annotations

from nautilus.core.errors import ValidationError
from nautilus.factors.expr.functions import CONDITIONAL_NAMES, FUNCTIONS
from nautilus.factors.expr.lexer import Kind, Token, syntax_error, tokenize
from nautilus.factors.expr.nodes import Binary, Call, Conditional, Field, Node, Number, Unary

_INFIX: dict[str, tuple[int, int]] = {
    "?": (2, 1),
    "|": (3, 4),
    "&": (5, 6),
    "<": (7, 8), "<=": (7, 8), ">": (7, 8), ">=": (7, 8), "==": (7, 8), "!=": (7, 8),
    "+": (9, 10), "-": (9, 10),
    "*": (11, 12), "/": (11, 12),
    "^": (16, 15),
}
_PREFIX_BP = 13
MAX_WINDOW = 100_000
MAX_DEPTH = 200


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: Kind, what: str) -> Token:
        tok = self.next()
        if tok.kind != kind:
            raise syntax_error(f"expected {what}", tok.pos, tok.text or "end of input")
        return tok

    def expression(self, min_bp: int = 0) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            tok = self.peek()
            raise syntax_error("expression nested too deeply", tok.pos, tok.text)
        lhs = self.prefix()
        while True:
            tok = self.peek()
            if tok.kind != Kind.OP or tok.text not in _INFIX:
                break
            lbp, rbp = _INFIX[tok.text]
            if lbp < min_bp:
                break
            self.next()
            if tok.text == "?":
                then = self.expression(0)
                colon = self.next()
                if colon.kind != Kind.OP or colon.text != ":":
                    raise syntax_error("expected ':' of a conditional", colon.pos,
                                       colon.text or "end of input")
                other = self.expression(rbp)
                lhs = Conditional(lhs, then, other, tok.pos)
            else:
                lhs = Binary(tok.text, lhs, self.expression(rbp), tok.pos)
        self.depth -= 1
        return lhs

    def prefix(self) -> Node:
        tok = self.next()
        if tok.kind == Kind.NUMBER:
            try:
                return Number(float(tok.text), tok.pos)
            except ValueError:
                raise syntax_error("malformed number", tok.pos, tok.text) from None
        if tok.kind == Kind.NAME:
            if self.peek().kind == Kind.LPAREN:
                return self.call(tok)
            return Field(tok.text, tok.pos)
        if tok.kind == Kind.LPAREN:
            inner = self.expression(0)
            self.expect(Kind.RPAREN, "')'")
            return inner
        if tok.kind == Kind.OP and tok.text in ("-", "+"):
            operand = self.expression(_PREFIX_BP)
            if tok.text == "+":
                return operand
            if isinstance(operand, Number):
                return Number(-operand.value, tok.pos)
            return Unary("-", operand, tok.pos)
        raise syntax_error("unexpected token", tok.pos, tok.text or "end of input")

    def call(self, name: Token) -> Node:
        self.expect(Kind.LPAREN, "'('")
        args: list[Node] = []
        if self.peek().kind != Kind.RPAREN:
            while True:
                args.append(self.expression(0))
                if self.peek().kind == Kind.COMMA:
                    self.next()
                    continue
                break
        self.expect(Kind.RPAREN, "')' or ','")
        return build_call(name.text, tuple(args), name.pos)


def _arity_error(name: str, expected: str, got: int, pos: int) -> ValidationError:
    return ValidationError(
        f"{name} takes {expected} argument(s), got {got} at position {pos} (token {name!r})",
        code="bad_arity", position=pos, token=name,
    )


def build_call(name: str, args: tuple[Node, ...], pos: int) -> Node:
    """Check a call against the function table and build its node."""
    if name in CONDITIONAL_NAMES:
        if len(args) != 3:
            raise _arity_error(name, "3", len(args), pos)
        return Conditional(args[0], args[1], args[2], pos)
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise ValidationError(f"unknown function {name!r} at position {pos} (token {name!r})",
                              code="unknown_function", position=pos, token=name)
    n = len(args)
    if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
        expected = (f"{spec.min_args}+" if spec.max_args is None else
                    str(spec.min_args) if spec.min_args == spec.max_args else
                    f"{spec.min_args}-{spec.max_args}")
        raise _arity_error(name, expected, n, pos)
    for arg, kind in zip(args, spec.params, strict=False):
        if kind == "x":
            continue
        if not isinstance(arg, Number):
            raise ValidationError(
                f"argument {kind!r} of {name} must be a numeric literal at position {arg.pos} "
                f"(token {arg.key!r})",
                code="bad_window" if kind == "window" else "bad_argument",
                position=arg.pos, token=arg.key,
            )
        if kind == "window" and (arg.value != int(arg.value) or not 1 <= arg.value <= MAX_WINDOW):
            raise ValidationError(
                f"window of {name} must be a positive integer <= {MAX_WINDOW} at position "
                f"{arg.pos} (token {arg.key!r})",
                code="bad_window", position=arg.pos, token=arg.key,
            )
    return Call(name, args, pos)


def parse(source: str) -> Node:
    """Parse ``source`` into an AST; raises ``ValidationError`` (code ``expr_syntax``, ...)."""
    if not source.strip():
        raise syntax_error("empty expression", 0, "")
    parser = _Parser(source)
    node = parser.expression(0)
    tok = parser.peek()
    if tok.kind != Kind.END:
        raise syntax_error("unexpected token", tok.pos, tok.text)
    return node


def fields_of(node: Node) -> list[Field]:
    """Every field reference in ``node`` (in source order)."""
    out: list[Field] = []
    stack: list[Node] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Field):
            out.append(cur)
        elif isinstance(cur, Unary):
            stack.append(cur.operand)
        elif isinstance(cur, Binary):
            stack.extend((cur.right, cur.left))
        elif isinstance(cur, Conditional):
            stack.extend((cur.other, cur.then, cur.cond))
        elif isinstance(cur, Call):
            stack.extend(reversed(cur.args))
    return sorted(out, key=lambda f: f.pos)
