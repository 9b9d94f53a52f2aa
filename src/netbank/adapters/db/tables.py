"""The schema, and the imperative mapping of the domain classes onto it.

Alembic migrations under ``migrations/`` are the source of truth for deployed databases; this
metadata must equal them (``tests/integration/test_migrations.py`` checks it). Invariants that
protect money and identity are held here too, not only in the domain: unique keys, CHECKs and
partial unique indexes (E3: one active contract per customer)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import registry

from netbank.adapters.db.types import Id, IntEnumType, StrEnumType, UTCDateTime
from netbank.domain.account import Account, AccountKind, AccountStatus
from netbank.domain.audit import AuditEntry
from netbank.domain.certificate import CARole, CertificateStatus, RevocationReason
from netbank.domain.counter import CounterTransaction, IdentityCheck, TransactionCode
from netbank.domain.customer import Customer, CustomerKind, IdentityDocument
from netbank.domain.enrolment import (
    AccountLink,
    Channel,
    Contract,
    ContractStatus,
    LinkOrigin,
    LinkStatus,
    Version,
)
from netbank.domain.fincert import CertificateStatus as FinCertStatus
from netbank.domain.fincert import FinancialCertificate, FlowStep, RegistrationFlow
from netbank.domain.fincert import Registration as FinCertRegistration
from netbank.domain.fincert import RegistrationStatus as FinCertRegistrationStatus
from netbank.domain.fincert import RevocationReason as FinCertRevocationReason
from netbank.domain.fincert import SupersededCertificate as FinCertSuperseded
from netbank.domain.fincert_devices import ConnectAttempt, ConnectStatus, DeviceToken
from netbank.domain.identity import DocumentType
from netbank.domain.institution import Branch, Institution, InstitutionKind, StaffRole, Teller
from netbank.domain.ledger import (
    Entry,
    GLAccount,
    GLKind,
    Payee,
    PayeeCategory,
    Posting,
    PostingKind,
    Side,
    Transfer,
    TransferKind,
    TransferStatus,
)
from netbank.domain.limits import DailyUsage, OwnLimits
from netbank.domain.locale import SUPPORTED_LOCALES
from netbank.domain.otp import (
    Challenge,
    ChallengeChannel,
    ChallengePurpose,
    ChallengeStatus,
    OTPAlgorithm,
    TOTPCredential,
)
from netbank.domain.outbox import MessageKind, MessageStatus, OutboxMessage
from netbank.domain.session import AuthLevel, PrincipalKind, Session

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


def _pk() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, Id, ForeignKey(target), nullable=nullable, index=True)


def _preferred_locale() -> Column[str]:
    """The language a customer or member of staff chose for their pages (migration 0007): one
    of the domain's supported locales, or NULL for "the browser's"."""
    known = ", ".join(f"'{locale}'" for locale in SUPPORTED_LOCALES)
    return Column(
        "preferred_locale",
        String(8),
        CheckConstraint(f"preferred_locale IN ({known})", name="preferred_locale_known"),
        nullable=True,
    )


institutions = Table(
    "institutions",
    metadata,
    _pk(),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", StrEnumType(InstitutionKind), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("timezone", String(64), nullable=False),
)

branches = Table(
    "branches",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("institution_id", "code"),
)

