"""The schema, and the imperative mapping of the domain classes onto it.

One ``metadata`` (``base``) holds every table; the tables are defined by context: ``parties``
(institutions, tellers, customers, accounts, contracts), ``counter``, ``session``, ``audit``,
``strong_auth`` (K2), ``ledger`` (L, G), ``pki`` (K1) and ``fincert`` (F); ``mapping`` maps
the domain classes onto them. Every table is re-exported here: import from
``netbank.adapters.db.tables``. Alembic migrations are the source of truth for deployed
databases; the metadata must equal them (``tests/integration/test_migrations.py``)."""

from __future__ import annotations

from netbank.adapters.db.tables.audit import audit_entries, audit_heads
from netbank.adapters.db.tables.base import NAMING, metadata
from netbank.adapters.db.tables.counter import counter_transactions, identity_checks
from netbank.adapters.db.tables.fincert import (
    fincert_authorities,
    fincert_certificates,
    fincert_connect_attempts,
    fincert_devices,
    fincert_flows,
    fincert_people,
    fincert_registrations,
    fincert_superseded,
)
from netbank.adapters.db.tables.ledger import (
    daily_usage,
    entries,
    gl_accounts,
    own_limits,
    payees,
    postings,
    transfers,
)
from netbank.adapters.db.tables.mapping import map_domain, mapper_registry
from netbank.adapters.db.tables.parties import (
    account_links,
    accounts,
    branches,
    contracts,
    customers,
    identity_documents,
    institutions,
    tellers,
)
from netbank.adapters.db.tables.pki import (
    ca_certificates,
    certificate_challenges,
    crls,
    customer_certificates,
    signed_transfers,
    ukey_pin_failures,
)
from netbank.adapters.db.tables.session import sessions
from netbank.adapters.db.tables.strong_auth import (
    challenges,
    outbox_messages,
    rate_limit_buckets,
    totp_credentials,
)

__all__ = [
    "NAMING",
    "account_links",
    "accounts",
    "audit_entries",
    "audit_heads",
    "branches",
    "ca_certificates",
    "certificate_challenges",
    "challenges",
    "contracts",
    "counter_transactions",
    "crls",
    "customer_certificates",
    "customers",
    "daily_usage",
    "entries",
    "fincert_authorities",
    "fincert_certificates",
    "fincert_connect_attempts",
    "fincert_devices",
    "fincert_flows",
    "fincert_people",
    "fincert_registrations",
    "fincert_superseded",
    "gl_accounts",
    "identity_checks",
    "identity_documents",
    "institutions",
    "map_domain",
    "mapper_registry",
    "metadata",
    "outbox_messages",
    "own_limits",
    "payees",
    "postings",
    "rate_limit_buckets",
    "sessions",
    "signed_transfers",
    "tellers",
    "totp_credentials",
    "transfers",
    "ukey_pin_failures",
]
