"""Linked accounts: 819102 add, 819103 remove and links made online (C2, E6, E9, E10, E11),
through the API, on SQLite and PostgreSQL. Every refusal is checked to leave the database
unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from netbank.domain.account import AccountKind
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, PIN, Api, Person, make_account, make_customer

ADD_CONTRACT = "/api/v1/teller/transactions/819101/add"
ADD = "/api/v1/teller/transactions/819102"
REMOVE = "/api/v1/teller/transactions/819103"
LINK_ONLINE = "/api/v1/me/linked-accounts"
MEDIUM = {
    "otp": {"otp_phone": "13912345678"},
    "certificate": {"ukey_serial": "UK2-0001", "ukey_generation": 2},
}
#: E9: the kinds the counter may not add as linked accounts.
NOT_LINKABLE = [
    AccountKind.DEMAND_PASSBOOK,
    AccountKind.DEMAND_ALL_IN_ONE,
    AccountKind.TIME_DEPOSIT_ALL_IN_ONE,
    AccountKind.MERCHANT_CARD,
    AccountKind.TREASURY_BOND_RECEIPT,
    AccountKind.CERTIFICATE_OF_DEPOSIT,
    AccountKind.FOUR_BANK_CARD,
]
FLAGS = [
    "verbal_loss",
    "written_loss",
    "pin_loss",
    "initial_pin",
    "wrong_pin_exceeded",
    "under_watch",
    "fraud_hold",
]


@dataclass
class Enrolled:
    """A customer enrolled at the counter, with the teller's session and identity check."""

    person: Person
    card: str
    teller: str
    check: int

    def body(self, account: str, **over: Any) -> dict[str, Any]:
        return {
            "customer_number": self.person.number,
            "identity_check_id": self.check,
            "account_number": account,
            **over,
        }


def enrol(api: Api, deps: Deps, version: str = "otp") -> Enrolled:
    p = make_customer(deps)
    card = make_account(deps, p, label="card")
    token = api.teller_token()
    check = api.check(token, p)
    r = api.post(
        ADD_CONTRACT,
        token,
        customer_number=p.number,
        identity_check_id=check,
        version=version,
        registration_account_number=card,
        login_password=LOGIN_PASSWORD,
        **MEDIUM[version],
    )
    assert r.status_code == 201, r.text
    return Enrolled(p, card, token, check)


def enrol_online(api: Api, deps: Deps) -> Enrolled:
    """An ordinary-version customer (self-registered online), with a teller's identity check."""
    p = make_customer(deps)
    card = make_account(deps, p, label="card")
    r = api.post(
        "/api/v1/institutions/edb/self-registration",
        card_number=card,
        account_pin=PIN,
        name=p.name,
        document_type=p.doc_type.value,
        document_number=p.doc_number,
        login_password=LOGIN_PASSWORD,
    )
    assert r.status_code == 201, r.text
    token = api.teller_token()
    return Enrolled(p, card, token, api.check(token, p))


def accounts_by_number(api: Api, token: str, url: str = "/api/v1/me") -> dict[str, dict[str, Any]]:
    r = api.get(url, token)
    assert r.status_code == 200, r.text
    return {a["number"]: a for a in r.json()["accounts"]}


def teller_view(api: Api, e: Enrolled) -> dict[str, dict[str, Any]]:
    return accounts_by_number(api, e.teller, f"/api/v1/teller/customers/{e.person.number}")


@pytest.mark.rule("E6", kind="allow")
@pytest.mark.rule("E9", kind="allow")
@pytest.mark.parametrize("version", ["otp", "certificate"])
def test_819102_adds_any_number_of_linked_accounts_for_otp_and_certificate_customers(
    api: Api, deps: Deps, version: str
) -> None:
    e = enrol(api, deps, version)
    added = [
        make_account(deps, e.person),
        make_account(deps, e.person, AccountKind.DEBIT_SUB_CARD, main_card_number=e.card),
        make_account(deps, e.person, AccountKind.CREDIT_CARD),
    ]
    for number in added:
        r = api.post(ADD, e.teller, **e.body(number))
        assert r.status_code == 201, r.text
        assert r.json()["code"] == "819102" and r.json()["action"] == "add"
        assert number not in r.text  # the receipt shows the account masked
    me = accounts_by_number(api, api.customer_token("edb", e.card))
    assert set(me) == {e.card, *added}
    assert [me[n]["link_origin"] for n in added] == ["counter"] * 3
    assert all(me[n]["can_pay_out"] for n in added)
    history = api.get(f"/api/v1/teller/customers/{e.person.number}/counter-transactions", e.teller).json()
    assert [h["code"] for h in history] == ["819101", "819102", "819102", "819102"]


