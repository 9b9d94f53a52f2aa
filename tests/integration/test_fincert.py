"""The cloud financial certificate (F1-F5, F7) on the demo people: 홍길동 (K0001) is a customer
of KB Kookmin, Shinhan, Woori, Hana and Korea Securities Finance. The service CA keys are on a
SoftHSM2 token; certificates verify with ``openssl verify``, signatures with ``openssl cms``.
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import functools
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from fastapi.testclient import TestClient
from sqlalchemy import select

from netbank.adapters.clock import SettableClock
from netbank.adapters.db.tables import fincert_certificates, fincert_registrations, fincert_superseded
from netbank.adapters.fincert import HMACPINDigester, HSMFinCertCA
from netbank.adapters.fincert_keys import PKCS11KeyStore
from netbank.adapters.notify import FileSender
from netbank.adapters.policies import StaticPolicyBook
from netbank.bootstrap import App, bootstrap
from netbank.demo import KOREAN, kr_rrn, load_korean
from netbank.domain import fincert as fc
from netbank.domain.errors import DomainError
from netbank.entrypoints.api.app import create_app
from netbank.services import fincert, institutions
from netbank.services.outbox import dispatch_once
from netbank.services.ports import Deps, FinCertAdapters
from tests.builders import OPERATOR, Api, csrf_of, snapshot
from tests.conftest import make_settings
from tests.softhsm import FINCERT_KEYS_TOKEN, FINCERT_TOKEN, USER_PIN, SoftHSM

HONG = "홍길동"
HONG_RRN = kr_rrn(date(1985, 3, 15), True, "234567")
HONG_MOBILE = "01012345678"
BANKS = ("kb", "shinhan", "woori", "hana")
CARD = {inst: f"{prefix}000000001" for inst, (prefix, _) in KOREAN.items()}
PIN = "480135"
ME = "/api/v1/me/fincert"
LANGS = ("ko", "zh", "en")
SERVICE_BASE_URL = "http://127.0.0.1:8000"


def flow_url(inst: str, handle: str = "", step: str = "") -> str:
    url = f"/api/v1/institutions/{inst}/fincert/registrations"
    return f"{url}/{handle}/{step}" if handle else url


@functools.cache
def shared_service_ca() -> HSMFinCertCA:
    """One CA adapter per process, whichever test module asks (PKCS#11 allows one login per
    token per process); closed at the end of a session, it opens the token again on use."""
    return HSMFinCertCA(token_label=FINCERT_TOKEN, pin=USER_PIN, base_url=SERVICE_BASE_URL)


@functools.cache
def shared_key_store() -> PKCS11KeyStore:
    return PKCS11KeyStore(token_label=FINCERT_KEYS_TOKEN, pin=USER_PIN)


@pytest.fixture(scope="session")
def service_ca(softhsm: SoftHSM) -> Iterator[HSMFinCertCA]:
    ca = shared_service_ca()
    yield ca
    ca.close()


@pytest.fixture(scope="session")
def key_store(softhsm: SoftHSM) -> Iterator[PKCS11KeyStore]:
    """Customers' keys on a token of their own, as in production (one login per process)."""
    store = shared_key_store()
    yield store
    store.close()


@pytest.fixture
def app_state(
    database_url: str,
    tmp_path: Path,
    clock: SettableClock,
    policies: StaticPolicyBook,
    service_ca: HSMFinCertCA,
    key_store: PKCS11KeyStore,
) -> Iterator[App]:
    # The tests dispatch the outbox themselves (no background dispatcher racing the snapshots).
    settings = make_settings(database_url, tmp_path).model_copy(update={"outbox_in_process": False})
    state = bootstrap(settings, clock=clock, policies=policies)
    adapters = FinCertAdapters(ca=service_ca, keys=key_store, pins=HMACPINDigester(b"p" * 32))
    state = replace(state, deps=replace(state.deps, fincert=adapters))
    try:
        yield state
    finally:
        state.close()


@pytest.fixture
def world(client: TestClient, app_state: App) -> Api:
    """The five Korean member institutions of the demo, with 홍길동 at each, and the service CA."""
    deps = app_state.deps
    institutions.sync_institutions(deps, OPERATOR)
    for inst in KOREAN:
        load_korean(deps, inst, deps.today_in("Asia/Seoul"))
    fincert.init_service_ca(deps, OPERATOR, fincert.InitServiceCA())
    return Api(client, app_state.engine)


class Outbox:
    def __init__(self, app_state: App, tmp_path: Path) -> None:
        self.deps = app_state.deps
        self.path = tmp_path / "outbox.log"

    def lines(self) -> list[dict[str, Any]]:
        dispatch_once(self.deps, FileSender(self.path))
        if not self.path.exists():
            return []
        return [json.loads(x) for x in self.path.read_text(encoding="utf-8").splitlines()]

    def last_code(self) -> tuple[dict[str, Any], str]:
        for line in reversed(self.lines()):
            match = re.search(r"\b(\d{6})\b", line["text"])
            if match:
                return line, match.group(1)
        raise AssertionError("no code delivered")


