"""The cloud financial certificate (금융인증서, SPEC F1-F7): pure rules.

One certificate service per deployment is shared by every member institution (F1). A person is
known to it by the keyed digest of their resident registration number (the same digest every
institution stores next to the sealed number), never by the number itself. Banks issue and
re-issue (F2); any institution registers a valid certificate through the four-step flow of F3;
the holder views, releases, revokes, suspends, restores, renews and changes the PIN (F4, F5).

Nothing here reads the clock or a random generator: times come in as arguments.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from netbank.domain.customer import Customer, CustomerKind
from netbank.domain.errors import (
    Code,
    Conflict,
    FactorRejected,
    Locked,
    PermissionDenied,
    RuleViolation,
)
from netbank.domain.identity import kr_rrn_birth_date
from netbank.domain.institution import Institution, InstitutionKind
from netbank.domain.policy import FinCertPolicy


class PINRejected(FactorRejected):
    """A wrong certificate PIN (F5); the failure is counted before the refusal."""


class CertificateStatus(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"  # F4: 정지, restorable
    REVOKED = "revoked"  # F4/F5: 폐기, for good


class RevocationReason(StrEnum):
    REVOKED_BY_HOLDER = "revoked_by_holder"  # F4 폐기
    SUPERSEDED = "superseded"  # F5: an issue or re-issue replaced it
    ACCOUNT_DELETED = "account_deleted"  # F8: its holder left the cloud unused for 12 months


class PublishedReason(StrEnum):
    """RFC 5280 CRLReason names (as ``cryptography.x509.ReasonFlags`` spells them) under which
    the service publishes a certificate that is not good (OCSP, F4/F5)."""

    CESSATION_OF_OPERATION = "cessation_of_operation"  # F4 폐기 by the holder
    SUPERSEDED = "superseded"  # F5: an issue or re-issue replaced it
    CERTIFICATE_HOLD = "certificate_hold"  # F4 정지: suspended, restorable


_PUBLISHED_REASONS = {
    RevocationReason.REVOKED_BY_HOLDER: PublishedReason.CESSATION_OF_OPERATION,
    RevocationReason.SUPERSEDED: PublishedReason.SUPERSEDED,
    RevocationReason.ACCOUNT_DELETED: PublishedReason.CESSATION_OF_OPERATION,
}


@dataclass(frozen=True, slots=True)
class PublishedStatus:
    """What the service tells relying parties about one serial number: its OCSP responder
    answers from this, and an institution verifying a signature refuses on it (F4, F5, F7).
    ``known`` False: no certificate of the service has that serial (OCSP ``unknown``);
    ``revoked_at`` None: good; otherwise revoked since then, for ``reason``."""

    known: bool
    revoked_at: datetime | None = None
    reason: PublishedReason | None = None


class RegistrationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"  # F4 해제 at that one institution
    VOIDED = "voided"  # F5: the certificate was revoked or replaced


class SignaturePurpose(StrEnum):
    """F7: the purpose code carried by every signature."""

    LOGIN = "01"
    TRANSFER = "02"
    OTHER = "99"


_PIN = re.compile(r"\d{6}")


def ensure_pin_format(pin: str) -> None:
    """F5: a 6-digit PIN; all one digit or a straight run (123456, 987654) is too easy."""
    if not (pin.isascii() and _PIN.fullmatch(pin)):
        raise RuleViolation(Code.F5_PIN_FORMAT)
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps in ({0}, {1}, {-1}):
        raise RuleViolation(Code.F5_PIN_TOO_SIMPLE)


def add_years(moment: datetime, years: int) -> datetime:
    """``moment`` plus whole calendar years; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def ensure_issuer_is_bank(institution: Institution) -> None:
    """F2: only banks issue and re-issue; a securities-finance company may only register."""
    if institution.kind is not InstitutionKind.BANK:
        raise PermissionDenied(Code.F2_ISSUER_NOT_A_BANK, institution=institution.name)


def ensure_personal_customer(customer: Customer) -> None:
    """F2: personal internet-banking customers; corporate and sole-proprietor users excluded."""
    if customer.kind is not CustomerKind.PERSONAL:
        raise RuleViolation(Code.F2_NOT_PERSONAL_CUSTOMER)


def normalize_resident_number(number: str, today: date) -> str:
    """F3: a resident registration number is 13 digits (a dash after the sixth allowed) with
    a real birth date and a 7th digit consistent with the century (a birth date the 7th digit
    puts after ``today`` is refused); the old check digit is not required (numbers assigned
    from October 2020 carry none)."""
    text = re.sub(r"[\s-]", "", number)
    if not (text.isascii() and re.fullmatch(r"\d{13}", text)):
        raise RuleViolation(Code.F3_RESIDENT_NUMBER_INVALID)
    born = kr_rrn_birth_date(text)
    if born is None or born > today:
        raise RuleViolation(Code.F3_RESIDENT_NUMBER_INVALID)
    return text


