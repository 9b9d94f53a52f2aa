"""Counter work on accounts and the core banking model (C1, C2, C3, E12, E14): loss reports,
same-number replacement, closure, status flags, and the rules for registering customers and
opening accounts. On SQLite and PostgreSQL; every refusal is checked to leave the database
unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from netbank.bootstrap import App
from netbank.demo import cn_id
from netbank.domain.account import AccountKind
from netbank.domain.errors import DomainError
from netbank.services.customers import OpenAccount, RegisterCustomer, open_account, register_customer
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, OPERATOR, PIN, Api, Person, make_account, make_customer, snapshot

ADD_CONTRACT = "/api/v1/teller/transactions/819101/add"
DELETE_CONTRACT = "/api/v1/teller/transactions/819101/delete"
ADD_LINK = "/api/v1/teller/transactions/819102"
LOSS = "/api/v1/teller/transactions/card-loss"
REPLACE = "/api/v1/teller/transactions/card-replacement"
CLOSE = "/api/v1/teller/transactions/account-closure"
FLAGS = "/api/v1/teller/transactions/status-flags"
CARD_LOGIN = "/api/v1/institutions/edb/card-login"
STAFF_FLAGS = ["under_watch", "fraud_hold"]
CUSTOMER_FLAGS = ["verbal_loss", "written_loss", "pin_loss", "initial_pin", "wrong_pin_exceeded"]


@dataclass
class Counter:
    """A customer at the counter: the teller's session and the identity check just made."""

    person: Person
    teller: str
    check: int

    def body(self, account: str, **over: Any) -> dict[str, Any]:
        return {
            "customer_number": self.person.number,
            "identity_check_id": self.check,
            "account_number": account,
            **over,
        }

    def enrol(self, api: Api, card: str) -> None:
        r = api.post(
            ADD_CONTRACT,
            self.teller,
            customer_number=self.person.number,
            identity_check_id=self.check,
            version="otp",
            registration_account_number=card,
            login_password=LOGIN_PASSWORD,
            otp_phone="13912345678",
        )
        assert r.status_code == 201, r.text


def at_counter(api: Api, person: Person) -> Counter:
    token = api.teller_token()
    return Counter(person, token, api.check(token, person))


def accounts(api: Api, token: str, p: Person) -> dict[str, dict[str, Any]]:
    r = api.get(f"/api/v1/teller/customers/{p.number}", token)
    assert r.status_code == 200, r.text
    return {a["number"]: a for a in r.json()["accounts"]}


def new_customer(p: Person, deps: Deps, **over: Any) -> RegisterCustomer:
    fields: dict[str, Any] = {
        "institution_code": p.institution,
        "customer_number": p.number,
        "name": p.name,
        "birth_date": p.birth,
        "mobile": p.mobile,
        "document_type": p.doc_type,
        "document_number": p.doc_number,
        "document_expires_on": deps.today_in("Asia/Shanghai") + timedelta(days=3650),
    }
    return RegisterCustomer(**(fields | over))


# --- loss and same-number replacement (C3, E14) -----------------------------------------


@pytest.mark.rule("C3", kind="allow")
@pytest.mark.parametrize(
    ("kind", "flag"), [("verbal", "verbal_loss"), ("written", "written_loss"), ("pin", "pin_loss")]
)
def test_a_loss_report_sets_its_status_flag(api: Api, deps: Deps, kind: str, flag: str) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    c = at_counter(api, p)
    r = api.post(LOSS, c.teller, **c.body(card, kind=kind))
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "NB-CARD-LOSS" and r.json()["action"] == kind
    assert accounts(api, c.teller, p)[card]["flags"] == [flag]


