"""The reads behind statements: entries of accounts with their postings, and the other side of
each posting."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository
from netbank.domain.ledger import Entry, Posting
from netbank.services.ports import StatementRow


class SqlStatements(SqlRepository):
    def page(
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
