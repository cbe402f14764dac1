"""Portfolio: clients, households, accounts, transactions, holdings, consolidated views,
securities (marks), optimisation (inline and as a job), rebalance preview/commit, goals.

Object-level access: a user sees only the clients, households and portfolios they own (an
admin sees all); anything else is 404, exactly as if it did not exist. Reads need the
``read`` scope, changes ``trade``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Path, Query, Response

from nautilus.api.deps import Page, PlatformDep, Reader, Trader
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.api.schemas.jobs import JobAccepted
from nautilus.api.schemas.portfolio import (
    AccountIn,
    AccountOut,
    AssetWeight,
    ClientIn,
    ClientOut,
    ConsolidatedOut,
    GoalIn,
    GoalOut,
    GoalRun,
    GoalRunOut,
    HoldingsOut,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    InputsStored,
    MemberIn,
    ModelPortfolioIn,
    OptimisationInputsIn,
    OptimisationOut,
    OptimiseIn,
    OptimiseJobIn,
    PlanOut,
    PortfolioOut,
    RebalanceDueOut,
    RebalanceIn,
    SecurityIn,
    TransactionIn,
    TransactionOut,
)
from nautilus.core.errors import ValidationError
from nautilus.core.time import now_ns, to_ns
from nautilus.platform import Platform
from nautilus.portfolio.engine import PortfolioEngine
from nautilus.portfolio.model import Household, HouseholdMember, InvestmentPolicy, Security
from nautilus.portfolio.rebalance import check_weights
from nautilus.security import Principal

router = APIRouter(prefix="/api/v1/portfolio", tags=["portfolio"])
Id = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-z]+$")]
R = problem_responses(*AUTHED, 404)


async def get_engine(platform: PlatformDep) -> PortfolioEngine:
    return _engine(platform)


def _engine(platform: Platform) -> PortfolioEngine:
    engine = platform.engine("portfolio")
    assert isinstance(engine, PortfolioEngine)
    return engine


EngineDep = Annotated[PortfolioEngine, Depends(get_engine)]


def owner(principal: Principal) -> str | None:
    return None if principal.is_admin else principal.user_id


def _json(value: Any) -> Any:
    return msgspec.to_builtins(value)


def _weights(items: list[AssetWeight]) -> dict[str, float]:
    pairs = [(w.asset, w.weight) for w in items]
    check_weights(pairs)
    return dict(pairs)


def _household(h: Household) -> HouseholdOut:
    return HouseholdOut(id=h.id, name=h.name, members=[MemberIn(**_json(m)) for m in h.members])


def _members(items: list[MemberIn]) -> list[HouseholdMember]:
    return [HouseholdMember(**m.model_dump()) for m in items]


# -- clients ---------------------------------------------------------------------------------


@router.post("/clients", response_model=ClientOut, status_code=201, responses=R)
def create_client(body: ClientIn, principal: Trader, engine: EngineDep) -> ClientOut:
    c = engine.create_client(
        principal.user_id,
        body.name,
        body.kind,
        tax_rate_short=body.tax_rate_short,
        tax_rate_long=body.tax_rate_long,
    )
    return ClientOut(**_json(c))


@router.get("/clients", response_model=list[ClientOut], responses=R)
def list_clients(principal: Reader, page: Page, engine: EngineDep) -> list[ClientOut]:
    return [
        ClientOut(**_json(c)) for c in engine.clients(owner(principal), page.limit, page.offset)
    ]


@router.get("/clients/{client_id}", response_model=ClientOut, responses=R)
def get_client(client_id: Id, principal: Reader, engine: EngineDep) -> ClientOut:
    return ClientOut(**_json(engine.client(client_id, owner(principal))))


@router.delete("/clients/{client_id}", status_code=204, responses=R)
def delete_client(client_id: Id, principal: Trader, engine: EngineDep) -> Response:
    engine.delete_client(client_id, owner(principal))
    return Response(status_code=204)


@router.get("/clients/{client_id}/accounts", response_model=list[AccountOut], responses=R)
def client_accounts(client_id: Id, principal: Reader, engine: EngineDep) -> list[AccountOut]:
    out = []
    for acc in engine.accounts(client_id, owner(principal)):
        _, pfs = engine.account(acc.id, owner(principal))
        out.append(AccountOut(**_json(acc), portfolio_ids=[p.id for p in pfs]))
    return out


@router.get("/clients/{client_id}/view", response_model=ConsolidatedOut, responses=R)
def client_view(client_id: Id, principal: Reader, engine: EngineDep) -> ConsolidatedOut:
    return ConsolidatedOut(**_json(engine.client_view(client_id, owner(principal))))


# -- households ------------------------------------------------------------------------------


@router.post("/households", response_model=HouseholdOut, status_code=201, responses=R)
def create_household(body: HouseholdIn, principal: Trader, engine: EngineDep) -> HouseholdOut:
    return _household(engine.create_household(principal.user_id, body.name, _members(body.members)))


@router.get("/households", response_model=list[HouseholdOut], responses=R)
def list_households(principal: Reader, page: Page, engine: EngineDep) -> list[HouseholdOut]:
    return [_household(h) for h in engine.households(owner(principal), page.limit, page.offset)]


@router.get("/households/{household_id}", response_model=HouseholdOut, responses=R)
def get_household(household_id: Id, principal: Reader, engine: EngineDep) -> HouseholdOut:
    return _household(engine.household(household_id, owner(principal)))


@router.patch("/households/{household_id}", response_model=HouseholdOut, responses=R)
def update_household(
    household_id: Id, body: HouseholdPatch, principal: Trader, engine: EngineDep
) -> HouseholdOut:
    members = None if body.members is None else _members(body.members)
    return _household(
        engine.update_household(household_id, owner(principal), name=body.name, members=members)
    )


@router.delete("/households/{household_id}", status_code=204, responses=R)
def delete_household(household_id: Id, principal: Trader, engine: EngineDep) -> Response:
    engine.delete_household(household_id, owner(principal))
    return Response(status_code=204)


@router.get("/households/{household_id}/view", response_model=ConsolidatedOut, responses=R)
def household_view(household_id: Id, principal: Reader, engine: EngineDep) -> ConsolidatedOut:
    return ConsolidatedOut(**_json(engine.household_view(household_id, owner(principal))))


# -- accounts, portfolios, transactions ------------------------------------------------------


@router.post("/accounts", response_model=AccountOut, status_code=201, responses=R)
def create_account(body: AccountIn, principal: Trader, engine: EngineDep) -> AccountOut:
    acc, pf = engine.create_account(
        owner(principal), body.client_id, body.name, body.type, body.base_currency, body.lot_method
    )
    return AccountOut(**_json(acc), portfolio_ids=[pf.id])


@router.get("/accounts/{account_id}", response_model=AccountOut, responses=R)
def get_account(account_id: Id, principal: Reader, engine: EngineDep) -> AccountOut:
    acc, pfs = engine.account(account_id, owner(principal))
    return AccountOut(**_json(acc), portfolio_ids=[p.id for p in pfs])


@router.delete("/accounts/{account_id}", status_code=204, responses=R)
def delete_account(account_id: Id, principal: Trader, engine: EngineDep) -> Response:
    engine.delete_account(account_id, owner(principal))
    return Response(status_code=204)


@router.post("/models", response_model=PortfolioOut, status_code=201, responses=R)
def create_model(body: ModelPortfolioIn, principal: Trader, engine: EngineDep) -> PortfolioOut:
    pf = engine.create_model_portfolio(principal.user_id, body.name, _weights(body.weights))
    return PortfolioOut(**_json(pf))


@router.get("/portfolios/{portfolio_id}", response_model=PortfolioOut, responses=R)
def get_portfolio(portfolio_id: Id, principal: Reader, engine: EngineDep) -> PortfolioOut:
    return PortfolioOut(**_json(engine.portfolio(portfolio_id, owner(principal))))


@router.put("/portfolios/{portfolio_id}/policy", response_model=InvestmentPolicy, responses=R)
def set_policy(
    portfolio_id: Id, body: InvestmentPolicy, principal: Trader, engine: EngineDep
) -> InvestmentPolicy:
    engine.set_policy(portfolio_id, owner(principal), body)
    return body


@router.get(
    "/portfolios/{portfolio_id}/policy", response_model=InvestmentPolicy | None, responses=R
)
def get_policy(portfolio_id: Id, principal: Reader, engine: EngineDep) -> InvestmentPolicy | None:
    return engine.policy(portfolio_id, owner(principal))


@router.post(
    "/portfolios/{portfolio_id}/transactions",
    response_model=TransactionOut,
    status_code=201,
    responses=R,
)
def add_transaction(
    portfolio_id: Id, body: TransactionIn, principal: Trader, engine: EngineDep
) -> TransactionOut:
    fields = body.model_dump(exclude={"ts"})
    try:
        fields["ts"] = now_ns() if body.ts is None else to_ns(body.ts)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"bad ts {body.ts!r}", code="bad_time") from exc
    txn = engine.add_transaction(portfolio_id, owner(principal), **fields)
    return TransactionOut(**_json(txn))


@router.get(
    "/portfolios/{portfolio_id}/transactions", response_model=list[TransactionOut], responses=R
)
def list_transactions(
    portfolio_id: Id, principal: Reader, page: Page, engine: EngineDep
) -> list[TransactionOut]:
    txns = engine.transactions(portfolio_id, owner(principal))
    return [TransactionOut(**_json(t)) for t in txns[page.offset : page.offset + page.limit]]


@router.get("/portfolios/{portfolio_id}/holdings", response_model=HoldingsOut, responses=R)
def holdings(portfolio_id: Id, principal: Reader, engine: EngineDep) -> HoldingsOut:
    return HoldingsOut(**_json(engine.holdings(portfolio_id, owner(principal))))


# -- securities and optimisation -------------------------------------------------------------


@router.put("/securities", response_model=dict[str, int], responses=R)
def upsert_securities(body: list[SecurityIn], _: Trader, engine: EngineDep) -> dict[str, int]:
    ts = now_ns()
    n = engine.upsert_securities([Security(**s.model_dump(), ts=ts) for s in body])
    return {"upserted": n}


@router.get("/securities", response_model=list[SecurityIn], responses=R)
def list_securities(_: Reader, engine: EngineDep) -> list[SecurityIn]:
    return [
        SecurityIn(**{k: v for k, v in _json(s).items() if k != "ts"})
        for s in engine.securities().values()
    ]


def _payload(body: OptimisationInputsIn) -> dict[str, Any]:
    return body.model_dump(include=set(OptimisationInputsIn.model_fields))


@router.post("/optimise", response_model=OptimisationOut, responses=R)
def optimise(body: OptimiseIn, _: Reader, engine: EngineDep) -> OptimisationOut:
    res = engine.optimise(_payload(body), body.optimiser, body.params, body.constraints)
    sharpe = res["sharpe"] if res["sharpe"] == res["sharpe"] else None
    return OptimisationOut(**{**res, "sharpe": sharpe})


@router.post("/optimisation-inputs", response_model=InputsStored, status_code=201, responses=R)
def store_inputs(body: OptimisationInputsIn, principal: Trader, engine: EngineDep) -> InputsStored:
    return InputsStored(inputs_id=engine.store_inputs(principal.user_id, _payload(body)))


@router.post("/optimise/jobs", response_model=JobAccepted, status_code=202, responses=R)
def submit_optimisation(body: OptimiseJobIn, principal: Trader, engine: EngineDep) -> JobAccepted:
    return JobAccepted(
        job_id=engine.submit_optimisation(
            body.inputs_id,
            body.optimiser,
            body.params,
            body.constraints,
            owner_id=principal.user_id,
        )
    )


# -- rebalancing -----------------------------------------------------------------------------


@router.post("/portfolios/{portfolio_id}/rebalance/preview", response_model=PlanOut, responses=R)
def preview_rebalance(
    portfolio_id: Id, body: RebalanceIn, principal: Trader, engine: EngineDep
) -> PlanOut:
    who = owner(principal)
    targets = engine.targets_for(
        portfolio_id,
        who,
        weights=None if body.targets is None else _weights(body.targets),
        model_id=body.model_id,
        optimiser=body.optimiser,
        inputs_id=body.inputs_id,
        params=body.params,
        constraints=body.constraints,
    )
    return PlanOut(**_json(engine.preview_rebalance(portfolio_id, who, targets, body.config)))


@router.post(
    "/portfolios/{portfolio_id}/rebalance/{plan_id}/commit",
    response_model=PlanOut,
    responses=problem_responses(*AUTHED, 404, 409),
)
def commit_rebalance(
    portfolio_id: Id, plan_id: Id, principal: Trader, engine: EngineDep
) -> PlanOut:
    return PlanOut(**_json(engine.commit_rebalance(portfolio_id, owner(principal), plan_id)))


@router.get("/portfolios/{portfolio_id}/rebalance/due", response_model=RebalanceDueOut, responses=R)
def rebalance_due(
    portfolio_id: Id,
    principal: Reader,
    engine: EngineDep,
    trigger: Annotated[Literal["calendar", "band"], Query()] = "band",
) -> RebalanceDueOut:
    return RebalanceDueOut(
        trigger=trigger, due=engine.rebalance_due(portfolio_id, owner(principal), trigger)
    )


# -- goals -----------------------------------------------------------------------------------


@router.post(
    "/portfolios/{portfolio_id}/goals", response_model=GoalOut, status_code=201, responses=R
)
def create_goal(portfolio_id: Id, body: GoalIn, principal: Trader, engine: EngineDep) -> GoalOut:
    gid = engine.save_goal(portfolio_id, owner(principal), body)
    return GoalOut(id=gid, goal=body)


@router.get("/portfolios/{portfolio_id}/goals", response_model=list[GoalOut], responses=R)
def list_goals(portfolio_id: Id, principal: Reader, engine: EngineDep) -> list[GoalOut]:
    return [GoalOut(id=k, goal=g) for k, g in engine.goals(portfolio_id, owner(principal)).items()]


@router.post(
    "/portfolios/{portfolio_id}/goals/{goal_id}/run", response_model=GoalRunOut, responses=R
)
def run_goal(
    portfolio_id: Id, goal_id: Id, body: GoalRun, principal: Reader, engine: EngineDep
) -> GoalRunOut:
    """Probability of success; with ``probability`` also the contribution that reaches it,
    and with a ``glide`` the least risky level that does."""
    who = owner(principal)
    goal = engine.goal(portfolio_id, who, goal_id)
    if body.expected_return is not None and body.volatility is not None:
        mu, vol = body.expected_return, body.volatility
    elif body.inputs_id is not None:
        mu, vol = engine.expected_risk(portfolio_id, who, body.inputs_id)
    else:
        raise ValidationError(
            "give expected_return and volatility, or inputs_id", code="risk_required"
        )
    res = engine.goal_probability(goal, mu, vol, paths=body.paths, seed=body.seed)
    out = GoalRunOut(**_json(res), expected_return=mu, volatility=vol)
    if body.probability is not None:
        out.required_contribution = engine.goal_contribution(
            goal, mu, vol, body.probability, paths=body.paths, seed=body.seed
        )
        if body.glide:
            level, table = engine.goal_allocation(
                goal, body.glide, body.probability, paths=body.paths, seed=body.seed
            )
            out.chosen_level = None if level is None else level.name
            out.levels = dict(table)
    return out
