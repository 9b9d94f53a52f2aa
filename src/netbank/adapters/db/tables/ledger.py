"""L, G: the ledger, transfers, limits, payees."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from netbank.adapters.db.tables.base import fk, metadata, pk
from netbank.adapters.db.types import Id, StrEnumType, UTCDateTime
from netbank.domain.ledger import GLKind, PayeeCategory, PostingKind, Side, TransferKind, TransferStatus

gl_accounts = Table(
    "gl_accounts",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", StrEnumType(GLKind), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("balance_minor", BigInteger, nullable=False),
    UniqueConstraint("institution_id", "code"),
)

postings = Table(
    "postings",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    Column("kind", StrEnumType(PostingKind), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("description", String(200), nullable=False),
    Column("reference", String(100), nullable=False),
    fk("contract_id", "contracts.id", nullable=True),
    # A posting is reversed at most once.
    Column("reverses_id", Id, ForeignKey("postings.id"), nullable=True, unique=True),
)

entries = Table(
    "entries",
    metadata,
    pk(),
    fk("posting_id", "postings.id"),
    Column("side", StrEnumType(Side), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=True),
    fk("gl_account_id", "gl_accounts.id", nullable=True),
    Column("balance_after_minor", BigInteger, nullable=False),
    # Statements read an account's entries newest first, a page at a time (keyset on id):
    # this index serves them without touching the rest of the history.
    Index("ix_entries_account_id", "account_id", "id"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("side IN ('D', 'C')", name="side_known"),
    CheckConstraint("(account_id IS NULL) <> (gl_account_id IS NULL)", name="one_account"),
)

transfers = Table(
    "transfers",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    fk("contract_id", "contracts.id"),
    Column("idempotency_key", String(64), nullable=False),
    Column("request_digest", String(64), nullable=False),
    Column("kind", StrEnumType(TransferKind), nullable=False),
    fk("payer_account_id", "accounts.id"),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("auth_level", Integer, nullable=False),
    fk("posting_id", "postings.id"),
    fk("payee_account_id", "accounts.id", nullable=True),
    Column("payee_code", String(32), nullable=True),
    Column("reference", String(100), nullable=False),
    Column("status", StrEnumType(TransferStatus), nullable=False),
    Column("reversal_posting_id", Id, ForeignKey("postings.id"), nullable=True),
    UniqueConstraint("contract_id", "idempotency_key"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

daily_usage = Table(
    "daily_usage",
    metadata,
    Column("contract_id", Id, ForeignKey("contracts.id"), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("transfers_minor", BigInteger, nullable=False),
    Column("bill_payments_minor", BigInteger, nullable=False),
    CheckConstraint("transfers_minor >= 0 AND bill_payments_minor >= 0", name="non_negative"),
)

own_limits = Table(
    "own_limits",
    metadata,
    Column("contract_id", Id, ForeignKey("contracts.id"), primary_key=True),
    Column("per_transaction_minor", BigInteger, nullable=True),
    Column("daily_minor", BigInteger, nullable=True),
)

payees = Table(
    "payees",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", StrEnumType(PayeeCategory), nullable=False),
    UniqueConstraint("institution_id", "code"),
)
