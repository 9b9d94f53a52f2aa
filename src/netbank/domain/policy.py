"""An institution's policy: every value the SPEC leaves to the institution, with SPEC defaults.

Policies are written as TOML (one file per institution, see ``policies/``); this module turns the
parsed mapping into typed, validated values. Amounts are minor units of the institution currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from netbank.domain.account import AccountKind
from netbank.domain.enrolment import Version
from netbank.domain.ledger import FeeKind, fee_amount


@dataclass(frozen=True, slots=True)
class VersionLimits:
    """L1/L2: per-transaction <= daily cumulative <= system limit. ``None`` = no separate
    per-transaction limit (the daily limit then bounds each transfer too)."""

    per_transaction_minor: int | None
    daily_minor: int
    bill_payment_daily_minor: int = 0

    def check(self, system_minor: int) -> None:
        if self.daily_minor < 0 or self.daily_minor > system_minor:
            raise ValueError("L1: daily limit must be between 0 and the system limit")
        if self.per_transaction_minor is not None and not (
            0 <= self.per_transaction_minor <= self.daily_minor
        ):
            raise ValueError("L1: per-transaction limit must be between 0 and the daily limit")


def _default_limits() -> dict[Version, VersionLimits]:
    # L2 (seed 002) in CNY fen: OTP 10,000 / day, certificate 1,000,000 / day, ordinary bill
    # payments 500.
    return {
        Version.CARD_PASSBOOK: VersionLimits(per_transaction_minor=0, daily_minor=0),
        Version.ORDINARY: VersionLimits(0, 0, bill_payment_daily_minor=50_000),
        Version.OTP: VersionLimits(None, 1_000_000),
        Version.CERTIFICATE: VersionLimits(None, 100_000_000),
    }


@dataclass(frozen=True, slots=True)
class Fees:
    """G1/G2: fee amounts (minor units) and a percentage discount from business notices."""

    ukey_generation_1_minor: int = 6_000
    ukey_generation_2_minor: int = 12_000
    certificate_renewal_minor: int = 2_000
    discount_percent: int = 0

    def check(self) -> None:
        if not 0 <= self.discount_percent <= 100:
            raise ValueError("G2: discount_percent must be 0..100")
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"G1: {f.name} must not be negative")

    def base_of(self, kind: FeeKind) -> int:
        """G1: the policy's amount of a fee of ``kind``, before any discount."""
        return {
            FeeKind.UKEY_GENERATION_1: self.ukey_generation_1_minor,
            FeeKind.UKEY_GENERATION_2: self.ukey_generation_2_minor,
            FeeKind.CERTIFICATE_RENEWAL: self.certificate_renewal_minor,
        }[kind]

    def amount_of(self, kind: FeeKind) -> int:
        """G1/G2: what the customer pays for a fee of ``kind``: the policy's amount less the
        discount of the business notices, rounded down."""
        return fee_amount(self.base_of(kind), self.discount_percent)


@dataclass(frozen=True, slots=True)
class Lockout:
    login_password_max_failures: int = 5
    account_pin_max_failures: int = 3
    teller_password_max_failures: int = 5


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """E13 login password rules and the argon2id cost (RFC 9106 / OWASP minimums)."""

    min_length: int = 8
    max_length: int = 64
    min_character_classes: int = 2
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19_456
    argon2_parallelism: int = 1


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle_minutes: int = 15
    absolute_minutes: int = 240


@dataclass(frozen=True, slots=True)
class OTPPolicy:
    """K2: the TOTP parameters, the issuer shown in authenticator apps, and the lock-out."""

    digits: int = 6
    step_seconds: int = 30
    drift_steps: int = 1
    algorithm: str = "SHA1"
    max_failures: int = 5
    issuer: str = "netbank"


@dataclass(frozen=True, slots=True)
class ChallengeSettings:
    """SMS / ARS / one-time code challenges: lifetime, attempts, code length."""

    ttl_seconds: int = 180
    max_attempts: int = 5
    code_digits: int = 6