tellers = Table(
    "tellers",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
    _fk("branch_id", "branches.id"),
    Column("teller_number", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", StrEnumType(StaffRole), nullable=False),
    Column("password_digest", String(200), nullable=False),
    Column("password_failures", Integer, nullable=False, server_default="0"),
    Column("locked", Boolean, nullable=False, server_default=text("false")),
    _preferred_locale(),
    UniqueConstraint("institution_id", "teller_number"),
)

customers = Table(
    "customers",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
    Column("customer_number", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("mobile", String(20), nullable=False),
    Column("own_income", Boolean, nullable=False),
    Column("kind", StrEnumType(CustomerKind), nullable=False),
    _preferred_locale(),
    UniqueConstraint("institution_id", "customer_number"),
)

identity_documents = Table(
    "identity_documents",
    metadata,
    _pk(),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False, unique=True),
    Column("doc_type", StrEnumType(DocumentType), nullable=False),
    Column("number_masked", String(40), nullable=False),
    Column("number_digest", String(64), nullable=False, index=True),
    Column("number_sealed", LargeBinary, nullable=False),
    Column("expires_on", Date, nullable=True),
)

accounts = Table(
    "accounts",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
    _fk("customer_id", "customers.id"),
    Column("number", String(32), nullable=False),
    Column("kind", StrEnumType(AccountKind), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("balance_minor", BigInteger, nullable=False, server_default="0"),
    Column("real_name", Boolean, nullable=False),
    Column("flags", Integer, nullable=False, server_default="0"),
    Column("status", StrEnumType(AccountStatus), nullable=False),
    Column("pin_digest", String(200), nullable=True),
    Column("pin_failures", Integer, nullable=False, server_default="0"),
    Column("card_sequence", Integer, nullable=False, server_default="1"),
    Column("main_card_number", String(32), nullable=True),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    UniqueConstraint("institution_id", "number"),
    CheckConstraint("flags >= 0 AND flags < 128", name="flags_known"),
    CheckConstraint("pin_failures >= 0", name="pin_failures_non_negative"),
    CheckConstraint("status IN ('open', 'closed')", name="status_known"),
)

contracts = Table(
    "contracts",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
    _fk("customer_id", "customers.id"),
    Column("version", StrEnumType(Version), nullable=False),
    _fk("registration_account_id", "accounts.id"),
    Column("channel", StrEnumType(Channel), nullable=False),
    Column("password_digest", String(200), nullable=False),
    Column("password_failures", Integer, nullable=False, server_default="0"),
    Column("password_locked", Boolean, nullable=False, server_default=text("false")),
    Column("otp_phone", String(20), nullable=True),
    Column("ukey_serial", String(64), nullable=True),
    Column("ukey_generation", Integer, nullable=True),
    Column("status", StrEnumType(ContractStatus), nullable=False),
    Column("enrolled_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    CheckConstraint("version <> 'card_passbook'", name="enrolled_version"),
    CheckConstraint(
        "(version <> 'otp' OR otp_phone IS NOT NULL) AND "
        "(version <> 'certificate' OR (ukey_serial IS NOT NULL AND ukey_generation IN (1, 2)))",
        name="medium_of_version",
    ),
    # E3: one active e-banking contract per core customer.
    Index(
        "uq_contracts_active_customer",
        "customer_id",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

account_links = Table(
    "account_links",
    metadata,
    _pk(),
    _fk("contract_id", "contracts.id"),
    _fk("account_id", "accounts.id"),
    Column("origin", StrEnumType(LinkOrigin), nullable=False),
    Column("status", StrEnumType(LinkStatus), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Index(
        "uq_account_links_active",
        "contract_id",
        "account_id",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

identity_checks = Table(
    "identity_checks",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
    _fk("branch_id", "branches.id"),
    _fk("teller_id", "tellers.id"),
    _fk("customer_id", "customers.id"),
    Column("doc_type", String(32), nullable=False),
    Column("number_masked", String(40), nullable=False),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

counter_transactions = Table(
    "counter_transactions",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
    _fk("branch_id", "branches.id"),
    _fk("teller_id", "tellers.id"),
    _fk("customer_id", "customers.id"),
    Column("code", StrEnumType(TransactionCode), nullable=False),
    Column("action", String(32), nullable=False),
    _fk("identity_check_id", "identity_checks.id", nullable=True),
    _fk("account_id", "accounts.id", nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("details", JSON, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    _pk(),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("principal", StrEnumType(PrincipalKind), nullable=False),
    _fk("institution_id", "institutions.id"),
    _fk("customer_id", "customers.id", nullable=True),
    _fk("contract_id", "contracts.id", nullable=True),
    _fk("account_id", "accounts.id", nullable=True),
    _fk("teller_id", "tellers.id", nullable=True),
    _fk("branch_id", "branches.id", nullable=True),
    Column("base_level", IntEnumType(AuthLevel), nullable=False),
    Column("elevated_level", IntEnumType(AuthLevel), nullable=True),
    Column("elevated_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("client_address", String(64), nullable=True),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    _pk(),
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

# --- K2: one-time passwords, challenges, the outbox, rate limits --------------------------

totp_credentials = Table(
    "totp_credentials",
    metadata,
    _pk(),
    _fk("contract_id", "contracts.id"),
    _fk("institution_id", "institutions.id"),
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
    _pk(),
    _fk("institution_id", "institutions.id"),
    Column("purpose", StrEnumType(ChallengePurpose), nullable=False),
    Column("channel", StrEnumType(ChallengeChannel), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("code_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    _fk("customer_id", "customers.id", nullable=True),
    _fk("session_id", "sessions.id", nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("status", StrEnumType(ChallengeStatus), nullable=False),
    Column("verified_at", UTCDateTime, nullable=True),
    CheckConstraint("attempts >= 0 AND attempts <= max_attempts", name="attempts_bounded"),
)

outbox_messages = Table(
    "outbox_messages",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
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

# --- L, G: the ledger, transfers, limits, payees ------------------------------------------

gl_accounts = Table(
    "gl_accounts",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
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
    _pk(),
    _fk("institution_id", "institutions.id"),
    Column("kind", StrEnumType(PostingKind), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("description", String(200), nullable=False),
    Column("reference", String(100), nullable=False),
    _fk("contract_id", "contracts.id", nullable=True),
    # A posting is reversed at most once.
    Column("reverses_id", Id, ForeignKey("postings.id"), nullable=True, unique=True),
)

entries = Table(
    "entries",
    metadata,
    _pk(),
    _fk("posting_id", "postings.id"),
    Column("side", StrEnumType(Side), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=True),
    _fk("gl_account_id", "gl_accounts.id", nullable=True),
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
    _pk(),
    _fk("institution_id", "institutions.id"),
    _fk("contract_id", "contracts.id"),
    Column("idempotency_key", String(64), nullable=False),
    Column("request_digest", String(64), nullable=False),
    Column("kind", StrEnumType(TransferKind), nullable=False),
    _fk("payer_account_id", "accounts.id"),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("auth_level", Integer, nullable=False),
    _fk("posting_id", "postings.id"),
    _fk("payee_account_id", "accounts.id", nullable=True),
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
    _pk(),
    _fk("institution_id", "institutions.id"),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", StrEnumType(PayeeCategory), nullable=False),
    UniqueConstraint("institution_id", "code"),
)

# --- K1: the institution PKI and the certificate version ------------------------------------
# Public parts only: CA keys live on the HSM token (key_label), customer keys on the UKEY.

ca_certificates = Table(
    "ca_certificates",
    metadata,
    _pk(),
    _fk("institution_id", "institutions.id"),
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
    _pk(),
    _fk("institution_id", "institutions.id"),
    _fk("contract_id", "contracts.id"),
    _fk("customer_id", "customers.id"),
    _fk("issuer_id", "ca_certificates.id"),
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
    _pk(),
    _fk("issuer_id", "ca_certificates.id"),
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
    _pk(),
    Column("transfer_id", Id, ForeignKey("transfers.id"), nullable=False, unique=True),
    _fk("certificate_id", "customer_certificates.id"),
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
    _pk(),
    _fk("session_id", "sessions.id"),
    Column("nonce", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

# --- F: the cloud financial certificate service (one per deployment) -------------------------
# Its CA keys live on the HSM token (key_label); customer keys in the key store (key_ref, and
# key_sealed for the embedded AES-GCM store). A person is known by the keyed digest of the
# resident registration number only.

fincert_authorities = Table(
    "fincert_authorities",
    metadata,
    _pk(),
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
    _pk(),
    Column("person_digest", String(64), nullable=False, index=True),
    Column("holder_name", String(200), nullable=False),
    _fk("issuing_institution_id", "institutions.id"),
    _fk("customer_id", "customers.id"),
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
    _pk(),
    _fk("certificate_id", "fincert_certificates.id"),
    Column("serial", String(40), nullable=False, unique=True),
    Column("der", LargeBinary, nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("not_after", UTCDateTime, nullable=False, index=True),
    Column("superseded_at", UTCDateTime, nullable=False),
)

fincert_registrations = Table(
    "fincert_registrations",
    metadata,
    _pk(),
    _fk("certificate_id", "fincert_certificates.id"),
    _fk("institution_id", "institutions.id"),
    _fk("customer_id", "customers.id"),
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
    _pk(),
    Column("handle_digest", String(64), nullable=False, unique=True),
    _fk("institution_id", "institutions.id"),
    _fk("customer_id", "customers.id"),
    Column("person_digest", String(64), nullable=False),
    Column("step", StrEnumType(FlowStep, 16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    _fk("challenge_id", "challenges.id", nullable=True),
    _fk("certificate_id", "fincert_certificates.id", nullable=True),
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
    _pk(),
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
    _pk(),
    Column("person_digest", String(64), nullable=False, index=True),
    Column("label", String(64), nullable=False),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
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

mapper_registry = registry(metadata=metadata)
_MAPPED = False


def map_domain() -> None:
    """Map the domain classes onto the tables (once per process)."""
    global _MAPPED
    if _MAPPED:
        return
    m = mapper_registry.map_imperatively
    m(Institution, institutions)
    m(Branch, branches)
    m(Teller, tellers)
    m(Customer, customers)
    m(IdentityDocument, identity_documents)
    m(Account, accounts)
    m(Contract, contracts)
    m(AccountLink, account_links)
    m(IdentityCheck, identity_checks)
    m(CounterTransaction, counter_transactions)
    m(Session, sessions)
    m(AuditEntry, audit_entries)
    m(TOTPCredential, totp_credentials)
    m(Challenge, challenges)
    m(OutboxMessage, outbox_messages)
    m(GLAccount, gl_accounts)
    m(Posting, postings)
    m(Entry, entries)
    m(Transfer, transfers)
    m(DailyUsage, daily_usage, primary_key=[daily_usage.c.contract_id, daily_usage.c.business_date])
    m(OwnLimits, own_limits)
    m(Payee, payees)
    m(FinancialCertificate, fincert_certificates)
    m(FinCertSuperseded, fincert_superseded)
    m(FinCertRegistration, fincert_registrations)
    m(RegistrationFlow, fincert_flows)
    m(ConnectAttempt, fincert_connect_attempts)
    m(DeviceToken, fincert_devices)
    _MAPPED = True
