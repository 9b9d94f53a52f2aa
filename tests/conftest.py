"""Test harness: every test that uses ``deps`` / ``client`` runs on SQLite *and* on a real
PostgreSQL 15 server that the harness starts itself. Each test gets a fresh migrated
database (a copied SQLite file, or a PostgreSQL database cloned from a migrated template)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from netbank.adapters.clock import SettableClock
from netbank.adapters.db.migrate import upgrade
from netbank.adapters.policies import StaticPolicyBook, TomlPolicyBook
from netbank.bootstrap import App, bootstrap
from netbank.config import Settings
from netbank.entrypoints.api.app import create_app
from netbank.services.ports import Deps
from tests.builders import Api, setup_institutions
from tests.pgserver import PgServer
from tests.softhsm import SoftHSM, start_softhsm

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
#: 2026-06-15 10:00 in Shanghai.
T0 = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer().start()
    try:
        server.admin("CREATE DATABASE netbank_template")
        upgrade(server.url("netbank_template"))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> SoftHSM:
    """SoftHSM2 with every token the tests use (tests/softhsm.py), loaded once per process."""
    return start_softhsm(tmp_path_factory.mktemp("softhsm"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "netbank.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "netbank.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with server.scratch_database("t", template="netbank_template") as url:
        yield url


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(T0)


@pytest.fixture(scope="session")
def policies() -> StaticPolicyBook:
    """The shipped policy files, with a cheap argon2 cost so the suite stays fast (the
    shipped cost is exercised by the e2e server test)."""
    book = TomlPolicyBook(REPO / "policies")
    fast = [
        replace(p, password=replace(p.password, argon2_time_cost=1, argon2_memory_kib=256))
        for p in book.all()
    ]
    return StaticPolicyBook(fast)


def make_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        policy_dir=REPO / "policies",
        identity_seal_key=base64.b64encode(b"s" * 32).decode(),
        identity_lookup_key=base64.b64encode(b"l" * 32).decode(),
        secrets_key=base64.b64encode(b"k" * 32).decode(),
        # Tests deliver the outbox themselves (dispatch_once), so that a background dispatcher
        # never writes while a test compares database snapshots; the in-process dispatcher
        # is exercised by the end-to-end server tests.
        outbox_in_process=False,
    )


@pytest.fixture
def app_state(
    database_url: str, tmp_path: Path, clock: SettableClock, policies: StaticPolicyBook
) -> Iterator[App]:
    state = bootstrap(make_settings(database_url, tmp_path), clock=clock, policies=policies)
    try:
        yield state
    finally:
        state.close()


@pytest.fixture
def deps(app_state: App) -> Deps:
    return app_state.deps


@pytest.fixture
def client(app_state: App) -> Iterator[TestClient]:
    with TestClient(create_app(app_state), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def api(client: TestClient, app_state: App) -> Api:
    setup_institutions(app_state.deps)
    return Api(client, app_state.engine)
