"""The Alembic migrations are the schema: they must produce exactly the metadata the code
maps, on both backends, and no production path may call ``create_all``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from netbank.adapters.db.engine import make_engine
from netbank.adapters.db.migrate import alembic_config, current_heads, upgrade
from netbank.adapters.db.tables import metadata
from tests.pgserver import PgServer

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
    assert current_heads(database_url) == {"0007"}


def test_no_production_code_creates_tables_behind_alembic() -> None:
    offenders = [p for p in SRC.rglob("*.py") if "create_all(" in p.read_text(encoding="utf-8")]
    assert offenders == []


# --- 0007: the preferred language of customers and staff ---------------------------------------


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet, to walk the migrations one by one."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'walk.sqlite3'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"w_{uuid.uuid4().hex[:16]}"
    server.admin(f"CREATE DATABASE {name}")
    try:
        yield server.url(name)
    finally:
        server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_0007_adds_an_empty_preferred_locale_to_customers_and_staff_and_goes_back(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    upgrade(url, "0006")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO institutions (id, code, name, kind, currency, timezone) "
                    "VALUES (1, 'edb', 'Eastern Demo Bank', 'bank', 'CNY', 'Asia/Shanghai')"
                )
            )
            conn.execute(
                text("INSERT INTO branches (id, institution_id, code, name) VALUES (1, 1, 'B1', 'One')")
            )
            conn.execute(
                text(
                    "INSERT INTO tellers (id, institution_id, branch_id, teller_number, name, role, "
                    "password_digest) VALUES (1, 1, 1, 'T001', 'Teller', 'teller', 'x')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO customers (id, institution_id, customer_number, name, birth_date, mobile, "
                    "own_income, kind) VALUES (1, 1, '100001', '王芳', '1990-01-01', '13912345678', "
                    "false, 'personal')"
                )
            )
        engine.dispose()

        upgrade(url, "0007")
        for table in ("customers", "tellers"):
            with engine.begin() as conn:
                # Everyone starts with no preference: their browser's language, as before.
                assert conn.execute(text(f"SELECT preferred_locale FROM {table}")).scalar_one() is None  # noqa: S608
                conn.execute(text(f"UPDATE {table} SET preferred_locale = 'zh'"))  # noqa: S608
            # The database refuses a language netbank does not speak, as the domain does.
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(f"UPDATE {table} SET preferred_locale = 'fr'"))  # noqa: S608
            with engine.connect() as conn:
                assert conn.execute(text(f"SELECT preferred_locale FROM {table}")).scalar_one() == "zh"  # noqa: S608
        engine.dispose()

        command.downgrade(alembic_config(url), "0006")
        assert "preferred_locale" not in _columns(engine, "customers") | _columns(engine, "tellers")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM customers")).scalar_one() == "王芳"
            assert conn.execute(text("SELECT teller_number FROM tellers")).scalar_one() == "T001"
        engine.dispose()
        upgrade(url)
        assert current_heads(url) == {"0007"}
        assert {"preferred_locale"} <= _columns(engine, "customers") & _columns(engine, "tellers")
    finally:
        engine.dispose()
