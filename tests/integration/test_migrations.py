"""The Alembic migrations are the schema: they must produce exactly the metadata the code
maps, on both backends, and no production path may call ``create_all``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, bindparam, inspect, text
from sqlalchemy.exc import IntegrityError

from netbank.adapters.db.engine import make_engine
from netbank.adapters.db.migrate import alembic_config, current_heads, upgrade
from netbank.adapters.db.tables import metadata
from netbank.adapters.db.types import UTCDateTime
from tests.pgserver import PgServer

SRC = Path(__file__).resolve().parents[2] / "src"
HEAD = "0008"


def test_migrated_database_matches_the_mapped_metadata(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_database_is_at_the_single_head_revision(database_url: str) -> None:
    assert current_heads(database_url) == {HEAD}


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
    with server.scratch_database("w") as url:
        yield url


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
        assert current_heads(url) == {HEAD}
        assert {"preferred_locale"} <= _columns(engine, "customers") & _columns(engine, "tellers")
    finally:
        engine.dispose()


# --- 0008: superseded serials and the start of a suspension ----------------------------------------

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
HELD_SINCE = T0 + timedelta(days=2)
REVOKED_AT = T0 + timedelta(days=3)


def _seed_certificates(engine: Engine) -> None:
    """An institution, a customer and three certificates as 0007 stored them: one valid, one
    suspended (its hold's start in ``revoked_at``), one revoked."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO institutions (id, code, name, kind, currency, timezone) "
                "VALUES (1, 'kb', 'KB Bank', 'bank', 'KRW', 'Asia/Seoul')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customers (id, institution_id, customer_number, name, birth_date, mobile, "
                "own_income, kind) VALUES (1, 1, '100001', '홍길동', '1990-01-01', '01012345678', "
                "false, 'personal')"
            )
        )
        insert = text(
            "INSERT INTO fincert_certificates (id, person_digest, holder_name, issuing_institution_id, "
            "customer_id, serial, status, not_before, not_after, issued_at, pin_digest, pin_failures, "
            "pin_locked, key_ref, der, revoked_at, revocation_reason) VALUES (:id, :person, '홍길동', 1, "
            "1, :serial, :status, :t0, :end, :t0, 'p', 0, false, :key, :der, :revoked_at, :reason)"
        ).bindparams(
            bindparam("t0", type_=UTCDateTime),
            bindparam("end", type_=UTCDateTime),
            bindparam("revoked_at", type_=UTCDateTime),
        )
        end = T0 + timedelta(days=3 * 365)
        for id_, status, revoked_at, reason in (
            (1, "valid", None, None),
            (2, "suspended", HELD_SINCE, None),
            (3, "revoked", REVOKED_AT, "revoked_by_holder"),
        ):
            conn.execute(
                insert,
                {
                    "id": id_,
                    "person": f"{id_}" * 64,
                    "serial": f"a{id_}",
                    "status": status,
                    "t0": T0,
                    "end": end,
                    "key": f"fc-{id_}",
                    "der": b"der",
                    "revoked_at": revoked_at,
                    "reason": reason,
                },
            )


def _hold_columns(engine: Engine, with_suspended_at: bool = True) -> dict[int, tuple[datetime | None, ...]]:
    columns = "id, revoked_at, suspended_at" if with_suspended_at else "id, revoked_at"
    stmt = text(f"SELECT {columns} FROM fincert_certificates ORDER BY id").columns(  # noqa: S608
        revoked_at=UTCDateTime, **({"suspended_at": UTCDateTime} if with_suspended_at else {})
    )
    with engine.connect() as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(stmt)}


def test_0008_moves_a_hold_into_suspended_at_adds_superseded_serials_and_goes_back(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    upgrade(url, "0007")
    engine = make_engine(url)
    try:
        _seed_certificates(engine)
        engine.dispose()

        upgrade(url, "0008")
        # The data step: a hold's start moves to suspended_at, revoked_at is revocation only.
        assert _hold_columns(engine) == {
            1: (None, None),
            2: (None, HELD_SINCE),
            3: (REVOKED_AT, None),
        }
        # Only a certificate on hold has a hold's start (a valid or a revoked one has none).
        for id_ in (1, 3):
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(
                    text("UPDATE fincert_certificates SET suspended_at = :t WHERE id = :id").bindparams(
                        bindparam("t", type_=UTCDateTime)
                    ),
                    {"t": T0, "id": id_},
                )
        superseded = text(
            "INSERT INTO fincert_superseded (certificate_id, serial, der, not_before, not_after, "
            "superseded_at) VALUES (1, :serial, :der, :t0, :t0, :t0)"
        ).bindparams(bindparam("t0", type_=UTCDateTime))
        with engine.begin() as conn:
            conn.execute(superseded, {"serial": "b1", "der": b"old", "t0": T0})
        # A serial is superseded once; the row names a certificate that exists.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(superseded, {"serial": "b1", "der": b"again", "t0": T0})
        with engine.connect() as conn:
            assert conn.execute(text("SELECT serial FROM fincert_superseded")).scalars().all() == ["b1"]
        assert "ix_fincert_superseded_not_after" in {
            index["name"] for index in inspect(engine).get_indexes("fincert_superseded")
        }
        engine.dispose()

        command.downgrade(alembic_config(url), "0007")
        assert "suspended_at" not in _columns(engine, "fincert_certificates")
        assert "fincert_superseded" not in inspect(engine).get_table_names()
        # Back as 0007 kept it: the hold's start in revoked_at.
        assert _hold_columns(engine, with_suspended_at=False) == {
            1: (None,),
            2: (HELD_SINCE,),
            3: (REVOKED_AT,),
        }
        engine.dispose()
        upgrade(url)
        assert current_heads(url) == {HEAD}
        assert _hold_columns(engine)[2] == (None, HELD_SINCE)
    finally:
        engine.dispose()