@pytest.fixture
def outbox(app_state: App, tmp_path: Path) -> Outbox:
    return Outbox(app_state, tmp_path)


def login(api: Api, inst: str) -> str:
    return api.customer_token(inst, CARD[inst])


def strong(api: Api, outbox: Outbox, inst: str) -> str:
    """A session at ``inst`` raised to the one-time-code level (30) by an SMS code."""
    token = login(api, inst)
    r = api.post("/api/v1/me/challenges", token, channel="sms")
    assert r.status_code == 201, r.text
    _, code = outbox.last_code()
    r = api.post(f"/api/v1/me/challenges/{r.json()['id']}/verify", token, code=code)
    assert r.status_code == 200 and r.json()["level"] == 30, r.text
    return token


def issue(api: Api, outbox: Outbox, inst: str, **extra: Any) -> dict[str, Any]:
    r = api.post(ME, strong(api, outbox, inst), pin=PIN, **extra)
    assert r.status_code == 201, r.text
    return dict(r.json())


def register(
    api: Api, outbox: Outbox, inst: str, channel: str, serial: str | None = None, pin: str = PIN
) -> dict[str, Any]:
    """F3, the seed's four steps, as the registering institution's app drives them."""
    r = api.post(flow_url(inst), name=HONG, resident_number=f"{HONG_RRN[:6]}-{HONG_RRN[6:]}")
    assert r.status_code == 201 and r.json()["step"] == "identified", r.text
    handle = r.json()["handle"]
    r = api.post(flow_url(inst, handle, "challenge"), channel=channel)
    assert r.status_code == 200 and r.json()["step"] == "challenge_sent", r.text
    line, code = outbox.last_code()
    assert line["kind"] == {"sms": "sms", "ars": "voice", "one_time_code": "app"}[channel]
    assert line["to"] == "010****5678"
    r = api.post(flow_url(inst, handle, "challenge/verify"), code=code)
    assert r.status_code == 200 and r.json()["step"] == "authenticated", r.text
    r = api.post(flow_url(inst, handle, "customer-check"), resident_number=HONG_RRN, mobile="010-1234-5678")
    assert r.status_code == 200 and r.json()["step"] == "medium_verified", r.text
    r = api.get(flow_url(inst, handle, "certificates"))
    assert r.status_code == 200 and len(r.json()) == 1, r.text
    chosen = r.json()[0]
    assert serial is None or chosen["serial"] == serial
    assert chosen["resident_number_masked"] == f"{HONG_RRN[:6]}-{HONG_RRN[6]}******"
    r = api.post(flow_url(inst, handle, "complete"), serial=chosen["serial"], pin=pin)
    assert r.status_code == 201, r.text
    return dict(r.json())


def registered_at(api: Api, token: str) -> list[str]:
    r = api.get(ME, token)
    assert r.status_code == 200, r.text
    return sorted(x["institution"] for x in r.json()["registrations"])


def business_state(api: Api) -> dict[str, list[tuple[Any, ...]]]:
    state = snapshot(api.engine)
    del state["rate_limit_buckets"]
    return state


def refused_in_every_language(
    _api: Api, _status: int, _expected: str, _url: str, _token: str | None = None, **body: Any
) -> None:
    """Refused with ``_expected`` in ko / zh / en, and nothing in the database changed but the
    attempt counters (a refused attempt counts: that is what they are for)."""
    messages = {}
    for lang in LANGS:
        before = business_state(_api)
        r = _api.post(_url, _token, lang, **body)
        assert r.status_code == _status, r.text
        assert r.json()["error"]["code"] == _expected, r.text
        messages[lang] = r.json()["error"]["message"]
        assert business_state(_api) == before, "a refused request changed the database"
    assert len(set(messages.values())) == 3, messages
    assert re.search(r"[가-힣]", messages["ko"]) and re.search(r"[\u4e00-\u9fff]", messages["zh"])


def openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=60, check=False)


# --- journeys ------------------------------------------------------------------------------------


