"""Compiled L2 order-book kernels over a fixed-capacity sorted-level array representation.

Layout (one book): ``keys`` float64 ``[2, capacity]``, ``sizes`` float64 ``[2, capacity]``,
``counts`` int64 ``[2]``. Row 0 holds bids with ``key = price``, row 1 asks with
``key = -price``. Each row is sorted ascending by key over ``[0, counts[row])``, so the *best*
level of both sides is the last one (``counts[row] - 1``): the levels that change most often sit
at the end of the array and inserting or deleting them moves few elements.

Actions follow :class:`nautilus.model.BookAction` (1 add, 2 update, 3 delete, 4 clear), sides
:class:`nautilus.model.BookSide` (1 bid, 2 ask). Add/update with ``size <= 0`` deletes the level.
When a row is full, a new level better than the worst level evicts the worst one; a new level
worse than all held levels is dropped. Kernels return how many deltas were dropped that way.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

ADD = 1
UPDATE = 2
DELETE = 3
CLEAR = 4
BID = 1
ASK = 2


def new_book_arrays(
    capacity: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Empty ``(keys, sizes, counts)`` for a book holding ``capacity`` levels per side."""
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    return (np.zeros((2, capacity)), np.zeros((2, capacity)), np.zeros(2, dtype=np.int64))


@njit(cache=True, inline="always")
def _search(keys: npt.NDArray[np.float64], n: int, key: float) -> int:
    # First index in keys[:n] whose value is >= key (keys ascending). Most updates land near
    # the best level (the end), so scan back linearly a few slots before bisecting.
    i = n
    stop = n - 32 if n > 32 else 0
    while i > stop and keys[i - 1] >= key:
        i -= 1
    if i > stop or i == 0:
        return i
    lo = 0
    hi = i
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def _apply_row(
    k: npt.NDArray[np.float64],
    s: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    row: int,
    action: int,
    key: float,
    size: float,
) -> int:
    n = counts[row]
    i = _search(k, n, key)
    found = i < n and k[i] == key
    if action == DELETE or size <= 0.0:
        if found:
            for j in range(i, n - 1):
                k[j] = k[j + 1]
                s[j] = s[j + 1]
            counts[row] = n - 1
        return 0
    if found:
        s[i] = size
        return 0
    if n < k.shape[0]:
        for j in range(n, i, -1):
            k[j] = k[j - 1]
            s[j] = s[j - 1]
        k[i] = key
        s[i] = size
        counts[row] = n + 1
        return 0
    if i == 0:
        return 1
    # Full: evict the worst level (index 0) and insert just below position i.
    for j in range(0, i - 1):
        k[j] = k[j + 1]
        s[j] = s[j + 1]
    k[i - 1] = key
    s[i - 1] = size
    return 1


@njit(cache=True)
def apply_one(
    keys: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    action: int,
    side: int,
    price: float,
    size: float,
) -> int:
    """Apply one delta in place; returns 1 if it was dropped for lack of capacity, else 0."""
    if action == CLEAR:
        counts[0] = 0
        counts[1] = 0
        return 0
    if side == BID:
        return _apply_row(keys[0], sizes[0], counts, 0, action, price, size)
    return _apply_row(keys[1], sizes[1], counts, 1, action, -price, size)


@njit(cache=True)
def apply_batch(
    keys: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    actions: npt.NDArray[np.int8],
    sides: npt.NDArray[np.int8],
    prices: npt.NDArray[np.float64],
    qtys: npt.NDArray[np.float64],
) -> int:
    """Apply deltas ``i = 0..len(actions)-1`` in order; returns the number dropped."""
    dropped = 0
    kb = keys[0]
    ka = keys[1]
    sb = sizes[0]
    sa = sizes[1]
    for i in range(actions.shape[0]):
        a = actions[i]
        if a == CLEAR:
            counts[0] = 0
            counts[1] = 0
        elif sides[i] == BID:
            dropped += _apply_row(kb, sb, counts, 0, a, prices[i], qtys[i])
        else:
            dropped += _apply_row(ka, sa, counts, 1, a, -prices[i], qtys[i])
    return dropped


@njit(cache=True)
def walk(
    keys: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    row: int,
    qty: float,
    limit_key: float,
) -> tuple[float, float]:
    """Take up to ``qty`` from ``row`` best-first while ``key >= limit_key``.

    Returns ``(filled, notional)``; a buy walks the asks (row 1, ``limit_key = -limit``), a
    sell walks the bids (row 0, ``limit_key = limit``). Pass ``-inf`` for no limit.
    """
    filled = 0.0
    notional = 0.0
    i = counts[row] - 1
    while i >= 0 and filled < qty:
        if keys[row, i] < limit_key:
            break
        take = min(sizes[row, i], qty - filled)
        filled += take
        px = keys[row, i] if row == 0 else -keys[row, i]
        notional += take * px
        i -= 1
    return filled, notional
