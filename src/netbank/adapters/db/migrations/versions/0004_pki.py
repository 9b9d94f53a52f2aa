"""K1 institution PKI: CA certificates, customer UKEY certificates, CRLs, signed-transfer
evidence and certificate login challenges (public parts only; keys stay on tokens)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ca_certificates",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("key_label", sa.String(length=64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_ca_certificates_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ca_certificates")),
        sa.UniqueConstraint("institution_id", "serial", name=op.f("uq_ca_certificates_institution_id")),
    )
    with op.batch_alter_table("ca_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ca_certificates_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            "uq_ca_certificates_active_role",
            ["institution_id", "role"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "crls",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("issuer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("crl_number", sa.BigInteger(), nullable=False),
        sa.Column("this_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["ca_certificates.id"], name=op.f("fk_crls_issuer_id_ca_certificates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crls")),
        sa.UniqueConstraint("issuer_id", "crl_number", name=op.f("uq_crls_issuer_id")),
    )
    with op.batch_alter_table("crls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crls_issuer_id"), ["issuer_id"], unique=False)

    op.create_table(
        "customer_certificates",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("issuer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("token_serial", sa.String(length=64), nullable=False),
        sa.Column("token_label", sa.String(length=64), nullable=False),
        sa.Column("key_label", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revocation_reason", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL)",
            name=op.f("ck_customer_certificates_revocation_complete"),
        ),
        sa.CheckConstraint(
            "status IN ('valid', 'revoked')", name=op.f("ck_customer_certificates_status_known")
        ),
        sa.CheckConstraint("generation IN (1, 2)", name=op.f("ck_customer_certificates_generation_known")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_customer_certificates_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_certificates_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_customer_certificates_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["ca_certificates.id"],
            name=op.f("fk_customer_certificates_issuer_id_ca_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_certificates")),
        sa.UniqueConstraint("institution_id", "serial", name=op.f("uq_customer_certificates_institution_id")),
    )
    with op.batch_alter_table("customer_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_certificates_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_certificates_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_certificates_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_certificates_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(
            "uq_customer_certificates_valid_customer",
            ["customer_id"],
            unique=True,
            sqlite_where=sa.text("status = 'valid'"),
            postgresql_where=sa.text("status = 'valid'"),
        )

    op.create_table(
        "certificate_challenges",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_certificate_challenges_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_challenges")),
        sa.UniqueConstraint("nonce", name=op.f("uq_certificate_challenges_nonce")),
    )
    with op.batch_alter_table("certificate_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_challenges_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "signed_transfers",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("transfer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("certificate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["customer_certificates.id"],
            name=op.f("fk_signed_transfers_certificate_id_customer_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name=op.f("fk_signed_transfers_transfer_id_transfers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_transfers")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_signed_transfers_transfer_id")),
    )
    with op.batch_alter_table("signed_transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signed_transfers_certificate_id"), ["certificate_id"], unique=False
        )

    op.create_table(
        "ukey_pin_failures",
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_label", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_ukey_pin_failures_failures_non_negative")),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_ukey_pin_failures_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("institution_id", "token_label", name=op.f("pk_ukey_pin_failures")),
    )


def downgrade() -> None:
    op.drop_table("ukey_pin_failures")
    with op.batch_alter_table("signed_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_transfers_certificate_id"))

    op.drop_table("signed_transfers")
    with op.batch_alter_table("certificate_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_challenges_session_id"))

    op.drop_table("certificate_challenges")
    with op.batch_alter_table("customer_certificates", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_customer_certificates_valid_customer",
            sqlite_where=sa.text("status = 'valid'"),
            postgresql_where=sa.text("status = 'valid'"),
        )
        batch_op.drop_index(batch_op.f("ix_customer_certificates_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_customer_certificates_institution_id"))
        batch_op.drop_index(batch_op.f("ix_customer_certificates_customer_id"))
        batch_op.drop_index(batch_op.f("ix_customer_certificates_contract_id"))

    op.drop_table("customer_certificates")
    with op.batch_alter_table("crls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crls_issuer_id"))

    op.drop_table("crls")
    with op.batch_alter_table("ca_certificates", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ca_certificates_active_role",
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )
        batch_op.drop_index(batch_op.f("ix_ca_certificates_institution_id"))

    op.drop_table("ca_certificates")