@dataclass(eq=False)
class FinancialCertificate:
    """One financial certificate held by the cloud service (F1). Its private key never leaves
    the service's key store; ``pin_digest`` is a keyed hash (the key lives outside the
    database), and ``pin_failures`` counts consecutive wrong PINs (F5 lock)."""

    person_digest: str
    holder_name: str
    issuing_institution_id: int
    customer_id: int
    serial: str
    status: CertificateStatus
    not_before: datetime
    not_after: datetime
    issued_at: datetime
    pin_digest: str
    key_ref: str
    der: bytes
    key_sealed: bytes | None = None
    pin_failures: int = 0
    pin_locked: bool = False
    #: When it was revoked (폐기, or replaced by an issue or re-issue); revocation only.
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None
    #: While suspended (정지), since when it is on hold (RFC 5280 treats a hold as a revocation
    #: with reason certificateHold that may be lifted); None otherwise.
    suspended_at: datetime | None = None
    id: int | None = field(default=None)

    @property
    def is_live(self) -> bool:
        """Not revoked: the one certificate of its person (F5 counts suspended ones too)."""
        return self.status is not CertificateStatus.REVOKED

    def ensure_not_revoked(self) -> None:
        if self.status is CertificateStatus.REVOKED:
            raise RuleViolation(Code.F4_CERTIFICATE_REVOKED)

    def ensure_not_expired(self, now: datetime) -> None:
        if now >= self.not_after:
            raise RuleViolation(Code.F5_CERTIFICATE_EXPIRED, expired_on=self.not_after.date().isoformat())

    def is_usable(self, now: datetime) -> bool:
        """F4/F5: valid (not revoked, not suspended), not expired, its PIN not locked."""
        return self.status is CertificateStatus.VALID and now < self.not_after and not self.pin_locked

    def ensure_usable(self, now: datetime) -> None:
        """F4/F5: valid, not suspended, not expired, PIN not locked."""
        self.ensure_not_revoked()
        if self.status is CertificateStatus.SUSPENDED:
            raise RuleViolation(Code.F4_CERTIFICATE_SUSPENDED)
        self.ensure_not_expired(now)
        if self.pin_locked:
            raise Locked(Code.F5_PIN_LOCKED)

    def record_wrong_pin(self, max_failures: int) -> bool:
        """F5: count a wrong PIN; True when this one locked the certificate (only a re-issue
        unlocks it)."""
        self.pin_failures += 1
        if self.pin_failures >= max_failures and not self.pin_locked:
            self.pin_locked = True
            return True
        return False

    def record_right_pin(self) -> None:
        if self.pin_failures:  # unchanged, the row is not written again
            self.pin_failures = 0

    def suspend(self, now: datetime) -> None:
        self.ensure_not_revoked()
        if self.status is CertificateStatus.SUSPENDED:
            raise Conflict(Code.F4_ALREADY_SUSPENDED)
        self.status = CertificateStatus.SUSPENDED
        self.suspended_at = now

    def restore(self, now: datetime) -> None:
        self.ensure_not_revoked()
        if self.status is not CertificateStatus.SUSPENDED:
            raise Conflict(Code.F4_NOT_SUSPENDED)
        self.ensure_not_expired(now)
        self.status = CertificateStatus.VALID
        self.suspended_at = None

    def revoke(self, reason: RevocationReason, now: datetime) -> None:
        self.ensure_not_revoked()
        self.status = CertificateStatus.REVOKED
        self.revoked_at = now
        self.revocation_reason = reason
        self.suspended_at = None  # revoked for good: no longer merely on hold

    def ensure_revocable_at(self, institution_id: int) -> None:
        """F4: 폐기 happens at the issuing bank."""
        if institution_id != self.issuing_institution_id:
            raise PermissionDenied(Code.F4_REVOKE_AT_ISSUING_BANK_ONLY)

    def renewed_not_after(self, institution_id: int, now: datetime, rules: FinCertPolicy) -> datetime:
        """F5: renewal only at the issuing bank, only in the last ``renewal_window_days``
        before expiry; the new expiry is the old one plus the validity."""
        if institution_id != self.issuing_institution_id:
            raise PermissionDenied(Code.F5_RENEWAL_AT_ISSUING_BANK_ONLY)
        self.ensure_usable(now)
        opens = self.not_after - timedelta(days=rules.renewal_window_days)
        if now < opens:
            raise RuleViolation(
                Code.F5_RENEWAL_TOO_EARLY,
                opens_on=opens.date().isoformat(),
                window_days=rules.renewal_window_days,
            )
        return add_years(self.not_after, rules.validity_years)

    def renew(self, serial: str, der: bytes, not_after: datetime, now: datetime) -> SupersededCertificate:
        """F5 renewal: the certificate now carries the new serial and DER, valid from ``now``
        until ``not_after``; the certificate it replaced is returned, superseded since ``now``
        (a relying party must learn it is no longer good, although it has not expired)."""
        if self.id is None:
            raise ValueError("renewing a certificate that was never stored")
        old = SupersededCertificate(
            certificate_id=self.id,
            serial=self.serial,
            der=self.der,
            not_before=self.not_before,
            not_after=self.not_after,
            superseded_at=now,
        )
        self.serial, self.der, self.not_before, self.not_after = serial, der, now, not_after
        return old


