"""K1, K2, F7: the step-up methods a customer is offered come from one registry of factors
(``services/factors``): the API's ``K2_STEP_UP_REQUIRED`` answer, ``GET /me/step-up/methods``
and the web's step-up page name the same ones, and they follow what the customer holds now.

The customer here holds both certificates a Korean bank's customer may: a UKEY certificate of
the certificate version (K1) and the cloud financial certificate issued at the same bank (F1,
F7). Real SoftHSM2 tokens for the institution PKI, the UKEY and the service's keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from netbank.adapters.clock import SettableClock
from netbank.adapters.fincert import HMACPINDigester, HSMFinCertCA
from netbank.adapters.fincert_keys import PKCS11KeyStore
from netbank.adapters.policies import StaticPolicyBook
from netbank.bootstrap import App, bootstrap
from netbank.services import fincert, pki
from netbank.services.ports import Deps, FinCertAdapters
from tests.builders import OPERATOR, Api, csrf_of, make_account, make_customer
from tests.conftest import make_settings
from tests.integration.test_fincert import Outbox, key_store, service_ca
from tests.integration.test_ukey import REVOCATION, SALE, enrol, sale_body
from tests.payments import TRANSFERS, transfer_body
from tests.softhsm import HSM_TOKEN, UKEYS, USER_PIN, SoftHSM

__all__ = ["key_store", "service_ca"]  # the session's service CA and key store of test_fincert

pytestmark = [pytest.mark.hsm, pytest.mark.rule("K2", "K1", "F7")]

FINCERT_PIN = "480135"
SESSION = "netbank_web_session"
#: The forms of the step-up page, by the method they offer (templates/step_up/*.html).
FORM_OF = {"totp": "step-up-form", "ukey": "ukey-step-up-form", "fincert": "fincert-step-up-form"}
#: What the settings page says of each method for this customer: usable now or not.
SETTINGS_ROWS = {
    "totp": False,
    "sms": True,
    "ars": True,
    "one_time_code": True,
    "ukey": True,
    "fincert": True,
}


@pytest.fixture
def app_state(
    database_url: str,
    tmp_path: Path,
    clock: SettableClock,
    policies: StaticPolicyBook,
    softhsm: SoftHSM,
    service_ca: HSMFinCertCA,
    key_store: PKCS11KeyStore,
) -> Iterator[App]:
    """The institution PKI on the test HSM token and the cloud financial certificate service."""
    settings = make_settings(database_url, tmp_path).model_copy(
        update={
            "hsm_pin": USER_PIN,
            "hsm_token_label": HSM_TOKEN,
            "public_base_url": "http://127.0.0.1:8000",
            "outbox_in_process": False,
        }
    )
    state = bootstrap(settings, clock=clock, policies=policies)
    adapters = FinCertAdapters(ca=service_ca, keys=key_store, pins=HMACPINDigester(b"p" * 32))
    state = replace(state, deps=replace(state.deps, fincert=adapters))
    try:
        yield state
    finally:
        state.close()


def strong_session(api: Api, outbox: Outbox, card: str) -> str:
    """A KB session raised to the one-time-code level (30) by an SMS code."""
    token = api.customer_token("kb", card)
    r = api.post("/api/v1/me/challenges", token, channel="sms")
    assert r.status_code == 201, r.text
    _, code = outbox.last_code()
    r = api.post(f"/api/v1/me/challenges/{r.json()['id']}/verify", token, code=code)
    assert r.status_code == 200 and r.json()["level"] == 30, r.text
    return token


def methods_asked_for(api: Api, card: str, payee: str) -> list[str]:
    """The methods a fresh (password, level 20) session is offered for a transfer."""
    error = api.refused(
        401,
        "K2_STEP_UP_REQUIRED",
        TRANSFERS,
        api.customer_token("kb", card),
        **transfer_body(card, payee, 1_000),
    )
    return [str(m) for m in error["params"]["methods"]]


def methods_on_the_page(client: TestClient, token: str, card: str, payee: str) -> list[str]:
    """The methods the web's step-up page offers for the same transfer, read off its forms."""
    client.cookies.clear()
    client.cookies.set(SESSION, token)
    csrf = csrf_of(client, "/transfer")
    form = {
        "csrf_token": csrf,
        "idempotency_key": "web-step-up-methods-1",
        "from_account": card,
        "target": "other",
        "other_account": payee,
        "amount": "1000",
    }
    page = client.post("/transfer", data=form)
    assert page.status_code == 401 and "K2_STEP_UP_REQUIRED" in page.text, page.text
    offered = [m for m, form_id in FORM_OF.items() if f'id="{form_id}"' in page.text]
    offered += re.findall(r'<input type="radio" id="channel-([a-z_]+)"', page.text)
    return sorted(offered)


