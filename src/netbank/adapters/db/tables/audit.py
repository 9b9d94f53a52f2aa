"""The hash-chained audit log and the tip of each chain."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, String, Table, UniqueConstraint

from netbank.adapters.db.tables.base import metadata, pk
from netbank.adapters.db.types import UTCDateTime

audit_entries = Table(
    "audit_entries",
    metadata,
    pk(),
    Column("chain", String(32), nullable=False),
    Column("chain_seq", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("event", String(64), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("chain", "chain_seq"),
)

#: The tip of each audit chain; its row lock serialises appends to one chain.
audit_heads = Table(
    "audit_heads",
    metadata,
    Column("chain", String(32), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
)