@pytest.mark.rule("F2", kind="allow")
@pytest.mark.rule("F3", kind="allow")
@pytest.mark.rule("F4", kind="allow")
@pytest.mark.rule("F5", kind="allow")
def test_issued_at_each_bank_registered_at_ksfc_with_sms_ars_and_one_time_code(
    world: Api, outbox: Outbox, tmp_path: Path
) -> None:
    api = world
    first = issue(api, outbox, "kb")
    assert first["issuing_institution"] == "kb" and first["status"] == "valid"
    assert first["resident_number_masked"] == f"{HONG_RRN[:6]}-{HONG_RRN[6]}******"
    assert (
        date.fromisoformat(first["not_after"][:10]) - date.fromisoformat(first["not_before"][:10])
    ).days in (
        1095,
        1096,
    )
    # The service's certificate verifies with openssl against the service CA.
    ca = api.client.get("/api/v1/fincert/ca").json()
    (tmp_path / "chain.pem").write_text(ca["root_pem"] + ca["issuing_pem"])
    (tmp_path / "root.pem").write_text(ca["root_pem"])
    (tmp_path / "issuing.pem").write_text(ca["issuing_pem"])
    (tmp_path / "leaf.pem").write_text(first["certificate_pem"])
    result = openssl(
        "verify",
        "-CAfile",
        str(tmp_path / "root.pem"),
        "-untrusted",
        str(tmp_path / "issuing.pem"),
        str(tmp_path / "leaf.pem"),
    )
    assert result.returncode == 0, result.stdout + result.stderr

    for channel in ("sms", "ars", "one_time_code"):
        done = register(api, outbox, "ksfc", channel, serial=first["serial"])
        assert sorted(x["institution"] for x in done["registrations"]) == ["kb", "ksfc"]
        notice = outbox.lines()[-1]
        assert notice["kind"] == "sms" and "금융인증서가 등록되었습니다" in notice["text"]
        ksfc = login(api, "ksfc")
        r = api.client.delete(f"{ME}/registration", headers={"Authorization": f"Bearer {ksfc}"})
        assert r.status_code == 204, r.text
        assert registered_at(api, ksfc) == ["kb"]  # 해제: still valid elsewhere

    # Issuing at each other bank replaces the one before, once the customer confirms.
    previous = first["serial"]
    for bank in BANKS[1:]:
        made = issue(api, outbox, bank, confirm_revoke_other=True)
        assert made["issuing_institution"] == bank and made["serial"] != previous
        previous = made["serial"]
    with api.engine.connect() as conn:
        rows = conn.execute(select(fincert_certificates.c.status).order_by(fincert_certificates.c.id)).all()
    assert [r.status for r in rows] == ["revoked", "revoked", "revoked", "valid"]


@pytest.mark.rule("F5", kind="allow")
@pytest.mark.rule("F3", kind="allow")
def test_reissue_at_another_bank_keeps_the_expiry_voids_registrations_and_allows_re_registration(
    world: Api, outbox: Outbox, clock: SettableClock
) -> None:
    api = world
    first = issue(api, outbox, "kb")
    register(api, outbox, "ksfc", "sms", serial=first["serial"])
    clock.advance(timedelta(days=40))
    r = api.post(f"{ME}/reissue", strong(api, outbox, "shinhan"), pin="975318")
    assert r.status_code == 201, r.text
    again = r.json()
    assert again["not_after"] == first["not_after"] and again["serial"] != first["serial"]
    assert again["issuing_institution"] == "shinhan"
    assert registered_at(api, login(api, "shinhan")) == ["shinhan"]  # ksfc's registration was voided
    with api.engine.connect() as conn:
        statuses = sorted(r.status for r in conn.execute(select(fincert_registrations.c.status)))
    assert statuses == ["active", "voided", "voided"]
    # Re-registration at ksfc repeats the four steps (with the new PIN).
    done = register(api, outbox, "ksfc", "ars", serial=again["serial"], pin="975318")
    assert sorted(x["institution"] for x in done["registrations"]) == ["ksfc", "shinhan"]


# --- F2 / F5 refusals ------------------------------------------------------------------------


@pytest.mark.rule("F2", kind="refuse")
def test_a_securities_finance_company_cannot_issue(world: Api, outbox: Outbox) -> None:
    token = strong(world, outbox, "ksfc")
    refused_in_every_language(world, 403, "F2_ISSUER_NOT_A_BANK", ME, token, pin=PIN)
    refused_in_every_language(world, 403, "F2_ISSUER_NOT_A_BANK", f"{ME}/reissue", token, pin=PIN)


@pytest.mark.rule("F2", kind="refuse")
def test_issuing_needs_a_session_raised_to_a_one_time_code(world: Api) -> None:
    token = login(world, "kb")
    error = world.refused(401, "K2_STEP_UP_REQUIRED", ME, token, pin=PIN)
    assert error["params"]["required_level"] == 30


