"""C3: the account status flags: a wrong PIN counted to the lock, and the flags that stop
money leaving an account (for a transfer, and for a fee under G1)."""

from __future__ import annotations

import functools
import operator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netbank.domain.account import PAYOUT_BLOCKING, StatusFlag
from netbank.domain.errors import Code, RuleViolation
from tests.unit.domain.builders import account, code_of


@pytest.mark.rule("C3", kind="refuse")
def test_wrong_pins_set_the_wrong_pin_exceeded_flag_at_the_threshold() -> None:
    a = account()
    assert not a.record_wrong_pin(3)
    assert not a.record_wrong_pin(3)
    assert a.record_wrong_pin(3)
    assert StatusFlag.WRONG_PIN_EXCEEDED in a.status_flags


@pytest.mark.rule("C3", kind="refuse")
def test_every_flag_but_the_initial_pin_blocks_payouts() -> None:
    assert [flag for flag in StatusFlag if flag not in PAYOUT_BLOCKING] == [StatusFlag.INITIAL_PIN]


@pytest.mark.rule("C3", kind="refuse")
@pytest.mark.parametrize("flag", [flag for flag in StatusFlag if flag in PAYOUT_BLOCKING])
def test_a_payout_blocking_flag_stops_money_leaving_the_account(flag: StatusFlag) -> None:
    blocked = account(flags=flag)
    assert blocked.payout_blocking_flags == flag
    with pytest.raises(RuleViolation) as exc:
        blocked.ensure_can_pay_out()
    assert code_of(exc) is Code.C3_ACCOUNT_BLOCKED_FOR_PAYOUT
    assert exc.value.params == {"account": "6222********0001", "flags": flag.name.lower()}  # type: ignore[union-attr]


@pytest.mark.rule("C3", kind="allow")
@pytest.mark.parametrize("flags", [StatusFlag(0), StatusFlag.INITIAL_PIN])
def test_an_account_without_flags_or_with_only_the_initial_pin_flag_pays_out(flags: StatusFlag) -> None:
    payer = account(flags=flags)
    assert not payer.payout_blocking_flags
    payer.ensure_can_pay_out()


@pytest.mark.rule("C3", kind="refuse")
def test_the_refusal_names_every_blocking_flag_and_not_the_initial_pin() -> None:
    payer = account(flags=StatusFlag.VERBAL_LOSS | StatusFlag.INITIAL_PIN | StatusFlag.FRAUD_HOLD)
    assert payer.payout_blocking_flags == StatusFlag.VERBAL_LOSS | StatusFlag.FRAUD_HOLD
    with pytest.raises(RuleViolation) as exc:
        payer.ensure_can_pay_out()
    assert exc.value.params["flags"] == "verbal_loss,fraud_hold"


@pytest.mark.rule("C3", kind="allow")
@pytest.mark.rule("C3", kind="refuse")
def test_clearing_the_last_blocking_flag_lets_money_leave_again() -> None:
    payer = account(flags=StatusFlag.PIN_LOSS | StatusFlag.UNDER_WATCH)
    payer.clear_flag(StatusFlag.PIN_LOSS)
    with pytest.raises(RuleViolation):
        payer.ensure_can_pay_out()
    payer.clear_flag(StatusFlag.UNDER_WATCH)
    payer.ensure_can_pay_out()


@pytest.mark.rule("C3", kind="refuse")
def test_wrong_pins_past_the_threshold_block_payouts() -> None:
    payer = account()
    for _ in range(3):
        payer.record_wrong_pin(3)
    assert payer.payout_blocking_flags == StatusFlag.WRONG_PIN_EXCEEDED
    with pytest.raises(RuleViolation):
        payer.ensure_can_pay_out()


@pytest.mark.rule("C3", kind="allow")
@pytest.mark.rule("C3", kind="refuse")
@given(st.integers(0, int(functools.reduce(operator.or_, StatusFlag))))
def test_an_account_pays_out_exactly_when_it_carries_no_flag_but_the_initial_pin(flags: int) -> None:
    payer = account(flags=flags)
    blocking = StatusFlag(flags) & ~StatusFlag.INITIAL_PIN
    assert payer.payout_blocking_flags == blocking
    if blocking:
        with pytest.raises(RuleViolation) as exc:
            payer.ensure_can_pay_out()
        assert exc.value.params["flags"] == ",".join(blocking.names())
    else:
        payer.ensure_can_pay_out()
