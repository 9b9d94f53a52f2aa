"""Fees at the counter (G1, G2): a UKEY sale (generation 1 or 2) and a certificate renewal
debit the account the customer chooses and credit GL 5111201's sub-account in the same
transaction as the counter transaction; amounts and discounts come from the policy. A refused
sale changes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from netbank.adapters.db.tables import entries, postings
from netbank.adapters.policies import StaticPolicyBook
from netbank.domain.ledger import FeeKind
from netbank.services.ports import Deps
from tests.builders import Api, make_account, make_customer, setup_institutions
from tests.payments import (
    RENEWAL,
    STATUS_FLAGS,
    UKEY_SALE,
    Customer,
    assert_ledger_ok,
    balance,
    enrol_at_counter,
    gl_balance,
)

MATERIAL_COST = "5111201.01"
CERTIFICATE_FEE = "5111201.02"
#: G2: business notices of two Korean institutions, for these tests only.
DISCOUNTS = {"shinhan": 33, "woori": 100}


@pytest.fixture(scope="module")
def policies(policies: StaticPolicyBook) -> StaticPolicyBook:
    """The shipped policies, with a discount at shinhan (33 %) and woori (free)."""
    return StaticPolicyBook(
        [
            replace(p, fees=replace(p.fees, discount_percent=DISCOUNTS[p.institution_code]))
            if p.institution_code in DISCOUNTS
            else p
            for p in policies.all()
        ]
    )


@pytest.fixture
def korean(api: Api, deps: Deps) -> None:
    setup_institutions(deps, "shinhan", "woori")


def certificate_customer(
    api: Api, deps: Deps, institution: str = "edb", fee_balance: int = 100_000
) -> tuple[Customer, str]:
    """A certificate-version customer and a second account of theirs to pay the fee from."""
    c = enrol_at_counter(api, deps, "certificate", institution=institution, balance_minor=1_000)
    return c, make_account(deps, c.person, balance_minor=fee_balance, label="fees")


def sale(c: Customer, fee_account: str, generation: int = 2, serial: str = "UK-NEW-0001") -> dict[str, Any]:
    return c.counter(
        registration_account_number=c.card,
        fee_account_number=fee_account,
        ukey_generation=generation,
        ukey_serial=serial,
    )


def renewal(c: Customer, fee_account: str) -> dict[str, Any]:
    return c.counter(registration_account_number=c.card, fee_account_number=fee_account)


def fee_postings(api: Api) -> list[tuple[str, str, int]]:
    """(reference, side, amount) of every entry of every fee posting."""
    p, e = postings.c, entries.c
    stmt = (
        select(p.reference, e.side, e.amount_minor)
        .select_from(postings.join(entries, e.posting_id == p.id))
        .where(p.kind == "fee")
        .order_by(e.id)
    )
    with api.engine.connect() as conn:
        return [(r, s, int(a)) for r, s, a in conn.execute(stmt)]


# --- G1: the fees and their GL sub-accounts --------------------------------------------------


@pytest.mark.rule("G1", kind="allow")
@pytest.mark.parametrize(("generation", "fee"), [(1, 6_000), (2, 12_000)])
def test_a_ukey_sale_debits_the_chosen_account_and_credits_material_cost_income(
    api: Api, deps: Deps, generation: int, fee: int
) -> None:
    c, fees = certificate_customer(api, deps)
    r = api.post(UKEY_SALE, c.teller, **sale(c, fees, generation, "uk-new-0001"))
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["code"] == "NB-UKEY-SALE" and receipt["action"] == "sell"
    assert receipt["details"]["fee_minor"] == fee and receipt["details"]["generation"] == generation
    assert receipt["details"]["ukey_serial"] == "UK-NEW-0001"
    assert fees not in r.text  # the fee account is shown masked
    assert balance(api, fees) == 100_000 - fee and balance(api, c.card) == 1_000
    assert gl_balance(api, "edb", MATERIAL_COST) == fee
    assert gl_balance(api, "edb", CERTIFICATE_FEE) == 0
    assert fee_postings(api) == [("UK-NEW-0001", "D", fee), ("UK-NEW-0001", "C", fee)]
    history = api.get(f"/api/v1/teller/customers/{c.person.number}/counter-transactions", c.teller).json()
    assert [h["code"] for h in history][-1] == "NB-UKEY-SALE"
    assert_ledger_ok(deps)


@pytest.mark.rule("G1", kind="allow")
def test_a_certificate_renewal_credits_certificate_fee_income(api: Api, deps: Deps) -> None:
    c, fees = certificate_customer(api, deps)
    r = api.post(RENEWAL, c.teller, **renewal(c, fees))
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "NB-CERT-RENEWAL" and r.json()["details"]["fee_minor"] == 2_000
    assert balance(api, fees) == 98_000
    assert gl_balance(api, "edb", CERTIFICATE_FEE) == 2_000
    assert gl_balance(api, "edb", MATERIAL_COST) == 0
    # The registration account itself can pay too.
    c2 = enrol_at_counter(api, deps, "certificate", balance_minor=2_000)
    assert api.post(RENEWAL, c2.teller, **renewal(c2, c2.card)).status_code == 200
    assert balance(api, c2.card) == 0
    assert gl_balance(api, "edb", CERTIFICATE_FEE) == 4_000
    assert_ledger_ok(deps)


@pytest.mark.rule("G1", kind="refuse")
def test_a_sale_from_an_account_without_the_fee_changes_nothing(api: Api, deps: Deps) -> None:
    c, fees = certificate_customer(api, deps, fee_balance=11_999)
    error = api.refused(422, "C2_INSUFFICIENT_FUNDS", UKEY_SALE, c.teller, "zh", **sale(c, fees, 2))
    assert "余额不足" in error["message"]
    api.refused(
        422,
        "C2_INSUFFICIENT_FUNDS",
        RENEWAL,
        c.teller,
        **renewal(c, c.card) | {"fee_account_number": make_account(deps, c.person, balance_minor=0)},
    )
    assert api.post(UKEY_SALE, c.teller, **sale(c, fees, 1)).status_code == 200  # 60.00 fits
    assert balance(api, fees) == 5_999
    assert_ledger_ok(deps)


@pytest.mark.rule("G1", kind="refuse")
@pytest.mark.parametrize("flag", ["written_loss", "fraud_hold"])
def test_a_blocked_fee_account_cannot_pay_and_nothing_changes(api: Api, deps: Deps, flag: str) -> None:
    c, fees = certificate_customer(api, deps)
    r = api.post(
        STATUS_FLAGS,
        c.teller,
        customer_number=c.person.number,
        account_number=fees,
        flag=flag,
        action="set",
        identity_check_id=c.check,
    )
    assert r.status_code == 200, r.text
    error = api.refused(422, "G1_FEE_ACCOUNT_NOT_USABLE", UKEY_SALE, c.teller, "ko", **sale(c, fees))
    assert "규칙 G1" in error["message"] and fees not in error["message"]
    api.refused(422, "G1_FEE_ACCOUNT_NOT_USABLE", RENEWAL, c.teller, **renewal(c, fees))


@pytest.mark.rule("G1", kind="refuse")
def test_only_certificate_customers_buy_ukeys_and_renew_certificates(api: Api, deps: Deps) -> None:
    c = enrol_at_counter(api, deps, "otp")
    fees = make_account(deps, c.person, balance_minor=100_000)
    error = api.refused(422, "K1_NOT_CERTIFICATE_VERSION", UKEY_SALE, c.teller, **sale(c, fees))
    assert error["params"] == {"version": "otp"}
    api.refused(422, "K1_NOT_CERTIFICATE_VERSION", RENEWAL, c.teller, **renewal(c, fees))


@pytest.mark.rule("G1", kind="refuse")
def test_the_fee_cannot_be_taken_from_someone_elses_account(api: Api, deps: Deps) -> None:
    c, _ = certificate_customer(api, deps)
    theirs = make_account(deps, make_customer(deps), balance_minor=100_000)
    api.refused(422, "C2_ACCOUNT_NOT_CUSTOMERS", UKEY_SALE, c.teller, **sale(c, theirs))
    api.refused(422, "C2_ACCOUNT_NOT_CUSTOMERS", RENEWAL, c.teller, **renewal(c, theirs))


# --- G2: amounts and discounts from the policy ------------------------------------------------


@pytest.mark.rule("G2", kind="allow")
def test_fee_quotes_follow_each_institutions_policy_and_discount(api: Api, deps: Deps, korean: None) -> None:
    quotes = {
        inst: {
            kind.value: api.get(f"/api/v1/teller/fees/{kind.value}", api.teller_token(inst)).json()
            for kind in FeeKind
        }
        for inst in ("edb", "kb", "shinhan", "woori")
    }
    assert quotes["edb"] == {
        "ukey_generation_1": 6_000,
        "ukey_generation_2": 12_000,
        "certificate_renewal": 2_000,
    }
    assert quotes["kb"] == {"ukey_generation_1": 60, "ukey_generation_2": 120, "certificate_renewal": 20}
    # 33 % off, rounded down in the customer's favour: 40.2 -> 40, 80.4 -> 80, 13.4 -> 13.
    assert quotes["shinhan"] == {"ukey_generation_1": 40, "ukey_generation_2": 80, "certificate_renewal": 13}
    assert quotes["woori"] == {"ukey_generation_1": 0, "ukey_generation_2": 0, "certificate_renewal": 0}
    r = api.get("/api/v1/teller/fees/ukey_generation_3", api.teller_token())
    assert r.status_code == 422


@pytest.mark.rule("G2", kind="allow")
@pytest.mark.rule("G2", kind="refuse")
def test_a_discounted_sale_charges_the_quoted_amount_to_the_last_won(
    api: Api, deps: Deps, korean: None
) -> None:
    c, fees = certificate_customer(api, deps, "shinhan", fee_balance=79)
    error = api.refused(422, "C2_INSUFFICIENT_FUNDS", UKEY_SALE, c.teller, **sale(c, fees, 2))
    assert error["rule"] == "C2"
    c2, fees2 = certificate_customer(api, deps, "shinhan", fee_balance=80)
    r = api.post(UKEY_SALE, c2.teller, **sale(c2, fees2, 2))
    assert r.status_code == 200 and r.json()["details"]["fee_minor"] == 80, r.text
    assert balance(api, fees2) == 0 and gl_balance(api, "shinhan", MATERIAL_COST) == 80
    assert api.post(RENEWAL, c.teller, **renewal(c, fees)).status_code == 200  # 13 of 79
    assert balance(api, fees) == 66 and gl_balance(api, "shinhan", CERTIFICATE_FEE) == 13
    assert_ledger_ok(deps)


@pytest.mark.rule("G2", kind="allow")
def test_a_free_sale_posts_nothing_to_the_ledger(api: Api, deps: Deps, korean: None) -> None:
    c, fees = certificate_customer(api, deps, "woori", fee_balance=0)
    r = api.post(UKEY_SALE, c.teller, **sale(c, fees, 2))
    assert r.status_code == 200 and r.json()["details"]["fee_minor"] == 0, r.text
    assert fee_postings(api) == []
    assert gl_balance(api, "woori", MATERIAL_COST) == 0


@pytest.mark.rule("G2", kind="refuse")
def test_an_institution_sells_only_the_ukey_generations_of_its_policy(api: Api, deps: Deps) -> None:
    c, fees = certificate_customer(api, deps, "kb")
    error = api.refused(422, "E4_UKEY_GENERATION_NOT_ALLOWED", UKEY_SALE, c.teller, **sale(c, fees, 1))
    assert error["params"] == {"generation": 1}
    r = api.post(UKEY_SALE, c.teller, **sale(c, fees, 2))
    assert r.status_code == 200 and r.json()["details"]["fee_minor"] == 120, r.text
    assert gl_balance(api, "kb", MATERIAL_COST) == 120
    assert_ledger_ok(deps)
