"""F4/F5 status of the cloud financial certificates: the certificates a renewal replaced
(``fincert_superseded``, published as revoked with reason superseded until their own expiry),
and a dedicated ``suspended_at`` on ``fincert_certificates`` for a suspension (정지), which
until now kept its start in ``revoked_at``.

Data step: every suspended certificate's ``revoked_at`` moves into ``suspended_at``;
``revoked_at`` is left for revocation only. Renewals made before this revision overwrote the
old serial in place, so they leave no superseded row.

``suspended_at`` and its CHECK come with one ``ALTER TABLE ... ADD COLUMN`` on both backends
(as in 0007), so SQLite needs no rebuild of a table others reference; the CHECK holds for
every existing row when it is added (the column is empty), before the data step fills it.
Downgrading moves the suspension start back into ``revoked_at`` and forgets superseded serials.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    timestamp = sa.DateTime(timezone=True).compile(dialect=op.get_bind().dialect)
    op.execute(
        f"ALTER TABLE fincert_certificates ADD COLUMN suspended_at {timestamp} "
        "CONSTRAINT ck_fincert_certificates_suspended_at_only_on_hold "
        "CHECK (status = 'suspended' OR suspended_at IS NULL)"
    )
    op.execute(
        "UPDATE fincert_certificates SET suspended_at = revoked_at, revoked_at = NULL "
        "WHERE status = 'suspended'"
    )

    op.create_table(
        "fincert_superseded",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("certificate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["fincert_certificates.id"],
            name=op.f("fk_fincert_superseded_certificate_id_fincert_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fincert_superseded")),
        sa.UniqueConstraint("serial", name=op.f("uq_fincert_superseded_serial")),
    )
    with op.batch_alter_table("fincert_superseded", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fincert_superseded_certificate_id"), ["certificate_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fincert_superseded_not_after"), ["not_after"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fincert_superseded", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fincert_superseded_not_after"))
        batch_op.drop_index(batch_op.f("ix_fincert_superseded_certificate_id"))

    op.drop_table("fincert_superseded")
    op.execute("UPDATE fincert_certificates SET revoked_at = suspended_at WHERE status = 'suspended'")
    op.execute("ALTER TABLE fincert_certificates DROP COLUMN suspended_at")
