"""The double-entry ledger: every movement of money is a posting of balanced entries (debits
equal credits, per currency) over customer accounts and general-ledger accounts. Postings are
immutable; a reversal is a new posting with the sides swapped.

Customer accounts are deposits (liabilities of the bank): their balance grows with credits.
Each general-ledger account says which side it grows on."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from netbank.domain.errors import Code, Conflict, RuleViolation


class Side(StrEnum):
    DEBIT = "D"
    CREDIT = "C"

    @property
    def opposite(self) -> Side:
        return Side.CREDIT if self is Side.DEBIT else Side.DEBIT


class GLKind(StrEnum):
    ASSET = "asset"  # grows with debits
    LIABILITY = "liability"  # grows with credits
    INCOME = "income"  # grows with credits
    EXPENSE = "expense"  # grows with debits

    @property
    def normal_side(self) -> Side:
        return Side.DEBIT if self in (GLKind.ASSET, GLKind.EXPENSE) else Side.CREDIT


class PostingKind(StrEnum):
    OPENING = "opening"  # an account opened with money in it (cash in at the counter)
    TRANSFER = "transfer"
    BILL_PAYMENT = "bill_payment"
    FEE = "fee"
    REVERSAL = "reversal"


class GLCode(StrEnum):
    """The chart of accounts every institution gets (G1 names 5111201 and its sub-accounts)."""

    CASH = "1001"  # cash and vault: where opening deposits come from
    BILL_CLEARING = "2241"  # bills paid, owed to the payees
    EBANK_INCOME = "5111201"  # 个人电子银行业务收入 personal e-banking income
    EBANK_MATERIAL_COST = "5111201.01"  # 工本费 material cost: UKEY generation 1 and 2
    EBANK_CERTIFICATE_FEE = "5111201.02"  # 证书费 certificate renewal


CHART: dict[GLCode, tuple[str, GLKind]] = {
    GLCode.CASH: ("Cash and vault", GLKind.ASSET),
    GLCode.BILL_CLEARING: ("Bill payments clearing", GLKind.LIABILITY),
    GLCode.EBANK_INCOME: ("Personal e-banking income 个人电子银行业务收入", GLKind.INCOME),
    GLCode.EBANK_MATERIAL_COST: ("Personal e-banking income: material cost 工本费", GLKind.INCOME),
    GLCode.EBANK_CERTIFICATE_FEE: ("Personal e-banking income: certificate fee 证书费", GLKind.INCOME),
}


@dataclass(eq=False)
class GLAccount:
    institution_id: int
    code: str
    name: str
    kind: GLKind
    currency: str
    balance_minor: int = 0
    id: int | None = field(default=None)


@dataclass(eq=False)
class Entry:
    """One side of a posting: exactly one of ``account_id`` (a customer account) and
    ``gl_account_id``. ``balance_after_minor`` is the account's balance once this entry is
    booked (statements read it instead of summing)."""

    side: Side
    amount_minor: int
    currency: str
    account_id: int | None = None
    gl_account_id: int | None = None
    posting_id: int | None = None
    balance_after_minor: int = 0
    id: int | None = field(default=None)


@dataclass(eq=False)
class Posting:
    institution_id: int
    kind: PostingKind
    created_at: datetime
    business_date: date
    description: str
    reference: str = ""
    contract_id: int | None = None
    reverses_id: int | None = None
    id: int | None = field(default=None)


def ensure_balanced(entries: list[Entry]) -> None:
    """Debits equal credits in every currency; every amount is a positive integer."""
    if len(entries) < 2:
        raise ValueError("a posting needs at least two entries")
    totals: dict[str, int] = defaultdict(int)
    for e in entries:
        if not isinstance(e.amount_minor, int) or isinstance(e.amount_minor, bool) or e.amount_minor <= 0:
            raise ValueError("entry amounts are positive integers of minor units")
        if (e.account_id is None) == (e.gl_account_id is None):
            raise ValueError("an entry books to exactly one account")
        totals[e.currency] += e.amount_minor if e.side is Side.DEBIT else -e.amount_minor
    unbalanced = {c: t for c, t in totals.items() if t != 0}
    if unbalanced:
        raise ValueError(f"posting does not balance: {unbalanced}")


def balance_delta(side: Side, amount_minor: int, normal: Side) -> int:
    """How an entry moves a balance kept on its ``normal`` side."""
    return amount_minor if side is normal else -amount_minor


def reversal_entries(original: list[Entry]) -> list[Entry]:
    return [
        Entry(
            side=e.side.opposite,
            amount_minor=e.amount_minor,
            currency=e.currency,
            account_id=e.account_id,
            gl_account_id=e.gl_account_id,
        )
        for e in original
    ]


def ensure_not_reversed(already: bool) -> None:
    if already:
        raise Conflict(Code.LEDGER_ALREADY_REVERSED)


def ensure_positive_amount(amount_minor: int) -> None:
    if amount_minor <= 0:
        raise RuleViolation(Code.L1_AMOUNT_NOT_POSITIVE)


# --- transfers, payees, fees ---------------------------------------------------------------


class TransferKind(StrEnum):
    OWN = "own"  # between the customer's own accounts
    INTERNAL = "internal"  # to another customer's account at the same institution
    BILL = "bill"  # to a payee (utility, phone, tax) with a bill reference


class TransferStatus(StrEnum):
    COMPLETED = "completed"
    REVERSED = "reversed"


@dataclass(eq=False)
class Transfer:
    """A payment instruction as executed, keyed by the client's idempotency key: a retried
    request finds it and gets the first result back."""

    institution_id: int
    contract_id: int
    idempotency_key: str
    request_digest: str
    kind: TransferKind
    payer_account_id: int
    amount_minor: int
    currency: str
    created_at: datetime
    business_date: date
    auth_level: int
    posting_id: int
    payee_account_id: int | None = None
    payee_code: str | None = None
    reference: str = ""
    status: TransferStatus = TransferStatus.COMPLETED
    reversal_posting_id: int | None = None
    id: int | None = field(default=None)


class PayeeCategory(StrEnum):
    UTILITY = "utility"
    PHONE = "phone"
    TAX = "tax"


@dataclass(eq=False)
class Payee:
    institution_id: int
    code: str
    name: str
    category: PayeeCategory
    id: int | None = field(default=None)


class FeeKind(StrEnum):
    """G1: the fees of personal e-banking and the GL sub-account each is income of."""

    UKEY_GENERATION_1 = "ukey_generation_1"
    UKEY_GENERATION_2 = "ukey_generation_2"
    CERTIFICATE_RENEWAL = "certificate_renewal"

    @property
    def gl_code(self) -> GLCode:
        if self is FeeKind.CERTIFICATE_RENEWAL:
            return GLCode.EBANK_CERTIFICATE_FEE
        return GLCode.EBANK_MATERIAL_COST

    @classmethod
    def for_ukey(cls, generation: int) -> FeeKind:
        return cls.UKEY_GENERATION_1 if generation == 1 else cls.UKEY_GENERATION_2


def fee_amount(base_minor: int, discount_percent: int) -> int:
    """G2: the policy's amount less its discount, rounded down (in the customer's favour)."""
    return base_minor * (100 - discount_percent) // 100
