"""K1: the institution PKI and the certificate version.

Public parts only: CA keys live on the HSM token (key_label), customer keys on the UKEY."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    text,
)

from netbank.adapters.db.tables.base import fk, metadata, pk
from netbank.adapters.db.types import Id, StrEnumType, UTCDateTime
from netbank.domain.certificate import CARole, CertificateStatus, RevocationReason

ca_certificates = Table(
    "ca_certificates",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    Column("role", StrEnumType(CARole, 16), nullable=False),
    Column("serial", String(40), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("key_label", String(64), nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("not_after", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("der", LargeBinary, nullable=False),
    UniqueConstraint("institution_id", "serial"),
    # One active root, issuing CA and OCSP signer per institution.
    Index(
        "uq_ca_certificates_active_role",
        "institution_id",
        "role",
        unique=True,
        sqlite_where=text("active"),
        postgresql_where=text("active"),
    ),
)

customer_certificates = Table(
    "customer_certificates",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    fk("contract_id", "contracts.id"),
    fk("customer_id", "customers.id"),
    fk("issuer_id", "ca_certificates.id"),
    Column("serial", String(40), nullable=False),
    Column("token_serial", String(64), nullable=False),
    Column("token_label", String(64), nullable=False),
    Column("key_label", String(64), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("status", StrEnumType(CertificateStatus, 16), nullable=False),
    Column("revocation_reason", StrEnumType(RevocationReason), nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("not_before", UTCDateTime, nullable=False),
    Column("not_after", UTCDateTime, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("der", LargeBinary, nullable=False),
    UniqueConstraint("institution_id", "serial"),
    CheckConstraint("status IN ('valid', 'revoked')", name="status_known"),
    CheckConstraint("generation IN (1, 2)", name="generation_known"),
    CheckConstraint(
        "(status = 'revoked') = (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL)",
        name="revocation_complete",
    ),
    # K1: a certificate-version customer has exactly one valid UKEY certificate at a time.
    Index(
        "uq_customer_certificates_valid_customer",
        "customer_id",
        unique=True,
        sqlite_where=text("status = 'valid'"),
        postgresql_where=text("status = 'valid'"),
    ),
)

crls = Table(
    "crls",
    metadata,
    pk(),
    fk("issuer_id", "ca_certificates.id"),
    Column("crl_number", BigInteger, nullable=False),
    Column("this_update", UTCDateTime, nullable=False),
    Column("next_update", UTCDateTime, nullable=False),
    Column("der", LargeBinary, nullable=False),
    UniqueConstraint("issuer_id", "crl_number"),
)

# Non-repudiation: what the customer signed, the signature and the certificate, with the transfer.
signed_transfers = Table(
    "signed_transfers",
    metadata,
    pk(),
    Column("transfer_id", Id, ForeignKey("transfers.id"), nullable=False, unique=True),
    fk("certificate_id", "customer_certificates.id"),
    Column("format", String(16), nullable=False),
    Column("canonical", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("certificate_der", LargeBinary, nullable=False),
    Column("verified_at", UTCDateTime, nullable=False),
)

# Login with the certificate: a server nonce the customer signs once, within minutes.
certificate_challenges = Table(
    "certificate_challenges",
    metadata,
    pk(),
    fk("session_id", "sessions.id"),
    Column("nonce", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)


# K1: wrong UKEY PINs at the counter, counted by netbank (SoftHSM and some UKEYs never lock).
ukey_pin_failures = Table(
    "ukey_pin_failures",
    metadata,
    Column("institution_id", Id, ForeignKey("institutions.id"), primary_key=True),
    Column("token_label", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("failures >= 0", name="failures_non_negative"),
)
