"""The schema's one ``metadata`` and the column helpers every table module uses.

Alembic migrations under ``migrations/`` are the source of truth for deployed databases; this
metadata must equal them (``tests/integration/test_migrations.py`` checks it). Invariants that
protect money and identity are held here too, not only in the domain: unique keys, CHECKs and
partial unique indexes (E3: one active contract per customer)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, MetaData, String

from netbank.adapters.db.types import Id
from netbank.domain.locale import SUPPORTED_LOCALES

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


def pk() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def fk(name: str, target: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, Id, ForeignKey(target), nullable=nullable, index=True)


def preferred_locale() -> Column[str]:
    """The language a customer or member of staff chose for their pages (migration 0007): one
    of the domain's supported locales, or NULL for "the browser's"."""
    known = ", ".join(f"'{locale}'" for locale in SUPPORTED_LOCALES)
    return Column(
        "preferred_locale",
        String(8),
        CheckConstraint(f"preferred_locale IN ({known})", name="preferred_locale_known"),
        nullable=True,
    )
