"""The indicator plug-in contract, the ``INDICATORS`` registry and the batch dispatch layer.

Every indicator is one numba kernel written as a *state machine*::

    kernel(x, start, stop, p, st, out) -> None

- ``x``: the input rows in the order of ``Indicator.inputs``: a float64 ``(n_inputs, n)`` array
  or, for kernels registered with ``row_inputs=True``, a tuple of C-contiguous float64 rows of
  length ``n`` (the batch path then passes the caller's columns as they are, without stacking
  them into a new array). Such kernels take rows with ``x[k]`` and read ``row[i]``, never
  ``x[k, i]`` or ``x.shape``;
- ``start``/``stop``: the bars to process are ``x[:, start:stop]``; bars before ``start`` are
  history the kernel may read back (at most ``Indicator.history(cfg)`` bars, and never further
  back than the number of bars seen so far);
- ``p``: float64 parameter vector, the config fields in declaration order;
- ``st``: float64 state vector; ``st[0]`` is the number of bars seen so far, the rest holds the
  recursive state (running sums, smoothed values, ring buffers of intermediate series);
- ``out``: float64 ``(n_outputs, stop - start)``; column ``i - start`` receives bar ``i``;
- return value: ``None``, or for kernels registered with ``checks_finite=True`` a flag that is
  True if any input value in bars ``start..stop-1`` may be non-finite (NaN or +-inf; a false
  alarm is allowed, a missed value is not). :func:`compute` then validates the inputs in the
  kernel's own pass over them instead of a separate pass per column, and looks for the bad
  value only when the flag is raised.

The batch form runs the kernel once over all bars with a fresh state; the streaming twin
(:mod:`nautilus.features.streaming`) runs the *same* kernel one bar at a time with the state
kept between calls, so both forms execute the same floating-point operations in the same order
and agree exactly, and no value can depend on a later bar.

Conventions shared by every indicator:

- Warm-up: the first ``Indicator.lookback(cfg)`` outputs are NaN (TA-Lib's lookback where
  TA-Lib has the indicator). With fewer bars than ``lookback + 1`` every output is NaN.
- Inputs must be finite by default: :func:`compute` raises ``ValidationError``
  (code ``non_finite_input``) naming the column and the first bad bar. With
  ``allow_nonfinite=True`` values propagate by IEEE rules: a NaN reaching a running sum or a
  recursive average makes every later value NaN, it is never silently skipped.
- Prices are in the instrument's price units, volume in its volume units; oscillators are in
  percent points (0..100 or -100..100) unless their docstring says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pydantic

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import ValidationError
from nautilus.core.registry import Registry
from nautilus.features.primitives import row_finite, rows_finite

FloatArray = npt.NDArray[np.float64]
Rows = tuple[FloatArray, ...]
Kernel = Callable[..., None]


class Indicator:
    """A registered indicator: its kernel, inputs, outputs, parameters and warm-up.

    ``__doc__`` is the config class docstring, so the registry summary and the JSON schema
    description carry the warm-up and units.
    """

    def __init__(
        self,
        name: str,
        category: str,
        inputs: tuple[str, ...],
        outputs: tuple[str, ...],
        config: type[FrozenConfig],
        kernel: Kernel,
        state_size: Callable[[Any], int],
        lookback: Callable[[Any], int],
        history: Callable[[Any], int] | None = None,
        talib: str | None = None,
        ts_transform: Callable[[Any, Any], FloatArray] | None = None,
        fixed_params: tuple[float, ...] = (),
        row_inputs: bool = False,
        checks_finite: bool = False,
    ) -> None:
        self.name = name
        self.category = category
        self.inputs = inputs
        self.outputs = outputs
        self.config_class = config
        self._fields = tuple(config.model_fields)  # (reading ``model_fields`` costs ~0.2 us)
        self._default: Any = None
        self.kernel = kernel
        self._state_size = state_size
        self._lookback = lookback
        self._history = history if history is not None else lookback
        self.talib = talib
        self.ts_transform = ts_transform
        self.fixed_params = fixed_params
        self.row_inputs = row_inputs
        self.checks_finite = checks_finite
        self.__doc__ = config.__doc__

    def __repr__(self) -> str:
        return f"Indicator({self.name!r}, inputs={self.inputs}, outputs={self.outputs})"

    def make_config(self, params: Mapping[str, Any] | FrozenConfig | None = None) -> Any:
        """Validate ``params`` into this indicator's config; errors name the parameter and range."""
        if isinstance(params, self.config_class):
            return params
        if not params and self._default is not None:
            return self._default  # (configs are frozen, so the defaults can be shared)
        try:
            cfg = self.config_class(**dict(params or {}))
        except pydantic.ValidationError as exc:
            raise _config_error(self.name, self.config_class, exc) from None
        if not params:
            self._default = cfg
        return cfg

    def lookback(self, cfg: Any) -> int:
        """Number of leading NaN outputs (bars consumed before the first value)."""
        return int(self._lookback(cfg))

    def history(self, cfg: Any) -> int:
        """How many past raw bars the kernel may read back from the current bar."""
        return int(self._history(cfg))

    def state_size(self, cfg: Any) -> int:
        return int(self._state_size(cfg))

    def params(self, cfg: Any) -> FloatArray:
        """The float64 parameter vector passed to the kernel: the config fields in declaration
        order, then the indicator's fixed parameters (e.g. a pattern id shared kernels use)."""
        cls = type(cfg)
        fields = self._fields if cls is self.config_class else tuple(cls.model_fields)
        vals = [float(getattr(cfg, f)) for f in fields]
        return np.array(vals + list(self.fixed_params), dtype=np.float64)

    def new_state(self, cfg: Any) -> FloatArray:
        return np.zeros(self.state_size(cfg), dtype=np.float64)

    def run(self, x: FloatArray | Rows, cfg: Any) -> FloatArray:
        """Run the kernel over all bars of ``x`` with a fresh state.

        ``x`` is a ``(n_inputs, n)`` array or a tuple of ``n_inputs`` float64 rows (as from
        :func:`resolve_rows`); a tuple reaches the kernel as it is, with no stacking copy.
        """
        return self.run_flagged(x, cfg)[0]

    def run_flagged(self, x: FloatArray | Rows, cfg: Any) -> tuple[FloatArray, bool]:
        """:meth:`run`, and the kernel's non-finite flag (False for kernels without
        ``checks_finite``)."""
        arg = self.kernel_input(x)
        n = len(arg[0]) if len(arg) else 0
        out = np.empty((len(self.outputs), n), dtype=np.float64)
        flag = None
        if n:
            flag = self.kernel(arg, 0, n, self.params(cfg), self.new_state(cfg), out)
        return out, bool(flag) and self.checks_finite

    def kernel_input(self, x: FloatArray | Rows) -> Any:
        """``x`` in the form the kernel is compiled for: the row tuple itself for a
        ``row_inputs`` kernel, else one C-contiguous ``(n_inputs, n)`` array."""
        if isinstance(x, tuple):
            rows = tuple(np.ascontiguousarray(r, dtype=np.float64) for r in x)
            if self.row_inputs:
                return rows
            return np.stack(rows) if rows else np.empty((0, 0), dtype=np.float64)
        return np.ascontiguousarray(x, dtype=np.float64)  # one compiled layout per kernel


