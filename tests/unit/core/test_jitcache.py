"""Numba cache files are dropped when the package's sources change (``nautilus._jitcache``)."""

from __future__ import annotations

import os
from pathlib import Path

from nautilus._jitcache import STAMP, refresh, sources_stamp


def _package(root: Path) -> None:
    (root / "sub" / "__pycache__").mkdir(parents=True)
    (root / "__pycache__").mkdir()
    (root / "kernels.py").write_text("def k(x):\n    return x\n")
    (root / "sub" / "helpers.py").write_text("ONE = 1\n")
    for f in ("sub/__pycache__/helpers.k-1.py311.nbi", "sub/__pycache__/helpers.k-1.py311.1.nbc"):
        (root / f).write_bytes(b"cached")
    (root / "sub" / "__pycache__" / "helpers.cpython-311.pyc").write_bytes(b"pyc")


def test_cache_dropped_once_then_kept_until_a_source_changes(tmp_path: Path) -> None:
    _package(tmp_path)
    assert refresh(tmp_path) == 2  # no stamp yet: whatever is cached may be stale
    assert (tmp_path / STAMP).read_text() == sources_stamp(tmp_path)
    assert (tmp_path / "sub" / "__pycache__" / "helpers.cpython-311.pyc").exists()
    (tmp_path / "sub" / "__pycache__" / "helpers.k-1.py311.nbi").write_bytes(b"cached")
    assert refresh(tmp_path) == 0  # sources unchanged: the cache stays
    helper = tmp_path / "sub" / "helpers.py"
    helper.write_text("ONE = 2\n")  # same size: the mtime tells
    st = helper.stat()
    os.utime(helper, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert refresh(tmp_path) == 1
    assert not list(tmp_path.rglob("*.nbi"))


def test_a_stamp_that_cannot_be_written_does_not_fail_the_import(tmp_path: Path) -> None:
    _package(tmp_path)
    (tmp_path / STAMP).mkdir()  # neither readable nor replaceable as a file
    assert refresh(tmp_path) == 2
    assert refresh(tmp_path) == 0  # nothing left to drop, and still no error
    assert (tmp_path / STAMP).is_dir()
