"""Limits (L1-L4): per-transaction <= daily cumulative <= system limit, by e-banking version,
lowered by the customer if they wish, and chosen by how strongly the session authenticated.

A session at the password level transfers under the ordinary version's limits, at the
one-time-code level under the OTP version's, with a certificate under the certificate
version's — never above what the customer's own version allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from netbank.domain.enrolment import Version
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.policy import Policy, VersionLimits
from netbank.domain.session import AuthLevel

#: The strongest level each version can reach (its medium).
VERSION_CEILING = {
    Version.CARD_PASSBOOK: AuthLevel.CARD_PIN,
    Version.ORDINARY: AuthLevel.PASSWORD,
    Version.OTP: AuthLevel.ONE_TIME_CODE,
    Version.CERTIFICATE: AuthLevel.CERTIFICATE,
}
#: Whose limits apply at each level.
LEVEL_VERSION = {
    AuthLevel.NONE: Version.CARD_PASSBOOK,
    AuthLevel.CARD_PIN: Version.CARD_PASSBOOK,
    AuthLevel.PASSWORD: Version.ORDINARY,
    AuthLevel.ONE_TIME_CODE: Version.OTP,
    AuthLevel.CERTIFICATE: Version.CERTIFICATE,
}


@dataclass(eq=False)
class OwnLimits:
    """L1: limits a customer chose below their version's."""

    contract_id: int
    per_transaction_minor: int | None = None
    daily_minor: int | None = None


@dataclass(eq=False)
class DailyUsage:
    """L4: what a contract has paid out on one business day (in the institution's zone)."""

    contract_id: int
    business_date: date
    transfers_minor: int = 0
    bill_payments_minor: int = 0


def usable_level(version: Version, session_level: AuthLevel) -> AuthLevel:
    return min(session_level, VERSION_CEILING[version])


def limits_at(policy: Policy, version: Version, level: AuthLevel, own: OwnLimits | None) -> VersionLimits:
    """The limits in force for a session of ``level`` of a ``version`` customer."""
    base = policy.limits_for(LEVEL_VERSION[usable_level(version, level)])
    if own is None:
        return base
    per_transaction = base.per_transaction_minor
    if own.per_transaction_minor is not None:
        per_transaction = (
            own.per_transaction_minor
            if per_transaction is None
            else min(per_transaction, own.per_transaction_minor)
        )
    daily = base.daily_minor if own.daily_minor is None else min(base.daily_minor, own.daily_minor)
    return VersionLimits(per_transaction, daily, base.bill_payment_daily_minor)


def fits(limits: VersionLimits, amount_minor: int, usage: DailyUsage, *, bill: bool) -> bool:
    try:
        ensure_within_limits(limits, amount_minor, usage, bill=bill)
    except RuleViolation:
        return False
    return True


def ensure_within_limits(limits: VersionLimits, amount_minor: int, usage: DailyUsage, *, bill: bool) -> None:
    """L1/L2: the per-transaction limit, then the day's cumulative one. A bill payment counts
    against the version's bill-payment limit where it has one (ordinary: 500 a day), else
    against the daily cumulative limit like any transfer."""
    if bill and limits.bill_payment_daily_minor > 0:
        if usage.bill_payments_minor + amount_minor > limits.bill_payment_daily_minor:
            raise RuleViolation(
                Code.L2_BILL_PAYMENT_LIMIT_EXCEEDED,
                limit_minor=limits.bill_payment_daily_minor,
                left_minor=max(limits.bill_payment_daily_minor - usage.bill_payments_minor, 0),
            )
        return
    if limits.daily_minor == 0:
        raise RuleViolation(Code.L2_VERSION_CANNOT_TRANSFER)
    if limits.per_transaction_minor is not None and amount_minor > limits.per_transaction_minor:
        raise RuleViolation(Code.L1_PER_TRANSACTION_LIMIT_EXCEEDED, limit_minor=limits.per_transaction_minor)
    used = usage.transfers_minor + usage.bill_payments_minor
    if used + amount_minor > limits.daily_minor:
        raise RuleViolation(
            Code.L2_DAILY_LIMIT_EXCEEDED,
            limit_minor=limits.daily_minor,
            left_minor=max(limits.daily_minor - used, 0),
        )


def daily_cap(version_limits: VersionLimits, own: OwnLimits | None) -> int | None:
    """L1/L2: what a customer may pay out in a day whatever level a session reached: their
    version's daily cumulative limit, or the lower one they chose. ``None`` for a version
    without one (ordinary: its bill payments have their own limit)."""
    if version_limits.daily_minor == 0:
        return None
    if own is None or own.daily_minor is None:
        return version_limits.daily_minor
    return min(version_limits.daily_minor, own.daily_minor)


def ensure_within_daily_cap(
    version_limits: VersionLimits, own: OwnLimits | None, amount_minor: int, usage: DailyUsage
) -> None:
    """L1/L2: the day's transfers and bill payments together stay within the customer's daily
    cap, also when a session at a lower level pays under a lower version's limits (an OTP
    customer signed in with the password pays bills under the ordinary version's 500 a day,
    never past their own daily limit or what is left of the version's)."""
    cap = daily_cap(version_limits, own)
    used = usage.transfers_minor + usage.bill_payments_minor
    if cap is not None and used + amount_minor > cap:
        raise RuleViolation(Code.L2_DAILY_LIMIT_EXCEEDED, limit_minor=cap, left_minor=max(cap - used, 0))


def ensure_own_limits_within(
    version_limits: VersionLimits, per_transaction_minor: int | None, daily_minor: int | None
) -> None:
    """L1: a customer may lower their limits, never raise them past the version's; their own
    per-transaction limit stays below their own daily one."""
    if daily_minor is not None and not 0 <= daily_minor <= version_limits.daily_minor:
        raise RuleViolation(Code.L1_OWN_LIMIT_ABOVE_VERSION, limit_minor=version_limits.daily_minor)
    cap = version_limits.per_transaction_minor
    if per_transaction_minor is not None:
        if per_transaction_minor < 0 or (cap is not None and per_transaction_minor > cap):
            raise RuleViolation(
                Code.L1_OWN_LIMIT_ABOVE_VERSION,
                limit_minor=cap if cap is not None else version_limits.daily_minor,
            )
        effective_daily = daily_minor if daily_minor is not None else version_limits.daily_minor
        if per_transaction_minor > effective_daily:
            raise RuleViolation(Code.L1_PER_TRANSACTION_ABOVE_DAILY)