@dataclass(frozen=True, slots=True)
class StepUpPolicy:
    """How long a step-up lasts, and what needs one."""

    valid_minutes: int = 5
    #: level (30 one-time code, 40 certificate) needed to change the login password when the
    #: customer has a strong medium (OTP or certificate version); 0 = no step-up.
    password_change_level: int = 30


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """Verification attempts per window, per customer and per client address."""

    window_seconds: int = 300
    per_customer: int = 10
    per_address: int = 30


@dataclass(frozen=True, slots=True)
class FinCertPolicy:
    """F5 financial certificate: validity, renewal window, PIN lock-out; F3 flow lifetime.
    Validity and renewal follow the issuing bank's policy, the lock-out the policy of the
    institution where the PIN is typed."""

    validity_years: int = 3
    renewal_window_days: int = 30
    pin_max_failures: int = 5
    registration_flow_minutes: int = 10


@dataclass(frozen=True, slots=True)
class CounterPolicy:
    """E12: how long an in-person identity check recorded by a teller stays usable."""

    identity_check_valid_minutes: int = 30


def _default_registration_kinds() -> frozenset[AccountKind]:
    return frozenset({AccountKind.DEBIT_MAIN_CARD})


@dataclass(frozen=True, slots=True)
class Policy:
    institution_code: str
    currency: str
    timezone: str
    name: str = ""
    kind: str = "bank"
    #: language of messages sent to customers (SMS, voice): ko, zh or en
    language: str = "en"
    system_limit_minor: int = 100_000_000
    limits: Mapping[Version, VersionLimits] = field(default_factory=_default_limits)
    fees: Fees = field(default_factory=Fees)
    lockout: Lockout = field(default_factory=Lockout)
    password: PasswordPolicy = field(default_factory=PasswordPolicy)
    session: SessionPolicy = field(default_factory=SessionPolicy)
    counter: CounterPolicy = field(default_factory=CounterPolicy)
    otp: OTPPolicy = field(default_factory=OTPPolicy)
    challenge: ChallengeSettings = field(default_factory=ChallengeSettings)
    step_up: StepUpPolicy = field(default_factory=StepUpPolicy)
    rate_limit: RateLimitPolicy = field(default_factory=RateLimitPolicy)
    fincert: FinCertPolicy = field(default_factory=FinCertPolicy)
    #: E5: kinds accepted as registration account. The SPEC allows only the debit main card;
    #: an institution may not widen this past the SPEC (checked), only keep it.
    registration_account_kinds: frozenset[AccountKind] = field(default_factory=_default_registration_kinds)
    #: card kinds this institution issues (its product catalogue); others are refused on open.
    issued_account_kinds: frozenset[AccountKind] = frozenset(AccountKind)
    #: E15: phone numbering plan of the institution's customers ("CN" or "KR").
    phone_region: str = "CN"
    #: E4/K1: UKEY generations the institution sells.
    ukey_generations: frozenset[int] = frozenset({1, 2})

    def limits_for(self, version: Version) -> VersionLimits:
        return self.limits[version]

    def validate(self) -> Policy:
        for limits in self.limits.values():
            limits.check(self.system_limit_minor)
        self.fees.check()
        if not self.registration_account_kinds <= {AccountKind.DEBIT_MAIN_CARD}:
            raise ValueError("E5: only the debit main card can be a registration account")
        if self.language not in {"ko", "zh", "en"}:
            raise ValueError("institution language must be ko, zh or en")
        if self.kind not in {"bank", "securities_finance"}:
            raise ValueError("institution kind must be bank or securities_finance")
        if self.phone_region not in {"CN", "KR"}:
            raise ValueError("E15: phone_region must be CN or KR")
        if self.otp.algorithm not in {"SHA1", "SHA256", "SHA512"} or self.otp.digits not in {6, 7, 8}:
            raise ValueError("K2: TOTP algorithm SHA1/SHA256/SHA512 with 6-8 digits")
        if not 1 <= self.challenge.max_attempts <= 10 or not 6 <= self.challenge.code_digits <= 8:
            raise ValueError("K2: challenge attempts 1-10, code 6-8 digits")
        if not (
            1 <= self.fincert.validity_years <= 10
            and 1 <= self.fincert.renewal_window_days <= 365
            and 1 <= self.fincert.pin_max_failures <= 10
            and 1 <= self.fincert.registration_flow_minutes <= 60
        ):
            raise ValueError("F5: fincert validity 1-10 years, window 1-365 days, 1-10 PIN failures")
        if not self.ukey_generations <= {1, 2}:
            raise ValueError("K1: UKEY generations are 1 and 2")
        return self

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Policy:
        """Build a policy from a parsed TOML document; unknown keys are refused."""
        data = dict(data)
        inst = _pop_table(data, "institution")
        policy = cls(
            institution_code=str(inst.pop("code")),
            currency=str(inst.pop("currency")),
            timezone=str(inst.pop("timezone")),
            name=str(inst.pop("name", "")),
            kind=str(inst.pop("kind", "bank")),
            language=str(inst.pop("language", "en")),
        )
        _no_extra("institution", inst)
        limits_table = _pop_table(data, "limits")
        system = int(limits_table.pop("system_minor", policy.system_limit_minor))
        limits = dict(policy.limits)
        for key, value in limits_table.items():
            version = Version(key)
            row = dict(value)
            limits[version] = VersionLimits(
                per_transaction_minor=row.pop("per_transaction_minor", None),
                daily_minor=int(row.pop("daily_minor")),
                bill_payment_daily_minor=int(row.pop("bill_payment_daily_minor", 0)),
            )
            _no_extra(f"limits.{key}", row)
        policy = replace(
            policy,
            system_limit_minor=system,
            limits=limits,
            fees=_table(Fees, data, "fees"),
            lockout=_table(Lockout, data, "lockout"),
            password=_table(PasswordPolicy, data, "password"),
            session=_table(SessionPolicy, data, "session"),
            counter=_table(CounterPolicy, data, "counter"),
            otp=_table(OTPPolicy, data, "otp"),
            challenge=_table(ChallengeSettings, data, "challenge"),
            step_up=_table(StepUpPolicy, data, "step_up"),
            rate_limit=_table(RateLimitPolicy, data, "rate_limit"),
            fincert=_table(FinCertPolicy, data, "fincert"),
        )
        accounts = _pop_table(data, "accounts")
        if "registration_kinds" in accounts:
            policy = replace(
                policy,
                registration_account_kinds=frozenset(
                    AccountKind(k) for k in accounts.pop("registration_kinds")
                ),
            )
        if "issued_kinds" in accounts:
            policy = replace(
                policy,
                issued_account_kinds=frozenset(AccountKind(k) for k in accounts.pop("issued_kinds")),
            )
        _no_extra("accounts", accounts)
        otp = _pop_table(data, "phone")
        if "region" in otp:
            policy = replace(policy, phone_region=str(otp.pop("region")))
        _no_extra("phone", otp)
        ukey = _pop_table(data, "ukey")
        if "generations" in ukey:
            policy = replace(policy, ukey_generations=frozenset(int(g) for g in ukey.pop("generations")))
        _no_extra("ukey", ukey)
        _no_extra("policy", data)
        return policy.validate()


def _pop_table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.pop(name, {})
    if not isinstance(value, Mapping):
        raise ValueError(f"[{name}] must be a table")
    return dict(value)


def _table(kind: type[Any], data: dict[str, Any], name: str) -> Any:
    table = _pop_table(data, name)
    known = {f.name for f in fields(kind)}
    _no_extra(name, {k: v for k, v in table.items() if k not in known})
    return kind(**table)


def _no_extra(where: str, table: Mapping[str, Any]) -> None:
    if table:
        raise ValueError(f"unknown policy keys in [{where}]: {', '.join(sorted(table))}")
