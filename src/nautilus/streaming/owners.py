"""Account ownership known to the relational store, loaded when the streaming engine starts.

Engines that give an account an owner publish :class:`~nautilus.streaming.topics.AccountAssigned`
at that moment (the execution engine for paper accounts, the portfolio engine for client
accounts). A process that starts later, or restarts, has missed those messages, so the
streaming engine reads the same facts from the shared relational store once at start:

* paper and live trading accounts: ``execution_accounts.owner_id``;
* client accounts: the ``owner_id`` (the advisor) of the account's actual portfolio.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from nautilus.persistence.db import Database
from nautilus.streaming.topics import AccountOwners

log = logging.getLogger(__name__)


def stored_owners(db: Database) -> list[tuple[str, str]]:
    """``(account_id, owner_id)`` of every account with an owner, oldest first.

    A table that does not exist yet (engine never migrated in this store) is skipped.
    """
    from nautilus.execution.tables import AccountRow as TradingAccount
    from nautilus.portfolio.tables import PortfolioRow

    queries = (
        select(TradingAccount.id, TradingAccount.owner_id)
        .where(TradingAccount.owner_id.is_not(None))
        .order_by(TradingAccount.created_at),
        select(PortfolioRow.account_id, PortfolioRow.owner_id).where(
            PortfolioRow.account_id.is_not(None)
        ),
    )
    found: list[tuple[str, str]] = []
    for query in queries:
        try:
            with db.session() as s:
                found.extend((str(a), str(o)) for a, o in s.execute(query) if a and o)
        except SQLAlchemyError:
            log.debug("account owners: table not readable", exc_info=True)
    return found


def load_owners(db: Database, owners: AccountOwners) -> int:
    """Fill ``owners`` from the store; returns how many accounts were assigned."""
    pairs = stored_owners(db)
    for account_id, owner_id in pairs:
        owners.assign(account_id, owner_id)
    return len(pairs)
