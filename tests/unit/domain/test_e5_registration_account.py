"""E5: the registration account is a debit main card."""

from __future__ import annotations

import pytest

from netbank.domain.account import AccountKind
from netbank.domain.enrolment import ensure_registration_account_kind
from netbank.domain.errors import Code, DomainError
from tests.unit.domain.builders import code_of


@pytest.mark.rule("E5", kind="refuse")
@pytest.mark.parametrize("kind", [k for k in AccountKind if k is not AccountKind.DEBIT_MAIN_CARD])
def test_only_a_debit_main_card_can_be_registration_account(kind: AccountKind) -> None:
    with pytest.raises(DomainError) as exc:
        ensure_registration_account_kind(kind, frozenset({AccountKind.DEBIT_MAIN_CARD}))
    assert code_of(exc) is Code.E5_REGISTRATION_ACCOUNT_KIND