@pytest.mark.rule("C3", kind="refuse")
def test_reporting_the_same_loss_twice_is_a_conflict(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    c = at_counter(api, p)
    assert api.post(LOSS, c.teller, **c.body(card, kind="verbal")).status_code == 200
    api.refused(409, "C3_FLAG_ALREADY_SET", LOSS, c.teller, **c.body(card, kind="verbal"))


@pytest.mark.rule("E14", kind="allow")
@pytest.mark.parametrize("kind", ["verbal", "written"])
def test_same_number_replacement_keeps_the_number_the_links_and_the_login(
    api: Api, deps: Deps, kind: str
) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    linked = make_account(deps, p)
    c = at_counter(api, p)
    c.enrol(api, card)
    assert api.post(ADD_LINK, c.teller, **c.body(linked)).status_code == 201
    assert api.post(LOSS, c.teller, **c.body(card, kind=kind)).status_code == 200
    r = api.post(REPLACE, c.teller, **c.body(card))
    assert r.status_code == 200, r.text
    assert r.json()["action"] == "same_number" and r.json()["details"]["card_sequence"] == 2
    view = accounts(api, c.teller, p)
    assert view[card]["flags"] == [] and view[card]["card_sequence"] == 2
    assert view[card]["status"] == "open" and view[card]["link_origin"] == "registration"
    assert view[linked]["linked"] is True and view[linked]["link_origin"] == "counter"
    login = api.customer_token("edb", card)
    me = api.get("/api/v1/me", login).json()
    assert me["contract"]["registration_account"] == card
    assert {a["number"] for a in me["accounts"]} == {card, linked}


@pytest.mark.rule("E14", kind="refuse")
def test_replacement_needs_a_card_reported_lost(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    c = at_counter(api, p)
    api.refused(422, "E14_CARD_NOT_REPORTED_LOST", REPLACE, c.teller, **c.body(card))


@pytest.mark.rule("E14", kind="refuse")
def test_a_passbook_is_not_replaced_as_a_card(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    passbook = make_account(deps, p, AccountKind.DEMAND_PASSBOOK)
    c = at_counter(api, p)
    assert api.post(LOSS, c.teller, **c.body(passbook, kind="written")).status_code == 200
    api.refused(422, "E14_REPLACEMENT_NOT_A_CARD", REPLACE, c.teller, **c.body(passbook))


# --- closure (C2, E14) ----------------------------------------------------------------------


@pytest.mark.rule("E14", kind="refuse")
@pytest.mark.rule("E14", kind="allow")
def test_the_registration_card_closes_only_after_819101_delete(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p, balance_minor=0)
    c = at_counter(api, p)
    c.enrol(api, card)
    api.refused(422, "E14_CONTRACT_ACTIVE", CLOSE, c.teller, **c.body(card))
    r = api.post(DELETE_CONTRACT, c.teller, customer_number=p.number, identity_check_id=c.check)
    assert r.status_code == 200, r.text
    r = api.post(CLOSE, c.teller, **c.body(card))
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "NB-ACCOUNT-CLOSURE" and r.json()["action"] == "close"
    assert accounts(api, c.teller, p)[card]["status"] == "closed"
    api.refused(422, "C2_ACCOUNT_CLOSED", CLOSE, c.teller, **c.body(card))


@pytest.mark.rule("C2", kind="refuse")
def test_an_account_with_money_on_it_cannot_be_closed(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p, balance_minor=1)
    c = at_counter(api, p)
    api.refused(422, "C2_BALANCE_NOT_ZERO", CLOSE, c.teller, **c.body(card))


@pytest.mark.rule("E14", kind="allow")
def test_closing_a_linked_account_ends_its_link(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    linked = make_account(deps, p, balance_minor=0)
    c = at_counter(api, p)
    c.enrol(api, card)
    assert api.post(ADD_LINK, c.teller, **c.body(linked)).status_code == 201
    r = api.post(CLOSE, c.teller, **c.body(linked))
    assert r.status_code == 200, r.text
    view = accounts(api, c.teller, p)[linked]
    assert view["status"] == "closed" and view["linked"] is False
    me = api.get("/api/v1/me", api.customer_token("edb", card)).json()
    assert [a["number"] for a in me["accounts"]] == [card]


@pytest.mark.rule("C2", kind="refuse")
def test_an_account_of_another_customer_cannot_be_closed_for_this_one(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    stranger = make_customer(deps)
    theirs = make_account(deps, stranger, balance_minor=0)
    c = at_counter(api, p)
    api.refused(422, "C2_ACCOUNT_NOT_CUSTOMERS", CLOSE, c.teller, **c.body(theirs))


# --- status flags (C3, E12) -----------------------------------------------------------------


@pytest.mark.rule("C3", kind="allow")
@pytest.mark.parametrize("flag", STAFF_FLAGS)
def test_staff_set_and_clear_watch_and_fraud_hold_without_the_customer(
    api: Api, deps: Deps, flag: str
) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    token = api.teller_token()
    r = api.post(FLAGS, token, customer_number=p.number, account_number=card, flag=flag, action="set")
    assert r.status_code == 200, r.text
    assert r.json()["action"] == f"set_{flag}" and r.json()["details"]["flags"] == flag
    assert accounts(api, token, p)[card]["flags"] == [flag]
    r = api.post(FLAGS, token, customer_number=p.number, account_number=card, flag=flag, action="clear")
    assert r.status_code == 200, r.text
    assert accounts(api, token, p)[card]["flags"] == []


@pytest.mark.rule("C3", kind="refuse")
@pytest.mark.rule("E12", kind="refuse")
@pytest.mark.parametrize("flag", CUSTOMER_FLAGS)
def test_customer_flags_need_an_identity_check(api: Api, deps: Deps, flag: str) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    token = api.teller_token()
    api.refused(
        422,
        "E12_IDENTITY_CHECK_REQUIRED",
        FLAGS,
        token,
        customer_number=p.number,
        account_number=card,
        flag=flag,
        action="set",
    )
    check = api.check(token, p)
    r = api.post(
        FLAGS,
        token,
        customer_number=p.number,
        account_number=card,
        flag=flag,
        action="set",
        identity_check_id=check,
    )
    assert r.status_code == 200, r.text
    api.refused(
        422,
        "E12_IDENTITY_CHECK_REQUIRED",
        FLAGS,
        token,
        customer_number=p.number,
        account_number=card,
        flag=flag,
        action="clear",
    )


@pytest.mark.rule("E12", kind="refuse")
def test_an_identity_check_of_another_customer_does_not_count(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    other = make_customer(deps)
    card = make_account(deps, p)
    token = api.teller_token()
    check = api.check(token, other)
    api.refused(
        422,
        "E12_IDENTITY_CHECK_REQUIRED",
        FLAGS,
        token,
        customer_number=p.number,
        account_number=card,
        flag="initial_pin",
        action="set",
        identity_check_id=check,
    )


@pytest.mark.rule("C3", kind="refuse")
def test_setting_a_flag_that_is_set_or_clearing_one_that_is_not_is_a_conflict(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p, flags=("under_watch",))
    token = api.teller_token()
    error = api.refused(
        409,
        "C3_FLAG_ALREADY_SET",
        FLAGS,
        token,
        customer_number=p.number,
        account_number=card,
        flag="under_watch",
        action="set",
    )
    assert error["params"]["flag"] == "under_watch"
    api.refused(
        409,
        "C3_FLAG_NOT_SET",
        FLAGS,
        token,
        customer_number=p.number,
        account_number=card,
        flag="fraud_hold",
        action="clear",
    )


@pytest.mark.rule("C3", kind="allow")
def test_clearing_wrong_pin_exceeded_resets_the_pin_counter(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    for _ in range(3):
        r = api.post(CARD_LOGIN, account_number=card, pin="000000")
    assert r.status_code == 423 and r.json()["error"]["code"] == "C3_WRONG_PIN_EXCEEDED"
    c = at_counter(api, p)
    r = api.post(
        FLAGS,
        c.teller,
        customer_number=p.number,
        account_number=card,
        flag="wrong_pin_exceeded",
        action="clear",
        identity_check_id=c.check,
    )
    assert r.status_code == 200, r.text
    assert accounts(api, c.teller, p)[card]["flags"] == []
    r = api.post(CARD_LOGIN, account_number=card, pin="000000")
    assert r.status_code == 401, r.text  # the count starts again from zero: one wrong PIN does not lock
    r = api.post(CARD_LOGIN, account_number=card, pin=PIN)
    assert r.status_code == 200, r.text
    assert r.json()["principal"] == "card"


# --- the core banking model (C1, C2) ----------------------------------------------------------


@pytest.mark.rule("C2", kind="allow")
def test_a_sub_card_opens_under_a_main_card_of_the_same_customer(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    main = make_account(deps, p)
    sub = make_account(deps, p, AccountKind.DEBIT_SUB_CARD, main_card_number=main)
    assert accounts(api, api.teller_token(), p)[sub]["kind"] == "debit_sub_card"


@pytest.mark.rule("C2", kind="refuse")
@pytest.mark.parametrize("main", ["none", "other_customers_main_card", "own_credit_card"])
def test_a_sub_card_needs_a_main_card_of_the_same_customer(
    api: Api, deps: Deps, app_state: App, main: str
) -> None:
    p = make_customer(deps)
    stranger = make_customer(deps)
    numbers = {
        "none": None,
        "other_customers_main_card": make_account(deps, stranger),
        "own_credit_card": make_account(deps, p, AccountKind.CREDIT_CARD),
    }
    before = snapshot(app_state.engine)
    with pytest.raises(DomainError) as refused:
        open_account(
            deps,
            OPERATOR,
            OpenAccount(
                institution_code="edb",
                customer_number=p.number,
                number="6299000000000001",
                kind=AccountKind.DEBIT_SUB_CARD,
                pin=PIN,
                main_card_number=numbers[main],
            ),
        )
    assert refused.value.code == "C2_SUB_CARD_NEEDS_MAIN_CARD"
    assert snapshot(app_state.engine) == before


@pytest.mark.rule("C1", kind="refuse")
def test_a_customer_number_is_taken_once_per_institution(api: Api, deps: Deps, app_state: App) -> None:
    p = make_customer(deps)
    someone_else = make_customer(deps)
    before = snapshot(app_state.engine)
    with pytest.raises(DomainError) as refused:
        register_customer(deps, OPERATOR, new_customer(someone_else, deps, customer_number=p.number))
    assert refused.value.code == "C1_CUSTOMER_NUMBER_TAKEN"
    assert snapshot(app_state.engine) == before


@pytest.mark.rule("C1", kind="refuse")
def test_one_person_is_one_customer_of_an_institution(api: Api, deps: Deps, app_state: App) -> None:
    p = make_customer(deps)
    before = snapshot(app_state.engine)
    with pytest.raises(DomainError) as refused:
        register_customer(deps, OPERATOR, new_customer(p, deps, customer_number="C999999"))
    assert refused.value.code == "C1_PERSON_ALREADY_CUSTOMER"
    assert snapshot(app_state.engine) == before


@pytest.mark.rule("C1", kind="allow")
def test_the_same_person_can_be_a_customer_of_two_institutions(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    customer = register_customer(
        deps, OPERATOR, new_customer(p, deps, institution_code="kb", mobile="01055550000")
    )
    assert customer.id is not None and customer.customer_number == p.number
    kb_teller = api.teller_token("kb")
    r = api.get(f"/api/v1/teller/customers/{p.number}", kb_teller)
    assert r.status_code == 200, r.text
    assert r.json()["institution_code"] == "kb" and r.json()["name"] == p.name


@pytest.mark.rule("C1", kind="refuse")
def test_the_birth_date_must_match_the_identity_document(api: Api, deps: Deps, app_state: App) -> None:
    p = make_customer(deps)
    other_birth = p.birth - timedelta(days=1)
    before = snapshot(app_state.engine)
    with pytest.raises(DomainError) as refused:
        register_customer(
            deps,
            OPERATOR,
            new_customer(p, deps, customer_number="C999998", document_number=cn_id(other_birth, 999)),
        )
    assert refused.value.code == "C1_BIRTH_DATE_INVALID"
    assert snapshot(app_state.engine) == before
