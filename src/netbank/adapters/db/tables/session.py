"""Sign-in sessions of customers and staff."""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from netbank.adapters.db.tables.base import fk, metadata, pk
from netbank.adapters.db.types import IntEnumType, StrEnumType, UTCDateTime
from netbank.domain.session import AuthLevel, PrincipalKind

sessions = Table(
    "sessions",
    metadata,
    pk(),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("principal", StrEnumType(PrincipalKind), nullable=False),
    fk("institution_id", "institutions.id"),
    fk("customer_id", "customers.id", nullable=True),
    fk("contract_id", "contracts.id", nullable=True),
    fk("account_id", "accounts.id", nullable=True),
    fk("teller_id", "tellers.id", nullable=True),
    fk("branch_id", "branches.id", nullable=True),
    Column("base_level", IntEnumType(AuthLevel), nullable=False),
    Column("elevated_level", IntEnumType(AuthLevel), nullable=True),
    Column("elevated_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("client_address", String(64), nullable=True),
)
