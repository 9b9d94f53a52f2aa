"""Counter transaction 819101 add / modify / delete (E3, E4, E7, E8, E11, E12, E14, E15)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from netbank.adapters.clock import SettableClock
from netbank.domain.account import AccountKind
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, PIN, Api, Person, make_account, make_customer

ADD = "/api/v1/teller/transactions/819101/add"
MODIFY = "/api/v1/teller/transactions/819101/modify"
DELETE = "/api/v1/teller/transactions/819101/delete"
OTP = {"otp_phone": "13912345678"}
UKEY = {"ukey_serial": "UK2-0001", "ukey_generation": 2}


def add_body(
    p: Person, check: int, card: str, version: str = "otp", medium: dict[str, Any] | None = None, **over: Any
) -> dict[str, Any]:
    return {
        "customer_number": p.number,
        "identity_check_id": check,
        "version": version,
        "registration_account_number": card,
        "login_password": LOGIN_PASSWORD,
        **(OTP if medium is None else medium),
        **over,
    }


@pytest.fixture
def person(deps: Deps, api: Api) -> Person:
    p = make_customer(deps)
    make_account(deps, p, label="card")
    return p


@pytest.mark.rule("E4", kind="allow")
@pytest.mark.rule("E12", kind="allow")
@pytest.mark.parametrize(("version", "medium"), [("otp", OTP), ("certificate", UKEY)])
def test_819101_add_opens_otp_and_certificate_versions_and_records_teller_and_branch(
    api: Api, person: Person, version: str, medium: dict[str, Any]
) -> None:
    token = api.teller_token(branch="B2")  # T001 works at another branch today (通兑)
    check = api.check(token, person)
    r = api.post(ADD, token, **add_body(person, check, person.accounts["card"], version, medium))
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["code"] == "819101" and receipt["action"] == "add"
    assert receipt["teller_number"] == "T001" and receipt["branch_code"] == "B2"
    assert receipt["details"]["version"] == version
    history = api.get(f"/api/v1/teller/customers/{person.number}/counter-transactions", token).json()
    assert [(h["code"], h["action"]) for h in history] == [("819101", "add")]
    login = api.customer_token("edb", person.accounts["card"])
    assert api.get("/api/v1/me", login).json()["contract"]["version"] == version


@pytest.mark.rule("E4", kind="refuse")
def test_819101_add_cannot_open_the_ordinary_version(api: Api, person: Person) -> None:
    token = api.teller_token()
    check = api.check(token, person)
    api.refused(
        422,
        "E4_ORDINARY_ONLINE_ONLY",
        ADD,
        token,
        **add_body(person, check, person.accounts["card"], "ordinary", {}),
    )


@pytest.mark.rule("E4", kind="refuse")
def test_819101_add_needs_the_medium_of_the_version(api: Api, person: Person) -> None:
    token = api.teller_token()
    check = api.check(token, person)
    api.refused(
        422, "E4_MEDIUM_REQUIRED", ADD, token, **add_body(person, check, person.accounts["card"], "otp", {})
    )
    api.refused(
        422,
        "E4_MEDIUM_REQUIRED",
        ADD,
        token,
        **add_body(person, check, person.accounts["card"], "certificate", OTP | {"otp_phone": None}),
    )


@pytest.mark.rule("E15", kind="refuse")
def test_819101_add_refuses_a_phs_number_without_area_code(api: Api, person: Person) -> None:
    token = api.teller_token()
    check = api.check(token, person)
    api.refused(
        422,
        "E15_PHS_AREA_CODE_REQUIRED",
        ADD,
        token,
        **add_body(person, check, person.accounts["card"], medium={"otp_phone": "83456789"}),
    )


@pytest.mark.rule("E15", kind="allow")
def test_819101_add_accepts_a_phs_number_with_its_area_code(api: Api, person: Person) -> None:
    token = api.teller_token()
    check = api.check(token, person)
    r = api.post(
        ADD, token, **add_body(person, check, person.accounts["card"], medium={"otp_phone": "021-83456789"})
    )
    assert r.status_code == 201, r.text
    assert r.json()["details"]["otp_phone"].endswith("6789")
    assert "83456789" not in r.text  # shown masked on the receipt


@pytest.mark.rule("E5", kind="refuse")
def test_819101_add_refuses_a_credit_card_as_registration_account(
    api: Api, deps: Deps, person: Person
) -> None:
    credit = make_account(deps, person, AccountKind.CREDIT_CARD)
    token = api.teller_token()
    check = api.check(token, person)
    api.refused(422, "E5_REGISTRATION_ACCOUNT_KIND", ADD, token, **add_body(person, check, credit))


@pytest.mark.rule("E11", kind="refuse")
@pytest.mark.parametrize(
    "flag",
    [
        "verbal_loss",
        "written_loss",
        "pin_loss",
        "initial_pin",
        "wrong_pin_exceeded",
        "under_watch",
        "fraud_hold",
    ],
)
def test_819101_add_is_refused_while_the_card_carries_a_c3_flag(
    api: Api, deps: Deps, person: Person, flag: str
) -> None:
    card = make_account(deps, person, flags=(flag,))
    token = api.teller_token()
    check = api.check(token, person)
    error = api.refused(422, "E11_ACCOUNT_STATUS_BLOCKS", ADD, token, **add_body(person, check, card))
    assert error["params"]["flags"] == flag


@pytest.mark.rule("E12", kind="refuse")
def test_counter_work_needs_an_identity_check_by_the_same_teller_within_its_validity(
    api: Api, person: Person, clock: SettableClock
) -> None:
    t1 = api.teller_token()
    t2 = api.teller_token(number="T002")
    check = api.check(t1, person)
    body = add_body(person, check, person.accounts["card"])
    api.refused(422, "E12_IDENTITY_CHECK_REQUIRED", ADD, t2, **body)
    api.refused(422, "E12_IDENTITY_CHECK_REQUIRED", ADD, t1, **{**body, "identity_check_id": check + 1000})
    clock.advance(timedelta(minutes=31))
    t1 = api.teller_token()  # the first session is idle by now
    api.refused(422, "E12_IDENTITY_CHECK_EXPIRED", ADD, t1, **body)


@pytest.mark.rule("E12", kind="refuse")
def test_identity_check_refuses_a_document_that_does_not_match(api: Api, deps: Deps, person: Person) -> None:
    other = make_customer(deps)
    token = api.teller_token()
    api.refused(
        422,
        "C1_IDENTITY_MISMATCH",
        "/api/v1/teller/identity-checks",
        token,
        customer_number=person.number,
        document_type=person.doc_type.value,
        document_number=other.doc_number,
    )


@pytest.mark.rule("E12", kind="refuse")
def test_a_teller_cannot_act_for_a_customer_of_another_institution(
    api: Api, deps: Deps, person: Person
) -> None:
    kb_teller = api.teller_token("kb")
    api.refused(
        404,
        "CUSTOMER_NOT_FOUND",
        "/api/v1/teller/identity-checks",
        kb_teller,
        customer_number=person.number,
        document_type=person.doc_type.value,
        document_number=person.doc_number,
    )
    r = api.get(f"/api/v1/teller/customers/{person.number}", kb_teller)
    assert r.status_code == 404


@pytest.mark.rule("E3", kind="refuse")
def test_a_second_819101_add_is_refused_and_modify_is_the_way(api: Api, deps: Deps, person: Person) -> None:
    token = api.teller_token()
    check = api.check(token, person)
    assert api.post(ADD, token, **add_body(person, check, person.accounts["card"])).status_code == 201
    api.refused(
        409,
        "E3_ALREADY_ENROLLED",
        ADD,
        token,
        **add_body(person, check, person.accounts["card"], "certificate", UKEY),
    )


@pytest.mark.rule("E3", kind="allow")
@pytest.mark.rule("E8", kind="allow")
def test_upgrade_from_ordinary_to_certificate_is_819101_modify_with_the_a_account(
    api: Api, person: Person
) -> None:
    card = person.accounts["card"]
    r = api.post(
        "/api/v1/institutions/edb/self-registration",
        card_number=card,
        account_pin=PIN,
        name=person.name,
        document_type=person.doc_type.value,
        document_number=person.doc_number,
        login_password=LOGIN_PASSWORD,
    )
    assert r.status_code == 201
    token = api.teller_token()
    check = api.check(token, person)
    r = api.post(
        MODIFY,
        token,
        customer_number=person.number,
        identity_check_id=check,
        registration_account_number=card,
        version="certificate",
        **UKEY,
    )
    assert r.status_code == 200, r.text
    assert r.json()["details"]["from_version"] == "ordinary"
    login = api.customer_token("edb", card)  # same customer-level password (E13)
    assert api.get("/api/v1/me", login).json()["contract"]["ukey_serial"] == "UK2-0001"


@pytest.mark.rule("E7", kind="refuse")
@pytest.mark.rule("E8", kind="refuse")
def test_modify_needs_the_registration_account_itself(api: Api, deps: Deps, person: Person) -> None:
    other_card = make_account(deps, person)
    token = api.teller_token()
    check = api.check(token, person)
    assert api.post(ADD, token, **add_body(person, check, person.accounts["card"])).status_code == 201
    api.refused(
        422,
        "E7_REGISTRATION_ACCOUNT_REQUIRED",
        MODIFY,
        token,
        customer_number=person.number,
        identity_check_id=check,
        registration_account_number=other_card,
        version="certificate",
        **UKEY,
    )


@pytest.mark.rule("E8", kind="refuse")
def test_modify_that_changes_nothing_is_refused(api: Api, person: Person) -> None:
    token = api.teller_token()
    check = api.check(token, person)
    assert api.post(ADD, token, **add_body(person, check, person.accounts["card"])).status_code == 201
    api.refused(
        422,
        "E8_NOTHING_TO_MODIFY",
        MODIFY,
        token,
        customer_number=person.number,
        identity_check_id=check,
        registration_account_number=person.accounts["card"],
        version="otp",
        **OTP,
    )


@pytest.mark.rule("E7", kind="allow")
@pytest.mark.rule("E14", kind="allow")
def test_delete_needs_no_account_and_ends_every_link(api: Api, deps: Deps, person: Person) -> None:
    sub = make_account(deps, person, AccountKind.DEBIT_SUB_CARD, main_card_number=person.accounts["card"])
    token = api.teller_token()
    check = api.check(token, person)
    assert api.post(ADD, token, **add_body(person, check, person.accounts["card"])).status_code == 201
    assert (
        api.post(
            "/api/v1/teller/transactions/819102",
            token,
            customer_number=person.number,
            identity_check_id=check,
            account_number=sub,
        ).status_code
        == 201
    )
    customer_token = api.customer_token("edb", person.accounts["card"])
    r = api.post(DELETE, token, customer_number=person.number, identity_check_id=check)
    assert r.status_code == 200, r.text
    assert r.json()["details"]["links_ended"] == 2
    view = api.get(f"/api/v1/teller/customers/{person.number}", token).json()
    assert view["contract"] is None and not any(a["linked"] for a in view["accounts"])
    assert api.get("/api/v1/me", customer_token).status_code == 401  # sessions of the contract ended
    # Enrolling again after the end is a new add, not a conflict (E3 counts active contracts).
    assert api.post(ADD, token, **add_body(person, check, person.accounts["card"])).status_code == 201


@pytest.mark.rule("E3", kind="refuse")
def test_modify_and_delete_need_an_enrolled_customer(api: Api, person: Person) -> None:
    token = api.teller_token()
    check = api.check(token, person)
    api.refused(404, "E3_NOT_ENROLLED", DELETE, token, customer_number=person.number, identity_check_id=check)
