"""L1, L4: what a payout reads and records besides its posting: the link with the contract's
own limits, the day's usage row that serialises a contract's payouts, and the transfer."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.selectable import Select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository, row_values
from netbank.domain.enrolment import AccountLink, LinkStatus
from netbank.domain.ledger import Transfer
from netbank.domain.limits import DailyUsage, OwnLimits

_INSERT_TRANSFER = insert(t.transfers).returning(t.transfers.c.id)
_ADD_USAGE = (
    update(t.daily_usage)
    .where(t.daily_usage.c.contract_id == bindparam("c"), t.daily_usage.c.business_date == bindparam("d"))
    .values(
        transfers_minor=t.daily_usage.c.transfers_minor + bindparam("transfers"),
        bill_payments_minor=t.daily_usage.c.bill_payments_minor + bindparam("bills"),
    )
)


class _PayoutStatements(NamedTuple):
    terms: Select[AccountLink, OwnLimits]
    transfer_by_key: Select[Transfer]


@cache
def _payout_statements() -> _PayoutStatements:
    """The reads of every payout, built once (after the domain is mapped) with bound
    parameters: building a statement costs more than SQLite takes to run it (the lock of the
    accounts by number is ``ledger._lock_by_number``)."""
    links, own = t.account_links.c, t.own_limits.c
    return _PayoutStatements(
        terms=select(AccountLink, OwnLimits)
        .outerjoin(t.own_limits, own.contract_id == links.contract_id)
        .where(
            links.contract_id == bindparam("c"),
            links.account_id == bindparam("a"),
            links.status == LinkStatus.ACTIVE,
        ),
        transfer_by_key=select(Transfer).where(
            t.transfers.c.contract_id == bindparam("c"), t.transfers.c.idempotency_key == bindparam("k")
        ),
    )


@cache
def _lock_usage(dialect: str) -> Any:
    """Create a contract's day-usage row or touch it, locking it, and return it (L4)."""
    table = t.daily_usage
    return (
        (pg_insert(table) if dialect == "postgresql" else sqlite_insert(table))
        .values(
            contract_id=bindparam("c"), business_date=bindparam("d"), transfers_minor=0, bill_payments_minor=0
        )
        .on_conflict_do_update(
            index_elements=[table.c.contract_id, table.c.business_date],
            set_={"transfers_minor": table.c.transfers_minor},
        )
        .returning(table.c.transfers_minor, table.c.bill_payments_minor)
    )


class SqlPayouts(SqlRepository):
    def terms(self, contract_id: int, account_id: int) -> tuple[AccountLink | None, OwnLimits | None]:
        """The active link of an account under a contract, with the contract's own limits (L1),
        read together for a payout."""
        row = self.s.execute(_payout_statements().terms, {"c": contract_id, "a": account_id}).first()
        return (row[0], row[1]) if row is not None else (None, None)

    def add_transfer(self, transfer: Transfer) -> None:
        transfer.id = (
            self.s.connection().execute(_INSERT_TRANSFER, row_values(transfer, t.transfers)).scalar_one()
        )

    def transfer_by_key(self, contract_id: int, key: str) -> Transfer | None:
        return self.s.scalars(_payout_statements().transfer_by_key, {"c": contract_id, "k": key}).first()

    def transfer(self, transfer_id: int, *, for_update: bool = False) -> Transfer | None:
        return self._one(select(Transfer).filter_by(id=transfer_id), for_update)  # type: ignore[no-any-return]

    def usage(self, contract_id: int, business_date: date) -> DailyUsage:
        """The day's usage of a contract, its row created if needed and locked in the same
        statement (an upsert that touches the row): every payout of a contract on a day is
        serialised on it (L4). The result is a snapshot; record a payout with ``add_usage``."""
        stmt = _lock_usage(self.s.get_bind().dialect.name)
        transfers, bills = self.s.connection().execute(stmt, {"c": contract_id, "d": business_date}).one()
        return DailyUsage(
            contract_id=contract_id,
            business_date=business_date,
            transfers_minor=transfers,
            bill_payments_minor=bills,
        )

    def add_usage(
        self, contract_id: int, business_date: date, *, transfers_minor: int = 0, bill_payments_minor: int = 0
    ) -> None:
        """Add (or, for a reversal, give back) to the day's usage locked by ``usage``."""
        self.s.connection().execute(
            _ADD_USAGE,
            {
                "c": contract_id,
                "d": business_date,
                "transfers": transfers_minor,
                "bills": bill_payments_minor,
            },
        )

    def peek_usage(self, contract_id: int, business_date: date) -> DailyUsage:
        found = self._one(
            select(DailyUsage).filter_by(contract_id=contract_id, business_date=business_date), False
        )
        return found or DailyUsage(contract_id=contract_id, business_date=business_date)

    def own_limits(self, contract_id: int) -> OwnLimits | None:
        return self.s.get(OwnLimits, contract_id)

    def set_own_limits(self, limits: OwnLimits) -> None:
        self.s.merge(limits)