@pytest.mark.rule("F5", kind="refuse")
def test_a_second_bank_is_refused_unless_the_customer_confirms_revoking_the_first(
    world: Api, outbox: Outbox
) -> None:
    first = issue(world, outbox, "kb")
    token = strong(world, outbox, "woori")
    refused_in_every_language(world, 409, "F5_CERTIFICATE_EXISTS_ELSEWHERE", ME, token, pin=PIN)
    kb = strong(world, outbox, "kb")
    refused_in_every_language(world, 409, "F5_ALREADY_ISSUED", ME, kb, pin=PIN)
    refused_in_every_language(world, 422, "F5_PIN_FORMAT", ME, token, pin="12345", confirm_revoke_other=True)
    refused_in_every_language(
        world, 422, "F5_PIN_TOO_SIMPLE", ME, token, pin="111111", confirm_revoke_other=True
    )
    r = world.post(ME, token, pin=PIN, confirm_revoke_other=True)
    assert r.status_code == 201, r.text
    assert registered_at(world, token) == ["woori"]
    refused_in_every_language(world, 404, "F4_NOT_REGISTERED", f"{ME}/suspend", kb)
    assert first["serial"] != r.json()["serial"]


# --- F3 refusals -------------------------------------------------------------------------------


@pytest.mark.rule("F3", kind="refuse")
def test_identity_attempts_are_counted_per_person_and_per_address_and_a_flood_is_refused(
    world: Api, app_state: App, clock: SettableClock
) -> None:
    """Step 1 cannot be used to test which resident numbers belong to customers: attempts are
    counted per person and per client address, whether the person is found or not."""
    api = world
    limits = app_state.deps.policies.policy_for("ksfc").rate_limit
    for _ in range(limits.per_customer):
        r = api.post(flow_url("ksfc"), name="김철수", resident_number=HONG_RRN)
        assert r.json()["error"]["code"] == "F3_IDENTITY_MISMATCH", r.text
    # The right name now: still refused until the window has passed, and no flow is started.
    refused_in_every_language(
        api, 429, "F3_TOO_MANY_ATTEMPTS", flow_url("ksfc"), name=HONG, resident_number=HONG_RRN
    )
    clock.advance(timedelta(seconds=limits.window_seconds + 1))
    assert api.post(flow_url("ksfc"), name=HONG, resident_number=HONG_RRN).status_code == 201
    # One address trying many people is stopped too, even for a person it never tried.
    clock.advance(timedelta(seconds=limits.window_seconds + 1))
    for n in range(limits.per_address):
        stranger = kr_rrn(date(1960, 1, 1) + timedelta(days=n), n % 2 == 0, f"{n:06d}")
        r = api.post(flow_url("ksfc"), name="김철수", resident_number=stranger)
        assert r.json()["error"]["code"] == "F3_IDENTITY_MISMATCH", r.text
    r = api.post(flow_url("ksfc"), name=HONG, resident_number=HONG_RRN)
    assert r.status_code == 429 and r.json()["error"]["code"] == "F3_TOO_MANY_ATTEMPTS", r.text


@pytest.mark.rule("F3", kind="refuse")
def test_every_registration_step_refuses_with_its_own_code_and_registers_nothing(
    world: Api, outbox: Outbox, clock: SettableClock
) -> None:
    api = world
    refused_in_every_language(
        api, 422, "F3_RESIDENT_NUMBER_INVALID", flow_url("ksfc"), name=HONG, resident_number="8503151"
    )
    refused_in_every_language(
        api, 422, "F3_RESIDENT_NUMBER_INVALID", flow_url("ksfc"), name=HONG, resident_number="8502301234567"
    )
    refused_in_every_language(  # 7th digit 3: born in 2085, after today
        api, 422, "F3_RESIDENT_NUMBER_INVALID", flow_url("ksfc"), name=HONG, resident_number="8503153234567"
    )
    refused_in_every_language(
        api, 422, "F3_IDENTITY_MISMATCH", flow_url("ksfc"), name="김철수", resident_number=HONG_RRN
    )
    r = api.post(flow_url("ksfc"), name=HONG, resident_number=HONG_RRN)
    handle = r.json()["handle"]
    # Steps out of order.
    refused_in_every_language(
        api, 409, "F3_STEP_OUT_OF_ORDER", flow_url("ksfc", handle, "challenge/verify"), code="123456"
    )
    refused_in_every_language(
        api,
        409,
        "F3_STEP_OUT_OF_ORDER",
        flow_url("ksfc", handle, "customer-check"),
        resident_number=HONG_RRN,
        mobile=HONG_MOBILE,
    )
    refused_in_every_language(
        api, 409, "F3_STEP_OUT_OF_ORDER", flow_url("ksfc", handle, "complete"), serial="ab", pin=PIN
    )
    refused_in_every_language(
        api, 404, "F3_FLOW_NOT_FOUND", flow_url("kb", handle, "challenge"), channel="sms"
    )
    assert api.post(flow_url("ksfc", handle, "challenge"), channel="sms").status_code == 200
    _, code = outbox.last_code()
    wrong = "000000" if code != "000000" else "111111"
    r = api.post(flow_url("ksfc", handle, "challenge/verify"), code=wrong)
    assert r.status_code == 401 and r.json()["error"]["code"] == "K2_CHALLENGE_WRONG"
    assert api.post(flow_url("ksfc", handle, "challenge/verify"), code=code).status_code == 200
    refused_in_every_language(
        api,
        422,
        "F3_MOBILE_MISMATCH",
        flow_url("ksfc", handle, "customer-check"),
        resident_number=HONG_RRN,
        mobile="01099998888",
    )
    other = kr_rrn(date(1990, 1, 1), True, "111111")
    refused_in_every_language(
        api,
        422,
        "F3_IDENTITY_MISMATCH",
        flow_url("ksfc", handle, "customer-check"),
        resident_number=other,
        mobile=HONG_MOBILE,
    )
    assert (
        api.post(
            flow_url("ksfc", handle, "customer-check"), resident_number=HONG_RRN, mobile=HONG_MOBILE
        ).status_code
        == 200
    )
    # No certificate issued yet: nothing to choose.
    assert api.get(flow_url("ksfc", handle, "certificates")).json() == []
    refused_in_every_language(
        api, 404, "F3_NO_CERTIFICATE", flow_url("ksfc", handle, "complete"), serial="ab", pin=PIN
    )
    # Expired flow.
    clock.advance(timedelta(minutes=11))
    refused_in_every_language(
        api, 422, "F3_FLOW_EXPIRED", flow_url("ksfc", handle, "complete"), serial="ab", pin=PIN
    )
    with api.engine.connect() as conn:
        assert conn.execute(select(fincert_registrations)).all() == []


