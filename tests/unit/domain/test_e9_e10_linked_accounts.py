"""E9: the account kinds the counter cannot link (819102); E10: an account linked online pays
out only once the counter has added it."""

from __future__ import annotations

import pytest

from netbank.domain.account import AccountKind
from netbank.domain.enrolment import AccountLink, LinkOrigin, ensure_counter_linkable_kind
from netbank.domain.errors import Code, DomainError
from tests.unit.domain.builders import NOW, code_of


@pytest.mark.rule("E9", kind="refuse")
@pytest.mark.parametrize(
    "kind",
    [
        AccountKind.DEMAND_PASSBOOK,
        AccountKind.DEMAND_ALL_IN_ONE,
        AccountKind.TIME_DEPOSIT_ALL_IN_ONE,
        AccountKind.MERCHANT_CARD,
        AccountKind.TREASURY_BOND_RECEIPT,
        AccountKind.CERTIFICATE_OF_DEPOSIT,
        AccountKind.FOUR_BANK_CARD,
    ],
)
def test_counter_cannot_link_the_seven_excluded_kinds(kind: AccountKind) -> None:
    with pytest.raises(DomainError) as exc:
        ensure_counter_linkable_kind(kind)
    assert code_of(exc) is Code.E9_ACCOUNT_KIND_NOT_LINKABLE


@pytest.mark.rule("E9", kind="allow")
@pytest.mark.parametrize(
    "kind", [AccountKind.DEBIT_MAIN_CARD, AccountKind.DEBIT_SUB_CARD, AccountKind.CREDIT_CARD]
)
def test_counter_can_link_cards_outside_the_list(kind: AccountKind) -> None:
    ensure_counter_linkable_kind(kind)


@pytest.mark.rule("E10", kind="refuse")
def test_online_link_cannot_pay_out_until_the_counter_adds_it() -> None:
    link = AccountLink(contract_id=1, account_id=2, origin=LinkOrigin.ONLINE, created_at=NOW)
    with pytest.raises(DomainError) as exc:
        link.ensure_can_pay_out()
    assert code_of(exc) is Code.E10_LINK_NEEDS_COUNTER
    link.origin = LinkOrigin.COUNTER
    link.ensure_can_pay_out()