INDICATORS: Registry[Indicator] = Registry("indicator")
"""All indicators by name; ``INDICATORS.describe()`` lists each with its parameter schema."""


def register(ind: Indicator) -> Indicator:
    """Add ``ind`` to :data:`INDICATORS` (with its config class as the parameter schema)."""
    return INDICATORS.register(
        ind.name, config=ind.config_class, tags=(ind.category,) + (("talib",) if ind.talib else ())
    )(ind)


def _field_range(cfg_cls: type[FrozenConfig], field: str) -> str:
    info = cfg_cls.model_fields.get(field)
    if info is None:
        return "a known parameter (" + ", ".join(cfg_cls.model_fields) + ")"
    lo = hi = None
    lo_op, hi_op = "[", "]"
    for m in info.metadata:
        for attr, op in (("ge", "["), ("gt", "(")):
            if getattr(m, attr, None) is not None:
                lo, lo_op = getattr(m, attr), op
        for attr, op in (("le", "]"), ("lt", ")")):
            if getattr(m, attr, None) is not None:
                hi, hi_op = getattr(m, attr), op
    if lo is None and hi is None:
        return f"a valid {info.annotation.__name__ if info.annotation else 'value'}"
    return f"{lo_op}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{hi_op}"


def _config_error(
    name: str, cfg_cls: type[FrozenConfig], exc: pydantic.ValidationError
) -> ValidationError:
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err.get("loc") else "?"
    got = err.get("input")
    if err.get("type") == "extra_forbidden":
        allowed = ", ".join(cfg_cls.model_fields) or "none"
        return ValidationError(
            f"{name}: unknown parameter {field!r} (allowed: {allowed})",
            code="unknown_parameter",
            parameter=field,
        )
    rng = _field_range(cfg_cls, field)
    return ValidationError(
        f"{name}: parameter {field} must be in {rng}, got {got!r}",
        code="parameter_out_of_range",
        parameter=field,
        allowed=rng,
    )


InputData = pd.DataFrame | Mapping[str, Any] | npt.ArrayLike


def resolve_inputs(
    ind: Indicator,
    data: InputData,
    cfg: Any,
    columns: Mapping[str, str] | None = None,
    *,
    allow_nonfinite: bool = False,
) -> FloatArray:
    """The indicator's inputs as one C-contiguous float64 ``(n_inputs, n)`` array.

    Same rules as :func:`resolve_rows`; a single contiguous float64 input is used in place (a
    view), several are stacked into a new array (for callers that slice bars across inputs).
    """
    rows = resolve_rows(ind, data, cfg, columns, allow_nonfinite=allow_nonfinite)
    if len(rows) == 1:
        return rows[0].reshape(1, -1)
    return np.stack(rows) if rows else np.empty((0, 0), dtype=np.float64)


