"""K2 rules of the one-time passwords, without I/O: each TOTP code at most once, the lock-out
after wrong codes, and the one-time codes' expiry and attempts. The TOTP arithmetic itself is
the adapter's (tests/unit/test_totp_vectors.py, RFC 6238 Appendix B)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from netbank.domain.errors import Code, Locked, RuleViolation
from netbank.domain.otp import (
    Challenge,
    ChallengeChannel,
    ChallengePurpose,
    ChallengeStatus,
    FactorRejected,
    OTPAlgorithm,
    TOTPCredential,
    TOTPParameters,
)
from tests.unit.domain.builders import NOW


def credential() -> TOTPCredential:
    return TOTPCredential(
        contract_id=1,
        institution_id=1,
        seed_sealed=b"sealed",
        algorithm=OTPAlgorithm.SHA1,
        digits=6,
        step_seconds=30,
        created_at=NOW,
    )


def challenge(max_attempts: int = 3) -> Challenge:
    return Challenge(
        institution_id=1,
        purpose=ChallengePurpose.STEP_UP,
        channel=ChallengeChannel.SMS,
        phone="13800138000",
        code_digest="d",
        created_at=NOW,
        expires_at=NOW + timedelta(seconds=180),
        max_attempts=max_attempts,
    )


def test_the_k2_defaults_are_rfc_6238_six_digits_thirty_seconds_one_step_of_drift() -> None:
    assert TOTPParameters() == TOTPParameters(6, 30, 1, OTPAlgorithm.SHA1)
    assert TOTPParameters().step_at(59.9) == 1
    assert TOTPParameters().step_at(60) == 2


@pytest.mark.rule("K2", kind="refuse")
def test_a_code_is_accepted_at_most_once_and_never_an_older_one() -> None:
    otp = credential()
    otp.ensure_not_replayed(100)
    otp.record_success(100, current_step=101)
    for step in (100, 99):
        with pytest.raises(FactorRejected) as exc:
            otp.ensure_not_replayed(step)
        assert exc.value.code is Code.K2_OTP_REPLAYED
    otp.ensure_not_replayed(101)


@pytest.mark.rule("K2", kind="allow")
def test_a_right_code_records_its_drift_and_forgets_the_wrong_ones() -> None:
    otp = credential()
    otp.record_failure(5)
    otp.record_success(99, current_step=100)
    assert (otp.last_used_step, otp.drift_steps, otp.failures) == (99, -1, 0)


@pytest.mark.rule("K2", kind="refuse")
def test_the_fifth_wrong_code_locks_the_otp_until_a_teller_unlocks_it() -> None:
    otp = credential()
    assert [otp.record_failure(5) for _ in range(5)] == [False] * 4 + [True]
    assert not otp.record_failure(5)  # locked once, not again
    with pytest.raises(Locked) as exc:
        otp.ensure_usable()
    assert exc.value.code is Code.K2_OTP_LOCKED
    otp.unlock()
    assert otp.failures == 0
    otp.ensure_usable()


@pytest.mark.rule("K2", kind="refuse")
def test_an_ended_otp_is_not_enrolled() -> None:
    otp = credential()
    otp.active = False
    with pytest.raises(RuleViolation) as exc:  # the code's one family
        otp.ensure_usable()
    assert exc.value.code is Code.K2_OTP_NOT_ENROLLED


@pytest.mark.rule("K2", kind="allow")
@pytest.mark.rule("K2", kind="refuse")
def test_a_one_time_code_is_open_until_the_instant_it_expires() -> None:
    sent = challenge()
    sent.ensure_open(sent.expires_at - timedelta(microseconds=1))
    with pytest.raises(FactorRejected) as exc:
        sent.ensure_open(sent.expires_at)
    assert exc.value.code is Code.K2_CHALLENGE_EXPIRED


@pytest.mark.rule("K2", kind="refuse")
def test_a_one_time_code_is_used_once() -> None:
    sent = challenge()
    sent.record_verified(NOW)
    assert (sent.status, sent.verified_at, sent.attempts) == (ChallengeStatus.VERIFIED, NOW, 1)
    with pytest.raises(FactorRejected) as exc:
        sent.ensure_open(NOW)
    assert exc.value.code is Code.K2_CHALLENGE_USED


@pytest.mark.rule("K2", kind="refuse")
def test_the_last_wrong_attempt_locks_the_one_time_code_for_good() -> None:
    sent = challenge(max_attempts=3)
    assert [sent.record_wrong_code() for _ in range(3)] == [False, False, True]
    assert sent.status is ChallengeStatus.LOCKED
    with pytest.raises(Locked) as exc:
        sent.ensure_open(NOW)
    assert exc.value.code is Code.K2_CHALLENGE_LOCKED