@pytest.mark.rule("F3", kind="refuse")
@pytest.mark.rule("F5", kind="refuse")
def test_a_wrong_pin_at_registration_is_counted_and_five_lock_the_certificate_until_reissue(
    world: Api, outbox: Outbox
) -> None:
    api = world
    first = issue(api, outbox, "kb")
    register(api, outbox, "ksfc", "sms", serial=first["serial"])
    ksfc = login(api, "ksfc")
    r = api.post(flow_url("ksfc"), name=HONG, resident_number=HONG_RRN)
    assert r.status_code == 201
    refused_in_every_language(
        api, 404, "F4_NOT_REGISTERED", f"{ME}/pin", login(api, "hana"), old_pin=PIN, new_pin="246813"
    )
    codes = [
        api.post(f"{ME}/pin", ksfc, old_pin="999999", new_pin="246813").json()["error"]["code"]
        for _ in range(5)
    ]
    assert codes == ["F5_PIN_WRONG"] * 4 + ["F5_PIN_LOCKED"]
    r = api.post(f"{ME}/pin", ksfc, old_pin=PIN, new_pin="246813")
    assert r.status_code == 423 and r.json()["error"]["code"] == "F5_PIN_LOCKED"
    for lang in LANGS:
        assert api.post(f"{ME}/sign", ksfc, lang, pin=PIN, purpose="02", message="").status_code == 423
    # Only a re-issue helps.
    r = api.post(f"{ME}/reissue", strong(api, outbox, "kb"), pin="246813")
    assert r.status_code == 201 and r.json()["pin_locked"] is False


@pytest.mark.rule("F3", kind="allow")
def test_the_web_registration_shows_validity_as_a_date_of_the_registering_institution(
    world: Api, outbox: Outbox, clock: SettableClock
) -> None:
    """Not signed in, step 4's certificate choice gives the expiry as a date in Seoul, where
    Korea Securities Finance is, not in UTC: at 20:00 UTC it is the next morning there."""
    api = world
    clock.set(clock.now().replace(hour=20))
    issued = issue(api, outbox, "kb")
    not_after = datetime.fromisoformat(issued["not_after"])
    assert not_after.hour == 20
    utc_day = not_after.date()
    r = api.post(flow_url("ksfc"), name=HONG, resident_number=HONG_RRN)
    assert r.status_code == 201, r.text
    handle = r.json()["handle"]
    assert api.post(flow_url("ksfc", handle, "challenge"), channel="sms").status_code == 200
    _, code = outbox.last_code()
    assert api.post(flow_url("ksfc", handle, "challenge/verify"), code=code).status_code == 200

    client = api.client
    csrf = csrf_of(client, "/certificates/register?institution=ksfc")
    client.cookies.set("netbank_fincert_flow", f"ksfc:{handle}", path="/certificates/register")
    step4 = client.post(
        "/certificates/register/medium",
        data={"csrf_token": csrf, "resident_number": HONG_RRN, "mobile": HONG_MOBILE},
    )
    assert step4.status_code == 200, step4.text
    assert f'value="{issued["serial"]}"' in step4.text
    assert (utc_day + timedelta(days=1)).isoformat() in step4.text
    assert utc_day.isoformat() not in step4.text


