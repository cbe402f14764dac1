"""The portfolio engine: clients, households, accounts, ledgers, rebalancing, goals, optimising.

Public methods (the API router and the CLI call these and nothing else). ``owner`` is the
calling user's id, or ``None`` for an admin; things of other owners are "not found".

* clients / households / accounts: ``create_*``, ``client``, ``household``, ``account``, lists,
  updates and deletes; :meth:`PortfolioEngine.add_transaction` (Decimal, long-only checks) and
  :meth:`PortfolioEngine.holdings`;
* :meth:`PortfolioEngine.household_view` / :meth:`PortfolioEngine.client_view`: consolidated
  values (float64 at the marks stored with :meth:`PortfolioEngine.upsert_securities`);
* :meth:`PortfolioEngine.optimise` (inline) and :meth:`PortfolioEngine.submit_optimisation`
  (a ``portfolio.optimise`` job over stored inputs);
* :meth:`PortfolioEngine.preview_rebalance` / :meth:`PortfolioEngine.commit_rebalance`: the
  commit publishes one :class:`~nautilus.portfolio.model.OrderIntent` per trade on
  ``portfolio.orders``;
* goals: :meth:`PortfolioEngine.goal_probability`, ``goal_contribution``, ``goal_allocation``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import msgspec
import numpy as np

from nautilus.core.engine import ENGINES, Engine, EngineContext
from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.ids import new_id
from nautilus.core.time import now_ns
from nautilus.portfolio import jobs as _jobs  # noqa: F401  (registers portfolio.optimise)
from nautilus.portfolio.consolidation import ConsolidatedView, Holder, consolidate
from nautilus.portfolio.goals import (
    Goal,
    GoalResult,
    RiskLevel,
    allocation_for_probability,
    probability_of_success,
    required_contribution,
)
from nautilus.portfolio.ledger import Ledger
from nautilus.portfolio.model import (
    Account,
    AccountType,
    Client,
    ClientKind,
    Household,
    HouseholdMember,
    InvestmentPolicy,
    LotMethod,
    Portfolio,
    PortfolioKind,
    Security,
    Transaction,
)
from nautilus.portfolio.optimisers import Constraints
from nautilus.portfolio.rebalance import (
    RebalanceConfig,
    RebalancePlan,
    rebalance_due,
    weights_of,
)
from nautilus.portfolio.rebalance import plan_rebalance as _plan
from nautilus.portfolio.repository import PortfolioRepository
from nautilus.streaming.topics import ACCOUNT_ASSIGNED_TOPIC, AccountAssigned

ORDERS_TOPIC = "portfolio.orders"


class HoldingsView(msgspec.Struct, frozen=True, kw_only=True):
    """A portfolio's ledger as the API shows it (Decimal quantities and money)."""

    portfolio_id: str
    cash: Decimal
    positions: dict[str, Decimal]
    lots: list[dict[str, Any]]
    realised_gain: Decimal
    income: Decimal
    fees: Decimal
    net_contributions: Decimal


