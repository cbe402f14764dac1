"""Identifiers: sortable, URL-safe, generated locally without coordination."""

from __future__ import annotations

import os
import time


def new_id(prefix: str = "") -> str:
    """A 26-character, time-ordered identifier (48-bit ms time + 80 random bits, base32).

    >>> len(new_id())
    26
    """
    ms = time.time_ns() // 1_000_000
    raw = ms.to_bytes(6, "big") + os.urandom(10)
    n = int.from_bytes(raw, "big")
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    chars = []
    for _ in range(26):
        n, r = divmod(n, 32)
        chars.append(alphabet[r])
    return prefix + "".join(reversed(chars))
