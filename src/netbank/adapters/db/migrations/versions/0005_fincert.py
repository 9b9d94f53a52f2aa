"""F cloud financial certificate service: its CA, the certificates it holds (keys in the key
store), their registrations at member institutions and the F3 registration flows

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fincert_authorities",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("key_label", sa.String(length=64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("role IN ('root', 'issuing')", name=op.f("ck_fincert_authorities_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fincert_authorities")),
        sa.UniqueConstraint("serial", name=op.f("uq_fincert_authorities_serial")),
    )
    with op.batch_alter_table("fincert_authorities", schema=None) as batch_op:
        batch_op.create_index(
            "uq_fincert_authorities_active_role",
            ["role"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "fincert_certificates",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("person_digest", sa.String(length=64), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column(
            "issuing_institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pin_digest", sa.String(length=64), nullable=False),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("pin_locked", sa.Boolean(), nullable=False),
        sa.Column("key_ref", sa.String(length=64), nullable=False),
        sa.Column("key_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL)",
            name=op.f("ck_fincert_certificates_revocation_complete"),
        ),
        sa.CheckConstraint(
            "status IN ('valid', 'suspended', 'revoked')", name=op.f("ck_fincert_certificates_status_known")
        ),
        sa.CheckConstraint(
            "pin_failures >= 0", name=op.f("ck_fincert_certificates_pin_failures_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_fincert_certificates_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["issuing_institution_id"],
            ["institutions.id"],
            name=op.f("fk_fincert_certificates_issuing_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fincert_certificates")),
        sa.UniqueConstraint("key_ref", name=op.f("uq_fincert_certificates_key_ref")),
        sa.UniqueConstraint("serial", name=op.f("uq_fincert_certificates_serial")),
    )
    with op.batch_alter_table("fincert_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fincert_certificates_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fincert_certificates_issuing_institution_id"),
            ["issuing_institution_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_fincert_certificates_person_digest"), ["person_digest"], unique=False
        )
        batch_op.create_index(
            "uq_fincert_certificates_live_person",
            ["person_digest"],
            unique=True,
            sqlite_where=sa.text("status <> 'revoked'"),
            postgresql_where=sa.text("status <> 'revoked'"),
        )

    op.create_table(
        "fincert_registrations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("certificate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'active') = (ended_at IS NULL)",
            name=op.f("ck_fincert_registrations_ended_when_not_active"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'released', 'voided')", name=op.f("ck_fincert_registrations_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["fincert_certificates.id"],
            name=op.f("fk_fincert_registrations_certificate_id_fincert_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_fincert_registrations_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_fincert_registrations_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fincert_registrations")),
    )
    with op.batch_alter_table("fincert_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fincert_registrations_certificate_id"), ["certificate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fincert_registrations_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fincert_registrations_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            "uq_fincert_registrations_active",
            ["certificate_id", "institution_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "fincert_flows",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("handle_digest", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_digest", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("challenge_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("certificate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["fincert_certificates.id"],
            name=op.f("fk_fincert_flows_certificate_id_fincert_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenges.id"], name=op.f("fk_fincert_flows_challenge_id_challenges")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_fincert_flows_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_fincert_flows_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fincert_flows")),
        sa.UniqueConstraint("handle_digest", name=op.f("uq_fincert_flows_handle_digest")),
    )
    with op.batch_alter_table("fincert_flows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fincert_flows_certificate_id"), ["certificate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fincert_flows_challenge_id"), ["challenge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fincert_flows_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fincert_flows_institution_id"), ["institution_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fincert_flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fincert_flows_institution_id"))
        batch_op.drop_index(batch_op.f("ix_fincert_flows_customer_id"))
        batch_op.drop_index(batch_op.f("ix_fincert_flows_challenge_id"))
        batch_op.drop_index(batch_op.f("ix_fincert_flows_certificate_id"))

    op.drop_table("fincert_flows")
    with op.batch_alter_table("fincert_registrations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_fincert_registrations_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_fincert_registrations_institution_id"))
        batch_op.drop_index(batch_op.f("ix_fincert_registrations_customer_id"))
        batch_op.drop_index(batch_op.f("ix_fincert_registrations_certificate_id"))

    op.drop_table("fincert_registrations")
    with op.batch_alter_table("fincert_certificates", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_fincert_certificates_live_person",
            sqlite_where=sa.text("status <> 'revoked'"),
            postgresql_where=sa.text("status <> 'revoked'"),
        )
        batch_op.drop_index(batch_op.f("ix_fincert_certificates_person_digest"))
        batch_op.drop_index(batch_op.f("ix_fincert_certificates_issuing_institution_id"))
        batch_op.drop_index(batch_op.f("ix_fincert_certificates_customer_id"))

    op.drop_table("fincert_certificates")
    with op.batch_alter_table("fincert_authorities", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_fincert_authorities_active_role",
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.drop_table("fincert_authorities")