def resolve_rows(
    ind: Indicator,
    data: InputData,
    cfg: Any,
    columns: Mapping[str, str] | None = None,
    *,
    allow_nonfinite: bool = False,
) -> Rows:
    """The indicator's inputs as a tuple of C-contiguous float64 rows, in ``ind.inputs`` order.

    Contiguous float64 columns are used in place (views, no copy; kernels never write their
    inputs); anything else is converted once. ``data`` is a DataFrame or mapping with the input
    columns (``columns`` renames: input name -> column), or a plain array for single-input
    indicators. The ``ts`` input (int ns UTC) is taken from a ``ts`` column or, for a DataFrame,
    from an integer/datetime index, and passed through the indicator's ``ts_transform`` (e.g. to
    a session number) in exact int64. Non-finite values raise ``ValidationError``
    (``non_finite_input``) unless ``allow_nonfinite``.
    """
    columns = dict(columns or {})
    if not isinstance(data, (pd.DataFrame, Mapping)):
        if len(ind.inputs) != 1:
            raise ValidationError(
                f"{ind.name} needs inputs {list(ind.inputs)}; pass a DataFrame or a mapping",
                code="missing_input",
            )
        data = {ind.inputs[0]: data}
    raws: list[Any] = []
    for name in ind.inputs:
        col = columns.get(name, name)
        if name == "ts" and isinstance(data, pd.DataFrame) and col not in data.columns:
            raws.append(_index_ns(data.index))
        elif col in data:
            raws.append(data[col])
        else:
            raise ValidationError(
                f"{ind.name} needs input {name!r} (column {col!r} is missing)",
                code="missing_input",
                parameter=name,
            )
    if len({len(r) for r in raws}) > 1:
        raise ValidationError(f"{ind.name}: inputs have different lengths", code="bad_shape")
    rows: list[FloatArray] = []
    for name, raw in zip(ind.inputs, raws, strict=True):
        if name == "ts":
            ts = np.asarray(raw).astype(np.int64)
            rows.append(
                np.ascontiguousarray(
                    ind.ts_transform(ts, cfg) if ind.ts_transform else ts, dtype=np.float64
                )
            )
            continue
        arr = np.asarray(raw, dtype=np.float64)
        if arr.ndim != 1:
            raise ValidationError(f"input {name!r} must be one-dimensional", code="bad_shape")
        rows.append(np.ascontiguousarray(arr))
    if not allow_nonfinite:
        for k in range(0, len(rows), 4):  # one pass per four inputs; per input if flagged
            a, b, c, d = (rows[k : k + 4] * 4)[:4]  # (fewer than four: rows repeated)
            if not rows_finite(a, b, c, d):
                check_finite(ind, rows)
    return tuple(rows)


def check_finite(ind: Indicator, rows: Rows | list[FloatArray]) -> None:
    """Raise ``ValidationError`` (``non_finite_input``) naming the first input, in
    ``ind.inputs`` order, with a NaN or +-inf value and its first such bar."""
    for name, row in zip(ind.inputs, rows, strict=True):
        if not row_finite(row):
            first = int(np.argmax(~np.isfinite(row)))
            raise ValidationError(
                f"{ind.name}: input {name!r} has a non-finite value at bar {first} "
                "(pass allow_nonfinite=True to propagate NaN)",
                code="non_finite_input",
                parameter=name,
                bar=first,
            )


def _index_ns(index: pd.Index) -> npt.NDArray[np.int64]:
    if isinstance(index, pd.DatetimeIndex):
        idx = index.tz_convert("UTC") if index.tz is not None else index
        return idx.asi8.astype(np.int64)
    return np.asarray(index, dtype=np.int64)


def compute(
    name: str,
    data: InputData,
    *,
    columns: Mapping[str, str] | None = None,
    allow_nonfinite: bool = False,
    **params: Any,
) -> Any:
    """Compute indicator ``name`` over all bars (batch form).

    Returns a DataFrame with one column per output (same index) for DataFrame input, a
    ``dict`` of output arrays for mapping input, and for array input the output array
    (single-output indicators) or the dict (several outputs).

    >>> import numpy as np
    >>> compute("sma", np.arange(1.0, 6.0), timeperiod=3)
    array([nan, nan,  2.,  3.,  4.])
    """
    ind = INDICATORS.get(name)
    cfg = ind.make_config(params)
    fused = ind.checks_finite and not allow_nonfinite
    rows = resolve_rows(ind, data, cfg, columns, allow_nonfinite=allow_nonfinite or fused)
    out, flagged = ind.run_flagged(rows, cfg)
    if fused and flagged:
        check_finite(ind, rows)  # raises, unless the flag was a false alarm (an overflow)
    if isinstance(data, pd.DataFrame):
        return pd.DataFrame({o: out[k] for k, o in enumerate(ind.outputs)}, index=data.index)
    if not isinstance(data, Mapping) and len(ind.outputs) == 1:
        return out[0]
    return {o: out[k] for k, o in enumerate(ind.outputs)}


def list_indicators(category: str | None = None) -> list[str]:
    """Registered indicator names, optionally of one category (overlap, momentum, ...)."""
    return [
        n for n in INDICATORS.names() if category is None or INDICATORS.get(n).category == category
    ]
