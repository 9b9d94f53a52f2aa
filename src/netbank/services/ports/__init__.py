"""The ports the services need; adapters implement them and ``bootstrap`` wires them.

One module per context: ``core`` (clock, secrets, randomness, TOTP, delivery, policies),
``parties`` (institutions, tellers, customers, accounts, contracts), ``sessions``, ``counter``,
``audit``, ``strong_auth`` (OTP, outbox, rate limits), ``ledger`` (L, G), ``pki`` (K1),
``fincert`` (F) and ``uow`` (the unit of work and ``Deps``). Every public name is re-exported
here: import from ``netbank.services.ports``."""

from __future__ import annotations

from netbank.services.ports.audit import AuditRepository
from netbank.services.ports.core import (
    Clock,
    IdentityVault,
    OTPCodec,
    PolicyBook,
    SecretBox,
    SecretHasher,
    Sender,
    TokenSource,
)
from netbank.services.ports.counter import CounterRepository
from netbank.services.ports.fincert import (
    FinCertAdapters,
    FinCertAuthority,
    FinCertCA,
    FinCertDeviceRepository,
    FinCertKeyStore,
    FinCertRepository,
    GeneratedKey,
    PersonMatch,
    PINDigester,
    UnusedCounts,
    VerifiedSignedData,
)
from netbank.services.ports.ledger import (
    BalanceMismatch,
    LedgerCounts,
    LedgerProofRepository,
    LedgerRepository,
    PayeeRepository,
    PayoutRepository,
    StatementRepository,
    StatementRow,
    UnbalancedPosting,
)
from netbank.services.ports.parties import (
    AccountRepository,
    ContractRepository,
    CustomerRepository,
    InstitutionRepository,
    TellerRepository,
)
from netbank.services.ports.pki import (
    CertificateAuthority,
    IssuedUKEYCertificate,
    NewCACertificate,
    PKIRepository,
    UKEYAccess,
    VerifiedCertificate,
)
from netbank.services.ports.sessions import SessionRepository
from netbank.services.ports.step_up import StepUpFactors
from netbank.services.ports.strong_auth import OTPRepository, OutboxRepository, RateLimitRepository
from netbank.services.ports.uow import Deps, UnitOfWork, UnitOfWorkFactory

__all__ = [
    "AccountRepository",
    "AuditRepository",
    "BalanceMismatch",
    "CertificateAuthority",
    "Clock",
    "ContractRepository",
    "CounterRepository",
    "CustomerRepository",
    "Deps",
    "FinCertAdapters",
    "FinCertAuthority",
    "FinCertCA",
    "FinCertDeviceRepository",
    "FinCertKeyStore",
    "FinCertRepository",
    "GeneratedKey",
    "IdentityVault",
    "InstitutionRepository",
    "IssuedUKEYCertificate",
    "LedgerCounts",
    "LedgerProofRepository",
    "LedgerRepository",
    "NewCACertificate",
    "OTPCodec",
    "OTPRepository",
    "OutboxRepository",
    "PINDigester",
    "PKIRepository",
    "PayeeRepository",
    "PayoutRepository",
    "PersonMatch",
    "PolicyBook",
    "RateLimitRepository",
    "SecretBox",
    "SecretHasher",
    "Sender",
    "SessionRepository",
    "StatementRepository",
    "StatementRow",
    "StepUpFactors",
    "TellerRepository",
    "TokenSource",
    "UKEYAccess",
    "UnbalancedPosting",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UnusedCounts",
    "VerifiedCertificate",
    "VerifiedSignedData",
]