@ENGINES.register("portfolio")
class PortfolioEngine(Engine):
    """Wealth management over the relational store (see the module docstring)."""

    name: ClassVar[str] = "portfolio"

    def __init__(self, ctx: EngineContext) -> None:
        super().__init__(ctx)
        self.repo = PortfolioRepository(ctx.db)

    # -- clients, households, accounts ------------------------------------------------------

    def create_client(
        self, owner: str, name: str, kind: ClientKind = ClientKind.PERSON, **tax: Decimal
    ) -> Client:
        return self.repo.create_client(owner, name, kind, **tax)

    def client(self, client_id: str, owner: str | None) -> Client:
        return self.repo.client(client_id, owner)

    def clients(self, owner: str | None, limit: int = 100, offset: int = 0) -> list[Client]:
        return self.repo.clients(owner, limit, offset)

    def delete_client(self, client_id: str, owner: str | None) -> None:
        self.repo.delete_client(client_id, owner)

    def create_household(
        self, owner: str, name: str, members: list[HouseholdMember] | None = None
    ) -> Household:
        return self.repo.create_household(owner, name, members or [])

    def household(self, household_id: str, owner: str | None) -> Household:
        return self.repo.household(household_id, owner)

    def households(self, owner: str | None, limit: int = 100, offset: int = 0) -> list[Household]:
        return self.repo.households(owner, limit, offset)

    def update_household(
        self,
        household_id: str,
        owner: str | None,
        *,
        name: str | None = None,
        members: list[HouseholdMember] | None = None,
    ) -> Household:
        return self.repo.update_household(household_id, owner, name, members)

    def delete_household(self, household_id: str, owner: str | None) -> None:
        self.repo.delete_household(household_id, owner)

    def create_account(
        self,
        owner: str | None,
        client_id: str,
        name: str,
        type: AccountType = AccountType.TAXABLE,
        base_currency: str = "USD",
        lot_method: LotMethod = LotMethod.FIFO,
    ) -> tuple[Account, Portfolio]:
        account, portfolio = self.repo.create_account(
            owner, client_id, name, type, base_currency, lot_method
        )
        # The account's frames (orders, positions, P&L) stream to the client's advisor.
        self.ctx.bus.publish(
            ACCOUNT_ASSIGNED_TOPIC,
            AccountAssigned(account_id=account.id, owner_id=portfolio.owner_id),
        )
        return account, portfolio

    def account(self, account_id: str, owner: str | None) -> tuple[Account, list[Portfolio]]:
        acc = self.repo.account(account_id, owner)
        return acc, self.repo.portfolios_of([acc.id])

    def delete_account(self, account_id: str, owner: str | None) -> None:
        self.repo.delete_account(account_id, owner)

    def accounts(self, client_id: str, owner: str | None) -> list[Account]:
        self.repo.client(client_id, owner)
        return self.repo.accounts_of([client_id])

    def portfolio(self, portfolio_id: str, owner: str | None) -> Portfolio:
        return self.repo.portfolio(portfolio_id, owner)

    def create_model_portfolio(self, owner: str, name: str, weights: dict[str, float]) -> Portfolio:
        return self.repo.create_model_portfolio(owner, name, weights)

    def set_policy(self, portfolio_id: str, owner: str | None, policy: InvestmentPolicy) -> None:
        self.repo.set_policy(portfolio_id, owner, policy)

    def policy(self, portfolio_id: str, owner: str | None) -> InvestmentPolicy | None:
        return self.repo.policy(portfolio_id, owner)

    # -- ledger -----------------------------------------------------------------------------

    def add_transaction(self, portfolio_id: str, owner: str | None, **fields: Any) -> Transaction:
        """Book a transaction (``fields`` as on :class:`Transaction`, Decimal-able values)."""
        pf = self.repo.portfolio(portfolio_id, owner)
        for k in ("quantity", "price", "amount", "fee", "ratio"):
            if k in fields and fields[k] is not None:
                fields[k] = Decimal(str(fields[k]))
        fields.setdefault("ts", now_ns())
        txn = Transaction(id=new_id("tx"), portfolio_id=pf.id, **fields)
        self.repo.add_transaction(pf, txn)
        return txn

    def transactions(self, portfolio_id: str, owner: str | None) -> list[Transaction]:
        pf = self.repo.portfolio(portfolio_id, owner)
        return self.repo.transactions([pf.id])[pf.id]

    def ledger(self, portfolio_id: str, owner: str | None) -> Ledger:
        return self.repo.ledger(self.repo.portfolio(portfolio_id, owner))

    def holdings(self, portfolio_id: str, owner: str | None) -> HoldingsView:
        led = self.ledger(portfolio_id, owner)
        return HoldingsView(
            portfolio_id=portfolio_id,
            cash=led.cash,
            positions=led.positions(),
            lots=[msgspec.to_builtins(lot) for lot in led.open_lots()],
            realised_gain=sum((g.gain for g in led.realised), Decimal(0)),
            income=led.income,
            fees=led.fees,
            net_contributions=led.net_contributions,
        )

    # -- securities and consolidation --------------------------------------------------------

    def upsert_securities(self, securities: list[Security]) -> int:
        return self.repo.upsert_securities(securities)

    def securities(self) -> dict[str, Security]:
        return self.repo.securities()

    def holders_of_clients(self, client_ids: list[str]) -> list[Holder]:
        accounts = self.repo.accounts_of(client_ids)
        client_of = {a.id: a.client_id for a in accounts}
        portfolios = self.repo.portfolios_of(client_of)
        txns = self.repo.transactions([p.id for p in portfolios])
        return [
            Holder(
                client_of[p.account_id], p.account_id, Ledger.replay(txns[p.id], p.lot_method), p.id
            )
            for p in portfolios
            if p.account_id is not None and p.kind is PortfolioKind.ACTUAL
        ]

    def household_holders(self, household_id: str, owner: str | None) -> list[Holder]:
        hh = self.repo.household(household_id, owner)
        return self.holders_of_clients(sorted({m.client_id for m in hh.members}))

    def household_view(self, household_id: str, owner: str | None) -> ConsolidatedView:
        return consolidate(self.household_holders(household_id, owner), self.securities())

    def client_view(self, client_id: str, owner: str | None) -> ConsolidatedView:
        self.repo.client(client_id, owner)
        return consolidate(self.holders_of_clients([client_id]), self.securities())

    # -- optimisation -----------------------------------------------------------------------

    def store_inputs(self, owner: str | None, payload: dict[str, Any]) -> str:
        from nautilus.portfolio.jobs import run_stored

        run_stored(
            payload, "equal_weight", {}, Constraints.model_validate({})
        )  # validates shapes and names
        return self.repo.save_inputs(owner, payload)

    def optimise(
        self,
        payload: dict[str, Any],
        optimiser: str,
        params: dict[str, Any],
        constraints: Constraints,
    ) -> dict[str, Any]:
        from nautilus.portfolio.jobs import run_stored

        return run_stored(payload, optimiser, params, constraints)

    def submit_optimisation(
        self,
        inputs_id: str,
        optimiser: str,
        params: dict[str, Any],
        constraints: Constraints,
        *,
        owner_id: str | None,
    ) -> str:
        self.repo.inputs(inputs_id)
        return self.ctx.jobs.submit(
            "portfolio.optimise",
            {
                "database_url": self.ctx.db.url,
                "inputs_id": inputs_id,
                "optimiser": optimiser,
                "params": params,
                "constraints": constraints.model_dump(mode="json"),
            },
            owner_id=owner_id,
        )

    # -- rebalancing ------------------------------------------------------------------------

    def targets_for(
        self,
        portfolio_id: str,
        owner: str | None,
        *,
        weights: dict[str, float] | None = None,
        model_id: str | None = None,
        optimiser: str | None = None,
        inputs_id: str | None = None,
        params: dict[str, Any] | None = None,
        constraints: Constraints | None = None,
    ) -> dict[str, float]:
        """Target weights from explicit weights, a model portfolio, an optimiser run over
        stored inputs, or (the default) the portfolio's investment policy."""
        if weights is not None:
            return dict(weights)
        if model_id is not None:
            model = self.repo.portfolio(model_id, owner)
            if model.kind is not PortfolioKind.MODEL:
                raise ValidationError(f"{model_id} is not a model portfolio", code="not_a_model")
            return dict(model.model_weights)
        if optimiser is not None:
            if inputs_id is None:
                raise ValidationError("an optimiser run needs inputs_id", code="inputs_required")
            res = self.optimise(
                self.repo.inputs(inputs_id),
                optimiser,
                params or {},
                constraints or Constraints.model_validate({}),
            )
            w = {k: max(v, 0.0) for k, v in res["weights"].items()}
            total = sum(w.values())
            return {k: v / total for k, v in w.items() if v > 0}
        policy = self.repo.policy(portfolio_id, owner)
        if policy is None:
            raise ValidationError(
                "no targets given and the portfolio has no investment policy", code="no_targets"
            )
        return dict(policy.targets)

    def preview_rebalance(
        self,
        portfolio_id: str,
        owner: str | None,
        targets: dict[str, float],
        config: RebalanceConfig,
    ) -> RebalancePlan:
        """A what-if plan (stored so it can be committed by id)."""
        pf = self.repo.portfolio(portfolio_id, owner)
        policy = self.repo.policy(portfolio_id, owner)
        if policy is not None and policy.restricted:
            config = config.model_copy(
                update={"restricted": tuple(sorted({*config.restricted, *policy.restricted}))}
            )
        plan = _plan(
            pf.id, self.repo.ledger(pf), self.securities(), targets, config, now_ns=now_ns()
        )
        self.repo.save_plan(pf.id, plan.ts, plan.id, msgspec.to_builtins(plan))
        return plan

    def commit_rebalance(self, portfolio_id: str, owner: str | None, plan_id: str) -> RebalancePlan:
        """Publish the plan's order intents on ``portfolio.orders``; a plan commits once."""
        pf = self.repo.portfolio(portfolio_id, owner)
        status, raw = self.repo.plan(plan_id, pf.id)
        if status != "previewed":
            from nautilus.core.errors import ConflictError

            raise ConflictError(f"plan {plan_id} is already {status}", code="plan_committed")
        plan = msgspec.convert(raw, RebalancePlan)
        for intent in plan.intents():
            self.ctx.bus.publish(ORDERS_TOPIC, intent)
        self.repo.mark_committed(plan_id, pf.id, now_ns())
        return plan

    def rebalance_due(self, portfolio_id: str, owner: str | None, trigger: str) -> bool:
        pf = self.repo.portfolio(portfolio_id, owner)
        policy = self.repo.policy(portfolio_id, owner)
        if policy is None:
            raise ValidationError("the portfolio has no investment policy", code="no_policy")
        return rebalance_due(
            self.repo.ledger(pf),
            self.securities(),
            policy,
            trigger=trigger,
            now_ns=now_ns(),
            last_rebalance_ns=self.repo.last_rebalance(pf.id),
        )

    # -- goals ------------------------------------------------------------------------------

    def expected_risk(
        self, portfolio_id: str, owner: str | None, inputs_id: str
    ) -> tuple[float, float]:
        """(expected return, volatility) of the current holdings under stored inputs."""
        payload = self.repo.inputs(inputs_id)
        weights, _ = weights_of(self.ledger(portfolio_id, owner), self.securities())
        assets = list(payload["assets"])
        w = np.array([weights.get(a, 0.0) for a in assets])
        if w.sum() <= 0:
            raise ValidationError("no holdings among the inputs' assets", code="no_overlap")
        mu, cov = np.asarray(payload["mu"], float), np.asarray(payload["cov"], float)
        return float(w @ mu), float(np.sqrt(max(w @ cov @ w, 0.0)))

    def save_goal(self, portfolio_id: str, owner: str | None, goal: Goal) -> str:
        pf = self.repo.portfolio(portfolio_id, owner)
        return self.repo.save_goal(pf.id, goal.model_dump(mode="json"))

    def goals(self, portfolio_id: str, owner: str | None) -> dict[str, Goal]:
        pf = self.repo.portfolio(portfolio_id, owner)
        return {k: Goal.model_validate(v) for k, v in self.repo.goals(pf.id).items()}

    def goal(self, portfolio_id: str, owner: str | None, goal_id: str) -> Goal:
        goals = self.goals(portfolio_id, owner)
        if goal_id not in goals:
            raise NotFoundError(f"no goal {goal_id!r}", code="goal_not_found")
        return goals[goal_id]

    @staticmethod
    def goal_probability(
        goal: Goal, expected_return: float, volatility: float, *, paths: int = 10_000, seed: int = 7
    ) -> GoalResult:
        return probability_of_success(goal, expected_return, volatility, paths=paths, seed=seed)

    @staticmethod
    def goal_contribution(
        goal: Goal,
        expected_return: float,
        volatility: float,
        probability: float,
        *,
        paths: int = 10_000,
        seed: int = 7,
    ) -> float:
        return required_contribution(
            goal, expected_return, volatility, probability, paths=paths, seed=seed
        )

    @staticmethod
    def goal_allocation(
        goal: Goal,
        glide: list[RiskLevel],
        probability: float,
        *,
        paths: int = 10_000,
        seed: int = 7,
    ) -> tuple[RiskLevel | None, list[tuple[str, float]]]:
        return allocation_for_probability(goal, glide, probability, paths=paths, seed=seed)
