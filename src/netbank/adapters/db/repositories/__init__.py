"""SQLAlchemy implementations of the repository ports, one module per context (as
``services.ports``): ``parties``, ``sessions``, ``counter``, ``audit``, ``strong_auth`` and the
ledger's ``ledger``, ``payouts``, ``payees``, ``statements`` and ``ledger_proof``; ``base`` holds
what they share. The K1 and F repositories are ``pki_repository``, ``fincert_repository`` and
``fincert_device_repository`` beside this package."""

from __future__ import annotations

from netbank.adapters.db.repositories.audit import SqlAudit
from netbank.adapters.db.repositories.counter import SqlCounter
from netbank.adapters.db.repositories.ledger import SqlLedger
from netbank.adapters.db.repositories.ledger_proof import SqlLedgerProof
from netbank.adapters.db.repositories.parties import (
    SqlAccounts,
    SqlContracts,
    SqlCustomers,
    SqlInstitutions,
    SqlTellers,
)
from netbank.adapters.db.repositories.payees import SqlPayees
from netbank.adapters.db.repositories.payouts import SqlPayouts
from netbank.adapters.db.repositories.sessions import SqlSessions
from netbank.adapters.db.repositories.statements import SqlStatements
from netbank.adapters.db.repositories.strong_auth import SqlOTP, SqlOutbox, SqlRateLimits

__all__ = [
    "SqlAccounts",
    "SqlAudit",
    "SqlContracts",
    "SqlCounter",
    "SqlCustomers",
    "SqlInstitutions",
    "SqlLedger",
    "SqlLedgerProof",
    "SqlOTP",
    "SqlOutbox",
    "SqlPayees",
    "SqlPayouts",
    "SqlRateLimits",
    "SqlSessions",
    "SqlStatements",
    "SqlTellers",
]
