"""F8 device connections to the cloud financial certificate service: connection attempts,
auto-connect tokens and each person's last use of the cloud (for the 12-month purge)

People who already hold certificates start with the issue time of their newest certificate as
their last use.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fincert_connect_attempts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("handle_digest", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("person_digest", sa.String(length=64), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'connected', 'locked')",
            name=op.f("ck_fincert_connect_attempts_status_known"),
        ),
        sa.CheckConstraint(
            "attempts >= 0 AND attempts <= max_attempts",
            name=op.f("ck_fincert_connect_attempts_attempts_bounded"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fincert_connect_attempts")),
        sa.UniqueConstraint("handle_digest", name=op.f("uq_fincert_connect_attempts_handle_digest")),
    )
    with op.batch_alter_table("fincert_connect_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fincert_connect_attempts_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fincert_connect_attempts_person_digest"), ["person_digest"], unique=False
        )

    op.create_table(
        "fincert_devices",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("person_digest", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fincert_devices")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_fincert_devices_token_digest")),
    )
    with op.batch_alter_table("fincert_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fincert_devices_person_digest"), ["person_digest"], unique=False)

    op.create_table(
        "fincert_people",
        sa.Column("person_digest", sa.String(length=64), nullable=False),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_digest", name=op.f("pk_fincert_people")),
    )
    with op.batch_alter_table("fincert_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fincert_people_last_active_at"), ["last_active_at"], unique=False
        )
    op.execute(
        "INSERT INTO fincert_people (person_digest, last_active_at) "
        "SELECT person_digest, MAX(issued_at) FROM fincert_certificates GROUP BY person_digest"
    )


def downgrade() -> None:
    with op.batch_alter_table("fincert_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fincert_people_last_active_at"))

    op.drop_table("fincert_people")
    with op.batch_alter_table("fincert_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fincert_devices_person_digest"))

    op.drop_table("fincert_devices")
    with op.batch_alter_table("fincert_connect_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fincert_connect_attempts_person_digest"))
        batch_op.drop_index(batch_op.f("ix_fincert_connect_attempts_expires_at"))

    op.drop_table("fincert_connect_attempts")
