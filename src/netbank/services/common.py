"""Helpers shared by the use cases: who is acting (the actor every handler takes), and look-ups
that refuse cleanly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netbank.domain.account import Account
from netbank.domain.customer import Customer
from netbank.domain.errors import Code, NotFound, RuleViolation
from netbank.domain.institution import Institution, StaffRole
from netbank.domain.session import AuthLevel, PrincipalKind
from netbank.services.ports import UnitOfWork


@dataclass(frozen=True)
class Visitor:
    """Someone not signed in (self-registration, sign-in, a registration flow), known only by
    the client address the request came from, for the rate limits and the audit trail."""

    client: str | None = None

    @property
    def label(self) -> str:
        return f"client:{self.client or '-'}"


@dataclass(frozen=True)
class Operator:
    """The bank's own back office acting without a session: the command line, the feed from
    the core banking system, the demo loader."""

    name: str

    @property
    def label(self) -> str:
        return f"operator:{self.name}"


@dataclass(frozen=True)
class TellerActor:
    """A signed-in member of staff, working at ``branch_id`` of their own institution."""

    session_id: int
    teller_id: int
    teller_number: str
    institution_id: int
    institution_code: str
    branch_id: int
    branch_code: str
    role: StaffRole

    @property
    def label(self) -> str:
        return f"teller:{self.institution_code}/{self.teller_number}"


@dataclass(frozen=True)
class CustomerActor:
    """A signed-in customer: an enrolled one (``contract_id``) or a card/passbook login
    (``account_id``, E1: query only)."""

    session_id: int
    principal: PrincipalKind
    institution_id: int
    institution_code: str
    customer_id: int
    level: AuthLevel
    contract_id: int | None = None
    account_id: int | None = None
    #: The address the request came from (rate limits, the audit trail of failures).
    client: str | None = None

    @property
    def label(self) -> str:
        return f"customer:{self.institution_code}/{self.customer_id}"

    def ensure_enrolled(self) -> int:
        """E1: the card/passbook version has no enrolment and can only query."""
        if self.contract_id is None:
            raise RuleViolation(Code.E1_QUERY_ONLY)
        return self.contract_id


def id_of(entity: Any) -> int:
    """The database id of a persisted entity (flushed before it is asked for)."""
    value = entity.id
    if value is None:
        raise RuntimeError(f"{type(entity).__name__} has no id yet")
    return int(value)


def institution_by_code(uow: UnitOfWork, code: str) -> Institution:
    inst = uow.institutions.get_by_code(code)
    if inst is None:
        raise NotFound(Code.INSTITUTION_NOT_FOUND, institution=code)
    return inst


def customer_by_number(
    uow: UnitOfWork, institution_id: int, number: str, *, for_update: bool = False
) -> Customer:
    customer = uow.customers.get_by_number(institution_id, number, for_update=for_update)
    if customer is None:
        raise NotFound(Code.CUSTOMER_NOT_FOUND)
    return customer


def account_by_number(
    uow: UnitOfWork, institution_id: int, number: str, *, for_update: bool = False
) -> Account:
    account = uow.accounts.get_by_number(institution_id, number, for_update=for_update)
    if account is None:
        raise NotFound(Code.ACCOUNT_NOT_FOUND)
    return account


def customers_account(uow: UnitOfWork, customer: Customer, number: str) -> Account:
    """The account ``number`` of ``customer``, locked for update; C2: an account of someone
    else is refused (as not found, so account numbers cannot be probed)."""
    account = account_by_number(uow, customer.institution_id, number, for_update=True)
    if account.customer_id != customer.id:
        raise RuleViolation(Code.C2_ACCOUNT_NOT_CUSTOMERS)
    return account


@dataclass(frozen=True)
class OTPEnrolment:
    """K2: what the customer scans at the counter, once. Never stored in clear, never logged."""

    otpauth_uri: str
    qr_svg: str
    qr_png_base64: str


@dataclass(frozen=True)
class Receipt:
    """What a counter transaction hands back (and prints): E12's record."""

    transaction_id: int
    code: str
    action: str
    teller_number: str
    branch_code: str
    institution_code: str
    at: datetime
    customer_number: str
    details: dict[str, Any]
    otp_enrolment: OTPEnrolment | None = None
