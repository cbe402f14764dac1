"""Constraint rows and solver dispatch.

Dense quadratic programmes with linear constraints (minimum variance, maximum Sharpe, mean–
variance) go to quadprog (Goldfarb–Idnani dual active set: fast and exact on dense problems of
a few hundred assets); anything else, or a quadprog failure, goes through cvxpy with Clarabel,
then OSQP/SCS as fallbacks. Before a problem is declared infeasible, an LP over the constraints
alone (HiGHS) finds which constraints cannot hold together and names them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog

from nautilus.core.errors import ValidationError
from nautilus.portfolio.optimisers.base import Constraints, PortfolioInputs

log = logging.getLogger(__name__)
Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float64]


@dataclass
class LinearRows:
    """``A_eq x = b_eq`` and ``A_ge x >= b_ge`` with a label per inequality row."""

    a_eq: list[Vector] = field(default_factory=list)
    b_eq: list[float] = field(default_factory=list)
    a_ge: list[Vector] = field(default_factory=list)
    b_ge: list[float] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    eq_labels: list[str] = field(default_factory=list)

    def eq(self, row: Vector, rhs: float, label: str) -> None:
        self.a_eq.append(row)
        self.b_eq.append(rhs)
        self.eq_labels.append(label)

    def ge(self, row: Vector, rhs: float, label: str) -> None:
        self.a_ge.append(row)
        self.b_ge.append(rhs)
        self.labels.append(label)

    def matrices(self, n: int) -> tuple[Matrix, Vector, Matrix, Vector]:
        ae = np.array(self.a_eq).reshape(-1, n)
        ag = np.array(self.a_ge).reshape(-1, n)
        return ae, np.array(self.b_eq, dtype=float), ag, np.array(self.b_ge, dtype=float)


def bounds(inputs: PortfolioInputs, cons: Constraints) -> tuple[Vector, Vector]:
    n = len(inputs.assets)
    lb, ub = np.full(n, cons.lower), np.full(n, cons.upper)
    index = {a: i for i, a in enumerate(inputs.assets)}
    for asset, (lo, hi) in cons.asset_bounds.items():
        if asset not in index:
            raise ValidationError(f"bounds given for unknown asset {asset!r}", code="unknown_asset")
        lb[index[asset]], ub[index[asset]] = lo, hi
    return lb, ub


def linear_rows(
    inputs: PortfolioInputs, cons: Constraints, *, homogeneous: bool = False, budget: float = 1.0
) -> LinearRows:
    """Budget, bounds and group caps as rows over ``x``.

    ``homogeneous``: rows for the scaled variable ``y = k w`` with ``k = sum(y)`` (the maximum
    Sharpe transformation): each bound ``l <= w_i`` becomes ``y_i - l * 1ᵀy >= 0``.
    """
    n = len(inputs.assets)
    ones = np.ones(n)
    rows = LinearRows()
    if not homogeneous:
        rows.eq(ones, budget, "budget")
    lb, ub = bounds(inputs, cons)
    for i, asset in enumerate(inputs.assets):
        e = np.zeros(n)
        e[i] = 1.0
        own = asset in cons.asset_bounds
        lo_label = f"bounds of {asset}" if own else f"lower bound {cons.lower} on every asset"
        hi_label = f"bounds of {asset}" if own else f"upper bound {cons.upper} on every asset"
        if homogeneous:
            rows.ge(e - lb[i] * ones, 0.0, lo_label)
            if not (cons.long_only and ub[i] >= 1.0):
                rows.ge(ub[i] * ones - e, 0.0, hi_label)
        else:
            rows.ge(e, lb[i], lo_label)
            if not (cons.long_only and ub[i] >= budget):
                rows.ge(-e, -ub[i], hi_label)
    for cap in cons.group_caps:
        mapping = inputs.groups.get(cap.map_name)
        if mapping is None:
            raise ValidationError(f"no group map named {cap.map_name!r}", code="unknown_group_map")
        member = np.array([1.0 if mapping.get(a) == cap.group else 0.0 for a in inputs.assets])
        if not member.any():
            raise ValidationError(
                f"group {cap.group!r} of {cap.map_name!r} has no assets", code="empty_group"
            )
        label = f"{cap.map_name} {cap.group}"
        if homogeneous:
            rows.ge(member - cap.lower * ones, 0.0, f"{label} lower cap")
            rows.ge(cap.upper * ones - member, 0.0, f"{label} upper cap")
        else:
            rows.ge(member, cap.lower, f"{label} lower cap")
            rows.ge(-member, -cap.upper, f"{label} upper cap")
    return rows


def cvx_constraints(
    w: cp.Variable, inputs: PortfolioInputs, cons: Constraints
) -> list[cp.Constraint]:
    """All constraints (incl. turnover and gross exposure) on the weight variable ``w``."""
    rows = linear_rows(inputs, cons)
    n = len(inputs.assets)
    ae, be, ag, bg = rows.matrices(n)
    out: list[cp.Constraint] = []
    if len(be):
        out.append(ae @ w == be)
    if len(bg):
        out.append(ag @ w >= bg)
    if cons.max_turnover is not None:
        if inputs.current is None:
            raise ValidationError("max_turnover needs current weights", code="missing_current")
        out.append(cp.norm1(w - inputs.current) <= cons.max_turnover)
    if cons.gross_limit is not None:
        out.append(cp.norm1(w) <= cons.gross_limit)
    return out


def needs_general_solver(cons: Constraints) -> bool:
    return cons.max_turnover is not None or cons.gross_limit is not None


def check_feasible(
    inputs: PortfolioInputs, cons: Constraints, extra: LinearRows | None = None
) -> None:
    """Raise ValidationError naming the conflicting constraints if no weights satisfy them."""
    n = len(inputs.assets)
    rows = linear_rows(inputs, cons)
    if extra is not None:
        for r, b, lab in zip(extra.a_ge, extra.b_ge, extra.labels, strict=True):
            rows.ge(r, b, lab)

    def feasible(skip: set[str]) -> bool:
        ae, be, ag, bg = rows.matrices(n)
        keep = [i for i, lab in enumerate(rows.labels) if lab not in skip]
        a_ub = -ag[keep] if keep else None
        b_ub = -bg[keep] if keep else None
        # turnover / gross via split variables w = p - m (p, m >= 0)
        if cons.max_turnover is not None or cons.gross_limit is not None:
            return _feasible_with_l1(inputs, cons, ae, be, ag[keep], bg[keep], skip)
        res = linprog(
            np.zeros(n),
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=ae if len(be) else None,
            b_eq=be if len(be) else None,
            bounds=[(None, None)] * n,
            method="highs",
        )
        return bool(res.status == 0)

    if feasible(set()):
        return
    culprits = [lab for lab in dict.fromkeys(rows.labels) if feasible({lab})]
    for extra_name in ("turnover", "gross"):
        if feasible({extra_name}):
            culprits.append(extra_name)
    if not culprits:
        culprits = ["the combination of budget, bounds and caps"]
    raise ValidationError(
        "constraints are infeasible; relaxing any one of these makes them feasible: "
        + "; ".join(culprits[:12]),
        code="infeasible",
        binding=culprits,
    )


def _feasible_with_l1(
    inputs: PortfolioInputs,
    cons: Constraints,
    ae: Matrix,
    be: Vector,
    ag: Matrix,
    bg: Vector,
    skip: set[str],
) -> bool:
    n = len(inputs.assets)
    w = cp.Variable(n)
    c: list[cp.Constraint] = []
    if len(be):
        c.append(ae @ w == be)
    if len(bg):
        c.append(ag @ w >= bg)
    if cons.max_turnover is not None and "turnover" not in skip and inputs.current is not None:
        c.append(cp.norm1(w - inputs.current) <= cons.max_turnover)
    if cons.gross_limit is not None and "gross" not in skip:
        c.append(cp.norm1(w) <= cons.gross_limit)
    prob = cp.Problem(cp.Minimize(0), c)
    prob.solve(solver="CLARABEL")
    return prob.status in ("optimal", "optimal_inaccurate")


def dense_qp(p: Matrix, q: Vector, rows: LinearRows) -> tuple[Vector, str]:
    """min ½ xᵀPx + qᵀx subject to ``rows``: quadprog, else cvxpy (Clarabel, OSQP)."""
    n = p.shape[0]
    ae, be, ag, bg = rows.matrices(n)
    try:
        import quadprog

        c_mat = np.vstack([ae, ag]).T if len(be) + len(bg) else np.zeros((n, 0))
        b_vec = np.concatenate([be, bg])
        x = quadprog.solve_qp(p, -q, c_mat, b_vec, meq=len(be))[0]
        return np.asarray(x), "quadprog"
    except ValueError as exc:
        log.info("quadprog failed (%s); falling back to cvxpy", exc)
    x_var = cp.Variable(n)
    cons: list[cp.Constraint] = []
    if len(be):
        cons.append(ae @ x_var == be)
    if len(bg):
        cons.append(ag @ x_var >= bg)
    objective = cp.Minimize(0.5 * cp.quad_form(x_var, cp.psd_wrap(p)) + q @ x_var)
    return solve_cvx(cp.Problem(objective, cons), lambda: x_var.value)


def solve_cvx(
    problem: cp.Problem,
    value: Callable[[], Vector | None],
    solvers: tuple[str, ...] = ("CLARABEL", "OSQP", "SCS"),
) -> tuple[Vector, str]:
    """Solve with each solver in turn until one succeeds; ValidationError if none does."""
    last = ""
    for solver in solvers:
        if solver not in cp.installed_solvers():
            continue
        try:
            problem.solve(solver=solver)
        except (cp.SolverError, ValueError) as exc:
            last = f"{solver}: {exc}"
            continue
        x = value()
        if problem.status in ("optimal", "optimal_inaccurate") and x is not None:
            if problem.status == "optimal_inaccurate":
                log.warning("%s returned an inaccurate solution", solver)
            return np.asarray(x, dtype=np.float64), solver.lower()
        last = f"{solver}: {problem.status}"
        if problem.status in ("infeasible", "unbounded"):
            break
    raise ValidationError(f"optimisation failed ({last})", code="solver_failed")
