"""The certificate centre (인증센터) in a real browser, against a server whose cloud financial
certificate service runs on SoftHSM2 tokens (conftest.py): 홍길동 issues the certificate at a
bank after an SMS / ARS step-up (F2, F5, K2), registers it at Korea Securities Finance through
the seed's four steps with the progress indicator (F3), raises a session there with it (F7),
manages it (F4) and is told at the securities-finance company where issuing happens (F2).
Each journey runs in Korean and in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx
import pytest

from netbank.adapters.i18n import catalogs
from netbank.demo import KOREAN, kr_rrn
from tests.browser.browsing import Browsing, Server
from tests.browser.journeys import sign_in_customer, step_up_with_a_code, submit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]

HONG = "홍길동"
HONG_RRN = kr_rrn(date(1985, 3, 15), True, "234567")
HONG_RRN_TYPED = f"{HONG_RRN[:6]}-{HONG_RRN[6:]}"
HONG_MOBILE = "010-1234-5678"
CARD = {inst: f"{prefix}000000001" for inst, (prefix, _) in KOREAN.items()}
KIM_KSFC = f"{KOREAN['ksfc'][0]}000000002"
PIN = "480135"
NEW_PIN = "602913"


def word(locale: str, msgid: str, **params: object) -> str:
    return catalogs().message(locale, msgid, **params)


def refusal_code(b: Browsing) -> str:
    return b.message_of(".refusal .code code")


def connect_a_device(server: Server, label: str) -> str:
    """F8 through the API, as the certificate app on a phone does it: name, mobile, birth date,
    the SMS code, and an auto-connect token kept on the device."""
    seen = len(server.delivered())
    body = {"name": HONG, "mobile": HONG_MOBILE, "birth_date": "19850315", "channel": "sms"}
    r = httpx.post(f"{server.url}/api/v1/fincert/devices/connect", json=body, timeout=30)
    assert r.status_code == 201, r.text
    _, code = server.next_code(seen)
    r = httpx.post(
        f"{server.url}/api/v1/fincert/devices/connect/{r.json()['handle']}/verify",
        json={"code": code, "keep_connected": True, "device_label": label},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["auto_connect_token"], r.text
    return str(r.json()["auto_connect_token"])


def issue_at_bank(b: Browsing, server: Server, locale: str, bank: str, channel: str) -> dict[str, str]:
    """F2/F5 at ``bank``: the issue form asks for a one-time code first (K2), then issues. If
    the person already holds a certificate, the service says so and the page takes the path it
    offers: the customer confirms revoking another bank's one, or re-issues this bank's."""
    sign_in_customer(b, CARD[bank], bank)
    b.goto("/certificates")
    b.check("centre")
    assert b.page.locator("#service-off").count() == 0
    b.page.click("#menu-issue")
    b.page.wait_for_url("**/certificates/issue")
    b.check("issue-form")
    b.page.check("#mode-issue")
    b.page.fill("#pin", PIN)
    b.page.fill("#pin_again", PIN)
    submit(b, "#issue-form")
    step_up_with_a_code(b, server, channel)
    assert server.delivered()[-1]["to"] == "010****5678"
    assert b.page.url.endswith("/certificates/issue?stepped_up=1"), b.page.url
    assert b.message_of(".notice") == word(locale, "web.step_up.done_form")
    b.check("issue-after-step-up")

    b.page.check("#mode-issue")
    b.page.fill("#pin", PIN)
    b.page.fill("#pin_again", PIN)
    submit(b, "#issue-form")
    path = "issued"
    if b.page.locator(".refusal").count():
        code = refusal_code(b)
        b.check("issue-refused")
        if code == "F5_CERTIFICATE_EXISTS_ELSEWHERE":
            b.page.check("#mode-issue")
            b.page.check("#confirm_revoke_other")
            path = "revoked-other"
        else:
            assert code == "F5_ALREADY_ISSUED", code
            b.page.check("#mode-reissue")
            path = "reissued"
        b.page.fill("#pin", PIN)
        b.page.fill("#pin_again", PIN)
        submit(b, "#issue-form")
    b.check("issued")
    assert b.page.locator(".refusal").count() == 0, refusal_code(b)
    assert b.message_of("#fincert-status") == word(locale, "web.cert_status.valid")
    assert b.message_of("#fincert-issuer") == bank
    assert b.page.locator("#registrations li").count() == 1  # a new certificate: here only
    facts = b.message_of("#fincert-facts")
    assert f"{HONG_RRN[:6]}-{HONG_RRN[6]}******" in facts and HONG_RRN not in b.page.content()
    return {"path": path}


def register_at(b: Browsing, server: Server, locale: str, institution: str, channel: str) -> None:
    """F3: the seed's four steps, not signed in, with the progress indicator on every page."""

    def current_step() -> str:
        return b.page.locator("#steps li[aria-current=step] .step-number").inner_text().strip()

    b.goto(f"/certificates/register?institution={institution}")
    b.check("register-1-identity")
    assert current_step() == "1"
    assert b.page.locator("#steps li").count() == 4
    # A resident number that is not one is refused in words (F3), and step 1 stays.
    b.page.fill("#name", HONG)
    b.page.fill("#resident_number", "12345")
    submit(b, "#identity-form")
    assert refusal_code(b) == "F3_RESIDENT_NUMBER_INVALID"
    assert b.message_of(".refusal .message") == word(locale, "F3_RESIDENT_NUMBER_INVALID")
    b.check("register-1-refused")
    b.page.fill("#name", HONG)
    b.page.fill("#resident_number", HONG_RRN_TYPED)
    submit(b, "#identity-form")
    b.check("register-2-choose-channel")
    assert current_step() == "2"
    flow_cookie = next(c for c in b.context.cookies() if c["name"] == "netbank_fincert_flow")
    assert flow_cookie["httpOnly"] and flow_cookie["path"] == "/certificates/register"

    b.page.check(f"#channel-{channel}")
    seen = len(server.delivered())
    submit(b, "#channel-form")
    b.check("register-2-code")
    message, code = server.next_code(seen)
    assert message["to"] == "010****5678"
    b.page.fill("#code", code)
    submit(b, "#code-form")
    b.check("register-3-medium")
    assert current_step() == "3"
    assert b.page.locator("#steps li.done").count() == 2

    # 보안매체 미소지고객 인증: a mobile number that is not the one on file is refused.
    b.page.fill("#medium_resident_number", HONG_RRN)
    b.page.fill("#mobile", "010-9999-0000")
    submit(b, "#medium-form")
    assert refusal_code(b) == "F3_MOBILE_MISMATCH"
    assert current_step() == "3"
    b.page.fill("#medium_resident_number", HONG_RRN)
    b.page.fill("#mobile", HONG_MOBILE)
    submit(b, "#medium-form")
    b.check("register-4-certificate")
    assert current_step() == "4"
    assert b.page.locator("#certificate-form input[name=serial]").count() == 1

    # A wrong PIN is refused (F5) and counted; the right one registers.
    b.page.fill("#pin", "111222")
    submit(b, "#certificate-form")
    assert refusal_code(b) == "F5_PIN_WRONG"
    b.check("register-4-wrong-pin")
    b.page.fill("#pin", PIN)
    submit(b, "#certificate-form")
    b.check("registered")
    assert b.page.locator("#cert-done").count() == 1
    codes = b.page.locator("#registrations").inner_text()
    assert f"({institution})" in codes
    assert all(c["name"] != "netbank_fincert_flow" for c in b.context.cookies())


