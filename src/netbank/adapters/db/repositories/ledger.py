"""L, G: the ledger: chart of accounts, postings, transfers, usage and limits, payees,
statements and the queries that prove the books."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.selectable import Select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository, locking, row_values
from netbank.domain.account import Account
from netbank.domain.enrolment import AccountLink, LinkStatus
from netbank.domain.ledger import Entry, GLAccount, Payee, Posting, Side, Transfer
from netbank.domain.limits import DailyUsage, OwnLimits
from netbank.services.ports import StatementRow

_INSERT_POSTING = insert(t.postings).returning(t.postings.c.id)
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
    lock_by_number: Select[Account]
    terms: Select[AccountLink, OwnLimits]
    transfer_by_key: Select[Transfer]


@cache
def _payout_statements() -> _PayoutStatements:
    """The reads of every payout, built once (after the domain is mapped) with bound
    parameters: building a statement costs more than SQLite takes to run it."""
    accounts, links, own = t.accounts.c, t.account_links.c, t.own_limits.c
    return _PayoutStatements(
        lock_by_number=locking(
            select(Account)
            .where(
                accounts.institution_id == bindparam("i"), accounts.number.in_(bindparam("n", expanding=True))
            )
            .order_by(accounts.id)
        ),
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


class SqlLedger(SqlRepository):
    # --- chart of accounts
    def add_gl_account(self, account: GLAccount) -> None:
        self.s.add(account)
        self.s.flush()

    def gl_account(self, institution_id: int, code: str, *, for_update: bool = False) -> GLAccount | None:
        return self._one(select(GLAccount).filter_by(institution_id=institution_id, code=code), for_update)  # type: ignore[no-any-return]

    def gl_accounts(self, institution_id: int) -> list[GLAccount]:
        stmt = select(GLAccount).filter_by(institution_id=institution_id).order_by(t.gl_accounts.c.code)
        return list(self.s.scalars(stmt))

    def lock_gl(self, gl_account_id: int) -> GLAccount:
        return self.s.scalars(locking(select(GLAccount).filter_by(id=gl_account_id))).one()

    # --- postings
    def add_posting(self, posting: Posting, entries: list[Entry]) -> None:
        """Write a posting and its entries with Core (postings are immutable: nothing in the
        unit of work tracks them after this)."""
        conn = self.s.connection()
        posting.id = conn.execute(_INSERT_POSTING, row_values(posting, t.postings)).scalar_one()
        for entry in entries:
            entry.posting_id = posting.id
        conn.execute(insert(t.entries), [row_values(entry, t.entries) for entry in entries])

    def posting(self, posting_id: int) -> Posting | None:
        return self.s.get(Posting, posting_id)

    def entries_of(self, posting_id: int) -> list[Entry]:
        stmt = select(Entry).filter_by(posting_id=posting_id).order_by(t.entries.c.id)
        return list(self.s.scalars(stmt))

    def is_reversed(self, posting_id: int) -> bool:
        return (
            self.s.execute(select(t.postings.c.id).where(t.postings.c.reverses_id == posting_id)).first()
            is not None
        )

    def lock_accounts_by_number(self, institution_id: int, numbers: list[str]) -> dict[str, Account]:
        """Lock the institution's accounts with these numbers in id order, in one statement
        (the same order as ``lock_accounts``: no deadlocks); numbers not found are absent."""
        found = self.s.scalars(
            _payout_statements().lock_by_number, {"i": institution_id, "n": sorted(set(numbers))}
        )
        return {a.number: a for a in found}

    def payout_terms(self, contract_id: int, account_id: int) -> tuple[AccountLink | None, OwnLimits | None]:
        """The active link of an account under a contract, with the contract's own limits (L1),
        read together for a payout."""
        row = self.s.execute(_payout_statements().terms, {"c": contract_id, "a": account_id}).first()
        return (row[0], row[1]) if row is not None else (None, None)

    def lock_accounts(self, account_ids: list[int]) -> dict[int, Account]:
        """Lock customer accounts in id order (one order everywhere: no deadlocks)."""
        stmt = select(Account).where(t.accounts.c.id.in_(sorted(set(account_ids)))).order_by(t.accounts.c.id)
        return {a.id: a for a in self.s.scalars(locking(stmt))}  # type: ignore[misc]

    # --- transfers, usage, limits, payees
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

    def add_payee(self, payee: Payee) -> None:
        self.s.add(payee)
        self.s.flush()

    def payee(self, institution_id: int, code: str) -> Payee | None:
        return self._one(select(Payee).filter_by(institution_id=institution_id, code=code), False)  # type: ignore[no-any-return]

    def payees(self, institution_id: int) -> list[Payee]:
        return list(
            self.s.scalars(select(Payee).filter_by(institution_id=institution_id).order_by(t.payees.c.code))
        )

    # --- reading
    def statement(
        self,
        account_ids: list[int],
        *,
        from_date: date | None,
        to_date: date | None,
        kinds: list[str] | None,
        before_entry_id: int | None,
        limit: int,
    ) -> list[StatementRow]:
        """Entries of the given accounts, newest first, keyset-paginated by entry id."""
        e, p, a = t.entries.c, t.postings.c, t.accounts.c
        stmt = (
            select(Entry, Posting, a.number)
            .join(t.postings, p.id == e.posting_id)
            .join(t.accounts, a.id == e.account_id)
            .where(e.account_id.in_(account_ids))
        )
        if from_date is not None:
            stmt = stmt.where(p.business_date >= from_date)
        if to_date is not None:
            stmt = stmt.where(p.business_date <= to_date)
        if kinds:
            stmt = stmt.where(p.kind.in_(kinds))
        if before_entry_id is not None:
            stmt = stmt.where(e.id < before_entry_id)
        rows = self.s.execute(stmt.order_by(e.id.desc()).limit(limit))
        return [StatementRow(entry, posting, number) for entry, posting, number in rows]

    def counterparts(self, posting_ids: list[int]) -> dict[int, list[tuple[int, str, int | None]]]:
        """posting id -> (entry id, account number or GL name, owner customer id or None for
        a GL account) of every entry of those postings."""
        if not posting_ids:
            return {}
        e, a, g = t.entries.c, t.accounts.c, t.gl_accounts.c
        stmt = (
            select(e.posting_id, e.id, a.number, a.customer_id, g.name)
            .outerjoin(t.accounts, a.id == e.account_id)
            .outerjoin(t.gl_accounts, g.id == e.gl_account_id)
            .where(e.posting_id.in_(posting_ids))
            .order_by(e.id)
        )
        found: dict[int, list[tuple[int, str, int | None]]] = {}
        for posting_id, entry_id, number, customer_id, gl_name in self.s.execute(stmt):
            found.setdefault(posting_id, []).append((entry_id, number or gl_name, customer_id))
        return found

    def unbalanced_postings(self) -> list[tuple[int, str, int]]:
        e = t.entries.c
        signed = case((e.side == Side.DEBIT.value, e.amount_minor), else_=-e.amount_minor)
        stmt = (
            select(e.posting_id, e.currency, func.sum(signed))
            .group_by(e.posting_id, e.currency)
            .having(func.sum(signed) != 0)
        )
        return [(int(pid), cur, int(total)) for pid, cur, total in self.s.execute(stmt)]

    def postings_with_fewer_than_two_entries(self) -> list[int]:
        p, e = t.postings.c, t.entries.c
        stmt = (
            select(p.id)
            .select_from(t.postings.outerjoin(t.entries, e.posting_id == p.id))
            .group_by(p.id)
            .having(func.count(e.id) < 2)
        )
        return [int(x) for x in self.s.scalars(stmt)]

    def account_balance_mismatches(self) -> list[tuple[str, int, int]]:
        """(number, stored, from entries) for customer accounts whose stored balance differs
        from the sum of their entries (credits minus debits)."""
        a, e = t.accounts.c, t.entries.c
        signed = case((e.side == Side.CREDIT.value, e.amount_minor), else_=-e.amount_minor)
        sums = (
            select(e.account_id.label("aid"), func.sum(signed).label("total"))
            .where(e.account_id.is_not(None))
            .group_by(e.account_id)
            .subquery()
        )
        stmt = (
            select(a.number, a.balance_minor, func.coalesce(sums.c.total, 0))
            .select_from(t.accounts.outerjoin(sums, sums.c.aid == a.id))
            .where(a.balance_minor != func.coalesce(sums.c.total, 0))
        )
        return [(n, int(b), int(s)) for n, b, s in self.s.execute(stmt)]

    def gl_balance_mismatches(self) -> list[tuple[str, int, int]]:
        g, e = t.gl_accounts.c, t.entries.c
        debit_normal = g.kind.in_(["asset", "expense"])
        credit_signed = case((e.side == Side.CREDIT.value, e.amount_minor), else_=-e.amount_minor)
        sums = (
            select(e.gl_account_id.label("gid"), func.sum(credit_signed).label("total"))
            .where(e.gl_account_id.is_not(None))
            .group_by(e.gl_account_id)
            .subquery()
        )
        total = func.coalesce(sums.c.total, 0)
        expected = case((debit_normal, -total), else_=total)
        stmt = (
            select(g.code, g.balance_minor, expected)
            .select_from(t.gl_accounts.outerjoin(sums, sums.c.gid == g.id))
            .where(g.balance_minor != expected)
        )
        return [(c, int(b), int(x)) for c, b, x in self.s.execute(stmt)]

    def counts(self) -> tuple[int, int]:
        return (
            int(self.s.scalar(select(func.count()).select_from(t.postings)) or 0),
            int(self.s.scalar(select(func.count()).select_from(t.entries)) or 0),
        )
