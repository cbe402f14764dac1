"""Rows <-> domain values for the portfolio engine, with owner scoping.

Every read takes ``owner``: the advisor's user id, or ``None`` for an admin (everything). A
thing that exists but belongs to another owner raises the same ``NotFoundError`` as one that
does not exist, so ids of other users' clients cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nautilus.core.errors import NotFoundError, ValidationError
from nautilus.core.ids import new_id
from nautilus.persistence.db import Database
from nautilus.portfolio.ledger import Ledger
from nautilus.portfolio.model import (
    Account,
    AccountType,
    Client,
    ClientKind,
    Household,
    HouseholdMember,
    HouseholdRole,
    InvestmentPolicy,
    LotMethod,
    Portfolio,
    PortfolioKind,
    Security,
    Transaction,
    TxnType,
)
from nautilus.portfolio.tables import (
    AccountRow,
    ClientRow,
    GoalRow,
    HouseholdMemberRow,
    HouseholdRow,
    OptimisationInputRow,
    PortfolioRow,
    RebalanceRow,
    SecurityRow,
    TransactionRow,
)


def _client(r: ClientRow) -> Client:
    return Client(
        id=r.id,
        owner_id=r.owner_id,
        name=r.name,
        kind=ClientKind(r.kind),
        tax_rate_short=Decimal(r.tax_rate_short),
        tax_rate_long=Decimal(r.tax_rate_long),
    )


def _account(r: AccountRow) -> Account:
    return Account(
        id=r.id,
        client_id=r.client_id,
        name=r.name,
        type=AccountType(r.type),
        base_currency=r.base_currency,
    )


def _portfolio(r: PortfolioRow) -> Portfolio:
    return Portfolio(
        id=r.id,
        owner_id=r.owner_id,
        name=r.name,
        kind=PortfolioKind(r.kind),
        account_id=r.account_id,
        lot_method=LotMethod(r.lot_method),
        model_weights=dict(r.model_weights),
    )


def _txn(r: TransactionRow) -> Transaction:
    return Transaction(
        id=r.id,
        portfolio_id=r.portfolio_id,
        ts=r.ts,
        type=TxnType(r.type),
        instrument_id=r.instrument_id,
        quantity=Decimal(r.quantity),
        price=Decimal(r.price),
        amount=Decimal(r.amount),
        fee=Decimal(r.fee),
        ratio=Decimal(r.ratio),
        lot_ids=list(r.lot_ids),
        strategy=r.strategy,
        note=r.note,
    )


def _security(r: SecurityRow) -> Security:
    return Security(
        instrument_id=r.instrument_id,
        price=Decimal(r.price),
        lot_size=Decimal(r.lot_size),
        asset_class=r.asset_class,
        sector=r.sector,
        currency=r.currency,
        ts=r.ts,
    )


class PortfolioRepository:
    """CRUD over the portfolio tables; holdings are rebuilt by replaying transactions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- ownership --------------------------------------------------------------------------

    @staticmethod
    def _owned(row: Any, owner: str | None, what: str, key: str) -> Any:
        if row is None or (owner is not None and row.owner_id != owner):
            raise NotFoundError(f"no {what} {key!r}", code=f"{what}_not_found")
        return row

    def _client_row(self, s: Session, client_id: str, owner: str | None) -> ClientRow:
        row: ClientRow = self._owned(s.get(ClientRow, client_id), owner, "client", client_id)
        return row

    def _account_row(self, s: Session, account_id: str, owner: str | None) -> AccountRow:
        row = s.get(AccountRow, account_id)
        if row is None:
            raise NotFoundError(f"no account {account_id!r}", code="account_not_found")
        try:
            self._client_row(s, row.client_id, owner)
        except NotFoundError:
            raise NotFoundError(f"no account {account_id!r}", code="account_not_found") from None
        return row

    # -- clients ----------------------------------------------------------------------------

    def create_client(
        self,
        owner: str,
        name: str,
        kind: ClientKind = ClientKind.PERSON,
        tax_rate_short: Decimal = Decimal("0.37"),
        tax_rate_long: Decimal = Decimal("0.20"),
    ) -> Client:
        row = ClientRow(
            id=new_id(),
            owner_id=owner,
            name=name,
            kind=ClientKind(kind).value,
            tax_rate_short=str(tax_rate_short),
            tax_rate_long=str(tax_rate_long),
        )
        with self.db.session() as s:
            s.add(row)
        return _client(row)

    def client(self, client_id: str, owner: str | None) -> Client:
        with self.db.session() as s:
            return _client(self._client_row(s, client_id, owner))

    def clients(self, owner: str | None, limit: int = 100, offset: int = 0) -> list[Client]:
        q = select(ClientRow).order_by(ClientRow.id).limit(limit).offset(offset)
        if owner is not None:
            q = q.where(ClientRow.owner_id == owner)
        with self.db.session() as s:
            return [_client(r) for r in s.scalars(q)]

    def delete_client(self, client_id: str, owner: str | None) -> None:
        with self.db.session() as s:
            s.delete(self._client_row(s, client_id, owner))

    # -- households -------------------------------------------------------------------------

    def create_household(
        self, owner: str, name: str, members: Iterable[HouseholdMember] = ()
    ) -> Household:
        hid = new_id()
        with self.db.session() as s:
            s.add(HouseholdRow(id=hid, owner_id=owner, name=name))
            s.flush()
            self._set_members(s, hid, owner, list(members))
        return self.household(hid, owner)

    def _set_members(
        self, s: Session, hid: str, owner: str | None, members: list[HouseholdMember]
    ) -> None:
        seen = set()
        for m in members:
            self._client_row(s, m.client_id, owner)
            key = (m.client_id, m.role)
            if key in seen:
                raise ValidationError(
                    f"client {m.client_id} is listed twice as {m.role}", code="duplicate_member"
                )
            seen.add(key)
        s.execute(delete(HouseholdMemberRow).where(HouseholdMemberRow.household_id == hid))
        for m in members:
            s.add(
                HouseholdMemberRow(
                    household_id=hid,
                    client_id=m.client_id,
                    role=HouseholdRole(m.role).value,
                    generation=m.generation,
                    related_to=m.related_to,
                )
            )

    def household(self, household_id: str, owner: str | None) -> Household:
        with self.db.session() as s:
            row = self._owned(s.get(HouseholdRow, household_id), owner, "household", household_id)
            members = s.scalars(
                select(HouseholdMemberRow).where(HouseholdMemberRow.household_id == household_id)
            )
            return Household(
                id=row.id,
                owner_id=row.owner_id,
                name=row.name,
                members=[
                    HouseholdMember(
                        client_id=m.client_id,
                        role=HouseholdRole(m.role),
                        generation=m.generation,
                        related_to=m.related_to,
                    )
                    for m in members
                ],
            )

    def households(self, owner: str | None, limit: int = 100, offset: int = 0) -> list[Household]:
        q = select(HouseholdRow.id).order_by(HouseholdRow.id).limit(limit).offset(offset)
        if owner is not None:
            q = q.where(HouseholdRow.owner_id == owner)
        with self.db.session() as s:
            ids = list(s.scalars(q))
        return [self.household(i, owner) for i in ids]

    def update_household(
        self,
        household_id: str,
        owner: str | None,
        name: str | None,
        members: list[HouseholdMember] | None,
    ) -> Household:
        with self.db.session() as s:
            row = self._owned(s.get(HouseholdRow, household_id), owner, "household", household_id)
            if name is not None:
                row.name = name
            if members is not None:
                self._set_members(s, household_id, owner, members)
        return self.household(household_id, owner)

    def delete_household(self, household_id: str, owner: str | None) -> None:
        with self.db.session() as s:
            s.delete(
                self._owned(s.get(HouseholdRow, household_id), owner, "household", household_id)
            )

    # -- accounts and portfolios ------------------------------------------------------------

    def create_account(
        self,
        owner: str | None,
        client_id: str,
        name: str,
        type: AccountType = AccountType.TAXABLE,
        base_currency: str = "USD",
        lot_method: LotMethod = LotMethod.FIFO,
    ) -> tuple[Account, Portfolio]:
        """An account and its actual portfolio (the ledger that holds its transactions)."""
        with self.db.session() as s:
            client = self._client_row(s, client_id, owner)
            arow = AccountRow(
                id=new_id(),
                client_id=client_id,
                name=name,
                type=AccountType(type).value,
                base_currency=base_currency.upper(),
            )
            s.add(arow)
            s.flush()
            prow = PortfolioRow(
                id=new_id(),
                owner_id=client.owner_id,
                name=name,
                kind=PortfolioKind.ACTUAL.value,
                account_id=arow.id,
                lot_method=LotMethod(lot_method).value,
                model_weights={},
                policy=None,
                last_rebalance_ns=None,
            )
            s.add(prow)
        return _account(arow), _portfolio(prow)

    def account(self, account_id: str, owner: str | None) -> Account:
        with self.db.session() as s:
            return _account(self._account_row(s, account_id, owner))

    def delete_account(self, account_id: str, owner: str | None) -> None:
        """Delete an account with its portfolios and their transactions (cascade)."""
        with self.db.session() as s:
            s.delete(self._account_row(s, account_id, owner))

    def accounts_of(self, client_ids: Iterable[str]) -> list[Account]:
        ids = list(client_ids)
        with self.db.session() as s:
            q = select(AccountRow).where(AccountRow.client_id.in_(ids)).order_by(AccountRow.id)
            return [_account(r) for r in s.scalars(q)]

    def create_model_portfolio(self, owner: str, name: str, weights: dict[str, float]) -> Portfolio:
        from nautilus.portfolio.rebalance import check_weights

        check_weights(weights)
        row = PortfolioRow(
            id=new_id(),
            owner_id=owner,
            name=name,
            kind="model",
            account_id=None,
            lot_method="fifo",
            model_weights=dict(weights),
            policy=None,
            last_rebalance_ns=None,
        )
        with self.db.session() as s:
            s.add(row)
        return _portfolio(row)

    def portfolio(self, portfolio_id: str, owner: str | None) -> Portfolio:
        with self.db.session() as s:
            return _portfolio(
                self._owned(s.get(PortfolioRow, portfolio_id), owner, "portfolio", portfolio_id)
            )

    def portfolios_of(self, account_ids: Iterable[str]) -> list[Portfolio]:
        ids = list(account_ids)
        with self.db.session() as s:
            q = select(PortfolioRow).where(PortfolioRow.account_id.in_(ids))
            return [_portfolio(r) for r in s.scalars(q)]

    def set_policy(self, portfolio_id: str, owner: str | None, policy: InvestmentPolicy) -> None:
        with self.db.session() as s:
            row = self._owned(s.get(PortfolioRow, portfolio_id), owner, "portfolio", portfolio_id)
            row.policy = policy.model_dump(mode="json")

    def policy(self, portfolio_id: str, owner: str | None) -> InvestmentPolicy | None:
        with self.db.session() as s:
            row = self._owned(s.get(PortfolioRow, portfolio_id), owner, "portfolio", portfolio_id)
            return InvestmentPolicy.model_validate(row.policy) if row.policy else None

    def last_rebalance(self, portfolio_id: str) -> int | None:
        with self.db.session() as s:
            row = s.get(PortfolioRow, portfolio_id)
            return row.last_rebalance_ns if row else None

    # -- transactions and ledgers -----------------------------------------------------------

    def transactions(self, portfolio_ids: Iterable[str]) -> dict[str, list[Transaction]]:
        ids = list(portfolio_ids)
        out: dict[str, list[Transaction]] = {i: [] for i in ids}
        with self.db.session() as s:
            q = (
                select(TransactionRow)
                .where(TransactionRow.portfolio_id.in_(ids))
                .order_by(TransactionRow.ts, TransactionRow.id)
            )
            for r in s.scalars(q):
                out[r.portfolio_id].append(_txn(r))
        return out

    def ledger(self, portfolio: Portfolio) -> Ledger:
        return Ledger.replay(self.transactions([portfolio.id])[portfolio.id], portfolio.lot_method)

    def add_transaction(self, portfolio: Portfolio, txn: Transaction) -> Ledger:
        """Validate ``txn`` against the replayed ledger (time order), then store it."""
        if portfolio.kind is not PortfolioKind.ACTUAL:
            raise ValidationError(
                "transactions belong to actual portfolios", code="not_an_actual_portfolio"
            )
        history = self.transactions([portfolio.id])[portfolio.id]
        ledger = Ledger.replay([*history, txn], portfolio.lot_method)
        with self.db.session() as s:
            s.add(
                TransactionRow(
                    id=txn.id,
                    portfolio_id=portfolio.id,
                    ts=txn.ts,
                    type=txn.type.value,
                    instrument_id=txn.instrument_id,
                    quantity=str(txn.quantity),
                    price=str(txn.price),
                    amount=str(txn.amount),
                    fee=str(txn.fee),
                    ratio=str(txn.ratio),
                    lot_ids=list(txn.lot_ids),
                    strategy=txn.strategy,
                    note=txn.note,
                )
            )
        return ledger

    # -- securities, plans, goals, optimiser inputs -----------------------------------------

    def upsert_securities(self, securities: Iterable[Security]) -> int:
        n = 0
        with self.db.session() as s:
            for sec in securities:
                s.merge(
                    SecurityRow(
                        instrument_id=sec.instrument_id,
                        price=str(sec.price),
                        lot_size=str(sec.lot_size),
                        asset_class=sec.asset_class,
                        sector=sec.sector,
                        currency=sec.currency,
                        ts=sec.ts,
                    )
                )
                n += 1
        return n

    def securities(self) -> dict[str, Security]:
        with self.db.session() as s:
            return {r.instrument_id: _security(r) for r in s.scalars(select(SecurityRow))}

    def save_plan(
        self,
        portfolio_id: str,
        ts: int,
        plan_id: str,
        plan: dict[str, Any],
        status: str = "previewed",
    ) -> None:
        with self.db.session() as s:
            s.add(
                RebalanceRow(id=plan_id, portfolio_id=portfolio_id, ts=ts, status=status, plan=plan)
            )

    def plan(self, plan_id: str, portfolio_id: str) -> tuple[str, dict[str, Any]]:
        with self.db.session() as s:
            row = s.get(RebalanceRow, plan_id)
            if row is None or row.portfolio_id != portfolio_id:
                raise NotFoundError(f"no rebalance plan {plan_id!r}", code="plan_not_found")
            return row.status, dict(row.plan)

    def mark_committed(self, plan_id: str, portfolio_id: str, ts: int) -> None:
        with self.db.session() as s:
            row = s.get(RebalanceRow, plan_id)
            assert row is not None
            row.status = "committed"
            prow = s.get(PortfolioRow, portfolio_id)
            assert prow is not None
            prow.last_rebalance_ns = ts

    def save_goal(self, portfolio_id: str, spec: dict[str, Any]) -> str:
        gid = new_id()
        with self.db.session() as s:
            s.add(GoalRow(id=gid, portfolio_id=portfolio_id, spec=spec))
        return gid

    def goals(self, portfolio_id: str) -> dict[str, dict[str, Any]]:
        with self.db.session() as s:
            q = select(GoalRow).where(GoalRow.portfolio_id == portfolio_id)
            return {r.id: dict(r.spec) for r in s.scalars(q)}

    def save_inputs(self, owner: str | None, payload: dict[str, Any]) -> str:
        iid = new_id()
        with self.db.session() as s:
            s.add(OptimisationInputRow(id=iid, owner_id=owner, payload=payload))
        return iid

    def inputs(self, inputs_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            row = s.get(OptimisationInputRow, inputs_id)
            if row is None:
                raise NotFoundError(
                    f"no optimisation inputs {inputs_id!r}", code="inputs_not_found"
                )
            return dict(row.payload)
