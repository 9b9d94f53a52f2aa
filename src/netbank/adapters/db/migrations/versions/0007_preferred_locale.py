"""The language a customer or member of staff prefers for their web pages: a nullable
``preferred_locale`` (ko / zh / en) on ``customers`` and ``tellers`` (tellers, admins and
auditors). Everyone starts with none: their browser's language, as before.

The column and its CHECK are added with one ``ALTER TABLE ... ADD COLUMN`` on both backends
(SQLite accepts a column CHECK there), so SQLite needs no table rebuild of two tables that
many others reference; SQLite 3.35+ drops such a column in place too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Where people who sign in to the web are kept. The CHECK names the locales supported when
#: this revision was written (a migration does not follow later code changes).
TABLES = ("customers", "tellers")


def upgrade() -> None:
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN preferred_locale VARCHAR(8) "
            f"CONSTRAINT ck_{table}_preferred_locale_known "
            "CHECK (preferred_locale IN ('ko', 'zh', 'en'))"
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"ALTER TABLE {table} DROP COLUMN preferred_locale")
