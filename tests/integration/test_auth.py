"""Authentication and sessions (E1, C3, E7, E11, E12, E13): card/passbook login, wrong-PIN and
login-password lock-outs, the teller's password reset, sessions, staff roles and the generic,
localized refusals. On SQLite and PostgreSQL; every refusal that must change nothing is checked
to leave the database unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from netbank.adapters.clock import SettableClock
from netbank.domain.account import AccountKind
from netbank.services.ports import Deps
from tests.builders import (
    LOGIN_PASSWORD,
    PIN,
    STAFF_PASSWORD,
    Api,
    Person,
    bearer,
    make_account,
    make_customer,
)

LOGIN = "/api/v1/institutions/edb/login"
CARD_LOGIN = "/api/v1/institutions/edb/card-login"
TELLER_LOGIN = "/api/v1/teller/login"
RESET = "/api/v1/teller/transactions/password-reset"
NEW_PASSWORD = "Changed#2027"
WRONG = "Wrong#Pass99"


@dataclass
class Enrolled:
    person: Person
    card: str


def enrol(api: Api, deps: Deps, version: str = "otp") -> Enrolled:
    """A customer enrolled at the counter with LOGIN_PASSWORD (the card is the login id)."""
    p = make_customer(deps)
    card = make_account(deps, p, label="card")
    token = api.teller_token()
    r = api.post(
        "/api/v1/teller/transactions/819101/add",
        token,
        customer_number=p.number,
        identity_check_id=api.check(token, p),
        version=version,
        registration_account_number=card,
        login_password=LOGIN_PASSWORD,
        otp_phone="13912345678",
    )
    assert r.status_code == 201, r.text
    return Enrolled(p, card)


def self_register(api: Api, deps: Deps) -> Enrolled:
    """A customer of the ordinary version, self-registered online with LOGIN_PASSWORD."""
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
    return Enrolled(p, card)


def login(api: Api, login_id: str, password: str) -> Any:
    return api.post(LOGIN, login_id=login_id, password=password)


def error_code(r: Any) -> str:
    return str(r.json()["error"]["code"])


def lock_login(api: Api, card: str) -> None:
    """E13: five wrong passwords; the fifth answers that the login is now locked."""
    for _ in range(4):
        r = login(api, card, WRONG)
        assert r.status_code == 401 and error_code(r) == "AUTHENTICATION_FAILED", r.text
    r = login(api, card, WRONG)
    assert r.status_code == 423 and error_code(r) == "E13_LOGIN_LOCKED", r.text


def reset_body(api: Api, token: str, e: Enrolled, account: str | None = None, **over: Any) -> dict[str, Any]:
    return {
        "customer_number": e.person.number,
        "identity_check_id": api.check(token, e.person),
        "registration_account_number": account or e.card,
        "new_password": NEW_PASSWORD,
        **over,
    }


# --- E1: the card/passbook version ------------------------------------------------------------


@pytest.mark.rule("E1", kind="allow")
@pytest.mark.parametrize("kind", [AccountKind.DEBIT_MAIN_CARD, AccountKind.DEMAND_PASSBOOK])
def test_card_login_opens_a_query_session_on_that_one_account(
    api: Api, deps: Deps, kind: AccountKind
) -> None:
    p = make_customer(deps)
    account = make_account(deps, p, kind)
    make_account(deps, p)  # another account of the same customer stays out of sight
    r = api.post(CARD_LOGIN, account_number=account, pin=PIN)
    assert r.status_code == 200, r.text
    assert r.json()["principal"] == "card" and r.json()["level"] == 10
    me = api.get("/api/v1/me", r.json()["token"])
    assert me.status_code == 200, me.text
    assert me.json()["contract"] is None
    assert [(a["number"], a["kind"]) for a in me.json()["accounts"]] == [(account, kind.value)]


@pytest.mark.rule("E1", kind="refuse")
def test_a_card_session_can_only_query(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    other = make_account(deps, p)
    token = api.post(CARD_LOGIN, account_number=card, pin=PIN).json()["token"]
    api.refused(
        422, "E1_QUERY_ONLY", "/api/v1/me/linked-accounts", token, account_number=other, account_pin=PIN
    )
    api.refused(
        422, "E1_QUERY_ONLY", "/api/v1/me/password", token, old_password=PIN, new_password=NEW_PASSWORD
    )
    r = api.get("/api/v1/me/sessions", token)
    assert r.status_code == 422 and error_code(r) == "E1_QUERY_ONLY"


@pytest.mark.rule("E1", kind="refuse")
@pytest.mark.parametrize("kind", [AccountKind.CERTIFICATE_OF_DEPOSIT, AccountKind.TREASURY_BOND_RECEIPT])
def test_a_deposit_certificate_or_bond_receipt_cannot_log_in(api: Api, deps: Deps, kind: AccountKind) -> None:
    p = make_customer(deps)
    account = make_account(deps, p, kind)
    error = api.refused(422, "E1_NOT_A_LOGIN_ACCOUNT", CARD_LOGIN, account_number=account, pin=PIN)
    assert error["params"]["kind"] == kind.value


# --- C3: wrong PINs -----------------------------------------------------------------------------


@pytest.mark.rule("C3", kind="refuse")
def test_the_third_wrong_pin_sets_wrong_pin_exceeded_and_then_even_the_right_pin_is_refused(
    api: Api, deps: Deps
) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    for _ in range(2):
        r = api.post(CARD_LOGIN, account_number=card, pin="000000")
        assert r.status_code == 401 and error_code(r) == "AUTHENTICATION_FAILED", r.text
    r = api.post(CARD_LOGIN, account_number=card, pin="000000")
    assert r.status_code == 423 and error_code(r) == "C3_WRONG_PIN_EXCEEDED", r.text
    teller = api.teller_token()
    view = api.get(f"/api/v1/teller/customers/{p.number}", teller).json()
    assert {a["number"]: a["flags"] for a in view["accounts"]}[card] == ["wrong_pin_exceeded"]
    api.refused(423, "C3_WRONG_PIN_EXCEEDED", CARD_LOGIN, account_number=card, pin=PIN)


@pytest.mark.rule("C3", kind="allow")
def test_a_right_pin_starts_the_count_of_wrong_pins_again(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    card = make_account(deps, p)
    for pin in ("000000", "000000", PIN, "000000", "000000"):
        r = api.post(CARD_LOGIN, account_number=card, pin=pin)
        assert r.status_code == (200 if pin == PIN else 401), r.text
    assert api.post(CARD_LOGIN, account_number=card, pin=PIN).status_code == 200


# --- E13: the customer-level login password -------------------------------------------------


@pytest.mark.rule("E13", kind="allow")
def test_the_login_password_is_customer_level_and_survives_an_upgrade(api: Api, deps: Deps) -> None:
    e = self_register(api, deps)
    p, card = e.person, e.card
    r = login(api, card, LOGIN_PASSWORD)
    assert r.status_code == 200 and r.json()["principal"] == "customer" and r.json()["level"] == 20
    teller = api.teller_token()
    r = api.post(
        "/api/v1/teller/transactions/819101/modify",
        teller,
        customer_number=p.number,
        identity_check_id=api.check(teller, p),
        registration_account_number=card,
        version="certificate",
        **{"ukey_serial": "UK1-0042", "ukey_generation": 1},
    )
    assert r.status_code == 200, r.text
    token = api.customer_token("edb", card, LOGIN_PASSWORD)
    assert api.get("/api/v1/me", token).json()["contract"]["version"] == "certificate"


@pytest.mark.rule("E13", kind="refuse")
def test_five_wrong_passwords_lock_the_login_and_then_even_the_right_one_is_refused(
    api: Api, deps: Deps
) -> None:
    e = enrol(api, deps)
    lock_login(api, e.card)
    api.refused(423, "E13_LOGIN_LOCKED", LOGIN, login_id=e.card, password=LOGIN_PASSWORD)
    teller = api.teller_token()
    view = api.get(f"/api/v1/teller/customers/{e.person.number}", teller).json()
    assert view["contract"]["login_locked"] is True


@pytest.mark.rule("E13", kind="allow")
def test_four_wrong_passwords_do_not_lock_and_a_right_one_starts_the_count_again(
    api: Api, deps: Deps
) -> None:
    e = enrol(api, deps)
    for _ in range(4):
        assert login(api, e.card, WRONG).status_code == 401
    assert login(api, e.card, LOGIN_PASSWORD).status_code == 200
    for _ in range(4):
        assert login(api, e.card, WRONG).status_code == 401
    assert login(api, e.card, LOGIN_PASSWORD).status_code == 200


@pytest.mark.rule("E13", kind="allow")
@pytest.mark.rule("E7", kind="allow")
def test_a_teller_reset_unlocks_the_login_and_ends_the_old_sessions(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    old = api.customer_token("edb", e.card)
    lock_login(api, e.card)
    teller = api.teller_token(branch="B2")
    r = api.post(RESET, teller, **reset_body(api, teller, e))
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "NB-PASSWORD-RESET" and r.json()["details"] == {"was_locked": True}
    assert NEW_PASSWORD not in r.text
    r = api.get("/api/v1/me", old)
    assert r.status_code == 401 and error_code(r) == "SESSION_INVALID"
    assert login(api, e.card, LOGIN_PASSWORD).status_code == 401  # the old password is gone
    new = api.customer_token("edb", e.card, NEW_PASSWORD)
    assert api.get("/api/v1/me", new).json()["contract"]["login_locked"] is False


@pytest.mark.rule("E13", kind="allow")
def test_a_teller_resets_the_password_of_an_ordinary_customer_too(api: Api, deps: Deps) -> None:
    e = self_register(api, deps)
    teller = api.teller_token()
    r = api.post(RESET, teller, **reset_body(api, teller, e))
    assert r.status_code == 200, r.text
    assert r.json()["details"] == {"was_locked": False}
    token = api.customer_token("edb", e.card, NEW_PASSWORD)
    assert api.get("/api/v1/me", token).json()["contract"]["version"] == "ordinary"


@pytest.mark.rule("E7", kind="refuse")
@pytest.mark.rule("E13", kind="refuse")
def test_a_password_reset_needs_the_registration_account(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    other = make_account(deps, e.person)
    teller = api.teller_token()
    api.refused(422, "E7_REGISTRATION_ACCOUNT_REQUIRED", RESET, teller, **reset_body(api, teller, e, other))
    assert login(api, e.card, LOGIN_PASSWORD).status_code == 200


@pytest.mark.rule("E11", kind="refuse")
@pytest.mark.rule("E13", kind="refuse")
def test_a_password_reset_is_refused_while_the_registration_account_is_flagged(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    teller = api.teller_token()
    r = api.post(
        "/api/v1/teller/transactions/status-flags",
        teller,
        customer_number=e.person.number,
        account_number=e.card,
        flag="fraud_hold",
        action="set",
    )
    assert r.status_code == 200, r.text
    error = api.refused(422, "E11_ACCOUNT_STATUS_BLOCKS", RESET, teller, **reset_body(api, teller, e))
    assert error["params"]["flags"] == "fraud_hold"


@pytest.mark.rule("E13", kind="refuse")
def test_a_reset_to_a_weak_password_is_refused(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    teller = api.teller_token()
    api.refused(
        422, "E13_PASSWORD_POLICY", RESET, teller, **reset_body(api, teller, e, new_password="password")
    )


# --- sessions -----------------------------------------------------------------------------------


@pytest.mark.rule("E13", kind="allow")
def test_a_customer_lists_their_sessions_and_revokes_one(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    first = login(api, e.card, LOGIN_PASSWORD).json()
    second = login(api, e.card, LOGIN_PASSWORD).json()
    listed = api.get("/api/v1/me/sessions", first["token"]).json()
    assert sorted(s["id"] for s in listed) == sorted([first["session_id"], second["session_id"]])
    r = api.client.delete(f"/api/v1/me/sessions/{second['session_id']}", headers=bearer(first["token"]))
    assert r.status_code == 204, r.text
    r = api.get("/api/v1/me", second["token"])
    assert r.status_code == 401 and error_code(r) == "SESSION_INVALID"
    assert [s["id"] for s in api.get("/api/v1/me/sessions", first["token"]).json()] == [first["session_id"]]


@pytest.mark.rule("E13", kind="refuse")
def test_a_customer_cannot_revoke_a_session_of_someone_else(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    stranger = enrol(api, deps)
    mine = api.customer_token("edb", e.card)
    theirs = login(api, stranger.card, LOGIN_PASSWORD).json()
    r = api.client.delete(f"/api/v1/me/sessions/{theirs['session_id']}", headers=bearer(mine))
    assert r.status_code == 404 and error_code(r) == "SESSION_NOT_FOUND"
    assert api.get("/api/v1/me", theirs["token"]).status_code == 200


@pytest.mark.rule("E13", kind="allow")
def test_logout_ends_the_session(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    token = api.customer_token("edb", e.card)
    assert api.get("/api/v1/me", token).status_code == 200
    r = api.post("/api/v1/logout", token)
    assert r.status_code == 204, r.text
    r = api.get("/api/v1/me", token)
    assert r.status_code == 401 and error_code(r) == "SESSION_INVALID"
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.rule("E13", kind="refuse")
def test_an_idle_session_ends_after_fifteen_minutes(api: Api, deps: Deps, clock: SettableClock) -> None:
    e = enrol(api, deps)
    token = api.customer_token("edb", e.card)
    busy = api.customer_token("edb", e.card)
    for _ in range(2):  # a session in use stays alive past the idle time
        clock.advance(timedelta(minutes=10))
        assert api.get("/api/v1/me", busy).status_code == 200
    r = api.get("/api/v1/me", token)  # idle for 20 minutes
    assert r.status_code == 401 and error_code(r) == "SESSION_INVALID"
    clock.advance(timedelta(minutes=16))
    assert api.get("/api/v1/me", busy).status_code == 401


# --- who may do what ----------------------------------------------------------------------------


@pytest.mark.rule("E12", kind="refuse")
def test_customers_cannot_call_teller_endpoints_and_tellers_cannot_call_customer_ones(
    api: Api, deps: Deps
) -> None:
    e = enrol(api, deps)
    customer = api.customer_token("edb", e.card)
    card = api.post(CARD_LOGIN, account_number=e.card, pin=PIN).json()["token"]
    body = {
        "customer_number": e.person.number,
        "document_type": e.person.doc_type.value,
        "document_number": e.person.doc_number,
    }
    for token in (customer, card):
        api.refused(403, "PERMISSION_DENIED", "/api/v1/teller/identity-checks", token, **body)
        r = api.get(f"/api/v1/teller/customers/{e.person.number}", token)
        assert r.status_code == 403 and error_code(r) == "PERMISSION_DENIED"
    teller = api.teller_token()
    r = api.get("/api/v1/me", teller)
    assert r.status_code == 403 and error_code(r) == "PERMISSION_DENIED"
    api.refused(
        403, "PERMISSION_DENIED", "/api/v1/me/linked-accounts", teller, account_number=e.card, account_pin=PIN
    )


@pytest.mark.rule("E12", kind="refuse")
def test_an_auditor_reads_the_audit_trail_but_runs_no_counter_transaction(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    auditor = api.teller_token(number="U001")
    error = api.refused(
        403,
        "TELLER_ROLE_REQUIRED",
        "/api/v1/teller/identity-checks",
        auditor,
        customer_number=e.person.number,
        document_type=e.person.doc_type.value,
        document_number=e.person.doc_number,
    )
    assert error["params"]["role"] == "teller"
    r = api.get("/api/v1/teller/audit/verify", auditor)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True and r.json()["breaks"] == [] and r.json()["chains"]["edb"] > 0
    r = api.get("/api/v1/teller/audit/verify", api.teller_token())  # a teller is not an auditor
    assert r.status_code == 403 and error_code(r) == "TELLER_ROLE_REQUIRED"


@pytest.mark.rule("E12", kind="refuse")
def test_five_wrong_teller_passwords_lock_the_teller_out(api: Api) -> None:
    earlier = api.teller_token()
    body = {"institution_code": "edb", "teller_number": "T001"}
    for _ in range(4):
        r = api.post(TELLER_LOGIN, **body, password=WRONG)
        assert r.status_code == 401 and error_code(r) == "AUTHENTICATION_FAILED", r.text
    r = api.post(TELLER_LOGIN, **body, password=WRONG)
    assert r.status_code == 423 and error_code(r) == "TELLER_LOCKED", r.text  # the fifth locks
    api.refused(423, "TELLER_LOCKED", TELLER_LOGIN, **body, password=STAFF_PASSWORD)
    r = api.get("/api/v1/teller/customers", earlier)
    assert r.status_code == 401 and error_code(r) == "SESSION_INVALID"  # the lock ends live sessions too
    assert api.teller_token(number="T002")  # other tellers work on


# --- refusals that give nothing away, in the customer's language ------------------------------


@pytest.mark.rule("E13", kind="refuse")
def test_unknown_login_id_and_wrong_password_get_the_same_answer(api: Api, deps: Deps) -> None:
    e = enrol(api, deps)
    not_enrolled = make_account(deps, make_customer(deps))
    answers = [
        login(api, "6200000000000000", WRONG),
        login(api, not_enrolled, WRONG),
        login(api, e.card, WRONG),
    ]
    assert [r.status_code for r in answers] == [401, 401, 401]
    bodies = [r.json() for r in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["error"]["code"] == "AUTHENTICATION_FAILED" and bodies[0]["error"]["params"] == {}
    teller_unknown = api.post(TELLER_LOGIN, institution_code="edb", teller_number="T999", password=WRONG)
    teller_wrong = api.post(TELLER_LOGIN, institution_code="edb", teller_number="T002", password=WRONG)
    assert teller_unknown.status_code == teller_wrong.status_code == 401
    assert teller_unknown.json() == teller_wrong.json() == bodies[0]


@pytest.mark.rule("E1", kind="refuse")
def test_a_refusal_is_explained_in_korean_chinese_and_english(api: Api, deps: Deps) -> None:
    p = make_customer(deps)
    account = make_account(deps, p, AccountKind.CERTIFICATE_OF_DEPOSIT)
    messages = {
        lang: api.refused(
            422, "E1_NOT_A_LOGIN_ACCOUNT", CARD_LOGIN, lang=lang, account_number=account, pin=PIN
        )["message"]
        for lang in ("ko", "zh", "en")
    }
    assert all(m.strip() for m in messages.values())
    assert len(set(messages.values())) == 3
    assert any("\uac00" <= ch <= "\ud7a3" for ch in messages["ko"])  # Hangul
    assert any("\u4e00" <= ch <= "\u9fff" for ch in messages["zh"])  # CJK ideographs


@pytest.mark.rule("E13", kind="allow")
def test_the_session_list_leaves_out_idle_sessions(api: Api, deps: Deps, clock: SettableClock) -> None:
    e = enrol(api, deps)
    idle = login(api, e.card, LOGIN_PASSWORD).json()
    clock.advance(timedelta(minutes=10))
    busy = login(api, e.card, LOGIN_PASSWORD).json()
    clock.advance(timedelta(minutes=10))
    listed = api.get("/api/v1/me/sessions", busy["token"]).json()
    assert [s["id"] for s in listed] == [busy["session_id"]]
    assert api.get("/api/v1/me", idle["token"]).status_code == 401
