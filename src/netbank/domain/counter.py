"""Counter work (E12): in person only, at any branch of the institution, recording the teller,
the branch and the identity document checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from netbank.domain.errors import Code, RuleViolation


class TransactionCode(StrEnum):
    """Counter transaction codes. The 8191xx codes are seed 002's; the ``NB-`` ones are
    netbank's own names for counter work the seed gives no code."""

    CONTRACT = "819101"  # personal e-banking contract: add / modify / delete
    ADD_LINKED_ACCOUNT = "819102"
    REMOVE_LINKED_ACCOUNT = "819103"
    PASSWORD_RESET = "NB-PASSWORD-RESET"  # noqa: S105 - a transaction code
    CARD_LOSS = "NB-CARD-LOSS"
    CARD_REPLACEMENT = "NB-CARD-REPLACEMENT"
    ACCOUNT_CLOSURE = "NB-ACCOUNT-CLOSURE"
    STATUS_FLAG = "NB-STATUS-FLAG"
    OTP_PHONE = "NB-OTP-PHONE"
    OTP_RESEED = "NB-OTP-RESEED"
    OTP_UNLOCK = "NB-OTP-UNLOCK"
    UKEY_SALE = "NB-UKEY-SALE"
    CERTIFICATE_RENEWAL = "NB-CERT-RENEWAL"
    CERTIFICATE_REVOCATION = "NB-CERT-REVOCATION"
    TRANSFER_REVERSAL = "NB-REVERSAL"


@dataclass(eq=False)
class IdentityCheck:
    """E12: the teller saw the customer and their identity document, in person."""

    institution_id: int
    branch_id: int
    teller_id: int
    customer_id: int
    doc_type: str
    number_masked: str
    checked_at: datetime
    expires_at: datetime
    id: int | None = field(default=None)

    def ensure_usable(self, *, teller_id: int, customer_id: int, now: datetime) -> None:
        if self.teller_id != teller_id or self.customer_id != customer_id:
            raise RuleViolation(Code.E12_IDENTITY_CHECK_REQUIRED)
        if now >= self.expires_at:
            raise RuleViolation(Code.E12_IDENTITY_CHECK_EXPIRED)


@dataclass(eq=False)
class CounterTransaction:
    """The journal line of one counter transaction, written in the same database transaction
    as the change it records."""

    institution_id: int
    branch_id: int
    teller_id: int
    customer_id: int
    code: TransactionCode
    action: str
    at: datetime
    identity_check_id: int | None = None
    account_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = field(default=None)
