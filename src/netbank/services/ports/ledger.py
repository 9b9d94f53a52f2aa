"""L, G: the repositories of the ledger, one per concern, each an attribute of the unit of work.

``uow.ledger`` is the books themselves (chart of accounts, postings and their entries, and the
locks a posting takes); ``uow.payouts`` what a payout reads and records besides its posting
(the link and own limits, the day's usage, the transfer); ``uow.payees`` the institution's
billers; ``uow.statements`` the reads behind statements; ``uow.ledger_proof`` the queries that
prove the books (``services.ledger.verify_ledger``)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from netbank.domain.account import Account
from netbank.domain.enrolment import AccountLink
from netbank.domain.ledger import Entry, GLAccount, Payee, Posting, Transfer
from netbank.domain.limits import DailyUsage, OwnLimits


class LedgerRepository(Protocol):
    """The chart of accounts, the postings with their entries, and the locks of GL and customer
    accounts a posting takes (always in id order: no deadlocks)."""

    def add_gl_account(self, account: GLAccount) -> None: ...
    def gl_account(self, institution_id: int, code: str, *, for_update: bool = False) -> GLAccount | None: ...
    def gl_accounts(self, institution_id: int) -> list[GLAccount]: ...
    def lock_gl(self, gl_account_id: int) -> GLAccount: ...
    def add_posting(self, posting: Posting, entries: list[Entry]) -> None: ...
    def posting(self, posting_id: int) -> Posting | None: ...
    def entries_of(self, posting_id: int) -> list[Entry]: ...
    def is_reversed(self, posting_id: int) -> bool: ...
    def lock_accounts(self, account_ids: list[int]) -> dict[int, Account]: ...
    def lock_accounts_by_number(self, institution_id: int, numbers: list[str]) -> dict[str, Account]: ...


class PayoutRepository(Protocol):
    """What a payout reads and records besides its posting: the payer's link with the
    contract's own limits (L1), the day's usage that serialises a contract's payouts (L4), and
    the transfer (by its idempotency key or its id)."""

    def terms(self, contract_id: int, account_id: int) -> tuple[AccountLink | None, OwnLimits | None]: ...
    def add_transfer(self, transfer: Transfer) -> None: ...
    def transfer_by_key(self, contract_id: int, key: str) -> Transfer | None: ...
    def transfer(self, transfer_id: int, *, for_update: bool = False) -> Transfer | None: ...
    def usage(self, contract_id: int, business_date: date) -> DailyUsage: ...
    def add_usage(
        self, contract_id: int, business_date: date, *, transfers_minor: int = 0, bill_payments_minor: int = 0
    ) -> None: ...
    def peek_usage(self, contract_id: int, business_date: date) -> DailyUsage: ...
    def own_limits(self, contract_id: int) -> OwnLimits | None: ...
    def set_own_limits(self, limits: OwnLimits) -> None: ...


class PayeeRepository(Protocol):
    """The billers of an institution, known by their code (G: bill payments)."""

    def add(self, payee: Payee) -> None: ...
    def get(self, institution_id: int, code: str) -> Payee | None: ...
    def list(self, institution_id: int) -> builtins.list[Payee]: ...


@dataclass(frozen=True)
class StatementRow:
    """One entry of a customer account with its posting, as statements read it."""

    entry: Entry
    posting: Posting
    account_number: str


class StatementRepository(Protocol):
    def page(
        self,
        account_ids: list[int],
        *,
        from_date: date | None,
        to_date: date | None,
        kinds: list[str] | None,
        before_entry_id: int | None,
        limit: int,
    ) -> list[StatementRow]: ...
    def counterparts(self, posting_ids: list[int]) -> dict[int, list[tuple[int, str, int | None]]]: ...


@dataclass(frozen=True)
class UnbalancedPosting:
    """A posting whose debits and credits differ in one currency (by ``total_minor``,
    debits minus credits)."""

    posting_id: int
    currency: str
    total_minor: int


@dataclass(frozen=True)
class BalanceMismatch:
    """An account whose stored balance differs from ``summed_minor``, the sum of its entries;
    ``account`` is the customer account's number or the GL account's code."""

    account: str
    stored_minor: int
    summed_minor: int


@dataclass(frozen=True)
class LedgerCounts:
    postings: int
    entries: int


class LedgerProofRepository(Protocol):
    """The queries that prove the books: every posting balances per currency and has two
    entries or more, every stored balance equals the sum of its entries."""

    def unbalanced_postings(self) -> list[UnbalancedPosting]: ...
    def postings_with_fewer_than_two_entries(self) -> list[int]: ...
    def account_balance_mismatches(self) -> list[BalanceMismatch]: ...
    def gl_balance_mismatches(self) -> list[BalanceMismatch]: ...
    def counts(self) -> LedgerCounts: ...
