"""Accounts of the core banking model (C2) and their status flags (C3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import IntFlag, StrEnum

from netbank.domain.errors import Code, Conflict, RuleViolation


class AccountKind(StrEnum):
    """C2: every account kind of seed 002."""

    DEBIT_MAIN_CARD = "debit_main_card"  # 借记卡 (主卡)
    DEBIT_SUB_CARD = "debit_sub_card"  # 借记卡副卡
    MERCHANT_CARD = "merchant_card"  # 商联卡
    FOUR_BANK_CARD = "four_bank_card"  # 四行卡
    CREDIT_CARD = "credit_card"  # 贷记卡
    DEMAND_PASSBOOK = "demand_passbook"  # 活期存折
    DEMAND_ALL_IN_ONE = "demand_all_in_one"  # 活期一本通
    TIME_DEPOSIT_ALL_IN_ONE = "time_deposit_all_in_one"  # 定期一本通
    TREASURY_BOND_RECEIPT = "treasury_bond_receipt"  # 凭证式国债收款凭证
    CERTIFICATE_OF_DEPOSIT = "certificate_of_deposit"  # 存单

    @property
    def is_card(self) -> bool:
        return self in CARD_KINDS

    @property
    def is_passbook(self) -> bool:
        return self in PASSBOOK_KINDS


CARD_KINDS = frozenset(
    {
        AccountKind.DEBIT_MAIN_CARD,
        AccountKind.DEBIT_SUB_CARD,
        AccountKind.MERCHANT_CARD,
        AccountKind.FOUR_BANK_CARD,
        AccountKind.CREDIT_CARD,
    }
)
PASSBOOK_KINDS = frozenset(
    {
        AccountKind.DEMAND_PASSBOOK,
        AccountKind.DEMAND_ALL_IN_ONE,
        AccountKind.TIME_DEPOSIT_ALL_IN_ONE,
    }
)


class StatusFlag(IntFlag):
    """C3: the account status flags that block counter e-banking work (E11)."""

    VERBAL_LOSS = 1  # 口挂
    WRITTEN_LOSS = 2  # 书挂
    PIN_LOSS = 4  # 密挂
    INITIAL_PIN = 8  # 初密
    WRONG_PIN_EXCEEDED = 16  # 错密超限
    UNDER_WATCH = 32  # 关注
    FRAUD_HOLD = 64  # 协防

    @classmethod
    def from_names(cls, names: list[str] | tuple[str, ...] | set[str]) -> StatusFlag:
        value = cls(0)
        for name in names:
            value |= cls[name.upper()]
        return value

    def names(self) -> list[str]:
        return [f.name.lower() for f in StatusFlag if f in self and f.name]


LOSS_FLAGS = StatusFlag.VERBAL_LOSS | StatusFlag.WRITTEN_LOSS
#: C3: the flags that stop money leaving an account: a loss report, a PIN lock or a risk hold.
#: 初密 (initial PIN not yet changed) is not among them: it blocks counter work (E11), not
#: payouts.
PAYOUT_BLOCKING = (
    StatusFlag.VERBAL_LOSS
    | StatusFlag.WRITTEN_LOSS
    | StatusFlag.PIN_LOSS
    | StatusFlag.WRONG_PIN_EXCEEDED
    | StatusFlag.UNDER_WATCH
    | StatusFlag.FRAUD_HOLD
)


class AccountStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(eq=False)
class Account:
    institution_id: int
    customer_id: int
    number: str
    kind: AccountKind
    currency: str
    opened_on: date
    balance_minor: int = 0
    real_name: bool = True
    flags: int = 0
    status: AccountStatus = AccountStatus.OPEN
    pin_digest: str | None = None
    pin_failures: int = 0
    #: E14: a same-number replacement card keeps the number and increments this.
    card_sequence: int = 1
    main_card_number: str | None = None
    closed_on: date | None = None
    id: int | None = field(default=None)

    @property
    def status_flags(self) -> StatusFlag:
        return StatusFlag(self.flags)

    @property
    def is_open(self) -> bool:
        return self.status is AccountStatus.OPEN

    def ensure_open(self) -> None:
        """C2: a closed account takes part in nothing."""
        if not self.is_open:
            raise RuleViolation(Code.C2_ACCOUNT_CLOSED, account=self.masked_number)

    def ensure_no_blocking_flags(self) -> None:
        """E11/C3: counter signing, adding accounts, password reset and certificate maintenance
        are refused while the account involved carries any C3 flag."""
        if self.flags:
            raise RuleViolation(
                Code.E11_ACCOUNT_STATUS_BLOCKS,
                account=self.masked_number,
                flags=",".join(self.status_flags.names()),
            )

    @property
    def payout_blocking_flags(self) -> StatusFlag:
        """C3: the flags of PAYOUT_BLOCKING this account carries (empty when money may leave
        it). Callers that refuse with a code of their own (a fee, G1) read this."""
        return self.status_flags & PAYOUT_BLOCKING

    def ensure_can_pay_out(self) -> None:
        """C3: no money leaves an account under a loss report, a PIN lock or a risk hold
        (PAYOUT_BLOCKING); the refusal names the account and the flags that block it."""
        blocking = self.payout_blocking_flags
        if blocking:
            raise RuleViolation(
                Code.C3_ACCOUNT_BLOCKED_FOR_PAYOUT,
                account=self.masked_number,
                flags=",".join(blocking.names()),
            )

    def set_flag(self, flag: StatusFlag) -> None:
        if flag in self.status_flags:
            raise Conflict(Code.C3_FLAG_ALREADY_SET, flag=flag.name.lower() if flag.name else "")
        self.flags = int(self.status_flags | flag)

    def clear_flag(self, flag: StatusFlag) -> None:
        if flag not in self.status_flags:
            raise Conflict(Code.C3_FLAG_NOT_SET, flag=flag.name.lower() if flag.name else "")
        self.flags = int(self.status_flags & ~flag)

    def record_wrong_pin(self, max_failures: int) -> bool:
        """C3: count a wrong PIN; at the policy threshold set 错密超限. True when it locked."""
        self.pin_failures += 1
        if self.pin_failures >= max_failures and StatusFlag.WRONG_PIN_EXCEEDED not in self.status_flags:
            self.flags = int(self.status_flags | StatusFlag.WRONG_PIN_EXCEEDED)
            return True
        return False

    def record_right_pin(self) -> None:
        self.pin_failures = 0

    def replace_card_same_number(self) -> None:
        """E14: after a loss report only a same-number replacement card is issued. The number,
        balance and every e-banking link stay; the loss flags are lifted."""
        self.ensure_open()
        if not self.kind.is_card:
            raise RuleViolation(Code.E14_REPLACEMENT_NOT_A_CARD, account=self.masked_number)
        if not self.status_flags & LOSS_FLAGS:
            raise RuleViolation(Code.E14_CARD_NOT_REPORTED_LOST, account=self.masked_number)
        self.flags = int(self.status_flags & ~LOSS_FLAGS)
        self.card_sequence += 1

    def close(self, on: date, *, contract_uses_as_registration: bool) -> None:
        """E14: a main card that is the registration account of an active e-banking contract
        cannot be closed; the contract must be ended first. C2: the balance must be zero."""
        self.ensure_open()
        if contract_uses_as_registration:
            raise RuleViolation(Code.E14_CONTRACT_ACTIVE, account=self.masked_number)
        if self.balance_minor != 0:
            raise RuleViolation(Code.C2_BALANCE_NOT_ZERO, account=self.masked_number)
        self.status = AccountStatus.CLOSED
        self.closed_on = on

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.number)


def mask_account_number(number: str) -> str:
    """Show the first 4 and last 4 digits of an account or card number."""
    if len(number) <= 8:
        return number[:2] + "*" * max(len(number) - 4, 0) + number[-2:]
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
