"""K2: time-based one-time passwords (RFC 6238) of the OTP version, and the one-time codes
sent by SMS, ARS (automated voice call) or the banking app (F3 additional authentication).

The pure rules live here: replay (each code at most once), drift, failure counters and
lock-out, challenge expiry and attempts. Computing a TOTP value is the adapter's job."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from netbank.domain.errors import Code, FactorRejected, Locked, RateLimited, RuleViolation

__all__ = ["FactorRejected", "RateLimited"]  # their home is domain/errors.py


class OTPAlgorithm(StrEnum):
    SHA1 = "SHA1"
    SHA256 = "SHA256"
    SHA512 = "SHA512"


@dataclass(frozen=True, slots=True)
class TOTPParameters:
    """K2 defaults: RFC 6238, 6 digits, 30 s step, ±1 step of drift."""

    digits: int = 6
    step_seconds: int = 30
    drift_steps: int = 1
    algorithm: OTPAlgorithm = OTPAlgorithm.SHA1

    def step_at(self, unix_seconds: float) -> int:
        return int(unix_seconds // self.step_seconds)


@dataclass(eq=False)
class TOTPCredential:
    """The TOTP seed of an OTP-version contract. The seed is stored sealed, never in clear."""

    contract_id: int
    institution_id: int
    seed_sealed: bytes
    algorithm: OTPAlgorithm
    digits: int
    step_seconds: int
    created_at: datetime
    last_used_step: int = -1
    drift_steps: int = 0
    failures: int = 0
    locked: bool = False
    active: bool = True
    id: int | None = field(default=None)

    @property
    def parameters(self) -> TOTPParameters:
        return TOTPParameters(digits=self.digits, step_seconds=self.step_seconds, algorithm=self.algorithm)

    def ensure_usable(self) -> None:
        """A locked factor stays locked until a teller unlocks it."""
        if not self.active:
            raise RuleViolation(Code.K2_OTP_NOT_ENROLLED)
        if self.locked:
            raise Locked(Code.K2_OTP_LOCKED)

    def record_failure(self, max_failures: int) -> bool:
        """Count a wrong code; True when this failure locked the factor."""
        self.failures += 1
        if self.failures >= max_failures and not self.locked:
            self.locked = True
            return True
        return False

    def ensure_not_replayed(self, matched_step: int) -> None:
        """K2: a code is accepted at most once; nor is a code older than the last one used."""
        if matched_step <= self.last_used_step:
            raise FactorRejected(Code.K2_OTP_REPLAYED)

    def record_success(self, matched_step: int, current_step: int) -> None:
        self.last_used_step = matched_step
        self.drift_steps = matched_step - current_step
        self.failures = 0

    def unlock(self) -> None:
        self.locked = False
        self.failures = 0


class ChallengeChannel(StrEnum):
    """F3: the customer's choice of additional authentication."""

    SMS = "sms"  # 휴대폰 SMS
    ARS = "ars"  # ARS 인증: an automated voice call reads the code
    ONE_TIME_CODE = "one_time_code"  # 1회용 인증번호, delivered to the banking app


class ChallengePurpose(StrEnum):
    STEP_UP = "step_up"
    TRANSFER = "transfer"
    CERTIFICATE_REGISTRATION = "certificate_registration"


class ChallengeStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class ChallengePolicy:
    ttl_seconds: int = 180
    max_attempts: int = 5
    code_digits: int = 6


@dataclass(eq=False)
class Challenge:
    """A one-time code sent to the customer's phone for one purpose, valid for a short time
    and a few attempts. Only a keyed digest of the code is stored."""

    institution_id: int
    purpose: ChallengePurpose
    channel: ChallengeChannel
    phone: str
    code_digest: str
    created_at: datetime
    expires_at: datetime
    max_attempts: int
    customer_id: int | None = None
    session_id: int | None = None
    attempts: int = 0
    status: ChallengeStatus = ChallengeStatus.PENDING
    verified_at: datetime | None = None
    id: int | None = field(default=None)

    def ensure_open(self, now: datetime) -> None:
        if self.status is ChallengeStatus.VERIFIED:
            raise FactorRejected(Code.K2_CHALLENGE_USED)
        if self.status is ChallengeStatus.LOCKED:
            raise Locked(Code.K2_CHALLENGE_LOCKED)
        if now >= self.expires_at:
            raise FactorRejected(Code.K2_CHALLENGE_EXPIRED)

    def record_wrong_code(self) -> bool:
        """True when the attempts are used up (the challenge is then locked for good)."""
        self.attempts += 1
        if self.attempts >= self.max_attempts:
            self.status = ChallengeStatus.LOCKED
            return True
        return False

    def record_verified(self, now: datetime) -> None:
        self.attempts += 1
        self.status = ChallengeStatus.VERIFIED
        self.verified_at = now
