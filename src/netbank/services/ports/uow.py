"""The unit of work (one transaction holding every repository) and ``Deps``, everything a
use case needs from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Protocol, Self

from netbank.services.ports.audit import AuditRepository
from netbank.services.ports.core import (
    Clock,
    IdentityVault,
    OTPCodec,
    PolicyBook,
    SecretBox,
    SecretHasher,
    TokenSource,
)
from netbank.services.ports.counter import CounterRepository
from netbank.services.ports.fincert import FinCertAdapters, FinCertDeviceRepository, FinCertRepository
from netbank.services.ports.ledger import (
    LedgerProofRepository,
    LedgerRepository,
    PayeeRepository,
    PayoutRepository,
    StatementRepository,
)
from netbank.services.ports.parties import (
    AccountRepository,
    ContractRepository,
    CustomerRepository,
    InstitutionRepository,
    TellerRepository,
)
from netbank.services.ports.pki import CertificateAuthority, PKIRepository
from netbank.services.ports.sessions import SessionRepository
from netbank.services.ports.step_up import StepUpFactors
from netbank.services.ports.strong_auth import OTPRepository, OutboxRepository, RateLimitRepository


class UnitOfWork(Protocol):
    institutions: InstitutionRepository
    tellers: TellerRepository
    customers: CustomerRepository
    accounts: AccountRepository
    contracts: ContractRepository
    sessions: SessionRepository
    counter: CounterRepository
    audit: AuditRepository
    otp: OTPRepository
    outbox: OutboxRepository
    rate_limits: RateLimitRepository
    #: L, G: the ledger split by what reads it (see ``ports.ledger``).
    ledger: LedgerRepository
    payouts: PayoutRepository
    payees: PayeeRepository
    statements: StatementRepository
    ledger_proof: LedgerProofRepository
    pki: PKIRepository
    fincert: FinCertRepository
    fincert_devices: FinCertDeviceRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def flush(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...


@dataclass(frozen=True)
class Deps:
    """Everything a use case needs from the outside world, and the step-up factors the
    deployment offers; wired by ``bootstrap``."""

    uow: UnitOfWorkFactory
    clock: Clock
    hasher: SecretHasher
    vault: IdentityVault
    secrets: SecretBox
    tokens: TokenSource
    policies: PolicyBook
    otp: OTPCodec
    #: K2: the step-up factors (``services/factors.standard_factors()``).
    factors: StepUpFactors
    #: K1: the institution CAs and UKEYs; None when no HSM is configured.
    pki: CertificateAuthority | None = None
    #: F1: the cloud financial certificate service; None when not configured.
    fincert: FinCertAdapters | None = None

    def today_in(self, timezone: str) -> date:
        """L4/E2: the business date in the institution's time zone."""
        from zoneinfo import ZoneInfo

        return self.clock.now().astimezone(ZoneInfo(timezone)).date()
