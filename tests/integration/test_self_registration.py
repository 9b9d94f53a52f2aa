"""Online self-registration of the ordinary version (E2, E3, E4, E5, E13) through the API,
on SQLite and PostgreSQL. Every refusal is checked to leave the database unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from netbank.domain.account import AccountKind
from netbank.domain.customer import CustomerKind
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, PIN, Api, Person, make_account, make_customer

URL = "/api/v1/institutions/edb/self-registration"


def body(p: Person, card: str, **over: Any) -> dict[str, Any]:
    return {
        "card_number": card,
        "account_pin": PIN,
        "name": p.name,
        "document_type": p.doc_type.value,
        "document_number": p.doc_number,
        "login_password": LOGIN_PASSWORD,
        **over,
    }


@pytest.mark.rule("E4", kind="allow")
@pytest.mark.rule("E5", kind="allow")
def test_self_registration_opens_the_ordinary_version_with_the_first_card(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    r = api.post(URL, **body(p, card))
    assert r.status_code == 201, r.text
    assert r.json()["version"] == "ordinary" and r.json()["channel"] == "online"
    token = api.customer_token("edb", card)
    me = api.get("/api/v1/me", token).json()
    assert me["contract"]["version"] == "ordinary"
    assert me["contract"]["registration_account"] == card
    assert [a["link_origin"] for a in me["accounts"]] == ["registration"]


@pytest.mark.rule("E5", kind="refuse")
@pytest.mark.parametrize(
    "kind",
    [
        AccountKind.MERCHANT_CARD,
        AccountKind.FOUR_BANK_CARD,
        AccountKind.CREDIT_CARD,
        AccountKind.DEBIT_SUB_CARD,
        AccountKind.DEMAND_PASSBOOK,
    ],
)
def test_self_registration_refuses_a_registration_account_that_is_not_a_main_card(
    api: Api, deps: Deps, kind: AccountKind
) -> None:
    p = make_customer(deps)
    main = make_account(deps, p)
    card = make_account(deps, p, kind, main_card_number=main if kind is AccountKind.DEBIT_SUB_CARD else None)
    error = api.refused(422, "E5_REGISTRATION_ACCOUNT_KIND", URL, **body(p, card))
    assert error["rule"] == "E5"


@pytest.mark.rule("E3", kind="refuse")
def test_registering_twice_is_refused(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    second = make_account(deps, p)
    assert api.post(URL, **body(p, card)).status_code == 201
    api.refused(409, "E3_ALREADY_ENROLLED", URL, **body(p, second))


@pytest.mark.rule("E2", kind="refuse")
def test_seventeen_year_old_without_own_income_cannot_register(api: Api, deps: Deps) -> None:
    p = make_customer(deps, age_years=17, own_income=False)
    card = make_account(deps, p)
    api.refused(422, "E2_UNDER_AGE", URL, **body(p, card))


@pytest.mark.rule("E2", kind="allow")
def test_seventeen_year_old_living_on_own_income_can_register(api: Api, deps: Deps) -> None:
    p = make_customer(deps, age_years=17, own_income=True)
    card = make_account(deps, p)
    assert api.post(URL, **body(p, card)).status_code == 201


@pytest.mark.rule("E2", kind="refuse")
def test_expired_identity_document_is_refused(api: Api, deps: Deps) -> None:
    today = deps.today_in("Asia/Shanghai")
    from datetime import timedelta

    p = make_customer(deps, doc_expires=today - timedelta(days=1))
    card = make_account(deps, p)
    api.refused(422, "E2_IDENTITY_DOCUMENT_EXPIRED", URL, **body(p, card))


@pytest.mark.rule("E2", kind="refuse")
def test_without_a_real_name_account_registration_is_refused(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p, real_name=False)
    api.refused(422, "E2_NO_REAL_NAME_ACCOUNT", URL, **body(p, card))


@pytest.mark.rule("E2", kind="refuse")
def test_sole_proprietors_are_not_personal_customers(api: Api, deps: Deps) -> None:
    p = make_customer(deps, kind=CustomerKind.SOLE_PROPRIETOR)
    card = make_account(deps, p)
    api.refused(422, "E2_NOT_PERSONAL_CUSTOMER", URL, **body(p, card))


@pytest.mark.rule("C1", kind="refuse")
def test_identity_must_match_the_card_owner(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    other = make_customer(deps)
    card = make_account(deps, p)
    api.refused(422, "C1_IDENTITY_MISMATCH", URL, **body(p, card, document_number=other.doc_number))
    api.refused(422, "C1_IDENTITY_MISMATCH", URL, **body(p, card, name="别人"))


@pytest.mark.rule("E13", kind="refuse")
@pytest.mark.parametrize("password", ["short1!", "alllowercaseletters", "6222"])
def test_weak_login_password_is_refused(api: Api, deps: Deps, password: str) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    api.refused(422, "E13_PASSWORD_POLICY", URL, **body(p, card, login_password=password))


@pytest.mark.rule("E13", kind="refuse")
def test_password_containing_the_card_number_is_refused(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    api.refused(422, "E13_PASSWORD_POLICY", URL, **body(p, card, login_password=f"x{card}!"))


@pytest.mark.rule("E11", kind="refuse")
def test_a_flagged_card_cannot_register_online(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p, flags=("verbal_loss",))
    api.refused(422, "E11_ACCOUNT_STATUS_BLOCKS", URL, **body(p, card))


def test_wrong_pin_is_an_authentication_failure_with_a_generic_message(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    r = api.post(URL, **body(p, card, account_pin="000000"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AUTHENTICATION_FAILED"
    unknown = api.post(URL, **body(p, "6200000000000000"))
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "AUTHENTICATION_FAILED"