@pytest.mark.rule("E6", kind="refuse")
def test_adding_an_already_linked_account_is_a_conflict(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    assert api.post(ADD, e.teller, **e.body(other)).status_code == 201
    api.refused(409, "E6_ALREADY_LINKED", ADD, e.teller, **e.body(other))
    api.refused(409, "E6_ALREADY_LINKED", ADD, e.teller, **e.body(e.card))  # the registration account


@pytest.mark.rule("E6", kind="refuse")
def test_removing_an_account_that_is_not_linked_is_not_found(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    api.refused(404, "E6_NOT_LINKED", REMOVE, e.teller, **e.body(other))


@pytest.mark.rule("E6", kind="allow")
@pytest.mark.rule("E9", kind="allow")
def test_819103_removes_a_linked_account_which_can_be_added_again_later(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    assert api.post(ADD, e.teller, **e.body(other)).status_code == 201
    r = api.post(REMOVE, e.teller, **e.body(other))
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "819103" and r.json()["action"] == "remove"
    assert set(accounts_by_number(api, api.customer_token("edb", e.card))) == {e.card}
    assert teller_view(api, e)[other]["linked"] is False
    api.refused(404, "E6_NOT_LINKED", REMOVE, e.teller, **e.body(other))  # removing twice
    r = api.post(ADD, e.teller, **e.body(other))
    assert r.status_code == 201 and r.json()["action"] == "add", r.text
    assert teller_view(api, e)[other]["linked"] is True


@pytest.mark.rule("E9", kind="refuse")
def test_an_ordinary_customer_cannot_add_or_remove_linked_accounts_at_the_counter(
    api: Api, deps: Deps
) -> None:
    e = enrol_online(api, deps)
    other = make_account(deps, e.person)
    error = api.refused(422, "E9_VERSION_CANNOT_LINK_AT_COUNTER", ADD, e.teller, **e.body(other))
    assert error["params"]["version"] == "ordinary"
    api.refused(422, "E9_VERSION_CANNOT_LINK_AT_COUNTER", REMOVE, e.teller, **e.body(other))


@pytest.mark.rule("E9", kind="refuse")
@pytest.mark.parametrize("kind", NOT_LINKABLE)
def test_819102_refuses_the_account_kinds_the_counter_cannot_add(
    api: Api, deps: Deps, kind: AccountKind
) -> None:
    e = enrol(api, deps)
    account = make_account(deps, e.person, kind)
    error = api.refused(422, "E9_ACCOUNT_KIND_NOT_LINKABLE", ADD, e.teller, **e.body(account))
    assert error["params"]["kind"] == kind.value


@pytest.mark.rule("E9", kind="refuse")
def test_the_registration_account_cannot_be_removed_with_819103(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    api.refused(422, "E9_REGISTRATION_ACCOUNT_NOT_REMOVABLE", REMOVE, e.teller, **e.body(e.card))


@pytest.mark.rule("E6", kind="allow")
@pytest.mark.rule("E10", kind="allow")
@pytest.mark.rule("E10", kind="refuse")
def test_an_account_linked_online_cannot_pay_out_until_819102_re_adds_it(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    login = api.customer_token("edb", e.card)
    r = api.post(LINK_ONLINE, login, account_number=other, account_pin=PIN)
    assert r.status_code == 201, r.text
    assert r.json()["origin"] == "online" and r.json()["can_pay_out"] is False
    me = accounts_by_number(api, login)
    assert me[other]["link_origin"] == "online" and me[other]["can_pay_out"] is False
    assert me[e.card]["can_pay_out"] is True
    r = api.post(ADD, e.teller, **e.body(other))
    assert r.status_code == 201, r.text
    assert r.json()["action"] == "re_add"
    me = accounts_by_number(api, login)
    assert me[other]["link_origin"] == "counter" and me[other]["can_pay_out"] is True
    api.refused(409, "E6_ALREADY_LINKED", ADD, e.teller, **e.body(other))  # re-adding twice


@pytest.mark.rule("E6", kind="refuse")
def test_linking_an_already_linked_account_online_is_a_conflict(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    login = api.customer_token("edb", e.card)
    assert api.post(LINK_ONLINE, login, account_number=other, account_pin=PIN).status_code == 201
    api.refused(409, "E6_ALREADY_LINKED", LINK_ONLINE, login, account_number=other, account_pin=PIN)
    api.refused(409, "E6_ALREADY_LINKED", LINK_ONLINE, login, account_number=e.card, account_pin=PIN)


@pytest.mark.rule("C2", kind="refuse")
def test_an_account_of_another_customer_cannot_be_linked_online(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    stranger = make_customer(deps)
    theirs = make_account(deps, stranger)
    login = api.customer_token("edb", e.card)
    api.refused(422, "C2_ACCOUNT_NOT_CUSTOMERS", LINK_ONLINE, login, account_number=theirs, account_pin=PIN)


@pytest.mark.rule("E10", kind="refuse")
def test_a_wrong_pin_links_nothing_online(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    login = api.customer_token("edb", e.card)
    r = api.post(LINK_ONLINE, login, account_number=other, account_pin="000000")
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTHENTICATION_FAILED"
    assert accounts_by_number(api, login).keys() == {e.card}


@pytest.mark.rule("E11", kind="refuse")
@pytest.mark.parametrize("flag", FLAGS)
def test_819102_is_refused_while_the_account_carries_a_c3_flag(api: Api, deps: Deps, flag: str) -> None:
    e = enrol(api, deps)
    flagged = make_account(deps, e.person, flags=(flag,))
    error = api.refused(422, "E11_ACCOUNT_STATUS_BLOCKS", ADD, e.teller, **e.body(flagged))
    assert error["params"]["flags"] == flag


@pytest.mark.rule("E11", kind="refuse")
def test_819102_cannot_re_add_an_online_link_while_the_account_is_flagged(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    login = api.customer_token("edb", e.card)
    assert api.post(LINK_ONLINE, login, account_number=other, account_pin=PIN).status_code == 201
    r = api.post(
        "/api/v1/teller/transactions/status-flags",
        e.teller,
        customer_number=e.person.number,
        account_number=other,
        flag="under_watch",
        action="set",
    )
    assert r.status_code == 200, r.text
    api.refused(422, "E11_ACCOUNT_STATUS_BLOCKS", ADD, e.teller, **e.body(other))
    assert accounts_by_number(api, login)[other]["can_pay_out"] is False


@pytest.mark.rule("E11", kind="allow")
@pytest.mark.parametrize("kind", ["verbal", "written", "pin"])
def test_819103_removes_a_linked_account_whatever_its_status_flags(api: Api, deps: Deps, kind: str) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    assert api.post(ADD, e.teller, **e.body(other)).status_code == 201
    r = api.post("/api/v1/teller/transactions/card-loss", e.teller, **e.body(other, kind=kind))
    assert r.status_code == 200, r.text
    assert teller_view(api, e)[other]["flags"] == [f"{kind}_loss"]
    r = api.post(REMOVE, e.teller, **e.body(other))
    assert r.status_code == 200, r.text
    view = teller_view(api, e)[other]
    assert view["linked"] is False and view["flags"] == [f"{kind}_loss"]


@pytest.mark.rule("C2", kind="refuse")
def test_819102_and_819103_refuse_an_account_of_another_customer(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    stranger = make_customer(deps)
    theirs = make_account(deps, stranger)
    api.refused(422, "C2_ACCOUNT_NOT_CUSTOMERS", ADD, e.teller, **e.body(theirs))
    api.refused(422, "C2_ACCOUNT_NOT_CUSTOMERS", REMOVE, e.teller, **e.body(theirs))
