"""E15: the OTP phone: a mainland mobile of any carrier, or a PHS number with its area code."""

from __future__ import annotations

import pytest

from netbank.domain.customer import normalize_phone
from netbank.domain.errors import Code, DomainError
from tests.unit.domain.builders import code_of


@pytest.mark.rule("E15", kind="allow")
@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0755-12345678", "075512345678"),
        ("010 1234567", "0101234567"),
    ],
)
def test_mainland_mobile_and_phs_with_area_code_are_accepted(raw: str, normalized: str) -> None:
    assert normalize_phone(raw, "CN") == normalized


@pytest.mark.rule("E15", kind="refuse")
def test_phs_without_area_code_is_refused_with_its_own_code() -> None:
    with pytest.raises(DomainError) as exc:
        normalize_phone("23456789", "CN")
    assert code_of(exc) is Code.E15_PHS_AREA_CODE_REQUIRED
    with pytest.raises(DomainError) as exc2:
        normalize_phone("12345", "CN")
    assert code_of(exc2) is Code.E15_PHONE_NUMBER_INVALID
