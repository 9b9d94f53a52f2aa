"""F8 device connection rules, without I/O: birth dates as typed, device names, the code's
attempts and expiry, tokens, and what "unused for 12 months" means on the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from netbank.domain.errors import AuthenticationFailed, Conflict, DomainError, Locked
from netbank.domain.fincert_devices import (
    ConnectAttempt,
    ConnectStatus,
    DevicePolicy,
    DeviceToken,
    device_label,
    ensure_connect_channel,
    is_unused,
    months_before,
    parse_birth_date,
)
from netbank.domain.otp import ChallengeChannel, FactorRejected

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
TODAY = date(2026, 6, 15)


def refused(code: str, call: object, *args: object, **kwargs: object) -> DomainError:
    assert callable(call)
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code.value == code
    return caught.value


@pytest.mark.rule("F8", kind="allow")
@pytest.mark.parametrize("typed", ["19850315", "1985-03-15", "1985.03.15", " 19850315 "])
def test_a_birth_date_is_eight_digits_with_optional_separators(typed: str) -> None:
    assert parse_birth_date(typed, TODAY) == date(1985, 3, 15)


@pytest.mark.rule("F8", kind="refuse")
@pytest.mark.parametrize("typed", ["850315", "19850230", "20261301", "20260616", "18991231", "١٩٨٥٠٣١٥", ""])
def test_a_birth_date_that_is_no_real_past_date_is_refused(typed: str) -> None:
    refused("F8_BIRTH_DATE_INVALID", parse_birth_date, typed, TODAY)


@pytest.mark.rule("F8", kind="refuse")
def test_only_sms_and_ars_connect_a_device() -> None:
    ensure_connect_channel(ChallengeChannel.SMS)
    ensure_connect_channel(ChallengeChannel.ARS)
    error = refused("F8_CHANNEL_NOT_OFFERED", ensure_connect_channel, ChallengeChannel.ONE_TIME_CODE)
    assert error.params == {"channel": "one_time_code"}


@pytest.mark.rule("F8", kind="refuse")
def test_a_kept_token_needs_a_device_name_and_none_is_kept_without_one() -> None:
    assert device_label("  Galaxy   S24 ", keep_connected=True) == "Galaxy S24"
    assert device_label("anything", keep_connected=False) is None
    assert device_label("x" * 300, keep_connected=True) == "x" * 64
    refused("F8_DEVICE_LABEL_REQUIRED", device_label, "   ", keep_connected=True)
    refused("F8_DEVICE_LABEL_REQUIRED", device_label, None, keep_connected=True)


@pytest.mark.rule("F8", kind="allow")
def test_twelve_months_are_calendar_months_and_the_last_day_of_a_shorter_month_stands_in() -> None:
    assert months_before(NOW, 12) == NOW.replace(year=2025)
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2024, 2, 29, tzinfo=UTC), 12) == datetime(2023, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(2024, 12, 15, tzinfo=UTC)
    assert is_unused(NOW.replace(year=2025), NOW, 12)
    assert not is_unused(NOW.replace(year=2025) + timedelta(seconds=1), NOW, 12)


def attempt(person: str | None = "p" * 64) -> ConnectAttempt:
    return ConnectAttempt(
        handle_digest="h" * 64,
        channel=ChallengeChannel.SMS,
        person_digest=person,
        code_digest="c" * 64,
        created_at=NOW,
        expires_at=NOW + timedelta(seconds=180),
        max_attempts=5,
    )


@pytest.mark.rule("F8", kind="refuse")
def test_the_fifth_wrong_code_locks_the_attempt_for_good() -> None:
    a = attempt()
    assert [a.record_wrong_code() for _ in range(5)] == [False, False, False, False, True]
    assert a.status is ConnectStatus.LOCKED and a.attempts_left == 0
    with pytest.raises(Locked):
        a.ensure_open(NOW)


@pytest.mark.rule("F8", kind="refuse")
def test_an_attempt_is_open_until_it_expires_and_used_only_once() -> None:
    a = attempt()
    a.ensure_open(NOW + timedelta(seconds=179))
    with pytest.raises(FactorRejected):
        a.ensure_open(NOW + timedelta(seconds=180))
    a.record_connected(NOW)
    with pytest.raises(Conflict):
        a.ensure_open(NOW)


@pytest.mark.rule("F8", kind="refuse")
def test_a_cleared_token_is_refused_and_cannot_be_cleared_twice() -> None:
    token = DeviceToken(
        person_digest="p" * 64, label="phone", token_digest="t" * 64, created_at=NOW, last_used_at=NOW
    )
    token.record_use(NOW + timedelta(days=1))
    assert token.last_used_at == NOW + timedelta(days=1)
    token.revoke(NOW + timedelta(days=2))
    with pytest.raises(AuthenticationFailed):
        token.record_use(NOW + timedelta(days=3))
    with pytest.raises(AuthenticationFailed):
        token.revoke(NOW + timedelta(days=3))


def test_the_device_policy_has_the_spec_defaults_and_refuses_nonsense() -> None:
    rules = DevicePolicy().validate()
    assert (rules.code_digits, rules.code_ttl_seconds, rules.code_max_attempts, rules.unused_months) == (
        6,
        180,
        5,
        12,
    )
    with pytest.raises(ValueError, match="F8"):
        DevicePolicy(unused_months=0).validate()
