"""The counter: identity checks and counter transactions."""

from __future__ import annotations

from sqlalchemy import JSON, Column, String, Table

from netbank.adapters.db.tables.base import fk, metadata, pk
from netbank.adapters.db.types import StrEnumType, UTCDateTime
from netbank.domain.counter import TransactionCode

identity_checks = Table(
    "identity_checks",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    fk("branch_id", "branches.id"),
    fk("teller_id", "tellers.id"),
    fk("customer_id", "customers.id"),
    Column("doc_type", String(32), nullable=False),
    Column("number_masked", String(40), nullable=False),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

counter_transactions = Table(
    "counter_transactions",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    fk("branch_id", "branches.id"),
    fk("teller_id", "tellers.id"),
    fk("customer_id", "customers.id"),
    Column("code", StrEnumType(TransactionCode), nullable=False),
    Column("action", String(32), nullable=False),
    fk("identity_check_id", "identity_checks.id", nullable=True),
    fk("account_id", "accounts.id", nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("details", JSON, nullable=False),
)