def transfer_with_fincert_step_up(b: Browsing, locale: str) -> None:
    """F7: at the institution where it is registered, the certificate and its PIN raise the
    session (level 40) for a transfer the password level does not allow."""
    b.goto("/transfer")
    b.page.check("#target-other")
    b.page.fill("#other_account", KIM_KSFC)
    b.page.fill("#amount", "1000")
    submit(b, "#transfer-form")
    assert refusal_code(b) == "K2_STEP_UP_REQUIRED"
    assert b.page.locator("#fincert-step-up-form").count() == 1
    b.check("transfer-step-up-choices")
    b.page.fill("#fincert_pin", "000111")
    submit(b, "#fincert-step-up-form")
    assert refusal_code(b) == "F5_PIN_WRONG"
    b.page.fill("#fincert_pin", PIN)
    submit(b, "#fincert-step-up-form")
    assert b.message_of(".notice") == word(locale, "web.step_up.done")
    submit(b, "#transfer-form")
    b.check("transfer-done")
    assert "1,000 KRW" in b.message_of("#receipt-amount")


@pytest.mark.rule("F2", "F3", "F4", "F5", "F7", "F8", "K2", kind="allow")
def test_korean_issue_at_kb_register_at_ksfc_in_four_steps_then_use_and_release(
    visitor: Visitor, server: Server
) -> None:
    bank = visitor("ko-KR", name="cert-ko-bank")
    issue_at_bank(bank, server, "ko", "kb", "sms")

    # Registration at ksfc: on a phone, not signed in, as the seed's app does it.
    flow = visitor("ko-KR", phone=True, name="cert-ko-register")
    register_at(flow, server, "ko", "ksfc", "ars")

    ksfc = visitor("ko-KR", name="cert-ko-ksfc")
    sign_in_customer(ksfc, CARD["ksfc"], "ksfc")
    # F2: a securities-finance company does not issue; the page says where to go.
    ksfc.goto("/certificates/issue")
    ksfc.check("issue-at-non-bank")
    assert ksfc.page.locator("#issue-form").count() == 0
    banks = ksfc.page.locator("#banks-only li").all_inner_texts()
    assert "KB국민은행 KB Kookmin Bank" in banks and not any("Securities" in name for name in banks)
    transfer_with_fincert_step_up(ksfc, "ko")

    ksfc.goto("/certificates/manage")
    ksfc.check("manage")
    institutions = ksfc.page.locator("#registrations tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.institution).sort()"
    )
    assert institutions == ["kb", "ksfc"]
    # F4 해제: here only; the certificate stays valid at kb.
    submit(ksfc, "#release-form")
    ksfc.check("released")
    assert ksfc.message_of(".notice") == word("ko", "web.cert.released")
    ksfc.goto("/certificates/manage")
    assert ksfc.page.locator("#release-form").count() == 0
    bank.goto("/certificates/manage")
    assert bank.message_of("#fincert-status") == word("ko", "web.cert_status.valid")
    assert bank.page.locator("#registrations tbody tr").count() == 1

    # F8: a phone connects to the cloud and keeps an auto-connect token; the holder sees it in
    # the management page and disconnects it there, after which the token no longer works.
    token = connect_a_device(server, "홍길동의 휴대폰")
    bank.goto("/certificates/manage")
    rows = bank.page.locator("#device-rows tbody tr")
    assert "홍길동의 휴대폰" in rows.all_inner_texts()[-1]
    bank.check("devices")
    submit(bank, "#device-rows tbody tr:last-child form")
    assert bank.message_of(".notice") == word("ko", "web.cert.device_disconnected")
    bank.check("device-disconnected")
    assert "홍길동의 휴대폰" not in " ".join(bank.page.locator("#devices").all_inner_texts())
    r = httpx.post(f"{server.url}/api/v1/fincert/devices/auto-connect", json={"token": token}, timeout=30)
    assert r.status_code in (401, 404) and r.json()["error"]["code"].startswith("F8_"), r.text


