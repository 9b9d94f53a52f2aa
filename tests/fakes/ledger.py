"""In-memory repositories of the ledger (``services.ports.ledger``): the books, what a payout
reads and records besides its posting, the payees, and the queries that prove the books.

Locks are reads: one unit of work writes at a time here (``FakeUnitOfWorkFactory``)."""

from __future__ import annotations

import builtins
from collections import defaultdict
from datetime import date

from netbank.domain.account import Account
from netbank.domain.enrolment import AccountLink, LinkStatus
from netbank.domain.ledger import Entry, GLAccount, Payee, Posting, Side, Transfer
from netbank.domain.limits import DailyUsage, OwnLimits
from netbank.services.ports import BalanceMismatch, LedgerCounts, UnbalancedPosting
from tests.fakes.parties import FakeRepository
from tests.fakes.store import copy_row


class FakeLedger(FakeRepository):
    def add_gl_account(self, account: GLAccount) -> None:
        self.store.insert(account)

    def gl_account(self, institution_id: int, code: str, *, for_update: bool = False) -> GLAccount | None:
        return self.store.first(GLAccount, institution_id=institution_id, code=code)

    def gl_accounts(self, institution_id: int) -> list[GLAccount]:
        return sorted(self.store.where(GLAccount, institution_id=institution_id), key=lambda g: g.code)

    def lock_gl(self, gl_account_id: int) -> GLAccount:
        found = self.store.get(GLAccount, gl_account_id)
        if found is None:  # ``.one()``
            raise LookupError(f"no GL account {gl_account_id}")
        return found

    def add_posting(self, posting: Posting, entries: list[Entry]) -> None:
        self.store.insert(posting)
        for entry in entries:
            entry.posting_id = posting.id
            self.store.insert(entry)

    def posting(self, posting_id: int) -> Posting | None:
        return self.store.get(Posting, posting_id)

    def entries_of(self, posting_id: int) -> list[Entry]:
        return self.store.where(Entry, posting_id=posting_id)

    def is_reversed(self, posting_id: int) -> bool:
        return self.store.first(Posting, reverses_id=posting_id) is not None

    def lock_accounts(self, account_ids: list[int]) -> dict[int, Account]:
        found = (self.store.get(Account, i) for i in sorted(set(account_ids)))
        return {a.id: a for a in found if a is not None and a.id is not None}

    def lock_accounts_by_number(self, institution_id: int, numbers: list[str]) -> dict[str, Account]:
        wanted = set(numbers)
        return {
            a.number: a
            for a in self.store.where(Account, institution_id=institution_id)
            if a.number in wanted
        }


class FakePayouts(FakeRepository):
    def terms(self, contract_id: int, account_id: int) -> tuple[AccountLink | None, OwnLimits | None]:
        link = self.store.first(
            AccountLink, contract_id=contract_id, account_id=account_id, status=LinkStatus.ACTIVE
        )
        return (link, self.own_limits(contract_id)) if link is not None else (None, None)

    def add_transfer(self, transfer: Transfer) -> None:
        self.store.insert(transfer)

    def transfer_by_key(self, contract_id: int, key: str) -> Transfer | None:
        return self.store.first(Transfer, contract_id=contract_id, idempotency_key=key)

    def transfer(self, transfer_id: int, *, for_update: bool = False) -> Transfer | None:
        return self.store.get(Transfer, transfer_id)

    def usage(self, contract_id: int, business_date: date) -> DailyUsage:
        """The day's row, created if needed (the SQL upsert); a snapshot, as there."""
        row = self.store.get(DailyUsage, (contract_id, business_date))
        if row is None:
            row = DailyUsage(contract_id=contract_id, business_date=business_date)
            self.store.put((contract_id, business_date), row)
        return copy_row(row)

    def add_usage(
        self, contract_id: int, business_date: date, *, transfers_minor: int = 0, bill_payments_minor: int = 0
    ) -> None:
        """An ``UPDATE`` of the row ``usage`` created: nothing without it."""
        row = self.store.get(DailyUsage, (contract_id, business_date))
        if row is not None:
            row.transfers_minor += transfers_minor
            row.bill_payments_minor += bill_payments_minor

    def peek_usage(self, contract_id: int, business_date: date) -> DailyUsage:
        found = self.store.get(DailyUsage, (contract_id, business_date))
        return found or DailyUsage(contract_id=contract_id, business_date=business_date)

    def own_limits(self, contract_id: int) -> OwnLimits | None:
        return self.store.get(OwnLimits, contract_id)

    def set_own_limits(self, limits: OwnLimits) -> None:
        """``Session.merge``: the values are kept, not the object passed."""
        self.store.put(limits.contract_id, copy_row(limits))


class FakePayees(FakeRepository):
    def add(self, payee: Payee) -> None:
        self.store.insert(payee)

    def get(self, institution_id: int, code: str) -> Payee | None:
        return self.store.first(Payee, institution_id=institution_id, code=code)

    def list(self, institution_id: int) -> builtins.list[Payee]:
        return sorted(self.store.where(Payee, institution_id=institution_id), key=lambda p: p.code)


class FakeLedgerProof(FakeRepository):
    """``services.ledger.verify_ledger`` over the fake: a test can prove the books it left."""

    def unbalanced_postings(self) -> list[UnbalancedPosting]:
        totals: dict[tuple[int, str], int] = defaultdict(int)
        for e in self.store.rows(Entry):
            totals[(e.posting_id or 0, e.currency)] += (
                e.amount_minor if e.side is Side.DEBIT else -e.amount_minor
            )
        return [UnbalancedPosting(p, c, total) for (p, c), total in totals.items() if total]

    def postings_with_fewer_than_two_entries(self) -> list[int]:
        counts = {p.id: 0 for p in self.store.rows(Posting) if p.id is not None}
        for e in self.store.rows(Entry):
            counts[e.posting_id or 0] = counts.get(e.posting_id or 0, 0) + 1
        return [p for p, n in counts.items() if n < 2]

    def _credits(self) -> tuple[dict[int, int], dict[int, int]]:
        """Credits minus debits of every customer account and every GL account."""
        accounts: dict[int, int] = defaultdict(int)
        gl: dict[int, int] = defaultdict(int)
        for e in self.store.rows(Entry):
            signed = e.amount_minor if e.side is Side.CREDIT else -e.amount_minor
            if e.account_id is not None:
                accounts[e.account_id] += signed
            else:
                gl[e.gl_account_id or 0] += signed
        return accounts, gl

    def account_balance_mismatches(self) -> list[BalanceMismatch]:
        sums, _ = self._credits()
        return [
            BalanceMismatch(a.number, a.balance_minor, sums.get(a.id or 0, 0))
            for a in self.store.rows(Account)
            if a.balance_minor != sums.get(a.id or 0, 0)
        ]

    def gl_balance_mismatches(self) -> list[BalanceMismatch]:
        _, sums = self._credits()
        found = []
        for g in self.store.rows(GLAccount):
            credits = sums.get(g.id or 0, 0)
            expected = -credits if g.kind.normal_side is Side.DEBIT else credits
            if g.balance_minor != expected:
                found.append(BalanceMismatch(g.code, g.balance_minor, expected))
        return found

    def counts(self) -> LedgerCounts:
        return LedgerCounts(len(self.store.rows(Posting)), len(self.store.rows(Entry)))
