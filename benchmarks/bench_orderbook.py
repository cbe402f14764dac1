"""L2 order-book throughput: batched compiled apply vs the per-delta Python path.

Run: ``.venv/bin/python benchmarks/bench_orderbook.py [n_deltas]``.

The delta stream is synthetic but shaped like a consistent L2 feed: a mid price random-walks
on a 0.01 tick grid (a move every ~20 deltas, and each move deletes the level the mid moved
onto, so the book never crosses); each other delta touches a level within 50 ticks of the mid
on the side where that level belongs (35 % adds, 35 % updates, 30 % deletes).

When ``nautilus_trader`` is importable (its 1.221.0 wheel is the last one for Python 3.11;
install it in a separate environment and run with ``PYTHONPATH=src``), the same stream is
applied to its ``OrderBook`` in the same process and the ratio is printed.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import numpy.typing as npt

from nautilus.execution.orderbook import BookType, LevelBook
from nautilus.model.data import BookAction, BookDelta, BookSide

IID = "BTCUSD.SIM"


def make_stream(
    n: int, seed: int = 42
) -> tuple[
    npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.float64], npt.NDArray[np.float64]
]:
    """``(actions, sides, prices, sizes)`` arrays of ``n`` L2 deltas."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([-1, 0, 1], size=n, p=[0.025, 0.95, 0.025])
    mid_ticks = 1_000_000 + np.cumsum(steps)
    offset = rng.integers(1, 51, size=n)
    is_bid = rng.random(n) < 0.5
    ticks = np.where(is_bid, mid_ticks - offset, mid_ticks + offset)
    delete = rng.random(n) < 0.3
    actions = np.where(delete, 3, np.where(rng.random(n) < 0.5, 1, 2)).astype(np.int8)
    # when the mid moves, the level it moved onto is removed, as a consistent feed would
    moved = steps != 0
    is_bid = np.where(moved, steps < 0, is_bid)
    ticks = np.where(moved, mid_ticks, ticks)
    actions[moved] = 3
    delete |= moved
    prices = np.round(ticks * 0.01, 2)
    sides = np.where(is_bid, 1, 2).astype(np.int8)
    sizes = np.where(delete, 0.0, rng.integers(1, 1000, size=n) / 10.0)
    return actions, sides, prices, sizes


def bench_batched(
    arrays: tuple[
        npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.float64], npt.NDArray[np.float64]
    ],
    repeats: int = 5,
) -> tuple[float, float]:
    """Best ``(wall, cpu)`` deltas/s over ``repeats`` full-stream applies on a fresh book.

    CPU time (``time.process_time``) is reported next to wall time because the benchmark
    machine is shared: wall time includes the slices other processes take.
    """
    warm = LevelBook(IID, BookType.L2, capacity=512)
    warm.apply_arrays(*(a[:1000] for a in arrays))
    best_wall = best_cpu = 0.0
    for _ in range(repeats):
        book = LevelBook(IID, BookType.L2, capacity=512)
        t0, c0 = time.perf_counter(), time.process_time()
        book.apply_arrays(*arrays)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        best_wall = max(best_wall, len(arrays[0]) / dt)
        best_cpu = max(best_cpu, len(arrays[0]) / max(dc, 1e-9))
    return best_wall, best_cpu


def to_deltas(
    arrays: tuple[
        npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.float64], npt.NDArray[np.float64]
    ],
    n: int,
) -> list[BookDelta]:
    actions, sides, prices, sizes = arrays
    return [
        BookDelta(
            instrument_id=IID,
            action=BookAction(int(actions[i])),
            side=BookSide(int(sides[i])),
            price=float(prices[i]),
            size=float(sizes[i]),
            order_id=0,
            sequence=i,
            ts_event=i,
            ts_init=i,
        )
        for i in range(n)
    ]


def bench_per_delta(deltas: list[BookDelta]) -> float:
    book = LevelBook(IID, BookType.L2, capacity=512)
    book.apply(deltas[0])
    t0 = time.perf_counter()
    for d in deltas:
        book.apply(d)
    return len(deltas) / (time.perf_counter() - t0)


def bench_nautilus_trader(
    arrays: tuple[
        npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.float64], npt.NDArray[np.float64]
    ],
    n: int,
) -> float | None:
    """Deltas/s of nautilus_trader's OrderBook.apply_delta on the same stream (or ``None``)."""
    try:
        from nautilus_trader.model.book import OrderBook as NtBook
        from nautilus_trader.model.data import BookOrder, OrderBookDelta, OrderBookDeltas
        from nautilus_trader.model.enums import BookAction as NtAction
        from nautilus_trader.model.enums import BookType as NtType
        from nautilus_trader.model.enums import OrderSide as NtSide
        from nautilus_trader.model.identifiers import InstrumentId
        from nautilus_trader.model.objects import Price, Quantity
    except ImportError:
        return None
    iid = InstrumentId.from_str("BTCUSD.SIM")
    actions, sides, prices, sizes = arrays
    act = {1: NtAction.ADD, 2: NtAction.UPDATE, 3: NtAction.DELETE}
    deltas = []
    for i in range(n):
        side = NtSide.BUY if sides[i] == 1 else NtSide.SELL
        px = Price(float(prices[i]), 2)
        order = BookOrder(side, px, Quantity(float(sizes[i]), 1), round(prices[i] * 100))
        a = act[int(actions[i])]
        deltas.append(OrderBookDelta(iid, a, order, 0, i, i, i))
    book = NtBook(iid, NtType.L2_MBP)
    t0 = time.perf_counter()
    for d in deltas:
        book.apply_delta(d)
    per_delta = n / (time.perf_counter() - t0)
    book = NtBook(iid, NtType.L2_MBP)
    batch = OrderBookDeltas(iid, deltas)
    t0 = time.perf_counter()
    book.apply_deltas(batch)
    return per_delta, n / (time.perf_counter() - t0)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    arrays = make_stream(n)
    batched, batched_cpu = bench_batched(arrays)
    n_py = min(n, 200_000)
    per_delta = bench_per_delta(to_deltas(arrays, n_py))
    print(f"deltas: {n:,} batched, {n_py:,} per-delta")
    print(
        f"batched compiled apply : {batched / 1e6:8.2f} M deltas/s wall, "
        f"{batched_cpu / 1e6:.2f} M/s CPU  (goal >= 11 M/s)"
    )
    print(f"per-delta Python path  : {per_delta / 1e6:8.3f} M deltas/s")
    nt = bench_nautilus_trader(arrays, n_py)
    if nt is None:
        print("nautilus_trader        : not installed, comparison skipped")
    else:
        nt_one, nt_batch = nt
        print(
            f"nautilus_trader 1.221  : {nt_one / 1e6:8.3f} M deltas/s apply_delta loop, "
            f"{nt_batch / 1e6:.3f} M/s apply_deltas batch"
        )
        print(f"ratio batched / NT batch      : {batched / nt_batch:8.1f}x")
        print(f"ratio per-delta / NT per-delta: {per_delta / nt_one:8.2f}x")


if __name__ == "__main__":
    main()
