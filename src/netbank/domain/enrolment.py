"""Personal e-banking enrolment: versions, the contract, its accounts and the counter rules
(SPEC E1-E14). Every rule is a function or method named after what it checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from netbank.domain.account import Account, AccountKind
from netbank.domain.errors import Code, Conflict, Locked, RuleViolation


class Version(StrEnum):
    """E1: the four versions of personal e-banking."""

    CARD_PASSBOOK = "card_passbook"  # 卡折版: no enrolment, query only
    ORDINARY = "ordinary"  # 客户普通版: self-registered online
    OTP = "otp"  # 动态口令版: counter only, OTP phone
    CERTIFICATE = "certificate"  # 证书版: counter only, UKEY

    @property
    def counter_only(self) -> bool:
        return self in (Version.OTP, Version.CERTIFICATE)


class Channel(StrEnum):
    ONLINE = "online"
    COUNTER = "counter"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class LinkOrigin(StrEnum):
    REGISTRATION = "registration"  # E5: the registration account
    COUNTER = "counter"  # E9: added at the counter with 819102
    ONLINE = "online"  # E10: linked by the customer online


class LinkStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Medium:
    """E4: the security medium the teller chooses at the counter. For the OTP version a
    (validated, E15) phone number; for the certificate version a UKEY serial and generation."""

    otp_phone: str | None = None
    ukey_serial: str | None = None
    ukey_generation: int | None = None


def ensure_medium_fits_version(version: Version, medium: Medium, ukey_generations: frozenset[int]) -> None:
    """E4: the counter must choose the medium of the version and nothing else."""
    if version is Version.OTP:
        if not medium.otp_phone:
            raise RuleViolation(Code.E4_MEDIUM_REQUIRED, version=version.value, medium="otp_phone")
        if medium.ukey_serial or medium.ukey_generation:
            raise RuleViolation(Code.E4_MEDIUM_NOT_FOR_VERSION, version=version.value)
    elif version is Version.CERTIFICATE:
        if not medium.ukey_serial or medium.ukey_generation is None:
            raise RuleViolation(Code.E4_MEDIUM_REQUIRED, version=version.value, medium="ukey")
        if medium.otp_phone:
            raise RuleViolation(Code.E4_MEDIUM_NOT_FOR_VERSION, version=version.value)
        if medium.ukey_generation not in ukey_generations:
            raise RuleViolation(Code.E4_UKEY_GENERATION_NOT_ALLOWED, generation=medium.ukey_generation)


def ensure_counter_can_open(version: Version) -> None:
    """E4: the counter opens only OTP and certificate versions, never the ordinary one."""
    if not version.counter_only:
        raise RuleViolation(Code.E4_ORDINARY_ONLINE_ONLY, version=version.value)


def ensure_registration_account_kind(kind: AccountKind, allowed: frozenset[AccountKind]) -> None:
    """E5: the registration account must be a debit main card; merchant, four-bank and
    credit cards (and every other kind) are refused."""
    if kind not in allowed:
        raise RuleViolation(Code.E5_REGISTRATION_ACCOUNT_KIND, kind=kind.value)


def ensure_counter_linkable_kind(kind: AccountKind) -> None:
    """E9: these kinds cannot be added at the counter."""
    not_linkable = {
        AccountKind.DEMAND_PASSBOOK,
        AccountKind.DEMAND_ALL_IN_ONE,
        AccountKind.TIME_DEPOSIT_ALL_IN_ONE,
        AccountKind.MERCHANT_CARD,
        AccountKind.TREASURY_BOND_RECEIPT,
        AccountKind.CERTIFICATE_OF_DEPOSIT,
        AccountKind.FOUR_BANK_CARD,
    }
    if kind in not_linkable:
        raise RuleViolation(Code.E9_ACCOUNT_KIND_NOT_LINKABLE, kind=kind.value)


@dataclass(eq=False)
class AccountLink:
    """E5/E6: an account under an e-banking contract and how it got there."""

    contract_id: int
    account_id: int
    origin: LinkOrigin
    created_at: datetime
    status: LinkStatus = LinkStatus.ACTIVE
    ended_at: datetime | None = None
    id: int | None = field(default=None)

    @property
    def is_active(self) -> bool:
        return self.status is LinkStatus.ACTIVE

    @property
    def can_pay_out(self) -> bool:
        """E10: an account the customer linked online can pay out only after 819102."""
        return self.is_active and self.origin is not LinkOrigin.ONLINE

    def ensure_can_pay_out(self) -> None:
        if not self.can_pay_out:
            raise RuleViolation(Code.E10_LINK_NEEDS_COUNTER)

    def end(self, at: datetime) -> None:
        self.status = LinkStatus.ENDED
        self.ended_at = at


@dataclass(eq=False)
class Contract:
    """The personal e-banking contract of one core customer (E3: at most one active)."""

    institution_id: int
    customer_id: int
    version: Version
    registration_account_id: int
    channel: Channel
    password_digest: str
    enrolled_at: datetime
    status: ContractStatus = ContractStatus.ACTIVE
    password_failures: int = 0
    password_locked: bool = False
    otp_phone: str | None = None
    ukey_serial: str | None = None
    ukey_generation: int | None = None
    ended_at: datetime | None = None
    id: int | None = field(default=None)

    @property
    def is_active(self) -> bool:
        return self.status is ContractStatus.ACTIVE

    @property
    def medium(self) -> Medium:
        return Medium(self.otp_phone, self.ukey_serial, self.ukey_generation)

    def ensure_presented_registration_account(self, account: Account) -> None:
        """E7/E8: add, modify, password reset and certificate maintenance need the
        registration account itself to be presented."""
        if account.id != self.registration_account_id:
            raise RuleViolation(Code.E7_REGISTRATION_ACCOUNT_REQUIRED, account=account.masked_number)

    def ensure_counter_can_link(self) -> None:
        """E9: 819102 / 819103 only for OTP and certificate customers."""
        if not self.version.counter_only:
            raise RuleViolation(Code.E9_VERSION_CANNOT_LINK_AT_COUNTER, version=self.version.value)

    def modify(self, version: Version, medium: Medium) -> None:
        """E8: upgrade (or change medium) by modify; the ordinary version is never set at the
        counter (E4). The caller has validated the medium against the version."""
        ensure_counter_can_open(version)
        if version is self.version and medium == self.medium:
            raise RuleViolation(Code.E8_NOTHING_TO_MODIFY)
        self.version = version
        self.otp_phone = medium.otp_phone
        self.ukey_serial = medium.ukey_serial
        self.ukey_generation = medium.ukey_generation

    def end(self, at: datetime, links: list[AccountLink]) -> None:
        """E14: ending the contract ends every linked account's e-banking link too."""
        self.status = ContractStatus.ENDED
        self.ended_at = at
        for link in links:
            if link.is_active:
                link.end(at)

    # --- E13: the customer-level login password ------------------------------------------
    def ensure_login_not_locked(self) -> None:
        if self.password_locked:
            raise_login_locked()

    def record_wrong_password(self, max_failures: int) -> bool:
        self.password_failures += 1
        if self.password_failures >= max_failures:
            self.password_locked = True
        return self.password_locked

    def record_right_password(self) -> None:
        self.password_failures = 0

    def reset_password(self, digest: str) -> None:
        """E13: a teller reset sets a new password and lifts the lock-out."""
        self.password_digest = digest
        self.password_failures = 0
        self.password_locked = False


def raise_login_locked() -> None:
    raise Locked(Code.E13_LOGIN_LOCKED)


def ensure_not_enrolled(existing: Contract | None) -> None:
    """E3: one e-banking customer per core customer number; a version change is a modify."""
    if existing is not None and existing.is_active:
        raise Conflict(Code.E3_ALREADY_ENROLLED, version=existing.version.value)


def ensure_new_link(existing: AccountLink | None) -> None:
    if existing is not None and existing.is_active and existing.origin is not LinkOrigin.ONLINE:
        raise Conflict(Code.E6_ALREADY_LINKED)
