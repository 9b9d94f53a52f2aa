"""The Alembic migrations are the schema: they must produce exactly the metadata the code
maps, on both backends, and no production path may call ``create_all``."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from netbank.adapters.db.engine import make_engine
from netbank.adapters.db.migrate import current_heads
from netbank.adapters.db.tables import metadata

SRC = Path(__file__).resolve().parents[2] / "src"


def test_migrated_database_matches_the_mapped_metadata(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_database_is_at_the_single_head_revision(database_url: str) -> None:
    assert current_heads(database_url) == {"0006"}


def test_no_production_code_creates_tables_behind_alembic() -> None:
    offenders = [p for p in SRC.rglob("*.py") if "create_all(" in p.read_text(encoding="utf-8")]
    assert offenders == []
