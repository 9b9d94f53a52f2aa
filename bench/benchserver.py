"""A real ``netbank serve`` for the benchmarks (uvicorn, one worker: the benchmarks run on SQLite,
which serves one process; its own process group), with the settings of the benchmark's own
process so both see the same database and keys."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from netbank.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(proc: subprocess.Popen[bytes], health_url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start: {log.read_text(errors='replace')}")
        try:
            if httpx.get(health_url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)


@contextmanager
def serve(settings: Settings, log: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Start the server, wait for ``/healthz``, yield its URL, stop it (SIGTERM to the group)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETBANK_")}
    env.update(
        {
            "NETBANK_DATABASE_URL": settings.resolved_database_url,
            "NETBANK_DATA_DIR": str(settings.data_dir),
            "NETBANK_POLICY_DIR": str(settings.policy_dir),
            "NETBANK_IDENTITY_SEAL_KEY": settings.identity_seal_key or "",
            "NETBANK_IDENTITY_LOOKUP_KEY": settings.identity_lookup_key or "",
            "NETBANK_SECRETS_KEY": settings.secrets_key or "",
            "NETBANK_OUTBOX_IN_PROCESS": "false",
            "NETBANK_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "netbank.entrypoints.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait(proc, f"{url}/healthz", log)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)


@contextmanager
def serve_plain(app: str, log: Path, health_path: str = "/openapi.json") -> Iterator[str]:
    """Serve ``app`` (``module:attribute`` in bench/) under the same uvicorn as ``netbank
    serve`` (one worker, uvloop, httptools, no access log); yield its URL once ``health_path``
    answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(Path(__file__).parent),
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait(proc, f"{url}{health_path}", log)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
