"""E14: a lost main card is replaced under the same number."""

from __future__ import annotations

import pytest

from netbank.domain.account import StatusFlag
from netbank.domain.errors import Code, DomainError
from tests.unit.domain.builders import account, code_of


@pytest.mark.rule("E14", kind="refuse")
def test_same_number_replacement_needs_a_loss_report_and_keeps_the_number() -> None:
    a = account()
    with pytest.raises(DomainError) as exc:
        a.replace_card_same_number()
    assert code_of(exc) is Code.E14_CARD_NOT_REPORTED_LOST
    a.set_flag(StatusFlag.WRITTEN_LOSS)
    a.replace_card_same_number()
    assert a.number == "6222020000000001" and a.card_sequence == 2 and not a.flags
