"""F: the cloud financial certificate service (one per deployment).

Its CA keys live on the HSM token (key_label); customer keys in the key store (key_ref, and
key_sealed for the embedded AES-GCM store). A person is known by the keyed digest of the
resident registration number only."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Index, Integer, LargeBinary, String, Table, text

from netbank.adapters.db.tables.base import fk, metadata, pk
from netbank.adapters.db.types import StrEnumType, UTCDateTime
from netbank.domain.fincert import CertificateStatus as FinCertStatus
from netbank.domain.fincert import FlowStep
from netbank.domain.fincert import RegistrationStatus as FinCertRegistrationStatus
from netbank.domain.fincert import RevocationReason as FinCertRevocationReason
from netbank.domain.fincert_devices import ConnectStatus
from netbank.domain.otp import ChallengeChannel

fincert_authorities = Table(
    "fincert_authorities",
    metadata,
    pk(),
    Column("role", String(16), nullable=False),
    Column("serial", String(40), nullable=False, unique=True),
    Column("subject", String(400), nullable=False),
    Column("key_label", String(64), nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("not_after", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("der", LargeBinary, nullable=False),
    CheckConstraint("role IN ('root', 'issuing')", name="role_known"),
    Index(
        "uq_fincert_authorities_active_role",
        "role",
        unique=True,
        sqlite_where=text("active"),
        postgresql_where=text("active"),
    ),
)

fincert_certificates = Table(
    "fincert_certificates",
    metadata,
    pk(),
    Column("person_digest", String(64), nullable=False, index=True),
    Column("holder_name", String(200), nullable=False),
    fk("issuing_institution_id", "institutions.id"),
    fk("customer_id", "customers.id"),
    Column("serial", String(40), nullable=False, unique=True),
    Column("status", StrEnumType(FinCertStatus, 16), nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("not_after", UTCDateTime, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("pin_digest", String(64), nullable=False),
    Column("pin_failures", Integer, nullable=False),
    Column("pin_locked", Boolean, nullable=False),
    Column("key_ref", String(64), nullable=False, unique=True),
    Column("key_sealed", LargeBinary, nullable=True),
    Column("der", LargeBinary, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revocation_reason", StrEnumType(FinCertRevocationReason), nullable=True),
    # F4 정지: since when it is on hold (migration 0008; revoked_at is for revocation only).
    Column("suspended_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('valid', 'suspended', 'revoked')", name="status_known"),
    CheckConstraint("status = 'suspended' OR suspended_at IS NULL", name="suspended_at_only_on_hold"),
    CheckConstraint("pin_failures >= 0", name="pin_failures_not_negative"),
    CheckConstraint(
        "(status = 'revoked') = (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL)",
        name="revocation_complete",
    ),
    # F5: one live (valid or suspended) financial certificate per person, across institutions.
    Index(
        "uq_fincert_certificates_live_person",
        "person_digest",
        unique=True,
        sqlite_where=text("status <> 'revoked'"),
        postgresql_where=text("status <> 'revoked'"),
    ),
)

# F5: the certificates a renewal replaced (same key, earlier serial), published as revoked
# with reason superseded from the renewal until their own expiry (OCSP, CRL).
fincert_superseded = Table(
    "fincert_superseded",
    metadata,
    pk(),
    fk("certificate_id", "fincert_certificates.id"),
    Column("serial", String(40), nullable=False, unique=True),
    Column("der", LargeBinary, nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("not_after", UTCDateTime, nullable=False, index=True),
    Column("superseded_at", UTCDateTime, nullable=False),
)

fincert_registrations = Table(
    "fincert_registrations",
    metadata,
    pk(),
    fk("certificate_id", "fincert_certificates.id"),
    fk("institution_id", "institutions.id"),
    fk("customer_id", "customers.id"),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("status", StrEnumType(FinCertRegistrationStatus, 16), nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('active', 'released', 'voided')", name="status_known"),
    CheckConstraint("(status = 'active') = (ended_at IS NULL)", name="ended_when_not_active"),
    # F3: a certificate is registered at most once per institution at a time.
    Index(
        "uq_fincert_registrations_active",
        "certificate_id",
        "institution_id",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

# F3: server-side state of a registration at another institution, between its steps.
fincert_flows = Table(
    "fincert_flows",
    metadata,
    pk(),
    Column("handle_digest", String(64), nullable=False, unique=True),
    fk("institution_id", "institutions.id"),
    fk("customer_id", "customers.id"),
    Column("person_digest", String(64), nullable=False),
    Column("step", StrEnumType(FlowStep, 16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    fk("challenge_id", "challenges.id", nullable=True),
    fk("certificate_id", "fincert_certificates.id", nullable=True),
)

# F8: each person's last use of the cloud (connect, auto-connect, a PIN that checked out, an
# issue or a registration); the purge deletes whoever stayed away for 12 months.
fincert_people = Table(
    "fincert_people",
    metadata,
    Column("person_digest", String(64), primary_key=True),
    Column("last_active_at", UTCDateTime, nullable=False, index=True),
)

# F8: device connections in progress: a handle, the keyed digest of the code sent by SMS / ARS.
# person_digest is NULL when the name, phone and birth date matched no certificate holder.
fincert_connect_attempts = Table(
    "fincert_connect_attempts",
    metadata,
    pk(),
    Column("handle_digest", String(64), nullable=False, unique=True),
    Column("channel", StrEnumType(ChallengeChannel, 16), nullable=False),
    Column("person_digest", String(64), nullable=True, index=True),
    Column("code_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("max_attempts", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("status", StrEnumType(ConnectStatus, 16), nullable=False),
    Column("connected_at", UTCDateTime, nullable=True),
    CheckConstraint("attempts >= 0 AND attempts <= max_attempts", name="attempts_bounded"),
    CheckConstraint("status IN ('pending', 'connected', 'locked')", name="status_known"),
)

# F8: auto-connect tokens of devices (only their SHA-256); revoked_at set = cleared.
fincert_devices = Table(
    "fincert_devices",
    metadata,
    pk(),
    Column("person_digest", String(64), nullable=False, index=True),
    Column("label", String(64), nullable=False),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)
