"""The factor registry ``FACTORS`` and the ``Factor`` definition.

A factor is either an expression of the factor language (see :mod:`nautilus.factors.expr`) or a
Python function ``(panel, params) -> (dates, instruments) float64 array``. Both are described
by a name, a one-line description, the panel fields they read and an optional frozen pydantic
params model whose JSON Schema the API lists. Values at row ``t`` use only data known at the
close of ``t``; the engine, not the factor, shifts signals to the next bar.

>>> from nautilus.factors.panel import synthetic_panel
>>> import nautilus.factors.alpha158  # registers the Alpha158 set
>>> compute("alpha158.KMID", synthetic_panel(5, 3)).shape
(5, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.registry import Registry
from nautilus.factors.expr.evaluator import Evaluator
from nautilus.factors.expr.parser import parse
from nautilus.factors.panel import Panel

Array = npt.NDArray[np.float64]
FactorFunction = Callable[[Panel, Any], Array]


@dataclass(frozen=True, eq=False)
class Factor:
    """A named factor: an expression or a Python function over a panel."""

    name: str
    description: str
    expression: str | None = None
    function: FactorFunction | None = None
    params: type[BaseModel] | None = None
    fields: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.expression is None) == (self.function is None):
            raise ValidationError(f"factor {self.name!r} needs exactly one of expression or "
                                  "function", code="bad_factor")
        if self.expression is not None:
            parse(self.expression)  # fail at definition time, with the position
        # The registry takes its summary from the docstring.
        object.__setattr__(self, "__doc__", self.description)

    def compute(self, panel: Panel, params: BaseModel | dict[str, Any] | None = None) -> Array:
        """Values over ``panel`` as a (dates, instruments) float64 array."""
        if self.expression is not None:
            if params:
                raise ValidationError(f"expression factor {self.name!r} takes no parameters",
                                      code="bad_argument")
            return Evaluator(panel).run(self.expression)
        missing = [f for f in self.fields if f not in panel]
        if missing:
            raise ValidationError(
                f"factor {self.name!r} needs panel fields {missing}", code="missing_field",
                fields=missing,
            )
        model = self._params(params)
        assert self.function is not None
        out = np.asarray(self.function(panel, model), dtype=np.float64)
        if out.shape != panel.shape:
            raise ValidationError(f"factor {self.name!r} returned shape {out.shape}",
                                  code="bad_factor")
        return out

    def _params(self, params: BaseModel | dict[str, Any] | None) -> BaseModel | None:
        if self.params is None:
            if params:
                raise ValidationError(f"factor {self.name!r} takes no parameters",
                                      code="bad_argument")
            return None
        if isinstance(params, self.params):
            return params
        try:
            return self.params.model_validate(params or {})
        except Exception as exc:  # pydantic's error, re-raised in the platform's hierarchy
            raise ValidationError(f"bad parameters for {self.name!r}: {exc}",
                                  code="bad_argument") from exc

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "expression": self.expression,
            "fields": list(self.fields),
            "tags": list(self.tags),
            "parameters": self.params.model_json_schema() if self.params else None,
        }


FACTORS: Registry[Factor] = Registry("factor")
"""Every named factor; tags group them (``alpha158``, ``style``, ``multi_source``)."""


def register(factor: Factor) -> Factor:
    """Add ``factor`` to ``FACTORS`` (its params model becomes the registry's config)."""
    return FACTORS.add(factor.name, factor, config=factor.params, tags=factor.tags)


def by_tag(tag: str) -> list[Factor]:
    """Registered factors carrying ``tag``, sorted by name."""
    return [s.obj for s in FACTORS.specs() if tag in s.tags]


def resolve(name_or_expression: str) -> Factor:
    """A registered factor by name, else an anonymous factor for the expression text."""
    if name_or_expression in FACTORS:
        return FACTORS.get(name_or_expression)
    try:
        return Factor(name_or_expression, "ad-hoc expression", expression=name_or_expression)
    except ValidationError as exc:
        if exc.code == "expr_syntax" and "." in name_or_expression.split("(")[0]:
            raise NotFoundError(f"unknown factor {name_or_expression!r}",
                                code="unknown_factor") from exc
        raise


def compute(name_or_expression: str, panel: Panel,
            params: BaseModel | dict[str, Any] | None = None) -> Array:
    """Compute a registered factor or an expression over ``panel``."""
    return resolve(name_or_expression).compute(panel, params)


def compute_many(items: Iterable[str], panel: Panel) -> Iterator[tuple[str, Array]]:
    """Compute several factors, sharing equal sub-expressions among the expression ones.

    Yields ``(name, values)`` in input order; keep only what you need, a 2,520 x 500 panel
    takes 10 MB per factor.
    """
    factors = [resolve(i) for i in items]
    exprs = [f.expression for f in factors if f.expression is not None]
    stream = Evaluator(panel).run_many(exprs)
    for f in factors:
        if f.expression is not None:
            yield f.name, next(stream)
        else:
            yield f.name, f.compute(panel)