@dataclass(eq=False)
class SupersededCertificate:
    """F5: a certificate a renewal replaced (same key, earlier serial). Published as revoked,
    reason superseded, since the renewal, until its own expiry."""

    certificate_id: int
    serial: str
    der: bytes
    not_before: datetime
    not_after: datetime
    superseded_at: datetime
    id: int | None = field(default=None)


@dataclass(frozen=True, slots=True)
class SerialRecord:
    """What the service keeps about one serial it issued, as far as its status goes: the
    state of the certificate that carries it, or (``superseded_at`` set) that a renewal
    replaced it then."""

    serial: str
    status: CertificateStatus
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None
    suspended_at: datetime | None = None
    superseded_at: datetime | None = None


def published_status(record: FinancialCertificate | SerialRecord | None, now: datetime) -> PublishedStatus:
    """F4/F5, as the service publishes them: a valid certificate is good (expiry is the
    relying party's check), a revoked one (폐기, or superseded by an issue or re-issue) is
    revoked since then, a serial a renewal replaced is revoked with reason superseded since the
    renewal, and a suspended one (정지) is revoked with reason certificateHold since it was
    suspended (``now`` for a hold whose start was not recorded). None: unknown."""
    if record is None:
        return PublishedStatus(known=False)
    if isinstance(record, SerialRecord) and record.superseded_at is not None:
        return PublishedStatus(known=True, revoked_at=record.superseded_at, reason=PublishedReason.SUPERSEDED)
    if record.status is CertificateStatus.VALID:
        return PublishedStatus(known=True)
    if record.status is CertificateStatus.SUSPENDED:
        return PublishedStatus(
            known=True, revoked_at=record.suspended_at or now, reason=PublishedReason.CERTIFICATE_HOLD
        )
    reason = record.revocation_reason or RevocationReason.REVOKED_BY_HOLDER
    return PublishedStatus(known=True, revoked_at=record.revoked_at or now, reason=_PUBLISHED_REASONS[reason])


def ensure_may_issue(
    existing: FinancialCertificate | None, *, institution_id: int, confirm_revoke: bool, now: datetime
) -> None:
    """F5: one valid certificate per person across all institutions. Issuing where this bank
    already issued the live one is a re-issue instead; issuing at another bank needs the
    customer's confirmation that the other one be revoked first. An expired one is simply
    replaced."""
    if existing is None or not existing.is_live or now >= existing.not_after:
        return
    if existing.issuing_institution_id == institution_id:
        raise Conflict(Code.F5_ALREADY_ISSUED)
    if not confirm_revoke:
        raise Conflict(Code.F5_CERTIFICATE_EXISTS_ELSEWHERE)


@dataclass(eq=False)
class Registration:
    """F3: a certificate registered at one institution for one of its customers."""

    certificate_id: int
    institution_id: int
    customer_id: int
    registered_at: datetime
    status: RegistrationStatus = RegistrationStatus.ACTIVE
    ended_at: datetime | None = None
    id: int | None = field(default=None)


class FlowStep(StrEnum):
    """F3 registration at another institution, in the seed's order."""

    IDENTIFIED = "identified"  # 1. name + resident registration number matched
    CHALLENGE_SENT = "challenge_sent"  # 2a. SMS / ARS / one-time code sent
    AUTHENTICATED = "authenticated"  # 2b. code verified
    MEDIUM_VERIFIED = "medium_verified"  # 3. 보안매체 미보유 고객 확인: resident number + mobile
    REGISTERED = "registered"  # 4. certificate chosen, PIN right


_NEXT: dict[FlowStep, tuple[FlowStep, ...]] = {
    # A new code may be asked for again before it is verified.
    FlowStep.CHALLENGE_SENT: (FlowStep.IDENTIFIED, FlowStep.CHALLENGE_SENT),
    FlowStep.AUTHENTICATED: (FlowStep.CHALLENGE_SENT,),
    FlowStep.MEDIUM_VERIFIED: (FlowStep.AUTHENTICATED,),
    FlowStep.REGISTERED: (FlowStep.MEDIUM_VERIFIED,),
}


@dataclass(eq=False)
class RegistrationFlow:
    """Server-side state of one F3 registration, addressed by a random handle of which only
    the digest is stored; it expires ``flow_ttl_minutes`` after it began."""

    handle_digest: str
    institution_id: int
    customer_id: int
    person_digest: str
    step: FlowStep
    created_at: datetime
    expires_at: datetime
    challenge_id: int | None = None
    certificate_id: int | None = None
    id: int | None = field(default=None)

    def ensure_can_move_to(self, step: FlowStep, now: datetime) -> None:
        """F3: each step only after the one before, within the flow's lifetime."""
        if self.step is FlowStep.REGISTERED:
            raise Conflict(Code.F3_FLOW_FINISHED)
        if now >= self.expires_at:
            raise RuleViolation(Code.F3_FLOW_EXPIRED)
        if self.step not in _NEXT[step]:
            raise Conflict(Code.F3_STEP_OUT_OF_ORDER, expected=self.step.value, requested=step.value)

    def move_to(self, step: FlowStep, now: datetime) -> None:
        self.ensure_can_move_to(step, now)
        self.step = step
