"""F8: devices connect to the cloud financial certificate service with name, phone number and
birth date and an SMS / ARS code, may keep an auto-connect token and clear it, and people who
leave the cloud unused for 12 months are purged with their certificates. The demo people:
홍길동 (K0001, OTP customer at every member institution) takes a certificate at KB Kookmin;
김영희 (K0002) is a customer everywhere but holds no certificate until a test gives her one.
SQLite and PostgreSQL; customer keys on a SoftHSM2 token."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from sqlalchemy import func, select

from netbank.adapters.clock import SettableClock
from netbank.adapters.db.tables import (
    audit_entries,
    fincert_certificates,
    fincert_connect_attempts,
    fincert_devices,
    fincert_people,
    fincert_registrations,
    outbox_messages,
)
from netbank.adapters.fincert_keys import PKCS11KeyStore
from netbank.bootstrap import App
from netbank.demo import KOREAN, LOGIN_PASSWORD, kr_rrn
from netbank.domain.errors import DomainError
from netbank.domain.fincert import SignaturePurpose
from netbank.services import fincert
from tests.builders import OPERATOR, Api, bearer
from tests.e2e.serverproc import netbank_env
from tests.integration.test_fincert import (
    HONG,
    HONG_RRN,
    LANGS,
    ME,
    PIN,
    Outbox,
    app_state,
    business_state,
    issue,
    key_store,
    login,
    outbox,
    service_ca,
    strong,
    world,
)
from tests.softhsm import FINCERT_KEYS_TOKEN, FINCERT_TOKEN, USER_PIN, SoftHSM, run

__all__ = ["app_state", "key_store", "outbox", "service_ca", "world"]

pytestmark = [pytest.mark.hsm]

CONNECT = "/api/v1/fincert/devices/connect"
AUTO = "/api/v1/fincert/devices/auto-connect"
DISCONNECT = "/api/v1/fincert/devices/disconnect"
MY_DEVICES = f"{ME}/devices"
HONG_PHONE = "010-1234-5678"
HONG_BIRTH = "19850315"
KIM = "김영희"
KIM_RRN = kr_rrn(datetime(2001, 7, 9).date(), False, "123456")
KIM_PHONE = "01098765432"
KIM_BIRTH = "20010709"


def card_of_kim(inst: str) -> str:
    return f"{KOREAN[inst][0]}000000002"


def start(
    api: Api,
    name: str = HONG,
    mobile: str = HONG_PHONE,
    birth_date: str = HONG_BIRTH,
    channel: str = "sms",
    lang: str = "en",
) -> Any:
    return api.post(CONNECT, None, lang, name=name, mobile=mobile, birth_date=birth_date, channel=channel)


def verify(api: Api, handle: str, code: str, lang: str = "en", **extra: Any) -> Any:
    return api.post(f"{CONNECT}/{handle}/verify", None, lang, code=code, **extra)


def connect(api: Api, outbox: Outbox, channel: str = "sms", **extra: Any) -> dict[str, Any]:
    """F8 start to finish for 홍길동: the code is read from the outbox, as the phone gets it."""
    r = start(api, channel=channel)
    assert r.status_code == 201, r.text
    line, code = outbox.last_code()
    assert line["kind"] == {"sms": "sms", "ars": "voice"}[channel]
    assert line["to"] == "010****5678"
    r = verify(api, r.json()["handle"], code, **extra)
    assert r.status_code == 200, r.text
    return dict(r.json())


def from_device(api: Api, url: str, token: str) -> Any:
    """What the device itself sends: its kept token, in the body."""
    return api.client.post(url, json={"token": token})


def outbox_count(api: Api) -> int:
    with api.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox_messages)).scalar_one())


def error_code(r: Any) -> str:
    return str(r.json()["error"]["code"])


def enrol_kim(api: Api, inst: str) -> str:
    """김영희 enrolled at ``inst`` as an OTP customer at the counter; returns her login card."""
    teller = api.teller_token(inst)
    r = api.client.post(
        "/api/v1/teller/identity-checks",
        headers=bearer(teller),
        json={"customer_number": "K0002", "document_type": "kr_rrn", "document_number": KIM_RRN},
    )
    assert r.status_code == 201, r.text
    r = api.post(
        "/api/v1/teller/transactions/819101/add",
        teller,
        customer_number="K0002",
        identity_check_id=r.json()["id"],
        version="otp",
        registration_account_number=card_of_kim(inst),
        login_password=LOGIN_PASSWORD,
        otp_phone=KIM_PHONE,
    )
    assert r.status_code == 201, r.text
    return card_of_kim(inst)


def kim_certificate(api: Api, outbox: Outbox, inst: str = "shinhan") -> dict[str, Any]:
    card = enrol_kim(api, inst)
    token = api.customer_token(inst, card)
    r = api.post("/api/v1/me/challenges", token, channel="sms")
    assert r.status_code == 201, r.text
    _, code = outbox.last_code()
    r = api.post(f"/api/v1/me/challenges/{r.json()['id']}/verify", token, code=code)
    assert r.status_code == 200, r.text
    r = api.post(ME, token, pin="975318")
    assert r.status_code == 201, r.text
    return dict(r.json())


def ocsp_status(api: Api, certificate_pem: str) -> ocsp.OCSPResponse:
    issuing = x509.load_pem_x509_certificate(
        api.client.get("/api/v1/fincert/ca").json()["issuing_pem"].encode()
    )
    leaf = x509.load_pem_x509_certificate(certificate_pem.encode())
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuing, hashes.SHA256()).build()
    r = api.client.post(
        "/api/v1/fincert/ocsp",
        content=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    )
    assert r.status_code == 200, r.text
    answer = ocsp.load_der_ocsp_response(r.content)
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    return answer


# --- connect ---------------------------------------------------------------------------------


@pytest.mark.rule("F8", kind="allow")
def test_a_device_connects_by_sms_and_by_ars_with_the_code_sent_to_the_holders_phone(
    world: Api, outbox: Outbox, clock: SettableClock
) -> None:
    api = world
    made = issue(api, outbox, "kb")
    for channel in ("sms", "ars"):
        clock.advance(timedelta(minutes=10))
        done = connect(api, outbox, channel)
        assert done["serial"] == made["serial"] and done["holder_name"] == HONG
        assert done["status"] == "valid" and done["not_after"] == made["not_after"]
        assert done["auto_connect_token"] is None and done["device_id"] is None
    # The code message is signed by the cloud service, in the delivering institution's language.
    texts = [line["text"] for line in outbox.lines()[-2:]]
    assert all("금융인증서비스" in text for text in texts), texts
    # Dashes in the birth date and +82 in the phone number are the same person.
    r = start(api, mobile="+82 10 1234 5678", birth_date="1985-03-15")
    assert r.status_code == 201, r.text
    _, code = outbox.last_code()
    assert verify(api, r.json()["handle"], code).status_code == 200
    with api.engine.connect() as conn:
        statuses = [row.status for row in conn.execute(select(fincert_connect_attempts.c.status))]
    assert statuses == ["connected"] * 3


@pytest.mark.rule("F8", kind="refuse")
def test_a_wrong_code_is_counted_and_the_last_attempt_locks_the_connection(
    world: Api, outbox: Outbox
) -> None:
    api = world
    issue(api, outbox, "kb")
    r = start(api)
    handle = r.json()["handle"]
    _, code = outbox.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        r = verify(api, handle, wrong)
        assert r.status_code == 401 and error_code(r) == "F8_CODE_WRONG", r.text
        assert r.json()["error"]["params"]["attempts_left"] == left
    r = verify(api, handle, wrong)
    assert r.status_code == 423 and error_code(r) == "F8_CODE_LOCKED", r.text
    # Locked for good: even the right code is refused now.
    for lang in LANGS:
        r = verify(api, handle, code, lang)
        assert r.status_code == 423 and error_code(r) == "F8_CODE_LOCKED", r.text
    # A finished connection cannot be used twice.
    r = start(api)
    handle = r.json()["handle"]
    _, code = outbox.last_code()
    assert verify(api, handle, code).status_code == 200
    r = verify(api, handle, code)
    assert r.status_code == 409 and error_code(r) == "F8_CONNECT_FINISHED", r.text


@pytest.mark.rule("F8", kind="refuse")
def test_an_expired_code_is_refused(world: Api, outbox: Outbox, clock: SettableClock) -> None:
    api = world
    issue(api, outbox, "kb")
    r = start(api)
    assert r.status_code == 201, r.text
    expires_at = datetime.fromisoformat(r.json()["expires_at"])
    assert expires_at - clock.now() == timedelta(seconds=180)
    _, code = outbox.last_code()
    clock.set(expires_at)
    before = business_state(api)
    r = verify(api, r.json()["handle"], code)
    assert r.status_code == 401 and error_code(r) == "F8_CODE_EXPIRED", r.text
    assert business_state(api) == before


@pytest.mark.rule("F8", kind="refuse")
def test_a_mismatch_looks_the_same_as_an_unknown_person_and_sends_nothing(
    world: Api, outbox: Outbox, clock: SettableClock
) -> None:
    api = world
    issue(api, outbox, "kb")
    lines_before = len(outbox.lines())

    def attempt(**fields: str) -> tuple[int, list[str], timedelta, list[tuple[int, str]]]:
        """What the client sees of a start, and of five wrong codes after it. Each start in a
        rate-limit window of its own: this test is not about the limit."""
        clock.advance(timedelta(minutes=6))
        sent = outbox_count(api)
        r = start(api, **fields)
        assert outbox_count(api) == sent, "a code was queued for a start that names nobody"
        body = r.json()
        seen = []
        for _ in range(5):
            v = verify(api, body["handle"], "000000")
            seen.append((v.status_code, v.text))
        return r.status_code, sorted(body), datetime.fromisoformat(body["expires_at"]) - clock.now(), seen

    mismatches = {
        "wrong name": {"name": "홍길순"},
        "wrong phone": {"mobile": "010-1234-5679"},
        "wrong birth date": {"birth_date": "19850316"},
        "a customer without a certificate": {"name": KIM, "mobile": KIM_PHONE, "birth_date": KIM_BIRTH},
        "nobody at all": {"name": "임꺽정", "mobile": "010-5555-0000", "birth_date": "19700101"},
    }
    answers = {label: attempt(**fields) for label, fields in mismatches.items()}
    assert len(outbox.lines()) == lines_before  # no phone received anything
    # The real person's start answers the same way, and only their phone gets a code.
    clock.advance(timedelta(minutes=6))
    r = start(api)
    expires_in = datetime.fromisoformat(r.json()["expires_at"]) - clock.now()
    assert (r.status_code, sorted(r.json()), expires_in) == answers["nobody at all"][:3]
    assert all(answer[:3] == answers["nobody at all"][:3] for answer in answers.values())
    assert outbox_count(api) == lines_before + 1
    _, code = outbox.last_code()
    real = [(v.status_code, v.text) for v in (verify(api, r.json()["handle"], "000000") for _ in range(5))]
    if code == "000000":  # one chance in a million: the real code was the guess
        pytest.skip("the drawn code happened to be 000000")
    assert all(seen == real for *_, seen in answers.values()), answers
    assert [json.loads(text)["error"]["code"] for _, text in real] == ["F8_CODE_WRONG"] * 4 + [
        "F8_CODE_LOCKED"
    ]
    # Every mismatch's wrong-code answer is the same in each language too.
    for lang in LANGS:
        clock.advance(timedelta(minutes=6))
        unknown = start(api, name="임꺽정", mobile="010-5555-0000", birth_date="19700101").json()["handle"]
        wrong_name = start(api, name="홍길순").json()["handle"]
        a, b = verify(api, unknown, "123123", lang), verify(api, wrong_name, "123123", lang)
        assert a.status_code == b.status_code == 401 and a.json() == b.json()


@pytest.mark.rule("F8", kind="refuse")
def test_bad_input_to_a_connection_is_refused_with_its_own_code_in_every_language(
    world: Api, outbox: Outbox
) -> None:
    api = world
    issue(api, outbox, "kb")
    cases: list[tuple[int, str, str, dict[str, Any]]] = [
        (
            422,
            "F8_BIRTH_DATE_INVALID",
            CONNECT,
            {"name": HONG, "mobile": HONG_PHONE, "birth_date": "19850230", "channel": "sms"},
        ),
        (
            422,
            "F8_BIRTH_DATE_INVALID",
            CONNECT,
            {"name": HONG, "mobile": HONG_PHONE, "birth_date": "850315", "channel": "sms"},
        ),
        (
            422,
            "F8_PHONE_NUMBER_INVALID",
            CONNECT,
            {"name": HONG, "mobile": "12345", "birth_date": HONG_BIRTH, "channel": "sms"},
        ),
        (
            422,
            "F8_CHANNEL_NOT_OFFERED",
            CONNECT,
            {"name": HONG, "mobile": HONG_PHONE, "birth_date": HONG_BIRTH, "channel": "one_time_code"},
        ),
        (404, "F8_CONNECT_NOT_FOUND", f"{CONNECT}/{'x' * 43}/verify", {"code": "123456"}),
        (
            422,
            "F8_DEVICE_LABEL_REQUIRED",
            f"{CONNECT}/{'x' * 43}/verify",
            {"code": "123456", "keep_connected": True, "device_label": "  "},
        ),
        (401, "F8_DEVICE_TOKEN_UNKNOWN", AUTO, {"token": "y" * 43}),
        (401, "F8_DEVICE_TOKEN_UNKNOWN", DISCONNECT, {"token": "y" * 43}),
    ]
    for status, expected, url, body in cases:
        messages = {}
        for lang in LANGS:
            before = business_state(api)
            r = api.client.post(url, json=body, headers={"Accept-Language": lang})
            assert r.status_code == status and error_code(r) == expected, r.text
            messages[lang] = r.json()["error"]["message"]
            assert business_state(api) == before, f"{expected} changed the database"
        assert len(set(messages.values())) == 3, messages
        assert re.search(r"[가-힣]", messages["ko"]) and re.search(r"[\u4e00-\u9fff]", messages["zh"])


@pytest.mark.rule("F8", kind="refuse")
def test_starts_are_counted_per_phone_whether_or_not_they_match(world: Api, outbox: Outbox) -> None:
    api = world
    issue(api, outbox, "kb")
    for _ in range(5):
        assert start(api, name="홍길순").status_code == 201
    r = start(api)  # the sixth start for this phone in the window, this time the real person
    assert r.status_code == 429 and error_code(r) == "F8_TOO_MANY_ATTEMPTS", r.text
    assert r.json()["error"]["params"]["retry_after_seconds"] == 300


# --- auto-connect tokens -----------------------------------------------------------------------


@pytest.mark.rule("F8", kind="allow")
@pytest.mark.rule("F8", kind="refuse")
def test_an_auto_connect_token_works_until_the_holder_clears_it_from_an_ebanking_session(
    world: Api, outbox: Outbox, clock: SettableClock
) -> None:
    api = world
    made = issue(api, outbox, "kb")
    done = connect(api, outbox, keep_connected=True, device_label="  Galaxy   S24 ")
    token = done["auto_connect_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 random bits
    assert done["device_label"] == "Galaxy S24" and done["serial"] == made["serial"]
    connected_at = clock.now()
    clock.advance(timedelta(days=3))
    r = from_device(api, AUTO, token)
    assert r.status_code == 200, r.text
    assert r.json()["serial"] == made["serial"] and r.json()["auto_connect_token"] is None
    # The holder sees the device from a session at any institution: the person's devices.
    for inst in ("kb", "woori"):
        r = api.get(MY_DEVICES, login(api, inst))
        assert r.status_code == 200, r.text
        assert token not in r.text and hashlib.sha256(token.encode()).hexdigest() not in r.text
        [device] = r.json()
        assert set(device) == {"id", "label", "created_at", "last_used_at"}
        assert device["label"] == "Galaxy S24"
        assert datetime.fromisoformat(device["created_at"]) == connected_at
        assert datetime.fromisoformat(device["last_used_at"]) == clock.now()
    # 김영희 cannot clear 홍길동's device, even knowing its id.
    kim = api.customer_token("shinhan", enrol_kim(api, "shinhan"))
    assert api.get(MY_DEVICES, kim).json() == []
    r = api.client.delete(f"{MY_DEVICES}/{device['id']}", headers=bearer(kim))
    assert r.status_code == 404 and error_code(r) == "F8_DEVICE_NOT_FOUND", r.text
    # Cleared by the holder: the connection is over.
    hong = login(api, "shinhan")
    r = api.client.delete(f"{MY_DEVICES}/{device['id']}", headers=bearer(hong))
    assert r.status_code == 204, r.text
    r = from_device(api, AUTO, token)
    assert r.status_code == 401 and error_code(r) == "F8_DEVICE_TOKEN_REVOKED", r.text
    assert api.get(MY_DEVICES, hong).json() == []
    r = api.client.delete(f"{MY_DEVICES}/{device['id']}", headers=bearer(hong))
    assert r.status_code == 404 and error_code(r) == "F8_DEVICE_NOT_FOUND", r.text


@pytest.mark.rule("F8", kind="allow")
@pytest.mark.rule("F8", kind="refuse")
def test_a_device_clears_its_own_token_and_the_other_devices_stay_connected(
    world: Api, outbox: Outbox
) -> None:
    api = world
    issue(api, outbox, "kb")
    phone = connect(api, outbox, keep_connected=True, device_label="phone")["auto_connect_token"]
    laptop = connect(api, outbox, "ars", keep_connected=True, device_label="laptop")["auto_connect_token"]
    assert phone != laptop
    r = from_device(api, DISCONNECT, phone)
    assert r.status_code == 204, r.text
    r = from_device(api, AUTO, phone)
    assert r.status_code == 401 and error_code(r) == "F8_DEVICE_TOKEN_REVOKED", r.text
    r = from_device(api, DISCONNECT, phone)
    assert r.status_code == 401 and error_code(r) == "F8_DEVICE_TOKEN_REVOKED", r.text
    assert from_device(api, AUTO, laptop).status_code == 200
    assert [d["label"] for d in api.get(MY_DEVICES, login(api, "kb")).json()] == ["laptop"]


@pytest.mark.rule("F8", kind="allow")
def test_the_token_is_stored_only_as_its_sha256_and_never_appears_in_the_database(
    world: Api, outbox: Outbox
) -> None:
    api = world
    issue(api, outbox, "kb")
    token = connect(api, outbox, keep_connected=True, device_label="tablet")["auto_connect_token"]
    with api.engine.connect() as conn:
        rows = conn.execute(select(fincert_devices)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["token_digest"] == hashlib.sha256(token.encode()).hexdigest()
    everything = repr(business_state(api))
    assert token not in everything
    assert HONG_RRN not in everything and HONG_RRN[:6] + "-" + HONG_RRN[6:] not in everything


@pytest.mark.rule("F8", kind="refuse")
def test_a_person_whose_certificate_was_revoked_can_no_longer_connect_or_auto_connect(
    world: Api, outbox: Outbox
) -> None:
    api = world
    issue(api, outbox, "kb")
    token = connect(api, outbox, keep_connected=True, device_label="phone")["auto_connect_token"]
    r = api.post(f"{ME}/revoke", strong(api, outbox, "kb"))
    assert r.status_code == 204, r.text
    r = from_device(api, AUTO, token)
    assert r.status_code == 404 and error_code(r) == "F8_NO_CERTIFICATE", r.text
    sent = outbox_count(api)
    assert start(api).status_code == 201
    assert outbox_count(api) == sent  # no longer a holder: nothing is sent


# --- last use and the 12-month purge -------------------------------------------------------------


def last_active(api: Api) -> list[datetime]:
    with api.engine.connect() as conn:
        rows = conn.execute(select(fincert_people.c.last_active_at).order_by(fincert_people.c.last_active_at))
        return [r.last_active_at for r in rows]


@pytest.mark.rule("F8", kind="allow")
def test_every_use_of_the_cloud_records_the_persons_last_activity(
    world: Api, outbox: Outbox, clock: SettableClock
) -> None:
    api = world
    issue(api, outbox, "kb")
    assert last_active(api) == [clock.now()]  # issuing
    clock.advance(timedelta(days=10))
    token = connect(api, outbox, keep_connected=True, device_label="phone")["auto_connect_token"]
    assert last_active(api) == [clock.now()]  # connecting
    clock.advance(timedelta(days=10))
    assert from_device(api, AUTO, token).status_code == 200
    assert last_active(api) == [clock.now()]  # auto-connecting
    clock.advance(timedelta(days=10))
    r = api.post(f"{ME}/sign", login(api, "kb"), pin=PIN, purpose="02", message="dHJhbnNmZXI=")
    assert r.status_code == 200, r.text
    assert last_active(api) == [clock.now()]  # signing
    signed_at = clock.now()
    clock.advance(timedelta(days=10))
    r = api.post(f"{ME}/sign", login(api, "kb"), pin="111112", purpose="01", message="eA==")
    assert r.status_code == 401, r.text
    assert last_active(api) == [signed_at]  # a wrong PIN is no use


@pytest.mark.rule("F8", kind="allow")
@pytest.mark.rule("F8", kind="refuse")
def test_the_purge_deletes_exactly_the_people_unused_for_12_months_with_their_certificates(
    world: Api, outbox: Outbox, clock: SettableClock, app_state: App, key_store: PKCS11KeyStore
) -> None:
    api, deps = world, app_state.deps
    t0 = clock.now()
    hong = issue(api, outbox, "kb")
    token = connect(api, outbox, keep_connected=True, device_label="phone")["auto_connect_token"]
    kim = kim_certificate(api, outbox)
    clock.advance(timedelta(days=180))
    # 김영희 uses the cloud (a signature at Shinhan); 홍길동 does not come back.
    kim_login = api.customer_token("shinhan", card_of_kim("shinhan"))
    r = api.post(f"{ME}/sign", kim_login, pin="975318", purpose="99", message="aGk=")
    assert r.status_code == 200, r.text
    with api.engine.connect() as conn:
        hong_key = conn.execute(
            select(fincert_certificates.c.key_ref).where(fincert_certificates.c.serial == hong["serial"])
        ).scalar_one()
    key_store.protection(hong_key)  # on the token until the purge

    # One day short of 12 months: nobody is due.
    clock.set(t0.replace(year=t0.year + 1) - timedelta(days=1))
    assert fincert.purge_unused(deps, OPERATOR, fincert.PurgeUnused()).people == 0
    clock.set(t0.replace(year=t0.year + 1) + timedelta(days=1))
    before = business_state(api)
    dry = fincert.purge_unused(deps, OPERATOR, fincert.PurgeUnused(dry_run=True))
    assert (dry.dry_run, dry.people, dry.certificates, dry.devices) == (True, 1, 1, 1)
    assert business_state(api) == before, "a dry run changed the database"

    done = fincert.purge_unused(deps, OPERATOR, fincert.PurgeUnused())
    assert (done.people, done.certificates, done.registrations, done.devices) == (1, 1, 1, 1)
    with api.engine.connect() as conn:
        certificates = {r.serial: r for r in conn.execute(select(fincert_certificates)).mappings().all()}
        registrations = conn.execute(
            select(fincert_registrations.c.certificate_id, fincert_registrations.c.status)
        ).all()
        devices = conn.execute(select(func.count()).select_from(fincert_devices)).scalar_one()
        purged = (
            conn.execute(select(audit_entries).where(audit_entries.c.event == "fincert.person_purged"))
            .mappings()
            .all()
        )
    gone = certificates[hong["serial"]]
    assert (gone["status"], gone["revocation_reason"], gone["key_sealed"]) == (
        "revoked",
        "account_deleted",
        None,
    )
    assert gone["revoked_at"] is not None
    kept = certificates[kim["serial"]]
    assert kept["status"] == "valid" and kept["revoked_at"] is None
    assert registrations == [(kept["id"], "active")]
    assert devices == 0
    assert len(last_active(api)) == 1  # 김영희 only
    # Relying parties learn it at once: OCSP says revoked (cessation of operation), Kim's is good.
    answer = ocsp_status(api, hong["certificate_pem"])
    assert answer.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason is x509.ReasonFlags.cessation_of_operation
    assert ocsp_status(api, kim["certificate_pem"]).certificate_status is ocsp.OCSPCertStatus.GOOD
    # The key is destroyed on the token.
    with pytest.raises(DomainError):
        key_store.sign_cms(hong_key, None, b"", message=b"x", purpose=SignaturePurpose.OTHER)
    # Audited without the resident number.
    [entry] = purged
    text = json.dumps(dict(entry), default=str)
    assert HONG_RRN not in text and HONG_RRN[:6] not in text and HONG not in text
    assert entry["details"]["revoked"] == [hong["serial"]]
    # The token is gone with the person; a second run finds nothing to do and changes nothing.
    r = from_device(api, AUTO, token)
    assert r.status_code == 401 and error_code(r) == "F8_DEVICE_TOKEN_UNKNOWN", r.text
    before = business_state(api)
    again = fincert.purge_unused(deps, OPERATOR, fincert.PurgeUnused())
    assert (again.people, again.certificates, again.devices) == (0, 0, 0)
    assert business_state(api) == before
    # 홍길동 may come back: a bank issues a new certificate (his record at the bank remains).
    assert issue(api, outbox, "woori")["status"] == "valid"


@pytest.mark.rule("F8", kind="allow")
def test_two_purges_at_once_delete_each_person_once(
    world: Api, outbox: Outbox, clock: SettableClock, app_state: App
) -> None:
    api, deps = world, app_state.deps
    t0 = clock.now()
    issue(api, outbox, "kb")
    kim_certificate(api, outbox)
    clock.set(t0.replace(year=t0.year + 2))
    reports: list[fincert.PurgeReport] = []
    errors: list[BaseException] = []

    def run_purge() -> None:
        try:
            reports.append(fincert.purge_unused(deps, OPERATOR, fincert.PurgeUnused()))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run_purge) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(r.people for r in reports) in ([0, 2], [1, 1])
    assert sum(r.certificates for r in reports) == 2
    with api.engine.connect() as conn:
        events = conn.execute(
            select(func.count()).where(audit_entries.c.event == "fincert.person_purged")
        ).scalar_one()
    assert events == 2


@pytest.fixture
def thirteen_months_ago(clock: SettableClock) -> SettableClock:
    """The test clock 400 days before the real time, before the world is built on it."""
    clock.set(datetime.now(UTC) - timedelta(days=400))
    return clock


@pytest.mark.rule("F8", kind="allow")
def test_the_purge_command_counts_in_a_dry_run_then_deletes_with_the_real_clock(
    thirteen_months_ago: SettableClock,
    database_url: str,
    softhsm: SoftHSM,
    tmp_path: Path,
    world: Api,
    outbox: Outbox,
) -> None:
    """``netbank fincert purge`` in its own process, as a scheduler runs it, on the system clock:
    홍길동's certificate was issued 13 months ago (the test clock), 김영희's yesterday."""
    api, clock = world, thirteen_months_ago
    now = datetime.now(UTC)
    hong = issue(api, outbox, "kb")
    clock.set(now - timedelta(days=1))
    kim = kim_certificate(api, outbox)
    env = netbank_env(
        database_url,
        tmp_path,
        NETBANK_FINCERT_TOKEN_LABEL=FINCERT_TOKEN,
        NETBANK_FINCERT_TOKEN_PIN=USER_PIN,
        NETBANK_FINCERT_KEY_TOKEN_LABEL=FINCERT_KEYS_TOKEN,
        NETBANK_FINCERT_KEY_TOKEN_PIN=USER_PIN,
        SOFTHSM2_CONF=str(softhsm.conf),
        COLUMNS="200",
    )
    command = [sys.executable, "-m", "netbank.entrypoints.cli", "fincert", "purge"]
    before = business_state(api)
    dry = run([*command, "--dry-run"], env=env)
    assert dry.returncode == 0, dry.stdout
    assert "dry run" in dry.stdout and re.search(r"│\s*1\s*│\s*1\s*│\s*-\s*│\s*0\s*│", dry.stdout), dry.stdout
    assert business_state(api) == before, "a dry run changed the database"
    real = run(command, env=env)
    assert real.returncode == 0, real.stdout
    assert re.search(r"│\s*1\s*│\s*1\s*│\s*1\s*│\s*0\s*│", real.stdout), real.stdout
    with api.engine.connect() as conn:
        statuses = dict(
            conn.execute(select(fincert_certificates.c.serial, fincert_certificates.c.status)).all()
        )
    assert statuses == {hong["serial"]: "revoked", kim["serial"]: "valid"}
    again = run(command, env=env)
    assert again.returncode == 0 and re.search(r"│\s*0\s*│\s*0\s*│\s*0\s*│\s*0\s*│", again.stdout), (
        again.stdout
    )