def test_a_customer_with_a_ukey_and_a_financial_certificate_is_offered_both(
    api: Api, deps: Deps, app_state: App, client: TestClient, tmp_path: Path
) -> None:
    pki.init_pki(deps, OPERATOR, pki.InitPKI(institution_code="kb"))
    fincert.init_service_ca(deps, OPERATOR, fincert.InitServiceCA())
    outbox = Outbox(app_state, tmp_path)
    p, card, teller, check = enrol(api, deps, 2, institution="kb")
    sold = api.post(SALE, teller, **sale_body(p, card, check, 2, UKEYS[1]))
    assert sold.status_code == 200, sold.text
    issued = api.post("/api/v1/me/fincert", strong_session(api, outbox, card), pin=FINCERT_PIN)
    assert issued.status_code == 201 and issued.json()["issuing_institution"] == "kb", issued.text
    payee = make_account(deps, make_customer(deps, "kb"), label="payee")

    methods = methods_asked_for(api, card, payee)
    assert "ukey" in methods and "fincert" in methods
    assert "totp" not in methods  # not the OTP version
    assert methods_on_the_page(client, api.customer_token("kb", card), card, payee) == sorted(methods)

    listed = api.get("/api/v1/me/step-up/methods", api.customer_token("kb", card)).json()
    assert {m["name"]: (m["level"], m["usable"]) for m in listed} == {
        "totp": (30, False),
        "sms": (30, True),
        "ars": (30, True),
        "one_time_code": (30, True),
        "ukey": (40, True),
        "fincert": (40, True),
    }

    # The customer's settings page lists the same registry, in words.
    client.cookies.clear()
    client.cookies.set(SESSION, api.customer_token("kb", card))
    settings = client.get("/settings", headers={"accept-language": "en"})
    assert settings.status_code == 200, settings.text
    rows = dict(re.findall(r'<tr id="method-([a-z_]+)">(.*?)</tr>', settings.text))
    assert set(rows) == set(SETTINGS_ROWS)
    for method, ready in SETTINGS_ROWS.items():
        assert ("not set up for you" not in rows[method]) is ready, method

    # The registry reads what the customer holds now: a revoked UKEY certificate is not offered.
    revoked = api.post(
        REVOCATION,
        teller,
        customer_number=p.number,
        identity_check_id=check,
        registration_account_number=card,
        reason="key_compromise",
    )
    assert revoked.status_code == 200, revoked.text
    methods = methods_asked_for(api, card, payee)
    assert "ukey" not in methods and "fincert" in methods
    assert methods_on_the_page(client, api.customer_token("kb", card), card, payee) == sorted(methods)


def test_a_customer_with_neither_certificate_is_offered_neither(
    api: Api, deps: Deps, app_state: App, client: TestClient
) -> None:
    pki.init_pki(deps, OPERATOR, pki.InitPKI(institution_code="kb"))
    _, card, _, _ = enrol(api, deps, 2, institution="kb")
    payee = make_account(deps, make_customer(deps, "kb"), label="payee")
    methods = methods_asked_for(api, card, payee)
    assert "ukey" not in methods and "fincert" not in methods
    assert methods == ["sms", "ars", "one_time_code"]
    assert methods_on_the_page(client, api.customer_token("kb", card), card, payee) == sorted(methods)
