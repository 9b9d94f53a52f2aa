"""``bench/transfers.py --quick`` and ``bench/fincert_sign.py --quick`` still run end to end
(seeding, the bare baseline, the service layer, a real server) and print their headline. No
timing is asserted: benchmarks are not tests, their figures are read by people
(bench/README.md)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.e2e.serverproc import REPO

pytestmark = pytest.mark.slow


def test_the_transfer_benchmark_runs_and_prints_its_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "transfers.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(r"ratio=\d+\.\d\d", lines[-1]), lines[-1]
    # Every way of booking was measured at both history sizes.
    for name in ("bare", "service", "http"):
        assert sum(bool(re.match(rf"  {name} +\d+/s ", line)) for line in lines) == 2, done.stdout


def test_the_financial_certificate_signing_benchmark_runs_and_prints_its_ratio() -> None:
    """Every signature the clients ask for succeeds while the server's threads share one SQLite
    database and the key store's token (a failed request fails the benchmark). The server runs
    one worker: SQLite serves one process."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "fincert_sign.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(r"ratio=\d+\.\d\d", lines[-1]), lines[-1]
    # Every way of signing was measured: the two baselines, the service layer, the server, and
    # the framework's floor (bench/floorapp.py).
    for name in ("bare", "keystore", "service", "http", "floor"):
        assert sum(bool(re.match(rf"  {name} +\d+/s ", line)) for line in lines) == 1, done.stdout
    assert "from 4 clients, one worker" in done.stdout
