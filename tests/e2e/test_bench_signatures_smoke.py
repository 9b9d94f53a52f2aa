"""``bench/signatures.py --quick`` still runs end to end (SoftHSM tokens, the institution PKI,
UKEY signatures of both generations, bare and server-side verification) and prints its
headline. No timing is asserted: benchmark figures are read by people."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.e2e.serverproc import REPO

pytestmark = [pytest.mark.slow, pytest.mark.hsm]


def test_the_signature_benchmark_runs_and_prints_its_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "signatures.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(r"ratio=\d+\.\d\d", lines[-1]), lines[-1]
    for generation in (1, 2):
        assert any(line.startswith(f"generation {generation} ") for line in lines), done.stdout
