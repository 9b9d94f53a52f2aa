"""Transfers and bill payments under limits (L1-L4), on the double-entry ledger: who may pay
out (E6, E10, C2, C3), step-up for higher amounts (K2), idempotent retries, the business day
of the institution's time zone, own limits, teller reversals. Through the HTTP API on SQLite
and PostgreSQL; every money-moving test ends with the ledger's proof."""

from __future__ import annotations

import base64
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netbank.adapters.clock import SettableClock
from netbank.domain.errors import DomainError
from netbank.domain.ledger import TransferKind
from netbank.domain.session import AuthLevel
from netbank.entrypoints.cli import app as cli
from netbank.services import auth, payments
from netbank.services.common import CustomerActor
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, PIN, VISITOR, Api, bearer, make_account, make_customer, snapshot
from tests.payments import (
    BILLS,
    LIMITS,
    STATUS_FLAGS,
    TRANSFERS,
    Customer,
    add_payees,
    assert_ledger_ok,
    balance,
    bill_body,
    enrol_at_counter,
    gl_balance,
    link_at_counter,
    login,
    new_key,
    self_registered,
    step_up,
    transfer,
    transfer_body,
)


@pytest.fixture
def payees(api: Api, deps: Deps) -> None:
    add_payees(deps, "edb", "kb")


def otp_session(api: Api, deps: Deps, clock: SettableClock, **kw: Any) -> tuple[Customer, str]:
    """An OTP customer signed in and stepped up to level 30."""
    c = enrol_at_counter(api, deps, "otp", **kw)
    token = login(api, c)
    step_up(api, c, token, clock)
    return c, token


def refused_put(api: Api, status: int, code: str, url: str, token: str, **body: Any) -> dict[str, Any]:
    before = snapshot(api.engine)
    r = api.client.put(url, json=body, headers={"Accept-Language": "en", **bearer(token)})
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text
    assert snapshot(api.engine) == before, "a refused request changed the database"
    return dict(r.json()["error"])


def service_actor(deps: Deps, c: Customer, level: AuthLevel) -> CustomerActor:
    """A signed-in customer for the service layer, at ``level`` (level 40, a certificate
    signature, is the one the API tests cannot reach by step-up)."""
    issued = auth.login_with_password(
        deps,
        VISITOR,
        auth.PasswordLogin(institution_code=c.institution, login_id=c.card, password=LOGIN_PASSWORD),
    )
    return replace(auth.authenticate_customer(deps, issued.token), level=level)


# --- L2: the version's limits; K2 step-up ---------------------------------------------------


@pytest.mark.rule("L2", kind="allow")
@pytest.mark.rule("K2", kind="allow")
def test_an_otp_customer_steps_up_with_totp_and_then_transfers(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c = enrol_at_counter(api, deps, "otp")
    other = make_customer(deps)
    theirs = make_account(deps, other, balance_minor=0)
    token = login(api, c)
    error = api.refused(401, "K2_STEP_UP_REQUIRED", TRANSFERS, token, **transfer_body(c.card, theirs, 10_000))
    assert error["params"]["required_level"] == 30 and error["params"]["current_level"] == 20
    assert error["params"]["methods"][0] == "totp"
    r = transfer(api, token, c.card, theirs, 10_000)
    assert r.headers["WWW-Authenticate"].startswith('Bearer error="insufficient_user_authentication"')
    step_up(api, c, token, clock)
    r = transfer(api, token, c.card, theirs, 10_000)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "internal" and body["status"] == "completed" and body["auth_level"] == 30
    assert body["payer_balance_minor"] == 5_000_000 - 10_000
    assert balance(api, c.card) == 4_990_000 and balance(api, theirs) == 10_000
    assert_ledger_ok(deps)


@pytest.mark.rule("L2", kind="refuse")
def test_the_otp_versions_daily_cumulative_limit_is_10000(api: Api, deps: Deps, clock: SettableClock) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    assert transfer(api, token, c.card, mine, 600_000).status_code == 201
    error = api.refused(
        422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, mine, 400_001)
    )
    assert error["rule"] == "L2"
    assert error["params"] == {"limit_minor": 1_000_000, "left_minor": 400_000}
    r = transfer(api, token, c.card, mine, 400_000)  # exactly up to the limit
    assert r.status_code == 201, r.text
    api.refused(422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, mine, 1))
    assert balance(api, mine) == 1_000_000
    assert_ledger_ok(deps)


