"""The queries that prove the books (``services.ledger.verify_ledger``): every posting balances
per currency and has two entries or more, every stored balance equals the sum of its entries."""

from __future__ import annotations

from sqlalchemy import case, func, select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository
from netbank.domain.ledger import Side
from netbank.services.ports import BalanceMismatch, LedgerCounts, UnbalancedPosting


class SqlLedgerProof(SqlRepository):
    def unbalanced_postings(self) -> list[UnbalancedPosting]:
        e = t.entries.c
        signed = case((e.side == Side.DEBIT.value, e.amount_minor), else_=-e.amount_minor)
        stmt = (
            select(e.posting_id, e.currency, func.sum(signed))
            .group_by(e.posting_id, e.currency)
            .having(func.sum(signed) != 0)
        )
        return [UnbalancedPosting(int(pid), cur, int(total)) for pid, cur, total in self.s.execute(stmt)]

    def postings_with_fewer_than_two_entries(self) -> list[int]:
        p, e = t.postings.c, t.entries.c
        stmt = (
            select(p.id)
            .select_from(t.postings.outerjoin(t.entries, e.posting_id == p.id))
            .group_by(p.id)
            .having(func.count(e.id) < 2)
        )
        return [int(x) for x in self.s.scalars(stmt)]

    def account_balance_mismatches(self) -> list[BalanceMismatch]:
        """Customer accounts (by number) whose stored balance differs from the sum of their
        entries (credits minus debits)."""
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
        return [BalanceMismatch(n, int(b), int(s)) for n, b, s in self.s.execute(stmt)]

    def gl_balance_mismatches(self) -> list[BalanceMismatch]:
        """GL accounts (by code) whose stored balance differs from their entries, signed by
        the account's normal side."""
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
        return [BalanceMismatch(c, int(b), int(x)) for c, b, x in self.s.execute(stmt)]

    def counts(self) -> LedgerCounts:
        return LedgerCounts(
            int(self.s.scalar(select(func.count()).select_from(t.postings)) or 0),
            int(self.s.scalar(select(func.count()).select_from(t.entries)) or 0),
        )
