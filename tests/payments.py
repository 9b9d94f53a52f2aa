"""Builders for the payment tests (transfers, limits, fees, the ledger), on the real services
and the HTTP API: enrolled customers of every version, payees, step-up, balances, the proof."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from typing import Any

import pyotp
from sqlalchemy import select

from netbank.adapters.clock import SettableClock
from netbank.adapters.db.tables import accounts, gl_accounts, institutions
from netbank.domain.ledger import PayeeCategory
from netbank.services import institutions as institution_service
from netbank.services.institutions import AddPayee
from netbank.services.ledger import verify_ledger
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, OPERATOR, PIN, Api, Person, make_account, make_customer

TRANSFERS = "/api/v1/me/transfers"
BILLS = "/api/v1/me/bill-payments"
LIMITS = "/api/v1/me/limits"
STEP_UP = "/api/v1/me/step-up/totp"
ADD_CONTRACT = "/api/v1/teller/transactions/819101/add"
ADD_LINK = "/api/v1/teller/transactions/819102"
STATUS_FLAGS = "/api/v1/teller/transactions/status-flags"
UKEY_SALE = "/api/v1/teller/transactions/ukey-sale"
RENEWAL = "/api/v1/teller/transactions/certificate-renewal"
PAYEES = {
    "edb": [
        ("SH-POWER", "Shanghai Electric Power", PayeeCategory.UTILITY),
        ("CMCC", "China Mobile", PayeeCategory.PHONE),
    ],
    "kb": [("KEPCO", "KEPCO", PayeeCategory.UTILITY)],
}
_keys = count(1)


def new_key() -> str:
    """A fresh client idempotency key."""
    return f"key-{next(_keys):08d}"


def add_payees(deps: Deps, *institution_codes: str) -> None:
    for code in institution_codes or ("edb",):
        for payee, name, category in PAYEES[code]:
            institution_service.add_payee(
                deps,
                OPERATOR,
                AddPayee(institution_code=code, payee_code=payee, name=name, category=category),
            )


@dataclass
class Customer:
    """An enrolled customer: the person, their registration card, a teller's session and
    identity check, and for the OTP version the authenticator's otpauth URI."""

    person: Person
    card: str
    version: str
    teller: str = ""
    check: int = 0
    otpauth_uri: str = ""

    @property
    def institution(self) -> str:
        return self.person.institution

    def counter(self, **body: Any) -> dict[str, Any]:
        return {"customer_number": self.person.number, "identity_check_id": self.check, **body}


def enrol_at_counter(
    api: Api, deps: Deps, version: str = "otp", *, institution: str = "edb", balance_minor: int = 5_000_000
) -> Customer:
    """An OTP or certificate customer enrolled with 819101 add, their card holding ``balance_minor``."""
    p = make_customer(deps, institution)
    card = make_account(deps, p, balance_minor=balance_minor, label="card")
    teller = api.teller_token(institution)
    check = api.check(teller, p)
    phone = "13912345678" if institution == "edb" else "01012345678"
    medium = (
        {"otp_phone": phone}
        if version == "otp"
        else {"ukey_serial": f"UK2-{next(_keys):06d}", "ukey_generation": 2}
    )
    r = api.post(
        ADD_CONTRACT,
        teller,
        customer_number=p.number,
        identity_check_id=check,
        version=version,
        registration_account_number=card,
        login_password=LOGIN_PASSWORD,
        **medium,
    )
    assert r.status_code == 201, r.text
    uri = r.json()["otp_enrolment"]["otpauth_uri"] if version == "otp" else ""
    return Customer(p, card, version, teller, check, uri)


def self_registered(api: Api, deps: Deps, *, balance_minor: int = 5_000_000) -> Customer:
    """An ordinary-version customer, self-registered online with their debit card."""
    p = make_customer(deps)
    card = make_account(deps, p, balance_minor=balance_minor, label="card")
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
    teller = api.teller_token()
    return Customer(p, card, "ordinary", teller, api.check(teller, p))


def link_at_counter(api: Api, deps: Deps, c: Customer, *, balance_minor: int = 1_000_000) -> str:
    """A second debit card of the customer, added with 819102 (it can pay out)."""
    number = make_account(deps, c.person, balance_minor=balance_minor)
    r = api.post(ADD_LINK, c.teller, **c.counter(account_number=number))
    assert r.status_code == 201, r.text
    return number


def step_up(api: Api, c: Customer, token: str, clock: SettableClock) -> None:
    """K2: the customer's authenticator code raises the session to level 30. The clock moves
    on one TOTP step first, so no two step-ups of a test reuse a code."""
    clock.advance(timedelta(seconds=30))
    totp = pyotp.parse_uri(c.otpauth_uri)
    assert isinstance(totp, pyotp.TOTP)
    r = api.post(STEP_UP, token, code=totp.at(clock.now()))
    assert r.status_code == 200, r.text
    assert r.json()["level"] == 30


def login(api: Api, c: Customer) -> str:
    return api.customer_token(c.institution, c.card)


def transfer(
    api: Api,
    token: str,
    from_account: str,
    to_account: str,
    amount_minor: int,
    *,
    key: str | None = None,
    lang: str = "en",
) -> Any:
    return api.post(
        TRANSFERS,
        token,
        lang,
        idempotency_key=key or new_key(),
        from_account=from_account,
        to_account=to_account,
        amount_minor=amount_minor,
    )


def transfer_body(
    from_account: str, to_account: str, amount_minor: int, key: str | None = None
) -> dict[str, Any]:
    return {
        "idempotency_key": key or new_key(),
        "from_account": from_account,
        "to_account": to_account,
        "amount_minor": amount_minor,
    }


def bill_body(
    from_account: str, amount_minor: int, payee: str = "SH-POWER", key: str | None = None
) -> dict[str, Any]:
    return {
        "idempotency_key": key or new_key(),
        "from_account": from_account,
        "payee_code": payee,
        "amount_minor": amount_minor,
        "bill_reference": "2026-06",
    }


def balance(api: Api, number: str) -> int:
    with api.engine.connect() as conn:
        return int(
            conn.execute(select(accounts.c.balance_minor).where(accounts.c.number == number)).scalar_one()
        )


def gl_balance(api: Api, institution: str, code: str) -> int:
    g, i = gl_accounts.c, institutions.c
    stmt = (
        select(g.balance_minor)
        .select_from(gl_accounts.join(institutions, i.id == g.institution_id))
        .where(i.code == institution, g.code == code)
    )
    with api.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def assert_ledger_ok(deps: Deps) -> None:
    """The ledger's own proof: every posting balances, every stored balance equals its entries."""
    report = verify_ledger(deps)
    assert report.ok, report
    assert report.postings > 0