@pytest.mark.rule("F3", kind="refuse")
def test_registering_twice_at_one_institution_is_refused(world: Api, outbox: Outbox) -> None:
    first = issue(world, outbox, "kb")
    register(world, outbox, "ksfc", "sms")
    r = world.post(flow_url("ksfc"), name=HONG, resident_number=HONG_RRN)
    handle = r.json()["handle"]
    world.post(flow_url("ksfc", handle, "challenge"), channel="sms")
    _, code = outbox.last_code()
    world.post(flow_url("ksfc", handle, "challenge/verify"), code=code)
    world.post(flow_url("ksfc", handle, "customer-check"), resident_number=HONG_RRN, mobile=HONG_MOBILE)
    refused_in_every_language(
        world,
        409,
        "F3_ALREADY_REGISTERED",
        flow_url("ksfc", handle, "complete"),
        serial=first["serial"],
        pin=PIN,
    )


# --- F4 management ----------------------------------------------------------------------------


@pytest.mark.rule("F4", kind="allow")
@pytest.mark.rule("F4", kind="refuse")
def test_suspend_restore_change_pin_and_revoke_only_at_the_issuing_bank(world: Api, outbox: Outbox) -> None:
    api = world
    issue(api, outbox, "kb")
    register(api, outbox, "ksfc", "one_time_code")
    ksfc = login(api, "ksfc")
    assert api.post(f"{ME}/suspend", ksfc).status_code == 204
    refused_in_every_language(api, 409, "F4_ALREADY_SUSPENDED", f"{ME}/suspend", ksfc)
    refused_in_every_language(
        api, 422, "F4_CERTIFICATE_SUSPENDED", f"{ME}/sign", ksfc, pin=PIN, purpose="01", message=""
    )
    assert api.post(f"{ME}/restore", strong(api, outbox, "ksfc")).status_code == 204
    refused_in_every_language(api, 409, "F4_NOT_SUSPENDED", f"{ME}/restore", strong(api, outbox, "ksfc"))
    assert api.post(f"{ME}/pin", ksfc, old_pin=PIN, new_pin="246813").status_code == 204
    r = api.post(f"{ME}/pin", ksfc, old_pin=PIN, new_pin="135792")
    assert r.status_code == 401 and r.json()["error"]["code"] == "F5_PIN_WRONG"
    assert r.json()["error"]["params"]["attempts_left"] == 4
    refused_in_every_language(
        api, 403, "F4_REVOKE_AT_ISSUING_BANK_ONLY", f"{ME}/revoke", strong(api, outbox, "shinhan")
    )
    assert api.post(f"{ME}/revoke", strong(api, outbox, "kb")).status_code == 204
    with api.engine.connect() as conn:
        assert sorted(r.status for r in conn.execute(select(fincert_registrations.c.status))) == [
            "voided",
            "voided",
        ]
    refused_in_every_language(api, 404, "F4_NO_CERTIFICATE", f"{ME}/suspend", ksfc)
    assert api.get(ME, ksfc).status_code == 404


@pytest.mark.rule("F5", kind="allow")
@pytest.mark.rule("F5", kind="refuse")
def test_renewal_only_in_the_last_30_days_and_only_at_the_issuing_bank(
    world: Api, outbox: Outbox, clock: SettableClock, app_state: App
) -> None:
    api = world
    first = issue(api, outbox, "hana")
    register(api, outbox, "ksfc", "sms")
    hana = strong(api, outbox, "hana")
    error = api.refused(422, "F5_RENEWAL_TOO_EARLY", f"{ME}/renew", hana, pin=PIN)
    assert error["params"]["window_days"] == 30
    clock.advance(timedelta(days=3 * 365 - 20))
    refused_in_every_language(
        api, 403, "F5_RENEWAL_AT_ISSUING_BANK_ONLY", f"{ME}/renew", strong(api, outbox, "kb"), pin=PIN
    )
    r = api.post(f"{ME}/renew", strong(api, outbox, "hana"), pin=PIN)
    assert r.status_code == 200, r.text
    renewed = r.json()
    old_end = date.fromisoformat(first["not_after"][:10])
    assert renewed["not_after"][:10] == old_end.replace(year=old_end.year + 3).isoformat()
    assert sorted(x["institution"] for x in renewed["registrations"]) == ["hana", "ksfc"]

    # The certificate the renewal replaced has not expired: from the renewal on, the service
    # publishes it as revoked, reason superseded (CRL and the responder's status source).
    renewed_at = clock.now()
    assert renewed["serial"] != first["serial"]
    with api.engine.connect() as conn:
        kept = conn.execute(
            select(
                fincert_superseded.c.serial,
                fincert_superseded.c.not_after,
                fincert_superseded.c.superseded_at,
            )
        ).all()
    assert [(row.serial, row.superseded_at) for row in kept] == [(first["serial"], renewed_at)]
    assert kept[0].not_after.isoformat()[:10] == first["not_after"][:10]

    def crl_entry(serial: str) -> x509.RevokedCertificate | None:
        crl = x509.load_der_x509_crl(api.client.get("/pki/fincert/crl").content)
        return crl.get_revoked_certificate_by_serial_number(int(serial, 16))

    def status(serial: str) -> fc.PublishedStatus:
        with app_state.deps.uow(readonly=True) as uow:
            return fincert.certificate_status(uow, serial, clock.now())

    entry = crl_entry(first["serial"])
    assert entry is not None and entry.revocation_date_utc == renewed_at.replace(microsecond=0)
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.superseded
    )
    assert crl_entry(renewed["serial"]) is None
    superseded = fc.PublishedStatus(known=True, revoked_at=renewed_at, reason=fc.PublishedReason.SUPERSEDED)
    assert status(first["serial"]) == superseded
    assert status(renewed["serial"]) == fc.PublishedStatus(known=True)
    # Once the old certificate has expired it leaves the CRL (RFC 5280 3.3); its status stays.
    clock.advance(timedelta(days=30))
    assert crl_entry(first["serial"]) is None
    assert status(first["serial"]) == superseded
    clock.advance(timedelta(days=3 * 365 + 30))
    refused_in_every_language(
        api,
        422,
        "F5_CERTIFICATE_EXPIRED",
        f"{ME}/sign",
        login(api, "ksfc"),
        pin=PIN,
        purpose="99",
        message="",
    )


