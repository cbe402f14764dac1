"""Parameter grids for research: every combination of parameters in one column-MultiIndexed
DataFrame.

The inputs are validated and stacked once; each combination is one call of the numba kernel
over all bars (no per-bar Python work), so the cost is the kernel time times the number of
combinations plus a few microseconds of dispatch per combination.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nautilus.core.errors import ValidationError
from nautilus.features.base import INDICATORS, InputData, resolve_rows

_ALIASES = {"window": "timeperiod"}


def run_grid(
    indicator: str,
    data: InputData,
    *,
    columns: Mapping[str, str] | None = None,
    allow_nonfinite: bool = False,
    **grid: Sequence[Any] | Any,
) -> pd.DataFrame:
    """Compute ``indicator`` for the cartesian product of the given parameter values.

    Each keyword is a parameter name (``window`` is accepted for ``timeperiod``) with a value
    or a list of values; parameters not given keep their defaults. Columns are a MultiIndex
    ``(param1, param2, ..., output)``, one column group per combination, in product order.

    >>> import numpy as np
    >>> df = run_grid("sma", np.arange(10.0), window=[2, 3])
    >>> list(df.columns)
    [(2, 'sma'), (3, 'sma')]
    """
    ind = INDICATORS.get(indicator)
    fields = ind.config_class.model_fields
    names: list[str] = []
    values: list[tuple[Any, ...]] = []
    for key, val in grid.items():
        name = _ALIASES.get(key, key) if key not in fields else key
        if name not in fields:
            raise ValidationError(
                f"{indicator}: unknown parameter {key!r} (allowed: {', '.join(fields)})",
                code="unknown_parameter",
                parameter=key,
            )
        seq = tuple(val) if isinstance(val, (list, tuple, np.ndarray, range)) else (val,)
        if not seq:
            raise ValidationError(
                f"{indicator}: empty value list for {key!r}", code="empty_grid", parameter=key
            )
        names.append(name)
        values.append(seq)
    combos = list(itertools.product(*values)) if names else [()]
    cfgs = [ind.make_config(dict(zip(names, combo, strict=True))) for combo in combos]
    x = resolve_rows(ind, data, cfgs[0], columns, allow_nonfinite=allow_nonfinite)
    if ind.ts_transform is not None and len(cfgs) > 1:
        # the session index depends on the parameters: resolve per combination
        xs = [resolve_rows(ind, data, c, columns, allow_nonfinite=allow_nonfinite) for c in cfgs]
    else:
        xs = [x] * len(cfgs)
    n = len(x[0]) if x else 0
    xs = [ind.kernel_input(r) for r in xs]
    n_out = len(ind.outputs)
    out = np.empty((len(cfgs), n_out, n))
    for k, cfg in enumerate(cfgs):
        if n:
            ind.kernel(xs[k], 0, n, ind.params(cfg), ind.new_state(cfg), out[k])
    cols = pd.MultiIndex.from_tuples(
        [(*combo, o) for combo in combos for o in ind.outputs], names=[*names, "output"]
    )
    index = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(n)
    return pd.DataFrame(out.reshape(len(cfgs) * n_out, n).T, index=index, columns=cols)
