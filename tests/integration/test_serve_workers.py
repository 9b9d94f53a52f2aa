"""``netbank serve --workers N``: SQLite serves one process, so more than one worker on it is
refused before uvicorn starts, with one line naming the setting to change; one worker on
SQLite and any number on PostgreSQL go on to uvicorn as before."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from netbank.entrypoints.cli import app

POSTGRESQL_URL = "postgresql+psycopg://netbank:secret@127.0.0.1:1/netbank"


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The keyword arguments of every ``uvicorn.run`` call (none is served), with the logging
    set-up that ``serve`` does before it undone afterwards."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: calls.append({"target": target, **kwargs}))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield calls
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _serve(tmp_path: Path, database_url: str | None, *args: str) -> Any:
    env = {"NETBANK_DATA_DIR": str(tmp_path), "NETBANK_DATABASE_URL": database_url}
    return CliRunner().invoke(app, ["serve", *args], env=env)


@pytest.mark.parametrize("database_url", [None, "sqlite:///netbank.sqlite3"], ids=["default", "explicit"])
def test_several_workers_on_sqlite_are_refused_before_uvicorn_starts(
    tmp_path: Path, uvicorn_runs: list[dict[str, Any]], database_url: str | None
) -> None:
    result = _serve(tmp_path, database_url, "--workers", "3")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "netbank serve: SQLite serves one process; --workers 3 needs PostgreSQL "
        "(set NETBANK_DATABASE_URL=postgresql+psycopg://...)"
    ]
    assert uvicorn_runs == []


def test_one_worker_on_sqlite_reaches_uvicorn(tmp_path: Path, uvicorn_runs: list[dict[str, Any]]) -> None:
    result = _serve(tmp_path, None, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert [call["workers"] for call in uvicorn_runs] == [1]
    assert uvicorn_runs[0]["target"] == "netbank.entrypoints.api.app:create_app"


def test_several_workers_on_postgresql_reach_uvicorn(
    tmp_path: Path, uvicorn_runs: list[dict[str, Any]]
) -> None:
    result = _serve(tmp_path, POSTGRESQL_URL, "--workers", "2", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert len(uvicorn_runs) == 1
    assert uvicorn_runs[0]["workers"] == 2
    assert uvicorn_runs[0]["port"] == 8123
    assert uvicorn_runs[0]["target"] == "netbank.entrypoints.api.app:create_app"
