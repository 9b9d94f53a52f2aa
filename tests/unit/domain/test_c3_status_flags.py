"""C3: the account status flags: a wrong PIN counted to the lock, and the flags that stop
money leaving an account (for a transfer, and for a fee under G1)."""

from __future__ import annotations

import pytest

from netbank.domain.account import StatusFlag
from tests.unit.domain.builders import account


@pytest.mark.rule("C3", kind="refuse")
def test_wrong_pins_set_the_wrong_pin_exceeded_flag_at_the_threshold() -> None:
    a = account()
    assert not a.record_wrong_pin(3)
    assert not a.record_wrong_pin(3)
    assert a.record_wrong_pin(3)
    assert StatusFlag.WRONG_PIN_EXCEEDED in a.status_flags
