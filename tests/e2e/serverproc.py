"""Real ``netbank serve`` processes for end-to-end tests: started on free ports against a
given database, waited for, and stopped (or killed) by the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.pgserver import free_port

REPO = Path(__file__).resolve().parents[2]


def netbank_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETBANK_")}
    env.update(
        {
            "NETBANK_DATABASE_URL": database_url,
            "NETBANK_DATA_DIR": str(data_dir),
            "NETBANK_POLICY_DIR": str(REPO / "policies"),
            "NETBANK_IDENTITY_SEAL_KEY": "c2Vhc2Vhc2Vhc2Vhc2Vhc2Vhc2Vhc2Vhc2Vhc2Vhc2U=",
            "NETBANK_IDENTITY_LOOKUP_KEY": "bG9va2xvb2tsb29rbG9va2xvb2tsb29rbG9va2xvb2s=",
            "NETBANK_SECRETS_KEY": "a2V5c2tleXNrZXlza2V5c2tleXNrZXlza2V5c2tleXM=",
            "NETBANK_OUTBOX_IN_PROCESS": "false",
            **extra,
        }
    )
    return env


def cli(env: Mapping[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netbank.entrypoints.cli", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


class ServerProcess:
    def __init__(self, env: Mapping[str, str], log: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "netbank.entrypoints.cli", "serve", "--port", str(self.port), *args],
            env=dict(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server did not start: {self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


class DispatcherProcess:
    """``netbank outbox run`` as its own process."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "netbank.entrypoints.cli", "outbox", "run", "--interval", "0.1"],
            env=dict(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
