"""K2: one-time passwords, challenges, the outbox, rate limits."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    text,
)

from netbank.adapters.db.tables.base import fk, metadata, pk
from netbank.adapters.db.types import StrEnumType, UTCDateTime
from netbank.domain.otp import ChallengeChannel, ChallengePurpose, ChallengeStatus, OTPAlgorithm
from netbank.domain.outbox import MessageKind, MessageStatus

totp_credentials = Table(
    "totp_credentials",
    metadata,
    pk(),
    fk("contract_id", "contracts.id"),
    fk("institution_id", "institutions.id"),
    Column("seed_sealed", LargeBinary, nullable=False),
    Column("algorithm", StrEnumType(OTPAlgorithm), nullable=False),
    Column("digits", Integer, nullable=False),
    Column("step_seconds", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_step", BigInteger, nullable=False),
    Column("drift_steps", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    # K2: one active seed per contract.
    Index(
        "uq_totp_credentials_active_contract",
        "contract_id",
        unique=True,
        sqlite_where=text("active"),
        postgresql_where=text("active"),
    ),
)

challenges = Table(
    "challenges",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    Column("purpose", StrEnumType(ChallengePurpose), nullable=False),
    Column("channel", StrEnumType(ChallengeChannel), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("code_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    fk("customer_id", "customers.id", nullable=True),
    fk("session_id", "sessions.id", nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("status", StrEnumType(ChallengeStatus), nullable=False),
    Column("verified_at", UTCDateTime, nullable=True),
    CheckConstraint("attempts >= 0 AND attempts <= max_attempts", name="attempts_bounded"),
)

outbox_messages = Table(
    "outbox_messages",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    Column("kind", StrEnumType(MessageKind), nullable=False),
    Column("recipient", String(20), nullable=False),
    Column("body_sealed", LargeBinary, nullable=False),
    Column("dedup_key", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False, index=True),
    Column("status", StrEnumType(MessageStatus), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("leased_until", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
)

#: Fixed-window counters shared by every server process.
rate_limit_buckets = Table(
    "rate_limit_buckets",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("window_start", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
)
