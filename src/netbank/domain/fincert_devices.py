"""Device connections to the cloud financial certificate service (SPEC F8): pure rules.

A device (a phone, a PC) connects to the cloud itself, not to an institution: the person types
their name, mobile phone number and birth date, chooses SMS or ARS, and types back the 6-digit
code sent to that phone. Who the person is comes from what the member institutions already
hold: a customer record with that name, birth date (C1, which enrolment checks against the
resident registration number) and mobile phone, whose identity document's keyed digest is the
person digest of a live financial certificate.

A start that matches nobody looks exactly like one that matches: it gets a connection handle
and an expiry, and its code (one that is never sent) is then refused as wrong. A device may keep
an auto-connect token; clearing it ends the connection. A person unused for
``unused_months`` is deleted with their certificates by the purge.

Nothing here reads the clock or a random generator: times come in as arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from netbank.domain.errors import AuthenticationFailed, Code, Conflict, Locked, RuleViolation
from netbank.domain.otp import ChallengeChannel, FactorRejected

#: F8 names SMS and ARS; the banking app's one-time code is not a way into the cloud.
CONNECT_CHANNELS = frozenset({ChallengeChannel.SMS, ChallengeChannel.ARS})
LABEL_MAX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class DevicePolicy:
    """F8, for the one cloud service of a deployment (not per institution). The code rules are
    the K2 challenge defaults: 6 digits, 3 minutes, 5 attempts; ``unused_months`` is the SPEC's
    12 months; ``window_seconds`` / ``starts_per_phone`` / ``starts_per_address`` limit how
    often codes may be asked for (no flooding a phone, no mass probing)."""

    code_digits: int = 6
    code_ttl_seconds: int = 180
    code_max_attempts: int = 5
    unused_months: int = 12
    window_seconds: int = 300
    starts_per_phone: int = 5
    starts_per_address: int = 30

    def validate(self) -> DevicePolicy:
        if not (
            6 <= self.code_digits <= 8
            and 30 <= self.code_ttl_seconds <= 900
            and 1 <= self.code_max_attempts <= 10
            and 1 <= self.unused_months <= 120
            and self.window_seconds > 0
            and self.starts_per_phone > 0
            and self.starts_per_address > 0
        ):
            raise ValueError("F8: code 6-8 digits, 30-900 s, 1-10 attempts; 1-120 months unused")
        return self


def ensure_connect_channel(channel: ChallengeChannel) -> None:
    """F8: a device connects with a code sent by SMS or read out by ARS."""
    if channel not in CONNECT_CHANNELS:
        raise RuleViolation(Code.F8_CHANNEL_NOT_OFFERED, channel=channel.value)


def parse_birth_date(text: str, today: date) -> date:
    """F8: the birth date as typed, ``YYYYMMDD`` (dashes or dots between the parts allowed):
    a real calendar date, not after ``today``."""
    digits = re.sub(r"[\s.-]", "", text)
    if not (digits.isascii() and re.fullmatch(r"\d{8}", digits)):
        raise RuleViolation(Code.F8_BIRTH_DATE_INVALID)
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise RuleViolation(Code.F8_BIRTH_DATE_INVALID) from None
    if born > today or born.year < 1900:
        raise RuleViolation(Code.F8_BIRTH_DATE_INVALID)
    return born


def device_label(label: str | None, *, keep_connected: bool) -> str | None:
    """F8: a device that keeps an auto-connect token is named by the client (shown in the
    holder's list of devices); without the token no name is kept."""
    if not keep_connected:
        return None
    text = " ".join((label or "").split())
    if not text:
        raise RuleViolation(Code.F8_DEVICE_LABEL_REQUIRED, max_length=LABEL_MAX_LENGTH)
    return text[:LABEL_MAX_LENGTH]


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` less whole calendar months; a day the earlier month lacks becomes its last."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable: every month has 28 days")


def is_unused(last_active_at: datetime, now: datetime, months: int) -> bool:
    """F8: unused for ``months``: no use of the cloud since ``months`` before ``now``."""
    return last_active_at <= months_before(now, months)


class ConnectStatus(StrEnum):
    PENDING = "pending"  # code sent (or, for no match, pretended to be)
    CONNECTED = "connected"
    LOCKED = "locked"  # the attempts are used up


@dataclass(eq=False)
class ConnectAttempt:
    """One F8 connection in progress, addressed by a random handle of which only the digest is
    stored, with the keyed digest of its code. ``person_digest`` is None when the name, phone
    and birth date matched no certificate holder: the attempt then behaves the same, and no
    code can ever be right."""

    handle_digest: str
    channel: ChallengeChannel
    person_digest: str | None
    code_digest: str
    created_at: datetime
    expires_at: datetime
    max_attempts: int
    attempts: int = 0
    status: ConnectStatus = ConnectStatus.PENDING
    connected_at: datetime | None = None
    id: int | None = field(default=None)

    def ensure_open(self, now: datetime) -> None:
        if self.status is ConnectStatus.CONNECTED:
            raise Conflict(Code.F8_CONNECT_FINISHED)
        if self.status is ConnectStatus.LOCKED:
            raise Locked(Code.F8_CODE_LOCKED)
        if now >= self.expires_at:
            raise FactorRejected(Code.F8_CODE_EXPIRED)

    def record_wrong_code(self) -> bool:
        """Count a wrong code; True when the attempts are used up (locked for good)."""
        self.attempts += 1
        if self.attempts >= self.max_attempts:
            self.status = ConnectStatus.LOCKED
            return True
        return False

    @property
    def attempts_left(self) -> int:
        return self.max_attempts - self.attempts

    def record_connected(self, now: datetime) -> None:
        self.attempts += 1
        self.status = ConnectStatus.CONNECTED
        self.connected_at = now


@dataclass(eq=False)
class DeviceToken:
    """F8: a device's auto-connect token. Only its digest is stored; the token itself is shown
    once, when the device connects. ``revoked_at`` set: cleared, the connection is over."""

    person_digest: str
    label: str
    token_digest: str
    created_at: datetime
    last_used_at: datetime
    revoked_at: datetime | None = None
    id: int | None = field(default=None)

    def ensure_active(self) -> None:
        if self.revoked_at is not None:
            raise AuthenticationFailed(Code.F8_DEVICE_TOKEN_REVOKED)

    def record_use(self, now: datetime) -> None:
        self.ensure_active()
        self.last_used_at = now

    def revoke(self, now: datetime) -> None:
        self.ensure_active()
        self.revoked_at = now
