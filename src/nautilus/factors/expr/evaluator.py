"""Evaluate parsed expressions over a ``Panel`` with numpy and the numba kernels.

NaN rules: arithmetic propagates NaN and turns results that are not finite (division by zero,
overflowing powers) into NaN; comparisons give 1.0/0.0 and NaN when either side is NaN;
``&``/``|`` treat non-zero as true and give NaN when either side is NaN; a conditional is NaN
where its condition is NaN. Time-series functions follow :mod:`nautilus.factors.ops`
(``min_periods`` = the window), cross-sectional ones :mod:`nautilus.factors.xsection`.

Equal sub-expressions (same canonical key) are computed once per :meth:`Evaluator.run_many`
batch and dropped as soon as their last use has been served, which is what makes the 158
Alpha158 expressions cheap to compute together.

>>> from nautilus.factors.panel import synthetic_panel
>>> out = evaluate("rank(ts_mean(close, 5))", synthetic_panel(10, 4, seed=1))
>>> out.shape
(10, 4)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import numpy.typing as npt

from nautilus.core.errors import ValidationError
from nautilus.factors.expr.functions import FUNCTIONS
from nautilus.factors.expr.nodes import Binary, Call, Conditional, Field, Node, Number, Unary
from nautilus.factors.expr.parser import fields_of, parse
from nautilus.factors.panel import Panel

Array = npt.NDArray[np.float64]
Value = Array | float


def _nan_mask(a: Value, b: Value) -> npt.NDArray[np.bool_] | bool:
    return np.isnan(a) | np.isnan(b)  # type: ignore[no-any-return]


def _cmp(fn: Callable[[Value, Value], npt.NDArray[np.bool_]]) -> Callable[[Value, Value], Value]:
    def run(a: Value, b: Value) -> Value:
        with np.errstate(invalid="ignore"):
            return np.where(_nan_mask(a, b), np.nan, fn(a, b).astype(np.float64))

    return run


def _finite(fn: Callable[[Value, Value], Value]) -> Callable[[Value, Value], Value]:
    def run(a: Value, b: Value) -> Value:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(a, b), dtype=np.float64)
        return np.where(np.isfinite(out), out, np.nan)

    return run


def _logical(both: bool) -> Callable[[Value, Value], Value]:
    def run(a: Value, b: Value) -> Value:
        with np.errstate(invalid="ignore"):
            ta = np.asarray(a) != 0
            tb = np.asarray(b) != 0
            val = (ta & tb) if both else (ta | tb)
            return np.where(_nan_mask(a, b), np.nan, val.astype(np.float64))

    return run


BINARY_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": _finite(np.divide),
    "^": _finite(np.power),
    "<": _cmp(np.less),
    "<=": _cmp(np.less_equal),
    ">": _cmp(np.greater),
    ">=": _cmp(np.greater_equal),
    "==": _cmp(np.equal),
    "!=": _cmp(np.not_equal),
    "&": _logical(True),
    "|": _logical(False),
}


class Evaluator:
    """Evaluates expressions over one panel, sharing equal sub-expressions within a batch."""

    def __init__(self, panel: Panel) -> None:
        self.panel = panel
        self._cache: dict[str, Value] = {}
        self._uses: Counter[str] = Counter()

    def check_fields(self, node: Node) -> None:
        """Raise ``ValidationError`` (code ``unknown_field``) for a field the panel lacks."""
        for f in fields_of(node):
            if f.name not in self.panel:
                known = ", ".join(self.panel.names())
                raise ValidationError(
                    f"unknown field {f.name!r} at position {f.pos} (token {f.name!r}); "
                    f"known: {known}",
                    code="unknown_field", position=f.pos, token=f.name,
                )

    def _plan(self, node: Node, seen: set[str]) -> None:
        # Mirror the evaluation order: a repeated key is requested again but not descended.
        if isinstance(node, (Number, Field)):
            return
        key = node.key
        self._uses[key] += 1
        if key in seen:
            return
        seen.add(key)
        for child in _children(node):
            self._plan(child, seen)

    def run_many(self, sources: Sequence[str | Node]) -> Iterator[Array]:
        """Evaluate each expression in turn, yielding a (dates, instruments) array for each.

        Every expression is parsed and its fields checked before the first one is computed.
        """
        nodes = [parse(s) if isinstance(s, str) else s for s in sources]
        for n in nodes:
            self.check_fields(n)
        return self._stream(nodes)

    def _stream(self, nodes: list[Node]) -> Iterator[Array]:
        self._cache.clear()
        self._uses.clear()
        seen: set[str] = set()
        for n in nodes:
            self._plan(n, seen)
        try:
            for n in nodes:
                yield self._full(self._value_of(n))
        finally:
            self._cache.clear()
            self._uses.clear()

    def run(self, source: str | Node) -> Array:
        """Evaluate one expression to a (dates, instruments) float64 array."""
        return next(iter(self.run_many([source])))

    def _full(self, value: Value) -> Array:
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != self.panel.shape:
            arr = np.ascontiguousarray(np.broadcast_to(arr, self.panel.shape))
        return arr

    def _value_of(self, node: Node) -> Value:
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Field):
            return self.panel[node.name]
        key = node.key
        if key in self._cache:
            value = self._cache[key]
            self._release(key)
            return value
        value = self._compute(node)
        if self._uses.get(key, 0) > 1:
            self._cache[key] = value
        self._release(key)
        return value

    def _release(self, key: str) -> None:
        left = self._uses.get(key, 0) - 1
        if left <= 0:
            self._uses.pop(key, None)
            self._cache.pop(key, None)
        else:
            self._uses[key] = left

    def _compute(self, node: Node) -> Value:
        if isinstance(node, Unary):
            return np.negative(self._value_of(node.operand))
        if isinstance(node, Binary):
            return BINARY_OPS[node.op](self._value_of(node.left), self._value_of(node.right))
        if isinstance(node, Conditional):
            cond = self._value_of(node.cond)
            then = self._value_of(node.then)
            other = self._value_of(node.other)
            with np.errstate(invalid="ignore"):
                chosen = np.where(np.asarray(cond) != 0, then, other)
                return np.where(np.isnan(cond), np.nan, chosen)
        if isinstance(node, Call):
            return self._call(node)
        raise ValidationError(f"cannot evaluate node {node!r}", code="expr_internal")

    def _call(self, node: Call) -> Value:
        spec = FUNCTIONS[node.name]
        if node.name == "neutralize":
            groups: list[Array] = []
            regressors: list[Array] = []
            for arg in node.args[1:]:
                target = (groups if isinstance(arg, Field) and arg.name in self.panel.group_fields
                          else regressors)
                target.append(self._full(self._value_of(arg)))
            return spec.impl(self._full(self._value_of(node.args[0])), groups, regressors)
        values: list[object] = []
        kinds = (list(spec.params) + ["x"] * len(node.args))[: len(node.args)]
        for arg, kind in zip(node.args, kinds, strict=True):
            if kind == "x":
                values.append(self._full(self._value_of(arg)))
            elif kind == "window":
                values.append(int(arg.value))  # type: ignore[union-attr]
            else:
                values.append(float(arg.value))  # type: ignore[union-attr]
        values.extend(spec.defaults[len(values) - spec.min_args:] if spec.optional else ())
        return spec.impl(*values)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Conditional):
        return (node.cond, node.then, node.other)
    if isinstance(node, Call):
        return node.args
    return ()


def evaluate(source: str, panel: Panel) -> Array:
    """Parse and evaluate one expression over ``panel``."""
    return Evaluator(panel).run(source)
