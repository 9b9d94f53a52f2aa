"""Statements: the customer's history with filters and keyset pagination, the CSV export, and
the teller's view of an account's postings. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta
from typing import Any

import pyotp
import pytest

from netbank.adapters.clock import SettableClock
from netbank.services.ports import Deps
from tests.builders import Api, Person, bearer, make_account, make_customer, otp_customer

STATEMENT = "/api/v1/me/statement"


def _sign_in(api: Api, card: str, uri: str, clock: SettableClock) -> str:
    """Sign in with the login password and step up with TOTP to the one-time-code level."""
    token = api.customer_token("edb", card)
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    assert api.post("/api/v1/me/step-up/totp", token, code=totp.at(clock.now())).status_code == 200
    return token


def _stepped_up_customer(api: Api, deps: Deps, clock: SettableClock) -> tuple[Person, str, str]:
    """An OTP customer signed in and stepped up: (person, card, token)."""
    person, card, uri = otp_customer(api, deps)
    return person, card, _sign_in(api, card, uri, clock)


def _transfer(api: Api, token: str, card: str, to: str, amount: int, key: str, reference: str = "") -> None:
    r = api.post(
        "/api/v1/me/transfers",
        token,
        idempotency_key=key,
        from_account=card,
        to_account=to,
        amount_minor=amount,
        reference=reference,
    )
    assert r.status_code == 201, r.text


def _get(api: Api, token: str, url: str, **params: Any) -> Any:
    r = api.client.get(url, params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.rule("L4", kind="allow")
def test_the_history_pages_newest_first_with_running_balances_and_masked_counterparties(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    person, card, token = _stepped_up_customer(api, deps, clock)
    savings = make_account(deps, person, label="savings", balance_minor=0)
    other = make_customer(deps)
    stranger = make_account(deps, other, balance_minor=0)
    for i in range(5):
        _transfer(api, token, card, savings, 100 + i, f"own-{i:04d}")
    _transfer(api, token, card, stranger, 1_000, "other-0001", reference="rent")

    first = _get(api, token, STATEMENT, account=card, limit=4)
    lines = first["lines"]
    assert [line["amount_minor"] for line in lines] == [-1_000, -104, -103, -102]
    # every line carries the balance after it; consecutive lines differ by the amount
    for newer, older in itertools.pairwise(lines):
        assert newer["balance_after_minor"] == older["balance_after_minor"] + newer["amount_minor"]
    assert lines[0]["reference"] == "rent"
    assert lines[0]["counterparty"] == stranger[:4] + "*" * (len(stranger) - 8) + stranger[-4:]
    assert stranger not in str(first)
    assert lines[1]["counterparty"] == savings  # the customer's own account, in full
    assert first["next_cursor"] == lines[-1]["entry_id"]

    second = _get(api, token, STATEMENT, account=card, limit=4, cursor=first["next_cursor"])
    assert [line["amount_minor"] for line in second["lines"]] == [-101, -100, 100_000]
    assert second["lines"][-1]["kind"] == "opening"
    assert second["next_cursor"] is None
    assert second["lines"][-1]["balance_after_minor"] == 100_000

    # the customer's whole history covers both of their accounts, not the stranger's
    everything = _get(api, token, STATEMENT, limit=200)["lines"]
    assert {line["account_number"] for line in everything} == {card, savings}
    assert sum(1 for line in everything if line["account_number"] == savings) == 5


@pytest.mark.rule("L4", kind="allow")
def test_filters_by_business_day_and_kind(api: Api, deps: Deps, clock: SettableClock) -> None:
    person, card, uri = otp_customer(api, deps)
    token = _sign_in(api, card, uri, clock)
    savings = make_account(deps, person, label="savings", balance_minor=0)
    today = deps.today_in("Asia/Shanghai")
    _transfer(api, token, card, savings, 100, "day-one-01")
    clock.advance(timedelta(days=1))
    token = _sign_in(api, card, uri, clock)  # yesterday's session has ended
    _transfer(api, token, card, savings, 200, "day-two-01")
    tomorrow = today + timedelta(days=1)

    on_day_two = _get(api, token, STATEMENT, account=card, **{"from": tomorrow.isoformat()})["lines"]
    assert [line["amount_minor"] for line in on_day_two] == [-200]
    assert on_day_two[0]["business_date"] == tomorrow.isoformat()
    on_day_one = _get(api, token, STATEMENT, account=card, to=today.isoformat(), kind="transfer")["lines"]
    assert [line["amount_minor"] for line in on_day_one] == [-100]
    openings = _get(api, token, STATEMENT, kind="opening")["lines"]
    assert [line["account_number"] for line in openings] == [card]


def test_a_statement_refuses_reversed_dates_and_another_customers_account(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    _, _card, token = _stepped_up_customer(api, deps, clock)
    stranger = make_account(deps, make_customer(deps))
    r = api.client.get(
        STATEMENT,
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=bearer(token) | {"Accept-Language": "zh"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "STATEMENT_DATES_REVERSED"
    assert "日期" in r.json()["error"]["message"]
    r = api.client.get(STATEMENT, params={"account": stranger}, headers=bearer(token))
    assert r.status_code == 404 and r.json()["error"]["code"] == "ACCOUNT_NOT_FOUND"
    r = api.client.get(STATEMENT, params={"limit": 0}, headers=bearer(token))
    assert r.status_code == 422


def test_the_csv_export_holds_every_line_and_defuses_formulas(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    person, card, token = _stepped_up_customer(api, deps, clock)
    savings = make_account(deps, person, label="savings", balance_minor=0)
    _transfer(api, token, card, savings, 300, "csv-000001", reference="=HYPERLINK(1)")
    _transfer(api, token, card, savings, 400, "csv-000002", reference="gas 燃气")

    r = api.client.get("/api/v1/me/statement.csv", params={"account": card}, headers=bearer(token))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row["amount_minor"] for row in rows] == ["-400", "-300", "100000"]
    assert rows[0]["reference"] == "gas 燃气"
    assert rows[1]["reference"] == "'=HYPERLINK(1)"
    assert rows[0]["balance_after_minor"] == str(100_000 - 300 - 400)


def test_a_teller_sees_the_postings_of_an_account_of_their_institution_only(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    person, card, token = _stepped_up_customer(api, deps, clock)
    savings = make_account(deps, person, label="savings", balance_minor=0)
    _transfer(api, token, card, savings, 500, "teller-0001")
    teller = api.teller_token()
    lines = _get(api, teller, f"/api/v1/teller/accounts/{savings}/postings")["lines"]
    assert [(line["amount_minor"], line["counterparty"]) for line in lines] == [(500, card)]

    kb_teller = api.teller_token("kb")
    r = api.client.get(f"/api/v1/teller/accounts/{savings}/postings", headers=bearer(kb_teller))
    assert r.status_code == 404 and r.json()["error"]["code"] == "ACCOUNT_NOT_FOUND"
    r = api.client.get(f"/api/v1/teller/accounts/{savings}/postings", headers=bearer(token))
    assert r.status_code in (401, 403)