@pytest.mark.rule("F2", "F3", "F4", "F5", kind="allow")
@pytest.mark.rule("F2", kind="refuse")
def test_chinese_issue_at_shinhan_register_at_ksfc_change_pin_and_revoke_only_at_the_bank(
    visitor: Visitor, server: Server
) -> None:
    bank = visitor("zh-CN", phone=True, name="cert-zh-bank")
    issue_at_bank(bank, server, "zh", "shinhan", "one_time_code")
    assert bank.page.locator("html").get_attribute("lang") == "zh"

    flow = visitor("zh-CN", name="cert-zh-register")
    register_at(flow, server, "zh", "ksfc", "sms")

    ksfc = visitor("zh-CN", name="cert-zh-ksfc")
    sign_in_customer(ksfc, CARD["ksfc"], "ksfc")
    transfer_with_fincert_step_up(ksfc, "zh")
    # F4 폐기 happens at the issuing bank: a securities-finance company refuses it (F2), in
    # Chinese.
    ksfc.goto("/certificates/manage#revoke")
    ksfc.page.check("#confirm")
    submit(ksfc, "#revoke-form")
    assert refusal_code(ksfc) == "F2_ISSUER_NOT_A_BANK"
    expected = word("zh", "F2_ISSUER_NOT_A_BANK", institution="한국증권금융 Korea Securities Finance")
    assert ksfc.message_of(".refusal .message") == expected
    ksfc.check("revoke-refused")
    # 비밀번호 변경 where it is registered; the old PIN no longer works afterwards.
    ksfc.goto("/certificates/pin")
    ksfc.check("pin-form")
    ksfc.page.fill("#old_pin", PIN)
    ksfc.page.fill("#new_pin", NEW_PIN)
    ksfc.page.fill("#new_pin_again", NEW_PIN)
    submit(ksfc, "#pin-form")
    assert ksfc.message_of(".notice") == word("zh", "web.cert.pin_changed")
    ksfc.check("pin-changed")

    # Revoking at the issuing bank ends it everywhere (in a one-time-code session).
    bank.goto("/certificates/manage")
    bank.page.check("#confirm")
    submit(bank, "#revoke-form")
    bank.check("revoked")
    assert bank.message_of(".notice") == word("zh", "web.cert.revoked")
    assert bank.page.locator("#no-fincert").count() == 1
    ksfc.goto("/certificates/manage")
    assert ksfc.page.locator("#no-fincert").count() == 1


@pytest.mark.rule("F3", kind="refuse")
def test_a_registration_step_without_its_flow_starts_again_and_forms_need_the_csrf_token(
    visitor: Visitor,
) -> None:
    b = visitor("ko-KR", name="cert-flow-guard")
    b.goto("/certificates/register?institution=ksfc")
    token = b.page.locator("input[name=csrf_token]").first.input_value()
    # Step 3 posted without having passed steps 1 and 2: no flow in this browser.
    response = b.page.request.post(
        b.base_url + "/certificates/register/medium",
        form={"csrf_token": token, "resident_number": HONG_RRN, "mobile": HONG_MOBILE},
    )
    assert response.status == 404  # F3_FLOW_NOT_FOUND is of the not-found family
    assert "F3_FLOW_NOT_FOUND" in response.text()
    # A forged form (no token) does nothing.
    forged = b.page.request.post(
        b.base_url + "/certificates/register/identity",
        form={"institution": "ksfc", "name": HONG, "resident_number": HONG_RRN},
    )
    assert forged.status == 403
    # The signed-in pages are the customer's own: without a session they go to sign-in.
    b.goto("/certificates/manage")
    assert b.page.url.endswith("/sign-in")
