"""All 158 Alpha158 features against a direct pandas implementation of their definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nautilus.factors import FACTORS, by_tag, compute_many
from nautilus.factors.alpha158 import ALPHA158, WINDOWS
from nautilus.factors.panel import Panel

E = 1e-12


def _valid(*frames: pd.DataFrame) -> pd.DataFrame:
    ok = frames[0].notna()
    for f in frames[1:]:
        ok &= f.notna()
    return ok


def _trend(y: pd.DataFrame, d: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # slope/R^2/residual of y on time over the window, through rolling moments of (t, y)
    t = pd.DataFrame(np.repeat(np.arange(len(y), dtype=float)[:, None], y.shape[1], axis=1),
                     index=y.index, columns=y.columns).where(y.notna())
    cov = y.rolling(d).cov(t)
    slope = cov / t.rolling(d).var()
    rsq = y.rolling(d).corr(t) ** 2
    resi = y - (y.rolling(d).mean() + slope * (t - t.rolling(d).mean()))
    return slope, rsq, resi


def pandas_alpha158(w: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    o, h, lo, c, v, vw = (w[k] for k in ("open", "high", "low", "close", "volume", "vwap"))
    out: dict[str, pd.DataFrame] = {}
    top, bot = np.maximum(o, c), np.minimum(o, c)
    out["KMID"] = (c - o) / o
    out["KLEN"] = (h - lo) / o
    out["KMID2"] = (c - o) / (h - lo + E)
    out["KUP"] = (h - top) / o
    out["KUP2"] = (h - top) / (h - lo + E)
    out["KLOW"] = (bot - lo) / o
    out["KLOW2"] = (bot - lo) / (h - lo + E)
    out["KSFT"] = (2 * c - h - lo) / o
    out["KSFT2"] = (2 * c - h - lo) / (h - lo + E)
    for name, f in (("OPEN0", o), ("HIGH0", h), ("LOW0", lo), ("VWAP0", vw)):
        out[name] = f / c
    c1, v1 = c.shift(1), v.shift(1)
    up = (c > c1).astype(float).where(_valid(c, c1))
    dn = (c < c1).astype(float).where(_valid(c, c1))
    gain, loss, move = np.maximum(c - c1, 0), np.maximum(c1 - c, 0), (c - c1).abs()
    vgain, vloss, vmove = np.maximum(v - v1, 0), np.maximum(v1 - v, 0), (v - v1).abs()
    wv = (c / c1 - 1).abs() * v
    for d in WINDOWS:
        r = lambda f, d=d: f.rolling(d)  # noqa: E731
        slope, rsq, resi = _trend(c, d)
        out[f"ROC{d}"] = c.shift(d) / c
        out[f"MA{d}"] = r(c).mean() / c
        out[f"STD{d}"] = r(c).std() / c
        out[f"BETA{d}"] = slope / c
        out[f"RSQR{d}"] = rsq
        out[f"RESI{d}"] = resi / c
        out[f"MAX{d}"] = r(h).max() / c
        out[f"MIN{d}"] = r(lo).min() / c
        out[f"QTLU{d}"] = r(c).quantile(0.8) / c
        out[f"QTLD{d}"] = r(c).quantile(0.2) / c
        out[f"RANK{d}"] = r(c).rank(pct=True)
        out[f"RSV{d}"] = (c - r(lo).min()) / (r(h).max() - r(lo).min() + E)
        imax = r(h).apply(lambda x: np.argmax(x) + 1, raw=True)
        imin = r(lo).apply(lambda x: np.argmin(x) + 1, raw=True)
        out[f"IMAX{d}"] = imax / d
        out[f"IMIN{d}"] = imin / d
        out[f"IMXD{d}"] = (imax - imin) / d
        out[f"CORR{d}"] = r(c).corr(np.log(v + 1))
        out[f"CORD{d}"] = r(c / c1).corr(np.log(v / v1 + 1))
        out[f"CNTP{d}"] = r(up).mean()
        out[f"CNTN{d}"] = r(dn).mean()
        out[f"CNTD{d}"] = r(up).mean() - r(dn).mean()
        out[f"SUMP{d}"] = r(gain).sum() / (r(move).sum() + E)
        out[f"SUMN{d}"] = r(loss).sum() / (r(move).sum() + E)
        out[f"SUMD{d}"] = (r(gain).sum() - r(loss).sum()) / (r(move).sum() + E)
        out[f"VMA{d}"] = r(v).mean() / (v + E)
        out[f"VSTD{d}"] = r(v).std() / (v + E)
        out[f"WVMA{d}"] = r(wv).std() / (r(wv).mean() + E)
        out[f"VSUMP{d}"] = r(vgain).sum() / (r(vmove).sum() + E)
        out[f"VSUMN{d}"] = r(vloss).sum() / (r(vmove).sum() + E)
        out[f"VSUMD{d}"] = (r(vgain).sum() - r(vloss).sum()) / (r(vmove).sum() + E)
    return out


@pytest.fixture(scope="module")
def ours(panel: Panel) -> dict[str, np.ndarray]:
    return {k.split(".", 1)[1]: v for k, v in
            compute_many([f"alpha158.{n}" for n in ALPHA158], panel)}


@pytest.fixture(scope="module")
def reference(wide: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return pandas_alpha158(wide)


def test_the_set_has_158_registered_features() -> None:
    assert len(ALPHA158) == 158
    assert len(by_tag("alpha158")) == 158
    assert {f.name for f in by_tag("kbar")} == {f"alpha158.{n}" for n in
                                                ("KMID", "KLEN", "KMID2", "KUP", "KUP2", "KLOW",
                                                 "KLOW2", "KSFT", "KSFT2")}
    spec = FACTORS.spec("alpha158.RSV20")
    assert spec.summary.startswith("Alpha158 RSV20")
    assert "alpha158" in spec.tags


def test_every_feature_matches_pandas(ours: dict[str, np.ndarray],
                                      reference: dict[str, pd.DataFrame]) -> None:
    assert set(ours) == set(reference)
    for name, ref in reference.items():
        got = ours[name]
        np.testing.assert_allclose(got, ref.to_numpy(), rtol=1e-7, atol=1e-9, equal_nan=True,
                                   err_msg=name)


def test_warmup_and_halt_propagation(ours: dict[str, np.ndarray]) -> None:
    # 60-day features start on row 59 (ROC60 needs 60 earlier rows: row 60)
    assert np.isnan(ours["MA60"][:59]).all() and np.isfinite(ours["MA60"][59]).all()
    assert np.isnan(ours["ROC60"][:60]).all() and np.isfinite(ours["ROC60"][60]).all()
    # the halt on rows 70-71 of instrument 3 blanks its 5-day mean up to row 75
    assert np.isnan(ours["MA5"][70:76, 3]).all() and np.isfinite(ours["MA5"][76, 3])
    assert np.isfinite(ours["MA5"][70:76, 2]).all()
    # bounded features stay in their ranges
    for d in WINDOWS:
        for name in (f"RANK{d}", f"RSQR{d}", f"CNTP{d}", f"SUMP{d}", f"IMAX{d}"):
            vals = ours[name][np.isfinite(ours[name])]
            assert vals.min() >= 0.0 and vals.max() <= 1.0 + 1e-12, name
