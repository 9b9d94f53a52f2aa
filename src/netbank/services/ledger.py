"""The ledger: posting balanced entries with O(1) balances, the chart of accounts, fees
(G1-G2), and the ledger's own proof of consistency. Payments that use it are
``services/payments.py``, their limits ``services/limits.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from netbank.domain.account import Account
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.institution import Institution
from netbank.domain.ledger import (
    CHART,
    Entry,
    FeeKind,
    GLAccount,
    GLCode,
    Posting,
    PostingKind,
    Side,
    balance_delta,
    ensure_balanced,
)
from netbank.domain.policy import Policy
from netbank.services.common import id_of
from netbank.services.ports import BalanceMismatch, Deps, UnbalancedPosting, UnitOfWork

# --- the posting engine ------------------------------------------------------------------


def ensure_chart(uow: UnitOfWork, institution: Institution) -> None:
    """Give the institution the chart of accounts it needs (idempotent)."""
    for code, (name, kind) in CHART.items():
        if uow.ledger.gl_account(id_of(institution), code.value) is None:
            uow.ledger.add_gl_account(
                GLAccount(
                    institution_id=id_of(institution),
                    code=code.value,
                    name=name,
                    kind=kind,
                    currency=institution.currency,
                )
            )


def gl(uow: UnitOfWork, institution_id: int, code: GLCode) -> GLAccount:
    account = uow.ledger.gl_account(institution_id, code.value)
    if account is None:
        raise RuntimeError(f"GL account {code.value} missing: run institution set-up")
    return account


def post(uow: UnitOfWork, posting: Posting, entries: list[Entry], accounts: dict[int, Account]) -> Posting:
    """Book a balanced posting and move the stored balances, in the caller's transaction.
    ``accounts`` are the customer accounts the entries touch, already locked by the caller."""
    ensure_balanced(entries)
    for entry in entries:
        if entry.account_id is not None:
            account = accounts[entry.account_id]
            if entry.currency != account.currency:
                raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=entry.currency)
            account.balance_minor += balance_delta(entry.side, entry.amount_minor, Side.CREDIT)
            entry.balance_after_minor = account.balance_minor
        else:
            gl_account = uow.ledger.lock_gl(entry.gl_account_id or 0)
            gl_account.balance_minor += balance_delta(
                entry.side, entry.amount_minor, gl_account.kind.normal_side
            )
            entry.balance_after_minor = gl_account.balance_minor
    uow.ledger.add_posting(posting, entries)
    return posting


def post_opening_deposit(
    uow: UnitOfWork, account: Account, amount_minor: int, now: datetime, today: date
) -> None:
    """An account opened with money in it: cash in (GL 1001) to the account."""
    if amount_minor <= 0:
        return
    cash = gl(uow, account.institution_id, GLCode.CASH)
    post(
        uow,
        Posting(
            institution_id=account.institution_id,
            kind=PostingKind.OPENING,
            created_at=now,
            business_date=today,
            description="opening deposit",
            reference=account.number,
        ),
        [
            Entry(Side.DEBIT, amount_minor, account.currency, gl_account_id=id_of(cash)),
            Entry(Side.CREDIT, amount_minor, account.currency, account_id=id_of(account)),
        ],
        {id_of(account): account},
    )


# --- fees (G1-G2) -------------------------------------------------------------------------


def charge_fee(
    deps: Deps,
    uow: UnitOfWork,
    *,
    policy: Policy,
    account: Account,
    kind: FeeKind,
    now: datetime,
    reference: str,
    contract_id: int | None,
) -> tuple[int, Posting | None]:
    """Debit the fee from the account the customer chose and credit the GL sub-account of its
    kind, in the caller's transaction (the counter transaction that sells or renews)."""
    amount = policy.fees.amount_of(kind)
    if amount == 0:
        return 0, None
    locked = uow.ledger.lock_accounts([id_of(account)])
    payer = locked[id_of(account)]
    payer.ensure_open()
    if payer.payout_blocking_flags:
        raise RuleViolation(Code.G1_FEE_ACCOUNT_NOT_USABLE, account=payer.masked_number)
    if payer.currency != policy.currency:
        raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=payer.currency)
    if payer.balance_minor < amount:
        raise RuleViolation(Code.C2_INSUFFICIENT_FUNDS, account=payer.masked_number)
    income = gl(uow, account.institution_id, kind.gl_code)
    posting = post(
        uow,
        Posting(
            institution_id=account.institution_id,
            kind=PostingKind.FEE,
            created_at=now,
            business_date=deps.today_in(policy.timezone),
            description=f"fee {kind.value}",
            reference=reference,
            contract_id=contract_id,
        ),
        [
            Entry(Side.DEBIT, amount, payer.currency, account_id=id_of(payer)),
            Entry(Side.CREDIT, amount, payer.currency, gl_account_id=id_of(income)),
        ],
        locked,
    )
    return amount, posting


def quote_fee(deps: Deps, institution_code: str, kind: FeeKind) -> int:
    policy = deps.policies.policy_for(institution_code)
    return policy.fees.amount_of(kind)


# --- proof -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerReport:
    postings: int
    entries: int
    unbalanced: list[UnbalancedPosting]
    short_postings: list[int]
    account_mismatches: list[BalanceMismatch]
    gl_mismatches: list[BalanceMismatch]

    @property
    def ok(self) -> bool:
        return not (self.unbalanced or self.short_postings or self.account_mismatches or self.gl_mismatches)


def verify_ledger(deps: Deps) -> LedgerReport:
    """Every posting balances per currency and has two entries or more; every stored balance,
    customer or GL, equals the sum of its entries."""
    with deps.uow(readonly=True) as uow:
        counts = uow.ledger_proof.counts()
        return LedgerReport(
            postings=counts.postings,
            entries=counts.entries,
            unbalanced=uow.ledger_proof.unbalanced_postings(),
            short_postings=uow.ledger_proof.postings_with_fewer_than_two_entries(),
            account_mismatches=uow.ledger_proof.account_balance_mismatches(),
            gl_mismatches=uow.ledger_proof.gl_balance_mismatches(),
        )
