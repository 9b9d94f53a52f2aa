"""Strong authentication (K2, F3 channels): TOTP enrolment at the counter, step-up with TOTP
or with SMS / ARS / one-time code challenges delivered through the outbox, replay, drift,
lock-outs, rate limits, and the teller's OTP maintenance. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from sqlalchemy import select

from netbank.adapters.clock import SettableClock
from netbank.adapters.db.tables import challenges, outbox_messages
from netbank.adapters.notify import FileSender
from netbank.bootstrap import App
from netbank.services.outbox import dispatch_once
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, Api, bearer, otp_customer, snapshot

STEP_UP = "/api/v1/me/step-up/totp"


def authenticator(uri: str) -> pyotp.TOTP:
    """What a standard authenticator app makes of netbank's otpauth:// URI."""
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    return parsed


def delivered_code(app_state: App, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """Run one dispatcher pass with the real file sender; the last delivered text and its code."""
    outbox = tmp_path / "outbox.log"
    report = dispatch_once(app_state.deps, FileSender(outbox))
    assert report.sent >= 1
    line = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])
    match = re.search(r"\b(\d{6})\b", line["text"])
    assert match, line
    return line, match.group(1)


@pytest.mark.rule("K2", kind="allow")
def test_819101_add_for_the_otp_version_provisions_a_seed_an_authenticator_accepts(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    _, card, uri = otp_customer(api, deps)
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    query = parse_qs(parsed.query)
    assert query["issuer"] == ["Eastern Demo Bank"]
    secret = query["secret"][0]
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20  # 160-bit seed
    # The seed is stored sealed only: neither its base32 nor its bytes appear in any row.
    dump = repr(snapshot(app_state.engine))
    assert secret not in dump
    assert repr(base64.b32decode(secret + "=" * (-len(secret) % 8)))[2:-1] not in dump
    token = api.customer_token("edb", card)
    code = authenticator(uri).at(clock.now())
    r = api.post(STEP_UP, token, code=code)
    assert r.status_code == 200, r.text
    assert r.json()["level"] == 30
    assert api.get("/api/v1/me/session", token).json()["level"] == 30


def test_the_enrolment_qr_codes_are_real_png_and_svg(api: Api, deps: Deps) -> None:
    p = otp_customer(api, deps)[0]
    token = api.teller_token()
    check = api.check(token, p)
    r = api.post(
        "/api/v1/teller/transactions/otp-reseed",
        token,
        customer_number=p.number,
        identity_check_id=check,
        registration_account_number=p.accounts["card"],
    )
    assert r.status_code == 200, r.text
    enrolment = r.json()["otp_enrolment"]
    assert base64.b64decode(enrolment["qr_png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert enrolment["qr_svg"].lstrip().startswith("<svg")
    assert r.json()["code"] == "NB-OTP-RESEED"


@pytest.mark.rule("K2", kind="refuse")
def test_a_used_code_is_refused_and_the_next_step_works(api: Api, deps: Deps, clock: SettableClock) -> None:
    _, card, uri = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    totp = authenticator(uri)
    code = totp.at(clock.now())
    assert api.post(STEP_UP, token, code=code).status_code == 200
    replay = api.post(STEP_UP, token, code=code)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "K2_OTP_REPLAYED"
    clock.advance(timedelta(seconds=30))
    assert api.post(STEP_UP, token, code=totp.at(clock.now())).status_code == 200


@pytest.mark.rule("K2", kind="allow")
def test_one_step_of_clock_drift_is_accepted_two_are_not(api: Api, deps: Deps, clock: SettableClock) -> None:
    _, card, uri = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    totp = authenticator(uri)
    late = api.post(STEP_UP, token, code=totp.at(clock.now() - timedelta(seconds=60)))
    assert late.status_code == 401 and late.json()["error"]["code"] == "K2_OTP_WRONG"
    assert api.post(STEP_UP, token, code=totp.at(clock.now() + timedelta(seconds=30))).status_code == 200


@pytest.mark.rule("K2", kind="refuse")
def test_five_wrong_codes_lock_the_factor_until_a_teller_unlocks_it(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    p, card, uri = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    codes = [api.post(STEP_UP, token, code="000000").json()["error"]["code"] for _ in range(5)]
    assert codes == ["K2_OTP_WRONG"] * 4 + ["K2_OTP_LOCKED"]
    right = api.post(STEP_UP, token, code=authenticator(uri).at(clock.now()))
    assert right.status_code == 423 and right.json()["error"]["code"] == "K2_OTP_LOCKED"
    teller = api.teller_token()
    check = api.check(teller, p)
    body = {"customer_number": p.number, "identity_check_id": check, "registration_account_number": card}
    assert (
        api.post("/api/v1/teller/transactions/otp-unlock", teller, **body).json()["code"] == "NB-OTP-UNLOCK"
    )
    api.refused(409, "K2_OTP_NOT_LOCKED", "/api/v1/teller/transactions/otp-unlock", teller, **body)
    assert api.post(STEP_UP, token, code=authenticator(uri).at(clock.now())).status_code == 200


@pytest.mark.rule("K2", kind="refuse")
def test_after_a_reseed_the_old_seed_no_longer_works(api: Api, deps: Deps, clock: SettableClock) -> None:
    p, card, old_uri = otp_customer(api, deps)
    teller = api.teller_token()
    check = api.check(teller, p)
    r = api.post(
        "/api/v1/teller/transactions/otp-reseed",
        teller,
        customer_number=p.number,
        identity_check_id=check,
        registration_account_number=card,
    )
    new_uri = r.json()["otp_enrolment"]["otpauth_uri"]
    assert new_uri != old_uri
    token = api.customer_token("edb", card)
    old = api.post(STEP_UP, token, code=authenticator(old_uri).at(clock.now()))
    assert old.status_code == 401
    assert api.post(STEP_UP, token, code=authenticator(new_uri).at(clock.now())).status_code == 200


@pytest.mark.rule("E11", kind="refuse")
@pytest.mark.rule("E15", kind="allow")
def test_otp_phone_replacement_is_counter_work_with_the_registration_account(api: Api, deps: Deps) -> None:
    from tests.builders import make_account

    p, card, _ = otp_customer(api, deps)
    teller = api.teller_token()
    check = api.check(teller, p)
    url = "/api/v1/teller/transactions/otp-phone"
    other = make_account(deps, p)
    api.refused(
        422,
        "E7_REGISTRATION_ACCOUNT_REQUIRED",
        url,
        teller,
        customer_number=p.number,
        identity_check_id=check,
        registration_account_number=other,
        otp_phone="13600000000",
    )
    api.refused(
        422,
        "E15_PHS_AREA_CODE_REQUIRED",
        url,
        teller,
        customer_number=p.number,
        identity_check_id=check,
        registration_account_number=card,
        otp_phone="83456789",
    )
    r = api.post(
        url,
        teller,
        customer_number=p.number,
        identity_check_id=check,
        registration_account_number=card,
        otp_phone="0755-83456789",
    )
    assert r.status_code == 200, r.text
    assert r.json()["details"]["to"].endswith("6789") and "83456789" not in r.text
    me = api.get("/api/v1/me", api.customer_token("edb", card)).json()
    assert me["contract"]["otp_phone_masked"].endswith("6789")


@pytest.mark.rule("K2", kind="allow")
@pytest.mark.parametrize(("channel", "kind"), [("sms", "sms"), ("ars", "voice"), ("one_time_code", "app")])
def test_challenge_codes_travel_through_the_outbox_and_raise_the_level(
    api: Api, deps: Deps, app_state: App, tmp_path: Path, channel: str, kind: str
) -> None:
    _, card, _ = otp_customer(api, deps, phone="13912345678")
    token = api.customer_token("edb", card)
    r = api.post("/api/v1/me/challenges", token, channel=channel)
    assert r.status_code == 201, r.text
    challenge = r.json()
    assert challenge["phone_masked"] == "139****5678"
    # The challenge and its message were committed together; the code is stored only as a
    # keyed digest, the message only sealed.
    with app_state.engine.connect() as conn:
        stored = conn.execute(select(challenges.c.code_digest)).scalar_one()
        sealed = conn.execute(select(outbox_messages.c.body_sealed, outbox_messages.c.kind)).one()
    line, code = delivered_code(app_state, tmp_path)
    assert line["kind"] == kind and line["to"] == "139****5678"
    assert "东方示范银行" in line["text"]  # the institution's language (zh)
    assert code not in stored and code.encode() not in sealed.body_sealed and sealed.kind == kind
    ok = api.post(f"/api/v1/me/challenges/{challenge['id']}/verify", token, code=code)
    assert ok.status_code == 200, ok.text
    assert ok.json()["level"] == 30
    used = api.post(f"/api/v1/me/challenges/{challenge['id']}/verify", token, code=code)
    assert used.status_code == 401 and used.json()["error"]["code"] == "K2_CHALLENGE_USED"


@pytest.mark.rule("K2", kind="refuse")
def test_an_expired_challenge_of_this_session_says_expired(
    api: Api, deps: Deps, app_state: App, tmp_path: Path, clock: SettableClock
) -> None:
    _, card, _ = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    challenge = api.post("/api/v1/me/challenges", token, channel="ars").json()
    _, code = delivered_code(app_state, tmp_path)
    clock.advance(timedelta(seconds=181))
    before = snapshot(app_state.engine)
    r = api.post(f"/api/v1/me/challenges/{challenge['id']}/verify", token, code=code)
    assert r.status_code == 401 and r.json()["error"]["code"] == "K2_CHALLENGE_EXPIRED"
    after = snapshot(app_state.engine)
    assert after["challenges"] == before["challenges"]


@pytest.mark.rule("K2", kind="refuse")
def test_five_wrong_codes_lock_a_challenge(api: Api, deps: Deps, app_state: App, tmp_path: Path) -> None:
    _, card, _ = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    challenge = api.post("/api/v1/me/challenges", token, channel="sms").json()
    _, code = delivered_code(app_state, tmp_path)
    wrong = "000000" if code != "000000" else "111111"
    url = f"/api/v1/me/challenges/{challenge['id']}/verify"
    answers = [api.post(url, token, code=wrong).json()["error"] for _ in range(5)]
    assert [a["code"] for a in answers] == ["K2_CHALLENGE_WRONG"] * 4 + ["K2_CHALLENGE_LOCKED"]
    assert answers[0]["params"]["attempts_left"] == 4
    late = api.post(url, token, code=code)
    assert late.status_code == 423 and late.json()["error"]["code"] == "K2_CHALLENGE_LOCKED"


def test_another_sessions_challenge_cannot_be_completed(
    api: Api, deps: Deps, app_state: App, tmp_path: Path
) -> None:
    _, card, _ = otp_customer(api, deps)
    first = api.customer_token("edb", card)
    second = api.customer_token("edb", card)
    challenge = api.post("/api/v1/me/challenges", first, channel="sms").json()
    _, code = delivered_code(app_state, tmp_path)
    r = api.post(f"/api/v1/me/challenges/{challenge['id']}/verify", second, code=code)
    assert r.status_code == 404 and r.json()["error"]["code"] == "K2_CHALLENGE_NOT_FOUND"


@pytest.mark.rule("K2", kind="refuse")
def test_verification_attempts_are_rate_limited_per_customer(api: Api, deps: Deps) -> None:
    _, card, _ = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    answers = []
    for _ in range(12):
        r = api.post(STEP_UP, token, code="999999")
        answers.append(r.json()["error"]["code"])
        if r.status_code == 429:
            assert r.headers["Retry-After"] == "300"
    assert answers[-1] == "K2_RATE_LIMITED"
    assert "K2_OTP_LOCKED" in answers  # the factor locked on the way (5 wrong)


@pytest.mark.rule("K2", kind="allow")
def test_password_change_asks_an_otp_customer_to_step_up_first(
    api: Api, deps: Deps, clock: SettableClock
) -> None:
    _, card, uri = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    body = {"old_password": LOGIN_PASSWORD, "new_password": "Another#2027"}
    r = api.client.post("/api/v1/me/password", json=body, headers=bearer(token))
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["code"] == "K2_STEP_UP_REQUIRED" and error["params"]["required_level"] == 30
    assert error["params"]["methods"][0] == "totp"
    assert "insufficient_user_authentication" in r.headers["WWW-Authenticate"]
    assert api.post(STEP_UP, token, code=authenticator(uri).at(clock.now())).status_code == 200
    assert api.client.post("/api/v1/me/password", json=body, headers=bearer(token)).status_code == 204
    # The step-up lasts five minutes.
    clock.advance(timedelta(minutes=5, seconds=1))
    assert api.get("/api/v1/me/session", token).json()["level"] == 20


@pytest.mark.parametrize("lang", ["ko", "zh", "en"])
def test_each_factor_refusal_has_a_message_in_each_language(api: Api, deps: Deps, lang: str) -> None:
    _, card, _ = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    r = api.post(STEP_UP, token, lang=lang, code="000000")
    assert r.json()["error"]["code"] == "K2_OTP_WRONG"
    message = r.json()["error"]["message"]
    assert message and "K2" in message
    assert {"ko": "OTP", "zh": "动态口令", "en": "dynamic password"}[lang] in message
