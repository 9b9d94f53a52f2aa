"""L: the books: the chart of accounts, postings with their entries, and the locks a posting
takes (GL accounts, customer accounts, always in id order: no deadlocks)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, insert, select
from sqlalchemy.sql.selectable import Select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository, locking, row_values
from netbank.domain.account import Account
from netbank.domain.ledger import Entry, GLAccount, Posting

_INSERT_POSTING = insert(t.postings).returning(t.postings.c.id)


@cache
def _lock_by_number() -> Select[Account]:
    """The lock of a payout's accounts by number, built once (after the domain is mapped) with
    bound parameters: building a statement costs more than SQLite takes to run it."""
    accounts = t.accounts.c
    return locking(
        select(Account)
        .where(accounts.institution_id == bindparam("i"), accounts.number.in_(bindparam("n", expanding=True)))
        .order_by(accounts.id)
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

    # --- locks of customer accounts
    def lock_accounts_by_number(self, institution_id: int, numbers: list[str]) -> dict[str, Account]:
        """Lock the institution's accounts with these numbers in id order, in one statement
        (the same order as ``lock_accounts``: no deadlocks); numbers not found are absent."""
        found = self.s.scalars(_lock_by_number(), {"i": institution_id, "n": sorted(set(numbers))})
        return {a.number: a for a in found}

    def lock_accounts(self, account_ids: list[int]) -> dict[int, Account]:
        """Lock customer accounts in id order (one order everywhere: no deadlocks)."""
        stmt = select(Account).where(t.accounts.c.id.in_(sorted(set(account_ids)))).order_by(t.accounts.c.id)
        return {a.id: a for a in self.s.scalars(locking(stmt))}  # type: ignore[misc]
