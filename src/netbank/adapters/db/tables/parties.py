"""Who banks where: institutions, branches, tellers, customers with their identity documents,
accounts, contracts and the accounts linked to them (E3: one active contract per customer)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    text,
)

from netbank.adapters.db.tables.base import fk, metadata, pk, preferred_locale
from netbank.adapters.db.types import Id, StrEnumType, UTCDateTime
from netbank.domain.account import AccountKind, AccountStatus
from netbank.domain.customer import CustomerKind
from netbank.domain.enrolment import Channel, ContractStatus, LinkOrigin, LinkStatus, Version
from netbank.domain.identity import DocumentType
from netbank.domain.institution import InstitutionKind, StaffRole

institutions = Table(
    "institutions",
    metadata,
    pk(),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", StrEnumType(InstitutionKind), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("timezone", String(64), nullable=False),
)

branches = Table(
    "branches",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("institution_id", "code"),
)

tellers = Table(
    "tellers",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    fk("branch_id", "branches.id"),
    Column("teller_number", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", StrEnumType(StaffRole), nullable=False),
    Column("password_digest", String(200), nullable=False),
    Column("password_failures", Integer, nullable=False, server_default="0"),
    Column("locked", Boolean, nullable=False, server_default=text("false")),
    preferred_locale(),
    UniqueConstraint("institution_id", "teller_number"),
)

customers = Table(
    "customers",
    metadata,
    pk(),
    fk("institution_id", "institutions.id"),
    Column("customer_number", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("mobile", String(20), nullable=False),
    Column("own_income", Boolean, nullable=False),
    Column("kind", StrEnumType(CustomerKind), nullable=False),
    preferred_locale(),
    UniqueConstraint("institution_id", "customer_number"),
)

identity_documents = Table(
    "identity_documents",
    metadata,
    pk(),
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
    pk(),
    fk("institution_id", "institutions.id"),
    fk("customer_id", "customers.id"),
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
    pk(),
    fk("institution_id", "institutions.id"),
    fk("customer_id", "customers.id"),
    Column("version", StrEnumType(Version), nullable=False),
    fk("registration_account_id", "accounts.id"),
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
    pk(),
    fk("contract_id", "contracts.id"),
    fk("account_id", "accounts.id"),
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
