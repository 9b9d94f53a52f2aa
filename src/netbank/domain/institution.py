"""Institutions, their branches and staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from netbank.domain.errors import Code, Locked, PermissionDenied


class InstitutionKind(StrEnum):
    BANK = "bank"
    SECURITIES_FINANCE = "securities_finance"


class StaffRole(StrEnum):
    TELLER = "teller"  # counter transactions
    ADMIN = "admin"  # institution policy
    AUDITOR = "auditor"  # reads the audit trail, changes nothing


@dataclass(eq=False)
class Institution:
    code: str
    name: str
    kind: InstitutionKind
    currency: str
    timezone: str
    id: int | None = field(default=None)


@dataclass(eq=False)
class Branch:
    institution_id: int
    code: str
    name: str
    id: int | None = field(default=None)


@dataclass(eq=False)
class Teller:
    institution_id: int
    branch_id: int
    teller_number: str
    name: str
    password_digest: str
    role: StaffRole = StaffRole.TELLER
    password_failures: int = 0
    locked: bool = False
    #: The language of their web pages after sign-in (``netbank.domain.locale``); None: the
    #: browser's.
    preferred_locale: str | None = None
    id: int | None = field(default=None)

    def ensure_not_locked(self) -> None:
        if self.locked:
            raise Locked(Code.TELLER_LOCKED)

    def record_wrong_password(self, max_failures: int) -> None:
        self.password_failures += 1
        if self.password_failures >= max_failures:
            self.locked = True

    def ensure_role(self, *roles: StaffRole) -> None:
        if self.role not in roles:
            raise PermissionDenied(Code.TELLER_ROLE_REQUIRED, role="/".join(r.value for r in roles))
