"""F3/F5 rules of the financial certificate, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from netbank.domain.errors import Conflict, DomainError, Locked, PermissionDenied, RuleViolation
from netbank.domain.fincert import (
    FlowStep,
    RegistrationFlow,
    add_years,
    ensure_may_issue,
    ensure_pin_format,
    normalize_resident_number,
)
from netbank.domain.policy import FinCertPolicy
from tests.unit.domain.fincert_builders import NOW, TODAY, certificate


@pytest.mark.parametrize(
    "number",
    ["850315-1234567", "8503151234567", "0001014000000", "2002293000000", "9912319999999", "0512318765432"],
)
def test_f3_accepts_13_digits_with_a_real_birth_date_and_no_check_digit(number: str) -> None:
    assert normalize_resident_number(number, TODAY) == number.replace("-", "")


@pytest.mark.parametrize(
    "number",
    [
        "850315123456",
        "85031512345678",
        "850230-1234567",
        "8503158234567x",
        "８５０３１５１２３４５６７",
        "2612313000000",
    ],
)
def test_f3_refuses_bad_resident_numbers(number: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        normalize_resident_number(number, TODAY)
    assert exc.value.code.value == "F3_RESIDENT_NUMBER_INVALID"


def test_f3_the_7th_digit_must_fit_the_century() -> None:
    normalize_resident_number("0103011000000", TODAY)  # born 1901
    with pytest.raises(RuleViolation):
        normalize_resident_number("3003013000000", TODAY)  # 2030: not born yet


@pytest.mark.parametrize(
    ("pin", "code"),
    [
        ("12345", "F5_PIN_FORMAT"),
        ("12a456", "F5_PIN_FORMAT"),
        ("777777", "F5_PIN_TOO_SIMPLE"),
        ("345678", "F5_PIN_TOO_SIMPLE"),
        ("987654", "F5_PIN_TOO_SIMPLE"),
    ],
)
def test_f5_pin_is_six_digits_not_trivial(pin: str, code: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        ensure_pin_format(pin)
    assert exc.value.code.value == code
    ensure_pin_format("480135")


def test_f5_five_wrong_pins_lock_and_a_right_one_resets_before_that() -> None:
    c = certificate()
    for _ in range(4):
        assert not c.record_wrong_pin(5)
    c.record_right_pin()
    assert [c.record_wrong_pin(5) for _ in range(5)] == [False] * 4 + [True]
    with pytest.raises(Locked):
        c.ensure_usable(NOW)


def test_f5_renewal_window_issuing_bank_and_new_expiry() -> None:
    c = certificate()
    rules = FinCertPolicy()
    with pytest.raises(RuleViolation):
        c.renewed_not_after(1, c.not_after - timedelta(days=31), rules)
    with pytest.raises(PermissionDenied):
        c.renewed_not_after(2, c.not_after - timedelta(days=10), rules)
    assert c.renewed_not_after(1, c.not_after - timedelta(days=10), rules) == add_years(NOW, 6)


def test_add_years_turns_29_february_into_28() -> None:
    assert add_years(datetime(2028, 2, 29, tzinfo=UTC), 3) == datetime(2031, 2, 28, tzinfo=UTC)


def test_f5_one_live_certificate_per_person() -> None:
    ensure_may_issue(None, institution_id=1, confirm_revoke=False, now=NOW)
    with pytest.raises(Conflict):
        ensure_may_issue(certificate(), institution_id=1, confirm_revoke=True, now=NOW)
    with pytest.raises(Conflict):
        ensure_may_issue(certificate(), institution_id=2, confirm_revoke=False, now=NOW)
    ensure_may_issue(certificate(), institution_id=2, confirm_revoke=True, now=NOW)
    ensure_may_issue(certificate(), institution_id=1, confirm_revoke=False, now=add_years(NOW, 4))


def test_f3_flow_steps_in_order_within_their_time() -> None:
    flow = RegistrationFlow("h", 1, 1, "d", FlowStep.IDENTIFIED, NOW, NOW + timedelta(minutes=10))
    with pytest.raises(Conflict):
        flow.move_to(FlowStep.AUTHENTICATED, NOW)
    for step in (
        FlowStep.CHALLENGE_SENT,
        FlowStep.CHALLENGE_SENT,
        FlowStep.AUTHENTICATED,
        FlowStep.MEDIUM_VERIFIED,
    ):
        flow.move_to(step, NOW)
    with pytest.raises(RuleViolation):
        flow.move_to(FlowStep.REGISTERED, NOW + timedelta(minutes=10))
    flow.move_to(FlowStep.REGISTERED, NOW)
    with pytest.raises(DomainError):
        flow.move_to(FlowStep.CHALLENGE_SENT, NOW)
