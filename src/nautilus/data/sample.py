"""Sample data for the demo, the CLI's ``load_sample_data`` and tests (no network, no store).

Two parts, both returned as frames in the bar contract (``ts`` = close time, int ns UTC,
float64 ``open high low close volume``) for the engine to store:

* **Real daily history shipped inside installed packages**: S&P 500 and NASDAQ Composite
  1999-2018 from ``arch.data`` (columns ``Open High Low Close Adj Close Volume``, a datetime
  index) and Microsoft 1986-2017 from ``pmdarima.datasets.load_msft`` (``Date`` strings plus
  ``Open High Low Close Volume OpenInt``). Closes are stamped 16:00 New York.
* **A synthetic universe** (:mod:`nautilus.data.sources.synthetic`): ``size`` instruments over
  the eleven GICS sectors with ~``years`` of daily bars and ``minute_weeks`` weeks of 1-minute
  bars, deterministic for a seed.

>>> inst, frame = next(sample_bars(real=False, size=1, years=1, minute_weeks=0))[:2]
>>> inst.sector, frame.index.name
('Information Technology', 'ts')
"""

from __future__ import annotations

import importlib.util
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nautilus.core.errors import UnavailableError
from nautilus.data.base import clean_bars
from nautilus.data.sources.synthetic import daily_bars, minute_bars, universe
from nautilus.model import BAR_COLUMNS, AssetClass, Instrument, Timeframe

SAMPLE_END = "2024-12-31"


def _to_bar_frame(dates: Any, frame: pd.DataFrame) -> pd.DataFrame:
    days = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    close = (days + pd.Timedelta(hours=16)).tz_localize("America/New_York").asi8
    out = pd.DataFrame({c: frame[c.title()].to_numpy(dtype=np.float64) for c in BAR_COLUMNS},
                       index=pd.Index(np.asarray(close, dtype=np.int64), name="ts"))
    clean, _ = clean_bars(out)
    return clean


def _package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, located without importing the package
    (importing arch or pmdarima pulls in scipy/statsmodels/sklearn: seconds of start-up)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.exists():
        raise ImportError(f"{package} does not ship {'/'.join(parts)}")
    return path


def _arch(name: str) -> pd.DataFrame:
    data = pd.read_csv(_package_file("arch", "data", name, f"{name}.csv.gz"))
    return _to_bar_frame(data["Date"], data)


def _msft() -> pd.DataFrame:
    with tarfile.open(_package_file("pmdarima", "datasets", "data", "msft.tar.gz"), "r:*") as tar:
        member = tar.extractfile(tar.getnames()[0])
        if member is None:
            raise ImportError("pmdarima msft archive is empty")
        data = pd.read_csv(member)
    return _to_bar_frame(data["Date"], data)


REAL_HISTORY: dict[str, tuple[Instrument, Callable[[], pd.DataFrame]]] = {
    "SPX.IDX": (Instrument.create("SPX.IDX", AssetClass.INDEX, "USD", name="S&P 500 index"),
                lambda: _arch("sp500")),
    "COMP.IDX": (Instrument.create("COMP.IDX", AssetClass.INDEX, "USD",
                                   name="NASDAQ Composite index"), lambda: _arch("nasdaq")),
    "MSFT.XNAS": (Instrument.create("MSFT.XNAS", AssetClass.EQUITY, "USD",
                                    name="Microsoft Corporation",
                                    sector="Information Technology"), _msft),
}


def real_daily_history() -> Iterator[tuple[Instrument, pd.DataFrame]]:
    """Real daily bars from packages that ship them; a missing package is skipped, and
    UnavailableError is raised only if none loads."""
    loaded = 0
    for inst, load in REAL_HISTORY.values():
        try:
            frame = load()
        except ImportError:
            continue
        loaded += 1
        yield inst, frame
    if loaded == 0:
        raise UnavailableError("no sample history package (arch, pmdarima) is installed",
                               code="sample_data_missing")


def sample_instruments(*, real: bool = True, size: int = 55) -> Iterator[Instrument]:
    """The instruments of :func:`sample_bars` (real ones first, then the synthetic universe)."""
    if real:
        yield from (inst for inst, _ in REAL_HISTORY.values())
    yield from universe(size)


def sample_bars(*, real: bool = True, size: int = 55, seed: int = 7, years: int = 10,
                minute_weeks: int = 3, end: str = SAMPLE_END,
                ) -> Iterator[tuple[Instrument, pd.DataFrame, str]]:
    """Yield ``(instrument, frame, timeframe)``: real daily history, then per synthetic
    instrument its daily bars (``years`` up to ``end``) and 1-minute bars (last
    ``minute_weeks`` weeks)."""
    if real:
        for inst, frame in real_daily_history():
            yield inst, frame, Timeframe.D1.value
    end_ns = pd.Timestamp(end).value + 86_400 * 10**9
    start_ns = (pd.Timestamp(end) - pd.DateOffset(years=years)).value
    minute_start = (pd.Timestamp(end) - pd.Timedelta(weeks=minute_weeks)).value
    for inst in universe(size):
        yield inst, daily_bars(inst.id, start_ns, end_ns, seed), Timeframe.D1.value
        if minute_weeks > 0:
            yield inst, minute_bars(inst.id, minute_start, end_ns, seed), Timeframe.M1.value
