"""Sessions and the authentication level they carry.

Stronger factors (OTP and SMS/ARS codes, certificates) raise a session's level for a limited
time; limits and step-up read ``effective_level``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum


class AuthLevel(IntEnum):
    NONE = 0
    CARD_PIN = 10  # E1 card/passbook: one account, query only
    PASSWORD = 20  # E13 login password
    ONE_TIME_CODE = 30  # OTP / SMS / ARS code
    CERTIFICATE = 40  # UKEY or financial certificate signature


class PrincipalKind(StrEnum):
    CUSTOMER = "customer"  # an enrolled e-banking customer (ordinary, OTP, certificate)
    CARD = "card"  # E1 card/passbook login: one account
    TELLER = "teller"


@dataclass(eq=False)
class Session:
    token_digest: str
    principal: PrincipalKind
    institution_id: int
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    base_level: AuthLevel
    customer_id: int | None = None
    contract_id: int | None = None
    account_id: int | None = None
    teller_id: int | None = None
    #: E12: the branch a teller session works at (any branch of the institution).
    branch_id: int | None = None
    elevated_level: AuthLevel | None = None
    elevated_until: datetime | None = None
    revoked_at: datetime | None = None
    client_address: str | None = None
    id: int | None = field(default=None)

    def is_live(self, now: datetime, idle: timedelta) -> bool:
        return self.revoked_at is None and now < self.expires_at and now - self.last_seen_at < idle

    def effective_level(self, now: datetime) -> AuthLevel:
        if self.elevated_level is not None and self.elevated_until and now < self.elevated_until:
            return max(self.base_level, self.elevated_level)
        return self.base_level

    def raise_level(self, level: AuthLevel, until: datetime) -> None:
        """Step-up: a stronger factor raises the level until ``until``."""
        self.elevated_level = level
        self.elevated_until = until

    def revoke(self, at: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = at
