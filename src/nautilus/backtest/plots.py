"""Static plots of research results as PNG bytes (matplotlib's Agg canvas, no display)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from nautilus.core.errors import ValidationError


def heatmap_png(
    table: pd.DataFrame, x: str, y: str, value: str, *, title: str | None = None, dpi: int = 100
) -> bytes:
    """PNG of ``value`` over the (``x``, ``y``) parameter surface of a sweep table.

    Cells without a trial are blank; duplicate (x, y) pairs show their mean.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    for col in (x, y, value):
        if col not in table.columns:
            raise ValidationError(f"no column {col!r} in the sweep table", code="unknown_column")
    if table.empty:
        raise ValidationError("the sweep table is empty", code="empty")
    grid = table.pivot_table(index=y, columns=x, values=value, aggfunc="mean")
    fig = Figure(figsize=(6.4, 4.8), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    data = np.ma.masked_invalid(grid.to_numpy(dtype=np.float64))
    mesh = ax.imshow(data, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns], rotation=90)
    ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title or f"{value} by {x} and {y}")
    fig.colorbar(mesh, ax=ax, label=value)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
