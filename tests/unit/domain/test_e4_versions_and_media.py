"""E4: the ordinary version is self-registered only; the OTP and certificate versions are
opened at the counter with the medium that fits them."""

from __future__ import annotations

import pytest

from netbank.domain.enrolment import Medium, Version, ensure_counter_can_open, ensure_medium_fits_version
from netbank.domain.errors import Code, DomainError
from tests.unit.domain.builders import code_of


@pytest.mark.rule("E4", kind="refuse")
def test_counter_cannot_open_the_ordinary_version() -> None:
    with pytest.raises(DomainError) as exc:
        ensure_counter_can_open(Version.ORDINARY)
    assert code_of(exc) is Code.E4_ORDINARY_ONLINE_ONLY


@pytest.mark.rule("E4", kind="refuse")
@pytest.mark.parametrize(
    ("version", "medium", "code"),
    [
        (Version.OTP, Medium(), Code.E4_MEDIUM_REQUIRED),
        (Version.CERTIFICATE, Medium(ukey_serial="UK-1"), Code.E4_MEDIUM_REQUIRED),
        (
            Version.OTP,
            Medium(otp_phone="13800138000", ukey_serial="UK-1", ukey_generation=1),
            Code.E4_MEDIUM_NOT_FOR_VERSION,
        ),
        (
            Version.CERTIFICATE,
            Medium(ukey_serial="UK-1", ukey_generation=3),
            Code.E4_UKEY_GENERATION_NOT_ALLOWED,
        ),
    ],
)
def test_medium_must_fit_the_version(version: Version, medium: Medium, code: Code) -> None:
    with pytest.raises(DomainError) as exc:
        ensure_medium_fits_version(version, medium, frozenset({1, 2}))
    assert code_of(exc) is code
