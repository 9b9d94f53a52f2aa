"""ledger transfers limits payees

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gl_accounts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gl_accounts_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gl_accounts")),
        sa.UniqueConstraint("institution_id", "code", name=op.f("uq_gl_accounts_institution_id")),
    )
    with op.batch_alter_table("gl_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gl_accounts_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "payees",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_payees_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payees")),
        sa.UniqueConstraint("institution_id", "code", name=op.f("uq_payees_institution_id")),
    )
    with op.batch_alter_table("payees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payees_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "daily_usage",
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("transfers_minor", sa.BigInteger(), nullable=False),
        sa.Column("bill_payments_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "transfers_minor >= 0 AND bill_payments_minor >= 0", name=op.f("ck_daily_usage_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_daily_usage_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("contract_id", "business_date", name=op.f("pk_daily_usage")),
    )
    op.create_table(
        "own_limits",
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("per_transaction_minor", sa.BigInteger(), nullable=True),
        sa.Column("daily_minor", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_own_limits_contract_id_contracts")
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_own_limits")),
    )
    op.create_table(
        "postings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_postings_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_postings_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["postings.id"], name=op.f("fk_postings_reverses_id_postings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_postings_reverses_id")),
    )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_postings_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_postings_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("posting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("side", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("gl_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("balance_after_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("side IN ('D', 'C')", name=op.f("ck_entries_side_known")),
        sa.CheckConstraint(
            "(account_id IS NULL) <> (gl_account_id IS NULL)", name=op.f("ck_entries_one_account")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_entries_amount_positive")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_entries_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["gl_account_id"], ["gl_accounts.id"], name=op.f("fk_entries_gl_account_id_gl_accounts")
        ),
        sa.ForeignKeyConstraint(["posting_id"], ["postings.id"], name=op.f("fk_entries_posting_id_postings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entries_account_id"), ["account_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entries_gl_account_id"), ["gl_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entries_posting_id"), ["posting_id"], unique=False)

    op.create_table(
        "transfers",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("institution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payer_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("auth_level", sa.Integer(), nullable=False),
        sa.Column("posting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payee_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("payee_code", sa.String(length=32), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reversal_posting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_transfers_amount_positive")),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_transfers_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_transfers_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["payee_account_id"], ["accounts.id"], name=op.f("fk_transfers_payee_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["payer_account_id"], ["accounts.id"], name=op.f("fk_transfers_payer_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"], ["postings.id"], name=op.f("fk_transfers_posting_id_postings")
        ),
        sa.ForeignKeyConstraint(
            ["reversal_posting_id"], ["postings.id"], name=op.f("fk_transfers_reversal_posting_id_postings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
        sa.UniqueConstraint("contract_id", "idempotency_key", name=op.f("uq_transfers_contract_id")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfers_institution_id"), ["institution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfers_payee_account_id"), ["payee_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfers_payer_account_id"), ["payer_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfers_posting_id"), ["posting_id"], unique=False)

    _post_existing_balances()


def _post_existing_balances() -> None:
    """Databases from before the ledger: give every institution its chart of accounts and
    turn every account's balance into an opening posting (cash in), so that every stored
    balance equals the sum of its entries from now on."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    naive = bind.dialect.name == "sqlite"
    stamp = now.replace(tzinfo=None) if naive else now
    chart = [
        ("1001", "Cash and vault", "asset"),
        ("2241", "Bill payments clearing", "liability"),
        ("5111201", "Personal e-banking income 个人电子银行业务收入", "income"),
        ("5111201.01", "Personal e-banking income: material cost 工本费", "income"),
        ("5111201.02", "Personal e-banking income: certificate fee 证书费", "income"),
    ]
    for inst_id, currency in bind.execute(sa.text("SELECT id, currency FROM institutions")).all():
        for code, name, kind in chart:
            bind.execute(
                sa.text(
                    "INSERT INTO gl_accounts (institution_id, code, name, kind, currency, balance_minor) "
                    "VALUES (:i, :c, :n, :k, :cur, 0)"
                ),
                {"i": inst_id, "c": code, "n": name, "k": kind, "cur": currency},
            )
    rows = bind.execute(
        sa.text(
            "SELECT a.id, a.institution_id, a.number, a.currency, a.balance_minor, a.opened_on FROM accounts a "
            "WHERE a.balance_minor > 0 ORDER BY a.id"
        )
    ).all()
    for account_id, inst_id, number, currency, balance, opened_on in rows:
        cash = bind.execute(
            sa.text("SELECT id FROM gl_accounts WHERE institution_id = :i AND code = '1001'"), {"i": inst_id}
        ).scalar_one()
        posting_id = bind.execute(
            sa.text(
                "INSERT INTO postings (institution_id, kind, created_at, business_date, description, reference) "
                "VALUES (:i, 'opening', :t, :d, 'opening deposit (ledger introduced)', :r) RETURNING id"
            ),
            {"i": inst_id, "t": stamp, "d": opened_on, "r": number},
        ).scalar_one()
        cash_balance = bind.execute(
            sa.text(
                "UPDATE gl_accounts SET balance_minor = balance_minor + :b WHERE id = :g "
                "RETURNING balance_minor"
            ),
            {"b": balance, "g": cash},
        ).scalar_one()
        bind.execute(
            sa.text(
                "INSERT INTO entries (posting_id, side, amount_minor, currency, gl_account_id, balance_after_minor) "
                "VALUES (:p, 'D', :b, :c, :g, :after)"
            ),
            {"p": posting_id, "b": balance, "c": currency, "g": cash, "after": cash_balance},
        )
        bind.execute(
            sa.text(
                "INSERT INTO entries (posting_id, side, amount_minor, currency, account_id, balance_after_minor) "
                "VALUES (:p, 'C', :b, :c, :a, :b)"
            ),
            {"p": posting_id, "b": balance, "c": currency, "a": account_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_posting_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_payer_account_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_payee_account_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_institution_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_contract_id"))

    op.drop_table("transfers")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entries_posting_id"))
        batch_op.drop_index(batch_op.f("ix_entries_gl_account_id"))
        batch_op.drop_index(batch_op.f("ix_entries_account_id"))

    op.drop_table("entries")
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postings_institution_id"))
        batch_op.drop_index(batch_op.f("ix_postings_contract_id"))

    op.drop_table("postings")
    op.drop_table("own_limits")
    op.drop_table("daily_usage")
    with op.batch_alter_table("payees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payees_institution_id"))

    op.drop_table("payees")
    with op.batch_alter_table("gl_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gl_accounts_institution_id"))

    op.drop_table("gl_accounts")