@pytest.mark.rule("L2", kind="refuse")
def test_a_daily_limit_refusal_is_explained_in_the_clients_language(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    messages = {
        lang: api.refused(
            422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, token, lang, **transfer_body(c.card, mine, 1_000_001)
        )["message"]
        for lang in ("ko", "zh", "en")
    }
    assert "当日累计限额" in messages["zh"] and "1000000" in messages["zh"]
    assert "누적 한도" in messages["ko"]
    assert "cumulative limit" in messages["en"]


@pytest.mark.rule("L2", kind="refuse")
def test_the_ordinary_version_cannot_transfer(api: Api, deps: Deps) -> None:
    c = self_registered(api, deps)
    other = make_account(deps, make_customer(deps))
    token = login(api, c)
    error = api.refused(
        422, "L2_VERSION_CANNOT_TRANSFER", TRANSFERS, token, **transfer_body(c.card, other, 100)
    )
    assert error["rule"] == "L2"


@pytest.mark.rule("L2", kind="allow")
@pytest.mark.rule("L2", kind="refuse")
def test_the_ordinary_version_pays_bills_up_to_500_a_day(api: Api, deps: Deps, payees: None) -> None:
    c = self_registered(api, deps)
    token = login(api, c)
    listed = api.get("/api/v1/me/payees", token).json()
    assert [p["code"] for p in listed] == ["CMCC", "SH-POWER"]
    r = api.post(BILLS, token, **bill_body(c.card, 30_000))
    assert r.status_code == 201, r.text
    assert (
        r.json()["kind"] == "bill" and r.json()["payee_code"] == "SH-POWER" and r.json()["auth_level"] == 20
    )
    assert api.post(BILLS, token, **bill_body(c.card, 20_000, "CMCC")).status_code == 201
    error = api.refused(422, "L2_BILL_PAYMENT_LIMIT_EXCEEDED", BILLS, token, "zh", **bill_body(c.card, 1))
    assert error["params"] == {"limit_minor": 50_000, "left_minor": 0}
    assert "缴费限额" in error["message"]
    assert balance(api, c.card) == 5_000_000 - 50_000
    assert gl_balance(api, "edb", "2241") == 50_000  # owed to the payees
    limits = api.get(LIMITS, token).json()
    assert limits["bill_payments_today_minor"] == 50_000 and limits["bill_payment_left_today_minor"] == 0
    assert_ledger_ok(deps)


def test_a_bill_to_an_unknown_payee_is_not_found(api: Api, deps: Deps, payees: None) -> None:
    c = self_registered(api, deps)
    api.refused(404, "PAYEE_NOT_FOUND", BILLS, login(api, c), **bill_body(c.card, 100, "NOBODY"))


@pytest.mark.rule("L2", kind="allow")
@pytest.mark.rule("K2", kind="refuse")
def test_a_certificate_customer_is_asked_for_the_lowest_level_that_fits(api: Api, deps: Deps) -> None:
    c = enrol_at_counter(api, deps, "certificate", balance_minor=200_000_000)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    token = login(api, c)
    small = api.refused(401, "K2_STEP_UP_REQUIRED", TRANSFERS, token, **transfer_body(c.card, mine, 100))
    assert small["params"]["required_level"] == 30 and "totp" not in small["params"]["methods"]
    big = api.refused(401, "K2_STEP_UP_REQUIRED", TRANSFERS, token, **transfer_body(c.card, mine, 5_000_000))
    assert big["params"]["required_level"] == 40  # above the OTP level's 10,000 a day
    # With a certificate signature (level 40) the version's 1,000,000 a day is in force.
    actor = service_actor(deps, c, AuthLevel.CERTIFICATE)
    req = payments.MakeTransfer(
        idempotency_key=new_key(), from_account=c.card, to_account=mine, amount_minor=100_000_000
    )
    assert payments.make_transfer(deps, actor, req).transfer.auth_level == 40
    with pytest.raises(DomainError) as refused:
        payments.make_transfer(deps, actor, replace(req, idempotency_key=new_key(), amount_minor=1))
    assert refused.value.code == "L2_DAILY_LIMIT_EXCEEDED"
    assert balance(api, mine) == 100_000_000
    assert_ledger_ok(deps)


# --- L1: per-transaction <= daily; own limits --------------------------------------------------


@pytest.mark.rule("L1", kind="allow")
@pytest.mark.rule("L1", kind="refuse")
def test_a_customer_lowers_their_own_limits_and_they_hold(api: Api, deps: Deps, clock: SettableClock) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    r = api.client.put(
        LIMITS, json={"per_transaction_minor": 50_000, "daily_minor": 200_000}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["version_limits"] == {
        "per_transaction_minor": None,
        "daily_minor": 1_000_000,
        "bill_payment_daily_minor": 0,
    }
    assert view["in_force"]["per_transaction_minor"] == 50_000 and view["in_force"]["daily_minor"] == 200_000
    error = api.refused(
        422, "L1_PER_TRANSACTION_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, mine, 50_001)
    )
    assert error["params"] == {"limit_minor": 50_000}
    for _ in range(4):
        assert transfer(api, token, c.card, mine, 50_000).status_code == 201
    error = api.refused(422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, mine, 1))
    assert error["params"] == {"limit_minor": 200_000, "left_minor": 0}
    # Restoring the version's limits (null) lets the rest of the version's day through.
    r = api.client.put(
        LIMITS, json={"per_transaction_minor": None, "daily_minor": None}, headers=bearer(token)
    )
    assert r.status_code == 200 and r.json()["left_today_minor"] == 800_000, r.text
    assert transfer(api, token, c.card, mine, 800_000).status_code == 201
    assert_ledger_ok(deps)


@pytest.mark.rule("L1", kind="refuse")
def test_own_limits_can_never_be_raised_past_the_versions(api: Api, deps: Deps) -> None:
    c = enrol_at_counter(api, deps, "otp")
    token = login(api, c)
    error = refused_put(api, 422, "L1_OWN_LIMIT_ABOVE_VERSION", LIMITS, token, daily_minor=1_000_001)
    assert error["params"] == {"limit_minor": 1_000_000}
    refused_put(
        api,
        422,
        "L1_PER_TRANSACTION_ABOVE_DAILY",
        LIMITS,
        token,
        per_transaction_minor=300_000,
        daily_minor=200_000,
    )
    refused_put(api, 422, "L1_PER_TRANSACTION_ABOVE_DAILY", LIMITS, token, per_transaction_minor=1_000_001)
    kb = enrol_at_counter(api, deps, "otp", institution="kb")
    error = refused_put(
        api, 422, "L1_OWN_LIMIT_ABOVE_VERSION", LIMITS, login(api, kb), per_transaction_minor=10_000_001
    )
    assert error["params"] == {"limit_minor": 10_000_000}
    assert api.get(LIMITS, token).json()["own_daily_minor"] is None


@pytest.mark.rule("L1", kind="refuse")
def test_a_payment_the_strongest_level_would_refuse_asks_for_no_step_up(api: Api, deps: Deps) -> None:
    c = enrol_at_counter(api, deps, "otp")
    mine = link_at_counter(api, deps, c, balance_minor=0)
    token = login(api, c)
    assert (
        api.client.put(LIMITS, json={"per_transaction_minor": 1_000}, headers=bearer(token)).status_code
        == 200
    )
    api.refused(
        422, "L1_PER_TRANSACTION_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, mine, 1_001)
    )
    api.refused(401, "K2_STEP_UP_REQUIRED", TRANSFERS, token, **transfer_body(c.card, mine, 1_000))


@pytest.mark.rule("L1", kind="refuse")
def test_own_daily_limit_also_bounds_bill_payments_at_the_password_level(
    api: Api, deps: Deps, clock: SettableClock, payees: None
) -> None:
    """A customer who lowered their daily limit is not paid past it by a session that signed in
    with the password only (the ordinary version's bill-payment limit applies there)."""
    c, token = otp_session(api, deps, clock)
    assert api.client.put(LIMITS, json={"daily_minor": 10_000}, headers=bearer(token)).status_code == 200
    assert api.post(BILLS, token, **bill_body(c.card, 8_000)).status_code == 201
    password_only = login(api, c)
    api.refused(422, "L2_DAILY_LIMIT_EXCEEDED", BILLS, password_only, **bill_body(c.card, 2_001))
    assert api.post(BILLS, password_only, **bill_body(c.card, 2_000)).status_code == 201
    assert_ledger_ok(deps)


@pytest.mark.rule("L2", kind="refuse")
def test_the_versions_daily_limit_bounds_the_days_total_whatever_the_level(
    api: Api, deps: Deps, clock: SettableClock, payees: None
) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    assert transfer(api, token, c.card, mine, 999_000).status_code == 201
    password_only = login(api, c)
    error = api.refused(422, "L2_DAILY_LIMIT_EXCEEDED", BILLS, password_only, **bill_body(c.card, 1_001))
    assert error["params"]["left_minor"] == 1_000
    assert api.post(BILLS, password_only, **bill_body(c.card, 1_000)).status_code == 201
    assert api.get(LIMITS, token).json()["used_today_minor"] == 1_000_000
    assert_ledger_ok(deps)


# --- L3: limits per institution policy --------------------------------------------------------


@pytest.mark.rule("L3", kind="allow")
@pytest.mark.rule("L3", kind="refuse")
def test_a_korean_banks_otp_channel_allows_10_000_000_krw_a_day_and_a_time(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c, token = otp_session(api, deps, clock, institution="kb", balance_minor=30_000_000)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    limits = api.get(LIMITS, token).json()
    assert limits["currency"] == "KRW"
    assert (
        limits["in_force"]["per_transaction_minor"] == 10_000_000
        and limits["in_force"]["daily_minor"] == 10_000_000
    )
    error = api.refused(
        422,
        "L1_PER_TRANSACTION_LIMIT_EXCEEDED",
        TRANSFERS,
        token,
        "ko",
        **transfer_body(c.card, mine, 10_000_001),
    )
    assert error["params"] == {"limit_minor": 10_000_000} and "규칙 L1" in error["message"]
    r = transfer(api, token, c.card, mine, 10_000_000)
    assert r.status_code == 201 and r.json()["currency"] == "KRW", r.text
    api.refused(422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, mine, 1))
    assert balance(api, mine) == 10_000_000
    assert_ledger_ok(deps)


@pytest.mark.rule("L3", kind="refuse")
def test_the_same_amount_is_within_one_institutions_policy_and_not_anothers(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    """2,000,000 minor units: 20,000.00 CNY passes edb's OTP limit of 10,000.00 a day;
    2,000,000 KRW is well inside KB's 10,000,000 KRW."""
    cn, cn_token = otp_session(api, deps, clock, balance_minor=5_000_000)
    cn_mine = link_at_counter(api, deps, cn, balance_minor=0)
    api.refused(
        422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, cn_token, **transfer_body(cn.card, cn_mine, 2_000_000)
    )
    kr, kr_token = otp_session(api, deps, clock, institution="kb", balance_minor=5_000_000)
    kr_mine = link_at_counter(api, deps, kr, balance_minor=0)
    assert transfer(api, kr_token, kr.card, kr_mine, 2_000_000).status_code == 201
    assert_ledger_ok(deps)


# --- L4: the business day in the institution's time zone; races --------------------------------


@pytest.mark.rule("L4", kind="allow")
def test_the_day_starts_at_midnight_in_shanghai_not_in_utc(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    clock.set(datetime(2026, 6, 15, 15, 30, tzinfo=UTC))  # 23:30 on 15 June in Shanghai
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    r = transfer(api, token, c.card, mine, 1_000_000)
    assert r.status_code == 201 and r.json()["business_date"] == "2026-06-15", r.text
    api.refused(422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, mine, 1))
    clock.set(datetime(2026, 6, 15, 16, 1, tzinfo=UTC))  # 00:01 on 16 June in Shanghai, still 15 June in UTC
    token = login(api, c)
    step_up(api, c, token, clock)
    limits = api.get(LIMITS, token).json()
    assert limits["business_date"] == "2026-06-16" and limits["used_today_minor"] == 0
    r = transfer(api, token, c.card, mine, 1_000_000)
    assert r.status_code == 201 and r.json()["business_date"] == "2026-06-16", r.text
    assert_ledger_ok(deps)


@pytest.mark.rule("L4", kind="refuse")
def test_midnight_in_utc_does_not_start_a_new_day_in_shanghai(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    clock.set(datetime(2026, 6, 15, 16, 30, tzinfo=UTC))  # 00:30 on 16 June in Shanghai
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    assert transfer(api, token, c.card, mine, 1_000_000).status_code == 201
    clock.set(datetime(2026, 6, 16, 0, 30, tzinfo=UTC))  # a new UTC day; 08:30 in Shanghai, same day
    token = login(api, c)
    step_up(api, c, token, clock)
    error = api.refused(422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, mine, 1))
    assert error["params"]["left_minor"] == 0
    assert api.get(LIMITS, token).json()["business_date"] == "2026-06-16"


@pytest.mark.rule("L4", kind="allow")
def test_seoul_starts_its_day_an_hour_before_shanghai(api: Api, deps: Deps, clock: SettableClock) -> None:
    clock.set(
        datetime(2026, 6, 15, 15, 30, tzinfo=UTC)
    )  # 00:30 on 16 June in Seoul, 23:30 on 15 June in Shanghai
    _, kr_token = otp_session(api, deps, clock, institution="kb", balance_minor=1_000)
    _, cn_token = otp_session(api, deps, clock, balance_minor=1_000)
    assert api.get(LIMITS, kr_token).json()["business_date"] == "2026-06-16"
    assert api.get(LIMITS, cn_token).json()["business_date"] == "2026-06-15"


@pytest.mark.rule("L4", kind="refuse")
def test_two_racing_transfers_cannot_together_pass_the_daily_limit(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c = enrol_at_counter(api, deps, "otp")
    mine = link_at_counter(api, deps, c, balance_minor=0)
    actor = service_actor(deps, c, AuthLevel.ONE_TIME_CODE)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay() -> None:
        barrier.wait()
        try:
            payments.make_transfer(
                deps,
                actor,
                payments.MakeTransfer(
                    idempotency_key=new_key(), from_account=c.card, to_account=mine, amount_minor=600_000
                ),
            )
            outcomes.append("ok")
        except DomainError as e:
            outcomes.append(e.code.value)

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["L2_DAILY_LIMIT_EXCEEDED", "ok"]
    assert balance(api, mine) == 600_000
    assert_ledger_ok(deps)


# --- who may pay out: E6, E10, C2, C3 ------------------------------------------------------------


@pytest.mark.rule("E6", kind="refuse")
def test_an_account_that_is_not_linked_cannot_pay(api: Api, deps: Deps, clock: SettableClock) -> None:
    c, token = otp_session(api, deps, clock)
    unlinked = make_account(deps, c.person)
    error = api.refused(422, "E6_PAYER_NOT_LINKED", TRANSFERS, token, **transfer_body(unlinked, c.card, 100))
    assert error["rule"] == "E6"


@pytest.mark.rule("E6", kind="allow")
@pytest.mark.rule("E10", kind="allow")
@pytest.mark.rule("E10", kind="refuse")
def test_an_account_linked_online_pays_only_after_819102(api: Api, deps: Deps, clock: SettableClock) -> None:
    c, token = otp_session(api, deps, clock)
    online = make_account(deps, c.person, balance_minor=100_000)
    r = api.post("/api/v1/me/linked-accounts", token, account_number=online, account_pin=PIN)
    assert r.status_code == 201, r.text
    api.refused(422, "E10_LINK_NEEDS_COUNTER", TRANSFERS, token, **transfer_body(online, c.card, 100))
    # It can receive money though.
    assert transfer(api, token, c.card, online, 100).status_code == 201
    r = api.post("/api/v1/teller/transactions/819102", c.teller, **c.counter(account_number=online))
    assert r.status_code == 201 and r.json()["action"] == "re_add", r.text
    r = transfer(api, token, online, c.card, 100_100)
    assert r.status_code == 201 and r.json()["kind"] == "own", r.text
    assert balance(api, online) == 0
    assert_ledger_ok(deps)


@pytest.mark.rule("C3", kind="refuse")
@pytest.mark.parametrize(
    "flag", ["verbal_loss", "written_loss", "pin_loss", "wrong_pin_exceeded", "under_watch", "fraud_hold"]
)
def test_a_blocked_account_cannot_pay_out(api: Api, deps: Deps, clock: SettableClock, flag: str) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    r = api.post(
        STATUS_FLAGS,
        c.teller,
        customer_number=c.person.number,
        account_number=c.card,
        flag=flag,
        action="set",
        identity_check_id=c.check,
    )
    assert r.status_code == 200, r.text
    error = api.refused(
        422, "C3_ACCOUNT_BLOCKED_FOR_PAYOUT", TRANSFERS, token, **transfer_body(c.card, mine, 100)
    )
    assert error["params"]["flags"] == flag
    assert c.card not in error["message"]  # shown masked


@pytest.mark.rule("C3", kind="allow")
def test_once_the_flag_is_cleared_the_account_pays_again(api: Api, deps: Deps, clock: SettableClock) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    body = {
        "customer_number": c.person.number,
        "account_number": c.card,
        "flag": "verbal_loss",
        "identity_check_id": c.check,
    }
    assert api.post(STATUS_FLAGS, c.teller, action="set", **body).status_code == 200
    api.refused(422, "C3_ACCOUNT_BLOCKED_FOR_PAYOUT", TRANSFERS, token, **transfer_body(c.card, mine, 100))
    assert api.post(STATUS_FLAGS, c.teller, action="clear", **body).status_code == 200
    assert transfer(api, token, c.card, mine, 100).status_code == 201
    assert_ledger_ok(deps)


@pytest.mark.rule("C2", kind="refuse")
def test_insufficient_funds_are_refused_in_the_clients_language(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c, token = otp_session(api, deps, clock, balance_minor=1_000)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    error = api.refused(
        422, "C2_INSUFFICIENT_FUNDS", TRANSFERS, token, "zh", **transfer_body(c.card, mine, 1_001)
    )
    assert "余额不足" in error["message"] and c.card not in error["message"]
    assert transfer(api, token, c.card, mine, 1_000).status_code == 201
    assert balance(api, c.card) == 0
    assert_ledger_ok(deps)


@pytest.mark.rule("C2", kind="refuse")
def test_an_account_cannot_pay_itself_nor_from_someone_elses_account(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c, token = otp_session(api, deps, clock)
    api.refused(422, "C2_SAME_ACCOUNT", TRANSFERS, token, **transfer_body(c.card, c.card, 100))
    stranger = make_account(deps, make_customer(deps))
    api.refused(404, "ACCOUNT_NOT_FOUND", TRANSFERS, token, **transfer_body(stranger, c.card, 100))
    api.refused(404, "ACCOUNT_NOT_FOUND", TRANSFERS, token, **transfer_body(c.card, "6299999999999999", 100))


@pytest.mark.rule("C2", kind="allow")
def test_the_service_tells_an_own_transfer_from_the_payee_account_it_locks(api: Api, deps: Deps) -> None:
    """The client names only the payee account; whether the transfer is an own transfer or one
    to another customer is the service's finding, so no client can book a transfer to a
    stranger as an own one (which, before, the service had to refuse as C2)."""
    c = enrol_at_counter(api, deps, "otp")
    mine = link_at_counter(api, deps, c, balance_minor=0)
    stranger = make_account(deps, make_customer(deps))
    actor = service_actor(deps, c, AuthLevel.ONE_TIME_CODE)
    to_stranger = payments.make_transfer(
        deps,
        actor,
        payments.MakeTransfer(
            idempotency_key=new_key(), from_account=c.card, to_account=stranger, amount_minor=100
        ),
    )
    to_mine = payments.make_transfer(
        deps,
        actor,
        payments.MakeTransfer(
            idempotency_key=new_key(), from_account=c.card, to_account=mine, amount_minor=100
        ),
    )
    assert to_stranger.transfer.kind is TransferKind.INTERNAL
    assert to_mine.transfer.kind is TransferKind.OWN
    assert_ledger_ok(deps)


@pytest.mark.rule("C2", kind="allow")
def test_a_transfer_to_another_customer_credits_their_account(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c, token = otp_session(api, deps, clock)
    stranger = make_account(deps, make_customer(deps), balance_minor=500)
    r = transfer(api, token, c.card, stranger, 2_500)
    assert r.status_code == 201 and r.json()["kind"] == "internal" and r.json()["to_account"] == stranger, (
        r.text
    )
    assert balance(api, stranger) == 3_000 and balance(api, c.card) == 5_000_000 - 2_500
    assert_ledger_ok(deps)


# --- idempotency ------------------------------------------------------------------------------


def test_a_retried_transfer_returns_the_first_result_and_moves_money_once(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    body = transfer_body(c.card, mine, 7_000)
    first = api.post(TRANSFERS, token, **body)
    assert first.status_code == 201, first.text
    retry = api.post(TRANSFERS, token, **body)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true", retry.text
    assert retry.json()["id"] == first.json()["id"] and retry.json()["replayed"] is True
    assert balance(api, mine) == 7_000
    assert api.get(LIMITS, token).json()["used_today_minor"] == 7_000
    assert_ledger_ok(deps)


def test_the_same_idempotency_key_with_another_body_is_refused(
    api: Api, deps: Deps, clock: SettableClock, payees: None
) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    body = transfer_body(c.card, mine, 7_000)
    assert api.post(TRANSFERS, token, **body).status_code == 201
    error = api.refused(
        409, "IDEMPOTENCY_KEY_REUSED", TRANSFERS, token, "ko", **{**body, "amount_minor": 7_001}
    )
    assert "멱등" in error["message"]
    api.refused(
        409, "IDEMPOTENCY_KEY_REUSED", BILLS, token, **bill_body(c.card, 7_000, key=body["idempotency_key"])
    )
    assert balance(api, mine) == 7_000


def test_a_refused_request_can_be_retried_with_its_key_once_it_fits(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c = enrol_at_counter(api, deps, "otp")
    mine = link_at_counter(api, deps, c, balance_minor=0)
    token = login(api, c)
    body = transfer_body(c.card, mine, 3_000)
    api.refused(401, "K2_STEP_UP_REQUIRED", TRANSFERS, token, **body)
    step_up(api, c, token, clock)
    assert api.post(TRANSFERS, token, **body).status_code == 201
    assert balance(api, mine) == 3_000


# --- reversals ------------------------------------------------------------------------------


def reverse(api: Api, teller: str, transfer_id: int) -> Any:
    return api.post(f"/api/v1/teller/transfers/{transfer_id}/reversal", teller, reason="customer complaint")


@pytest.mark.rule("L4", kind="allow")
def test_a_teller_reversal_gives_the_days_usage_back_and_cannot_be_done_twice(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c, token = otp_session(api, deps, clock)
    stranger = make_account(deps, make_customer(deps), balance_minor=0)
    r = transfer(api, token, c.card, stranger, 1_000_000)
    assert r.status_code == 201
    transfer_id = r.json()["id"]
    api.refused(422, "L2_DAILY_LIMIT_EXCEEDED", TRANSFERS, token, **transfer_body(c.card, stranger, 1))
    teller = api.teller_token()
    back = reverse(api, teller, transfer_id)
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "reversed"
    assert balance(api, c.card) == 5_000_000 and balance(api, stranger) == 0
    limits = api.get(LIMITS, token).json()
    assert limits["used_today_minor"] == 0 and limits["left_today_minor"] == 1_000_000
    api.refused(
        409,
        "LEDGER_ALREADY_REVERSED",
        f"/api/v1/teller/transfers/{transfer_id}/reversal",
        teller,
        reason="again",
    )
    assert transfer(api, token, c.card, stranger, 1_000_000).status_code == 201
    assert_ledger_ok(deps)


def test_a_reversal_needs_the_money_still_in_the_payees_account(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    first = transfer(api, token, c.card, mine, 5_000).json()["id"]
    assert transfer(api, token, mine, c.card, 5_000).status_code == 201  # spent again
    error = api.refused(
        422,
        "C2_INSUFFICIENT_FUNDS",
        f"/api/v1/teller/transfers/{first}/reversal",
        api.teller_token(),
        reason="x",
    )
    assert error["rule"] == "C2"
    assert_ledger_ok(deps)


def test_a_reversal_of_a_bill_payment_and_of_an_unknown_transfer(api: Api, deps: Deps, payees: None) -> None:
    c = self_registered(api, deps)
    token = login(api, c)
    bill = api.post(BILLS, token, **bill_body(c.card, 50_000)).json()["id"]
    teller = api.teller_token()
    assert reverse(api, teller, bill).status_code == 200
    assert gl_balance(api, "edb", "2241") == 0
    assert api.get(LIMITS, token).json()["bill_payment_left_today_minor"] == 50_000
    api.refused(404, "TRANSFER_NOT_FOUND", "/api/v1/teller/transfers/999999/reversal", teller, reason="x")
    api.refused(
        404,
        "TRANSFER_NOT_FOUND",
        f"/api/v1/teller/transfers/{bill}/reversal",
        api.teller_token("kb"),
        reason="x",
    )
    assert_ledger_ok(deps)


# --- the ledger's proof ----------------------------------------------------------------------


def test_the_ledger_verify_command_and_endpoint_prove_the_books(
    api: Api, deps: Deps, clock: SettableClock, database_url: str, tmp_path: Path
) -> None:
    c, token = otp_session(api, deps, clock)
    mine = link_at_counter(api, deps, c, balance_minor=0)
    assert transfer(api, token, c.card, mine, 12_345).status_code == 201
    auditor = api.get("/api/v1/teller/ledger/verify", api.teller_token(number="U001")).json()
    assert auditor["ok"] is True and auditor["postings"] == 2  # the opening deposit and the transfer
    env = {
        "NETBANK_DATABASE_URL": database_url,
        "NETBANK_DATA_DIR": str(tmp_path),
        "NETBANK_IDENTITY_SEAL_KEY": base64.b64encode(b"s" * 32).decode(),
        "NETBANK_IDENTITY_LOOKUP_KEY": base64.b64encode(b"l" * 32).decode(),
        "NETBANK_SECRETS_KEY": base64.b64encode(b"k" * 32).decode(),
    }
    result = CliRunner().invoke(cli, ["ledger", "verify"], env=env)
    assert result.exit_code == 0, result.output
    assert "ledger balanced" in result.output