# --- F7 signatures ------------------------------------------------------------------------------


@pytest.mark.rule("F5", kind="allow")
def test_a_signature_verifies_with_openssl_cms_and_a_login_signature_raises_the_session_to_40(
    world: Api, outbox: Outbox, tmp_path: Path
) -> None:
    api = world
    issue(api, outbox, "woori")
    register(api, outbox, "ksfc", "sms")
    ksfc = login(api, "ksfc")
    message = b"transfer 50000 KRW to 1002000000002"
    r = api.post(f"{ME}/sign", ksfc, pin=PIN, purpose="02", message=base64.b64encode(message).decode())
    assert r.status_code == 200, r.text
    cms = base64.b64decode(r.json()["cms_base64"])
    ca = api.client.get("/api/v1/fincert/ca").json()
    (tmp_path / "chain.pem").write_text(ca["root_pem"] + ca["issuing_pem"])
    (tmp_path / "sig.der").write_bytes(cms)
    result = openssl(
        "cms",
        "-verify",
        "-inform",
        "DER",
        "-in",
        str(tmp_path / "sig.der"),
        "-CAfile",
        str(tmp_path / "chain.pem"),
        "-purpose",
        "any",
        "-binary",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"netbank-fincert/1 purpose=02\n" + message
    verified = api.post("/api/v1/fincert/verify", cms_base64=r.json()["cms_base64"]).json()
    assert verified["purpose"] == "02" and base64.b64decode(verified["message"]) == message
    tampered = bytearray(cms)
    index = bytes(cms).index(b"50000")
    tampered[index] = ord("9")
    r = api.post("/api/v1/fincert/verify", cms_base64=base64.b64encode(bytes(tampered)).decode())
    assert r.status_code == 422 and r.json()["error"]["code"] == "F7_SIGNATURE_INVALID"
    r = api.post(f"{ME}/step-up", ksfc, pin=PIN)
    assert r.status_code == 200 and r.json()["level"] == 40, r.text
    assert api.get("/api/v1/me/session", ksfc).json()["level"] == 40


@pytest.mark.rule("F7", kind="refuse")
def test_a_token_failure_after_the_pin_check_is_a_clear_refusal_recorded_in_the_audit_trail(
    world: Api, outbox: Outbox, deps: Deps
) -> None:
    """The PIN check, its counter and the audit entry are committed before the token signs;
    when the token then fails, the customer gets a 4xx with its code (never a 500) and the
    audit trail says the signature failed after it said the PIN was right."""
    api = world
    issue(api, outbox, "kb")
    kb = login(api, "kb")
    with api.engine.connect() as conn:
        key_ref = conn.execute(select(fincert_certificates.c.key_ref)).scalar_one()
    assert deps.fincert is not None
    deps.fincert.keys.discard(key_ref)  # the key is gone from the token
    r = api.post(f"{ME}/sign", kb, pin=PIN, purpose="02", message="")
    assert r.status_code == 422 and r.json()["error"]["code"] == "K1_TOKEN_ERROR", r.text
    with deps.uow(readonly=True) as uow:
        events = [entry.event for entry in uow.audit.recent("kb", 2)]
    assert events == ["fincert.sign_failed", "fincert.signed"]


# --- concurrency and privacy --------------------------------------------------------------------


@pytest.mark.rule("F5", kind="refuse")
def test_parallel_wrong_pins_cannot_beat_the_lock_out_counter(world: Api, outbox: Outbox, deps: Deps) -> None:
    issue(world, outbox, "kb")
    token = login(world, "kb")
    from netbank.services import auth

    actor = auth.authenticate_customer(deps, token)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        try:
            fincert.change_pin(deps, actor, fincert.ChangePIN(old_pin="999999", new_pin="246813"))
            results.append("changed")
        except DomainError as exc:
            results.append(exc.code.value)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == sorted(["F5_PIN_WRONG"] * 4 + ["F5_PIN_LOCKED"] * 4), results
    with world.engine.connect() as conn:
        row = conn.execute(
            select(fincert_certificates.c.pin_failures, fincert_certificates.c.pin_locked)
        ).one()
    assert row.pin_failures == 5 and row.pin_locked


def test_resident_numbers_pins_and_keys_are_never_stored_in_clear(
    world: Api, outbox: Outbox, app_state: App
) -> None:
    made = issue(world, outbox, "kb")
    register(world, outbox, "ksfc", "sms")
    dump = repr(snapshot(app_state.engine))
    assert HONG_RRN not in dump and f"{HONG_RRN[:6]}-{HONG_RRN[6:]}" not in dump
    assert PIN not in dump
    assert b"PRIVATE KEY" not in repr(dump).encode()
    assert made["serial"] in dump


# --- F1: the one service ----------------------------------------------------------------------------


@pytest.mark.rule("F1", kind="allow")
def test_one_service_serves_every_institution_with_keys_it_keeps(
    world: Api, outbox: Outbox, app_state: App, key_store: PKCS11KeyStore
) -> None:
    """F1: the certificate and key live in the service: any member institution signs with it
    once registered, and the customer carries nothing but the PIN."""
    issue(world, outbox, "shinhan")
    register(world, outbox, "ksfc", "ars")
    for inst in ("shinhan", "ksfc"):
        r = world.post(f"{ME}/sign", login(world, inst), pin=PIN, purpose="99", message="")
        assert r.status_code == 200, r.text
    with world.engine.connect() as conn:
        row = conn.execute(
            select(
                fincert_certificates.c.key_ref,
                fincert_certificates.c.key_sealed,
                fincert_certificates.c.pin_digest,
            )
        ).one()
    # The private key is on the service's token, never extractable; the database has its name.
    assert row.key_sealed is None and len(row.pin_digest) == 64
    assert key_store.protection(row.key_ref).confined_to_token


@pytest.mark.rule("F1", kind="refuse")
def test_the_service_refuses_without_configuration_and_its_ca_is_created_once(
    world: Api, app_state: App, outbox: Outbox
) -> None:
    with pytest.raises(DomainError) as exc:
        fincert.init_service_ca(app_state.deps, OPERATOR, fincert.InitServiceCA())
    assert exc.value.code.value == "F1_CA_ALREADY_INITIALISED"
    unconfigured = replace(app_state, deps=replace(app_state.deps, fincert=None))
    with TestClient(create_app(unconfigured), raise_server_exceptions=False) as client:
        token = strong(Api(client, app_state.engine), outbox, "kb")
        refused_in_every_language(
            Api(client, app_state.engine), 422, "F1_SERVICE_NOT_CONFIGURED", ME, token, pin=PIN
        )


@pytest.mark.rule("F1", kind="refuse")
def test_a_period_the_service_ca_cannot_cover_is_refused_before_a_key_is_made(
    world: Api, outbox: Outbox, clock: SettableClock, app_state: App
) -> None:
    """A certificate must lie within its issuing CA's validity (RFC 5280). Three years before
    the issuing CA ends, a new certificate would outlive it: issuing is refused with the CA's
    end date, in every language, and nothing is stored (no half-made certificate)."""
    with app_state.deps.uow(readonly=True) as uow:
        issuing = uow.fincert.active_authority("issuing")
    assert issuing is not None
    clock.set(issuing.not_after - timedelta(days=3 * 365 - 10))
    token = strong(world, outbox, "kb")
    refused_in_every_language(world, 422, "F1_CA_VALIDITY_EXCEEDED", ME, token, pin=PIN)
    error = world.refused(422, "F1_CA_VALIDITY_EXCEEDED", ME, token, pin=PIN)
    assert error["params"]["ca_not_after"] == issuing.not_after.date().isoformat()
    # Before the issuing CA's start (a clock behind the one that made it) as well.
    clock.set(issuing.not_before - timedelta(hours=1))
    world.refused(422, "F1_CA_VALIDITY_EXCEEDED", ME, strong(world, outbox, "kb"), pin=PIN)
    # A renewal adds three years to the old expiry: refused too once that passes the CA's end.
    clock.set(issuing.not_after - timedelta(days=3 * 365 + 40))
    issue(world, outbox, "kb")
    clock.advance(timedelta(days=3 * 365 - 20))
    world.refused(422, "F1_CA_VALIDITY_EXCEEDED", f"{ME}/renew", strong(world, outbox, "kb"), pin=PIN)
