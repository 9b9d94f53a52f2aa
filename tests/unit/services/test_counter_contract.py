"""The e-banking contract at the counter (``services/counter/contract.py``): 819101 add /
modify / delete and the linked accounts of 819102 / 819103, in representative cases of the
rules ``tests/integration/test_counter_contract.py`` and ``test_linked_accounts.py`` prove over
HTTP and both databases. Every refusal leaves the store as it was (``FakeBank.refuses``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from netbank.domain.account import Account, AccountKind
from netbank.domain.enrolment import (
    AccountLink,
    Channel,
    Contract,
    ContractStatus,
    LinkOrigin,
    LinkStatus,
    Version,
)
from netbank.domain.errors import Code
from netbank.domain.otp import TOTPCredential
from netbank.domain.session import Session
from netbank.services.common import Receipt, TellerActor
from netbank.services.counter import contract
from netbank.services.counter.contract import (
    AddContract,
    AddLinkedAccount,
    DeleteContract,
    ModifyContract,
    RemoveLinkedAccount,
)
from tests.builders import LOGIN_PASSWORD
from tests.fakes import FakeBank, Holder

OTP: dict[str, Any] = {"version": Version.OTP, "otp_phone": "13912345678"}
UKEY: dict[str, Any] = {"version": Version.CERTIFICATE, "ukey_serial": " uk2-0001 ", "ukey_generation": 2}
#: Two of the seven kinds E9 keeps from the counter (the domain's unit tests take all seven).
NOT_LINKABLE = [AccountKind.DEMAND_PASSBOOK, AccountKind.FOUR_BANK_CARD]


@dataclass(frozen=True)
class Desk:
    """Teller T001 and a customer in front of them with their debit card, checked in person."""

    bank: FakeBank
    teller: TellerActor
    holder: Holder
    card: Account
    check: int

    def add(self, card: Account | None = None, **fields: Any) -> Receipt:
        """819101 add with ``card`` (default: theirs), of the OTP version unless ``fields`` say."""
        command = AddContract(
            customer_number=self.holder.number,
            identity_check_id=self.check,
            registration_account_number=(card or self.card).number,
            **{"login_password": LOGIN_PASSWORD, **({} if "version" in fields else OTP), **fields},
        )
        return contract.add_contract(self.bank.deps, self.teller, command)

    def modify(self, **fields: Any) -> Receipt:
        command = ModifyContract(
            customer_number=self.holder.number,
            identity_check_id=self.check,
            registration_account_number=self.card.number,
            **fields,
        )
        return contract.modify_contract(self.bank.deps, self.teller, command)

    def delete(self) -> Receipt:
        command = DeleteContract(customer_number=self.holder.number, identity_check_id=self.check)
        return contract.delete_contract(self.bank.deps, self.teller, command)

    def add_link(self, account: Account) -> Receipt:
        command = AddLinkedAccount(
            customer_number=self.holder.number, identity_check_id=self.check, account_number=account.number
        )
        return contract.add_linked_account(self.bank.deps, self.teller, command)

    def remove_link(self, account: Account) -> Receipt:
        command = RemoveLinkedAccount(
            customer_number=self.holder.number, identity_check_id=self.check, account_number=account.number
        )
        return contract.remove_linked_account(self.bank.deps, self.teller, command)

    def contract(self) -> Contract | None:
        return self.bank.store.first(Contract, customer_id=self.holder.id, status=ContractStatus.ACTIVE)

    def credential(self, contract: Contract) -> TOTPCredential | None:
        return self.bank.store.first(TOTPCredential, contract_id=contract.id, active=True)


def desk_for(bank: FakeBank, holder: Holder, card: Account | None = None) -> Desk:
    teller = bank.teller()
    return Desk(bank, teller, holder, card or bank.account(holder), bank.identity_check(teller, holder))


@pytest.fixture
def desk(bank: FakeBank) -> Desk:
    return desk_for(bank, bank.customer())


@pytest.fixture
def enrolled(bank: FakeBank) -> Desk:
    """The desk with an OTP customer (their card the registration account)."""
    holder = bank.customer()
    card = bank.account(holder)
    bank.contract(holder, card)
    return desk_for(bank, holder, card)


# --- 819101 add -----------------------------------------------------------------------------


@pytest.mark.rule("E4", kind="allow")
@pytest.mark.rule("E5", kind="allow")
@pytest.mark.rule("K2", kind="allow")
def test_819101_add_opens_the_otp_version_with_its_registration_link_and_totp_seed(desk: Desk) -> None:
    receipt = desk.add()
    assert (receipt.code, receipt.action) == ("819101", "add")
    assert receipt.details["version"] == "otp" and receipt.details["otp_phone"] == "139****5678"
    assert receipt.otp_enrolment is not None and receipt.otp_enrolment.otpauth_uri.startswith(
        "otpauth://totp/"
    )
    opened = desk.contract()
    assert opened is not None
    assert (opened.version, opened.channel, opened.registration_account_id) == (
        Version.OTP,
        Channel.COUNTER,
        desk.card.id,
    )
    assert desk.bank.deps.hasher.verify(opened.password_digest, LOGIN_PASSWORD)
    (link,) = desk.bank.store.where(AccountLink, contract_id=opened.id)
    assert (link.account_id, link.origin) == (desk.card.id, LinkOrigin.REGISTRATION)
    assert desk.credential(opened) is not None


@pytest.mark.rule("E4", kind="allow")
def test_819101_add_opens_the_certificate_version_with_the_ukey_serial_normalised(desk: Desk) -> None:
    receipt = desk.add(**UKEY)
    assert receipt.otp_enrolment is None
    opened = desk.contract()
    assert opened is not None and (opened.ukey_serial, opened.ukey_generation) == ("UK2-0001", 2)
    assert desk.credential(opened) is None


@pytest.mark.rule("E3", kind="refuse")
def test_a_second_819101_add_is_refused(enrolled: Desk) -> None:
    enrolled.bank.refuses(Code.E3_ALREADY_ENROLLED, lambda: enrolled.add(**UKEY))


@pytest.mark.rule("E5", kind="refuse")
@pytest.mark.parametrize(
    "kind", [AccountKind.CREDIT_CARD, AccountKind.MERCHANT_CARD, AccountKind.FOUR_BANK_CARD]
)
def test_only_a_debit_main_card_can_be_the_registration_account(desk: Desk, kind: AccountKind) -> None:
    card = desk.bank.account(desk.holder, kind)
    desk.bank.refuses(Code.E5_REGISTRATION_ACCOUNT_KIND, lambda: desk.add(card))


@pytest.mark.rule("E2", kind="refuse")
@pytest.mark.rule("E2", kind="allow")
def test_a_seventeen_year_old_enrols_only_living_on_their_own_income(bank: FakeBank) -> None:
    minor = desk_for(bank, bank.customer(age_years=17))
    bank.refuses(Code.E2_UNDER_AGE, minor.add)
    earner = desk_for(bank, bank.customer(age_years=16, own_income=True))
    assert earner.add().action == "add"


@pytest.mark.rule("E4", kind="refuse")
@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"otp_phone": None}, Code.E4_MEDIUM_REQUIRED),
        ({**UKEY, "otp_phone": "13912345678"}, Code.E4_MEDIUM_NOT_FOR_VERSION),
        ({**UKEY, "ukey_generation": 3}, Code.E4_UKEY_GENERATION_NOT_ALLOWED),
        ({"version": Version.ORDINARY, "otp_phone": None}, Code.E4_ORDINARY_ONLINE_ONLY),
    ],
    ids=["otp without a phone", "certificate with a phone", "an unknown ukey generation", "ordinary"],
)
def test_819101_add_takes_the_medium_of_the_version_and_nothing_else(
    desk: Desk, fields: dict[str, Any], code: Code
) -> None:
    desk.bank.refuses(code, lambda: desk.add(**fields))


@pytest.mark.rule("E15", kind="refuse")
@pytest.mark.rule("E15", kind="allow")
def test_a_phs_number_needs_its_area_code(desk: Desk) -> None:
    desk.bank.refuses(Code.E15_PHS_AREA_CODE_REQUIRED, lambda: desk.add(otp_phone="83456789"))
    desk.add(otp_phone="021-83456789")
    opened = desk.contract()
    assert opened is not None and opened.otp_phone == "02183456789"


@pytest.mark.rule("E13", kind="refuse")
def test_the_login_password_may_not_contain_the_card_number(desk: Desk) -> None:
    desk.bank.refuses(Code.E13_PASSWORD_POLICY, lambda: desk.add(login_password=f"Aa{desk.card.number}"))


# --- 819101 modify and delete ---------------------------------------------------------------


@pytest.mark.rule("E8", kind="allow")
@pytest.mark.rule("K2", kind="allow")
def test_modify_upgrades_ordinary_to_otp_and_provisions_the_seed(bank: FakeBank) -> None:
    holder = bank.customer()
    card = bank.account(holder)
    ordinary = bank.contract(holder, card, Version.ORDINARY)
    receipt = desk_for(bank, holder, card).modify(**OTP)
    assert receipt.details["from_version"] == "ordinary" and receipt.otp_enrolment is not None
    assert bank.now_of(ordinary).version is Version.OTP
    assert bank.store.first(TOTPCredential, contract_id=ordinary.id, active=True) is not None


@pytest.mark.rule("E8", kind="allow")
def test_modify_from_otp_to_certificate_retires_the_totp_seed(enrolled: Desk) -> None:
    before = enrolled.contract()
    assert before is not None and enrolled.credential(before) is not None
    receipt = enrolled.modify(**UKEY)
    assert receipt.details["from_version"] == "otp" and receipt.details["ukey_serial"] == "UK2-0001"
    assert enrolled.credential(before) is None


@pytest.mark.rule("E8", kind="refuse")
def test_a_modify_that_changes_nothing_is_refused(enrolled: Desk) -> None:
    current = enrolled.contract()
    assert current is not None
    same = {"version": Version.OTP, "otp_phone": current.otp_phone}
    enrolled.bank.refuses(Code.E8_NOTHING_TO_MODIFY, lambda: enrolled.modify(**same))


@pytest.mark.rule("E7", kind="allow")
@pytest.mark.rule("E14", kind="allow")
@pytest.mark.rule("E3", kind="allow")
def test_delete_needs_no_account_and_ends_links_seed_and_sessions(enrolled: Desk) -> None:
    bank, ended = enrolled.bank, enrolled.contract()
    assert ended is not None
    sub = bank.account(enrolled.holder)
    bank.link(ended, sub)
    signed_in = bank.customer_actor(ended)

    receipt = enrolled.delete()

    assert receipt.details == {"version": "otp", "links_ended": 2}
    assert bank.now_of(ended).status is ContractStatus.ENDED
    links = bank.store.where(AccountLink, contract_id=ended.id)
    assert [link.status for link in links] == [LinkStatus.ENDED, LinkStatus.ENDED]
    assert enrolled.credential(ended) is None
    session = bank.store.get(Session, signed_in.session_id)
    assert session is not None and session.revoked_at == bank.clock.now()
    # E3 counts active contracts: enrolling again is a new add.
    assert enrolled.add(**UKEY).action == "add"


# --- 819102 / 819103 ------------------------------------------------------------------------


@pytest.mark.rule("E6", kind="allow")
@pytest.mark.rule("E9", kind="allow")
def test_819102_adds_linked_accounts_and_819103_removes_them_for_good_until_added_again(
    enrolled: Desk,
) -> None:
    bank = enrolled.bank
    sub = bank.account(enrolled.holder, AccountKind.DEBIT_SUB_CARD, main_card=enrolled.card)
    assert enrolled.add_link(sub).action == "add"
    link = bank.store.first(AccountLink, account_id=sub.id, status=LinkStatus.ACTIVE)
    assert link is not None and link.origin is LinkOrigin.COUNTER
    assert enrolled.remove_link(sub).action == "remove"
    assert bank.now_of(link).status is LinkStatus.ENDED
    assert enrolled.add_link(sub).action == "add"


@pytest.mark.rule("E6", kind="refuse")
def test_adding_an_account_linked_already_is_a_conflict(enrolled: Desk) -> None:
    card = enrolled.bank.account(enrolled.holder)
    enrolled.add_link(card)
    enrolled.bank.refuses(Code.E6_ALREADY_LINKED, lambda: enrolled.add_link(card))


@pytest.mark.rule("E10", kind="allow")
def test_819102_re_adds_an_account_the_customer_linked_online(enrolled: Desk) -> None:
    current = enrolled.contract()
    assert current is not None
    card = enrolled.bank.account(enrolled.holder)
    online = enrolled.bank.link(current, card, LinkOrigin.ONLINE)
    assert enrolled.add_link(card).action == "re_add"
    assert enrolled.bank.now_of(online).origin is LinkOrigin.COUNTER


@pytest.mark.rule("E9", kind="refuse")
@pytest.mark.parametrize("kind", NOT_LINKABLE)
def test_819102_refuses_the_kinds_the_counter_cannot_add(enrolled: Desk, kind: AccountKind) -> None:
    account = enrolled.bank.account(enrolled.holder, kind)
    enrolled.bank.refuses(Code.E9_ACCOUNT_KIND_NOT_LINKABLE, lambda: enrolled.add_link(account))


@pytest.mark.rule("E9", kind="refuse")
def test_an_ordinary_customer_cannot_add_or_remove_linked_accounts_at_the_counter(bank: FakeBank) -> None:
    holder = bank.customer()
    card = bank.account(holder)
    bank.contract(holder, card, Version.ORDINARY)
    desk = desk_for(bank, holder, card)
    other = bank.account(holder)
    bank.refuses(Code.E9_VERSION_CANNOT_LINK_AT_COUNTER, lambda: desk.add_link(other))
    bank.refuses(Code.E9_VERSION_CANNOT_LINK_AT_COUNTER, lambda: desk.remove_link(other))


@pytest.mark.rule("E6", kind="refuse")
@pytest.mark.rule("E9", kind="refuse")
def test_819103_removes_neither_an_account_not_linked_nor_the_registration_account(enrolled: Desk) -> None:
    never_linked = enrolled.bank.account(enrolled.holder)
    enrolled.bank.refuses(Code.E6_NOT_LINKED, lambda: enrolled.remove_link(never_linked))
    enrolled.bank.refuses(
        Code.E9_REGISTRATION_ACCOUNT_NOT_REMOVABLE, lambda: enrolled.remove_link(enrolled.card)
    )
