"""The imperative mapping of the domain classes onto the tables."""

from __future__ import annotations

from sqlalchemy.orm import registry

from netbank.adapters.db.tables import audit, counter, fincert, ledger, parties, session, strong_auth
from netbank.adapters.db.tables.base import metadata
from netbank.domain.account import Account
from netbank.domain.audit import AuditEntry
from netbank.domain.counter import CounterTransaction, IdentityCheck
from netbank.domain.customer import Customer, IdentityDocument
from netbank.domain.enrolment import AccountLink, Contract
from netbank.domain.fincert import FinancialCertificate, RegistrationFlow
from netbank.domain.fincert import Registration as FinCertRegistration
from netbank.domain.fincert import SupersededCertificate as FinCertSuperseded
from netbank.domain.fincert_devices import ConnectAttempt, DeviceToken
from netbank.domain.institution import Branch, Institution, Teller
from netbank.domain.ledger import Entry, GLAccount, Payee, Posting, Transfer
from netbank.domain.limits import DailyUsage, OwnLimits
from netbank.domain.otp import Challenge, TOTPCredential
from netbank.domain.outbox import OutboxMessage
from netbank.domain.session import Session

mapper_registry = registry(metadata=metadata)
_MAPPED = False


def map_domain() -> None:
    """Map the domain classes onto the tables (once per process)."""
    global _MAPPED
    if _MAPPED:
        return
    m = mapper_registry.map_imperatively
    m(Institution, parties.institutions)
    m(Branch, parties.branches)
    m(Teller, parties.tellers)
    m(Customer, parties.customers)
    m(IdentityDocument, parties.identity_documents)
    m(Account, parties.accounts)
    m(Contract, parties.contracts)
    m(AccountLink, parties.account_links)
    m(IdentityCheck, counter.identity_checks)
    m(CounterTransaction, counter.counter_transactions)
    m(Session, session.sessions)
    m(AuditEntry, audit.audit_entries)
    m(TOTPCredential, strong_auth.totp_credentials)
    m(Challenge, strong_auth.challenges)
    m(OutboxMessage, strong_auth.outbox_messages)
    m(GLAccount, ledger.gl_accounts)
    m(Posting, ledger.postings)
    m(Entry, ledger.entries)
    m(Transfer, ledger.transfers)
    usage = ledger.daily_usage
    m(DailyUsage, usage, primary_key=[usage.c.contract_id, usage.c.business_date])
    m(OwnLimits, ledger.own_limits)
    m(Payee, ledger.payees)
    m(FinancialCertificate, fincert.fincert_certificates)
    m(FinCertSuperseded, fincert.fincert_superseded)
    m(FinCertRegistration, fincert.fincert_registrations)
    m(RegistrationFlow, fincert.fincert_flows)
    m(ConnectAttempt, fincert.fincert_connect_attempts)
    m(DeviceToken, fincert.fincert_devices)
    _MAPPED = True
