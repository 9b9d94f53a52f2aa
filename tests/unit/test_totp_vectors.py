"""K2: netbank's TOTP arithmetic against RFC 6238 Appendix B."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netbank.adapters.otp import code_at, matching_step
from netbank.domain.otp import OTPAlgorithm, TOTPParameters

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "rfc6238.json").read_text())
CASES = [
    (row["unix_time"], algorithm, row[algorithm])
    for row in VECTORS["vectors"]
    for algorithm in ("SHA1", "SHA256", "SHA512")
]


@pytest.mark.rule("K2", kind="allow")
@pytest.mark.parametrize(("unix_time", "algorithm", "expected"), CASES)
def test_rfc6238_appendix_b(unix_time: int, algorithm: str, expected: str) -> None:
    seed = VECTORS["seeds_ascii"][algorithm].encode()
    params = TOTPParameters(digits=8, step_seconds=30, algorithm=OTPAlgorithm(algorithm))
    at = datetime.fromtimestamp(unix_time, tz=UTC)
    assert code_at(seed, params, at) == expected
    assert matching_step(seed, params, expected, at) == unix_time // 30


@pytest.mark.rule("K2", kind="refuse")
def test_only_one_step_of_drift_either_side_is_accepted() -> None:
    seed = VECTORS["seeds_ascii"]["SHA1"].encode()
    params = TOTPParameters(digits=8, drift_steps=1)
    now = datetime.fromtimestamp(1_111_111_111, tz=UTC)
    step = 1_111_111_111 // 30
    for offset in (-1, 0, 1):
        code = code_at(seed, params, datetime.fromtimestamp((step + offset) * 30, tz=UTC))
        assert matching_step(seed, params, code, now) == step + offset
    for offset in (-2, 2):
        code = code_at(seed, params, datetime.fromtimestamp((step + offset) * 30, tz=UTC))
        assert matching_step(seed, params, code, now) is None


@pytest.mark.parametrize("code", ["", "12345", "abcdefgh", "1234567", "123456789", "１２３４５６７８"])
def test_malformed_codes_never_match(code: str) -> None:
    seed = VECTORS["seeds_ascii"]["SHA1"].encode()
    assert matching_step(seed, TOTPParameters(digits=8), code, datetime.fromtimestamp(59, tz=UTC)) is None
