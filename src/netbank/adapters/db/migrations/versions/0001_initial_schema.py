"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("chain_seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("chain", "chain_seq", name=op.f("uq_audit_entries_chain")),
    )
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "institutions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("code", name=op.f("uq_institutions_code")),
    )
    op.create_table(
        "branches",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_branches_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branches")),
        sa.UniqueConstraint("institution_id", "code", name=op.f("uq_branches_institution_id")),
    )
    with op.batch_alter_table("branches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_branches_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "customers",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("own_income", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_customers_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("institution_id", "customer_number", name=op.f("uq_customers_institution_id")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "accounts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("real_name", sa.Boolean(), nullable=False),
        sa.Column("flags", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("pin_digest", sa.String(length=200), nullable=True),
        sa.Column("pin_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("card_sequence", sa.Integer(), server_default="1", nullable=False),
        sa.Column("main_card_number", sa.String(length=32), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_accounts_status_known")),
        sa.CheckConstraint("flags >= 0 AND flags < 128", name=op.f("ck_accounts_flags_known")),
        sa.CheckConstraint("pin_failures >= 0", name=op.f("ck_accounts_pin_failures_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_accounts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_accounts_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("institution_id", "number", name=op.f("uq_accounts_institution_id")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "identity_documents",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("doc_type", sa.String(length=32), nullable=False),
        sa.Column("number_masked", sa.String(length=40), nullable=False),
        sa.Column("number_digest", sa.String(length=64), nullable=False),
        sa.Column("number_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_identity_documents_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_documents")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_identity_documents_customer_id")),
    )
    with op.batch_alter_table("identity_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_documents_number_digest"), ["number_digest"], unique=False
        )

    op.create_table(
        "tellers",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("teller_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_digest", sa.String(length=200), nullable=False),
        sa.Column("password_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_tellers_branch_id_branches")),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_tellers_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tellers")),
        sa.UniqueConstraint("institution_id", "teller_number", name=op.f("uq_tellers_institution_id")),
    )
    with op.batch_alter_table("tellers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tellers_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tellers_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "contracts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column(
            "registration_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("password_digest", sa.String(length=200), nullable=False),
        sa.Column("password_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("password_locked", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("otp_phone", sa.String(length=20), nullable=True),
        sa.Column("ukey_serial", sa.String(length=64), nullable=True),
        sa.Column("ukey_generation", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(version <> 'otp' OR otp_phone IS NOT NULL) AND (version <> 'certificate' OR (ukey_serial IS NOT NULL AND ukey_generation IN (1, 2)))",
            name=op.f("ck_contracts_medium_of_version"),
        ),
        sa.CheckConstraint("version <> 'card_passbook'", name=op.f("ck_contracts_enrolled_version")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contracts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_contracts_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["registration_account_id"],
            ["accounts.id"],
            name=op.f("fk_contracts_registration_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_institution_id"), ["institution_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contracts_registration_account_id"), ["registration_account_id"], unique=False
        )
        batch_op.create_index(
            "uq_contracts_active_customer",
            ["customer_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "identity_checks",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("teller_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("doc_type", sa.String(length=32), nullable=False),
        sa.Column("number_masked", sa.String(length=40), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_identity_checks_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_identity_checks_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_identity_checks_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["teller_id"], ["tellers.id"], name=op.f("fk_identity_checks_teller_id_tellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_checks")),
    )
    with op.batch_alter_table("identity_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_checks_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_checks_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_identity_checks_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_identity_checks_teller_id"), ["teller_id"], unique=False)

    op.create_table(
        "account_links",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_links_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_account_links_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
    )
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_links_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_links_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(
            "uq_account_links_active",
            ["contract_id", "account_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "counter_transactions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("teller_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("identity_check_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_counter_transactions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_counter_transactions_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_counter_transactions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["identity_check_id"],
            ["identity_checks.id"],
            name=op.f("fk_counter_transactions_identity_check_id_identity_checks"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_counter_transactions_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["teller_id"], ["tellers.id"], name=op.f("fk_counter_transactions_teller_id_tellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_transactions")),
    )
    with op.batch_alter_table("counter_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counter_transactions_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_counter_transactions_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_counter_transactions_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_transactions_identity_check_id"), ["identity_check_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_transactions_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_counter_transactions_teller_id"), ["teller_id"], unique=False)

    op.create_table(
        "sessions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.String(length=32), nullable=False),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("teller_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("base_level", sa.Integer(), nullable=False),
        sa.Column("elevated_level", sa.Integer(), nullable=True),
        sa.Column("elevated_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sessions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_sessions_branch_id_branches")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_sessions_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_sessions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_sessions_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(["teller_id"], ["tellers.id"], name=op.f("fk_sessions_teller_id_tellers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_sessions_token_digest")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_institution_id"), ["institution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_teller_id"), ["teller_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_teller_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_institution_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_contract_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_branch_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_account_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("counter_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_transactions_teller_id"))
        batch_op.drop_index(batch_op.f("ix_counter_transactions_institution_id"))
        batch_op.drop_index(batch_op.f("ix_counter_transactions_identity_check_id"))
        batch_op.drop_index(batch_op.f("ix_counter_transactions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_counter_transactions_branch_id"))
        batch_op.drop_index(batch_op.f("ix_counter_transactions_account_id"))

    op.drop_table("counter_transactions")
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_account_links_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_account_links_contract_id"))
        batch_op.drop_index(batch_op.f("ix_account_links_account_id"))

    op.drop_table("account_links")
    with op.batch_alter_table("identity_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_checks_teller_id"))
        batch_op.drop_index(batch_op.f("ix_identity_checks_institution_id"))
        batch_op.drop_index(batch_op.f("ix_identity_checks_customer_id"))
        batch_op.drop_index(batch_op.f("ix_identity_checks_branch_id"))

    op.drop_table("identity_checks")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contracts_active_customer",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_contracts_registration_account_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_institution_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_customer_id"))

    op.drop_table("contracts")
    with op.batch_alter_table("tellers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tellers_institution_id"))
        batch_op.drop_index(batch_op.f("ix_tellers_branch_id"))

    op.drop_table("tellers")
    with op.batch_alter_table("identity_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_documents_number_digest"))

    op.drop_table("identity_documents")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_institution_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_customer_id"))

    op.drop_table("accounts")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_institution_id"))

    op.drop_table("customers")
    with op.batch_alter_table("branches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_branches_institution_id"))

    op.drop_table("branches")
    op.drop_table("institutions")
    op.drop_table("audit_heads")
    op.drop_table("audit_entries")
