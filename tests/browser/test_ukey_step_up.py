"""The certificate version in a real browser (K1, K2), against a server with edb's institution
PKI on SoftHSM2 and a UKEY sold to 张伟 at the counter (conftest.py, ukey_world.py):

- a transfer above what a one-time code allows asks for a step-up; 张伟 chooses the UKEY, copies
  the client helper's command from the page, runs it where the UKEY is plugged in (a subprocess
  with the server's SoftHSM2 tokens), pastes what it printed, and the filled-in transfer goes
  through at the certificate level;
- a paste that is not the helper's answer, or an answer whose signature does not verify, is
  refused in words on the page, with the same challenge kept to try again;
- the certificate centre shows the certificate on the UKEY: serial, validity and status.

Each journey runs in Korean and in Chinese."""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from netbank.adapters.i18n import catalogs
from tests.browser.browsing import Browsing, Server
from tests.browser.journeys import WANG_FANG, sign_in_customer, submit
from tests.browser.ukey_world import UKEY_TOKEN, ZHANG_WEI, certificate_on_ukey, run_client_helper

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]
CARD = ZHANG_WEI[2]
#: Above the 10,000.00 a day a one-time code allows the certificate version: only a
#: certificate (level 40) lets it through (L2, K2).
AMOUNT = "20000.00"


def word(locale: str, msgid: str, **params: object) -> str:
    return catalogs().message(locale, msgid, **params)


def refusal_code(b: Browsing) -> str:
    return b.message_of(".refusal .code code")


def start_transfer_needing_a_certificate(b: Browsing, lang: str) -> str:
    """Sign in as 张伟, fill in a transfer to 王芳 above the one-time-code level's limit and
    send it: the step-up page answers. Returns the form's idempotency key."""
    sign_in_customer(b, CARD)
    b.goto("/transfer")
    b.check("transfer-form")
    key = b.page.locator("input[name=idempotency_key]").input_value()
    b.page.select_option("#from_account", CARD)
    b.page.check("#target-other")
    b.page.fill("#other_account", WANG_FANG)
    b.page.fill("#amount", AMOUNT)
    b.page.fill("#reference", f"ukey-{lang}")
    submit(b, "#transfer-form")
    assert refusal_code(b) == "K2_STEP_UP_REQUIRED"
    b.check("step-up")
    # 张伟 holds a valid UKEY certificate: the UKEY is one of the ways offered.
    assert word(lang, "web.step_up.by_ukey") in b.message_of("#ukey-step-up-form h2")
    return key


def get_ukey_challenge(b: Browsing, lang: str) -> str:
    """Ask for a challenge; return the client helper's command as the page shows it."""
    submit(b, "#ukey-step-up-form")
    b.check("ukey-challenge")
    assert b.page.locator(".refusal").count() == 0
    assert word(lang, "web.step_up.ukey_run") == b.message_of("#ukey-run")
    command = (b.page.locator("#ukey-command").text_content() or "").strip()
    args = shlex.split(command)
    assert args[:5] == ["netbank", "ukey", "sign-challenge", "--token", UKEY_TOKEN], command
    assert re.fullmatch(r"[0-9a-f]{64}", args[args.index("--nonce") + 1]), command
    # The PIN is never part of the command (the helper asks for it).
    assert "--pin" not in args
    return command


def paste(b: Browsing, text: str) -> None:
    b.page.fill("#ukey_answer", text)
    submit(b, "#ukey-answer-form")


@pytest.mark.rule("K1", "K2", kind="allow")
@pytest.mark.parametrize(("locale", "lang", "phone"), [("ko-KR", "ko", True), ("zh-CN", "zh", False)])
def test_a_transfer_goes_through_after_a_step_up_with_the_ukey(
    visitor: Visitor, server: Server, locale: str, lang: str, phone: bool
) -> None:
    b = visitor(locale, phone=phone, name=f"ukey-step-up-{lang}")
    key = start_transfer_needing_a_certificate(b, lang)
    command = get_ukey_challenge(b, lang)
    answer = run_client_helper(server, command)
    nonce = shlex.split(command)[shlex.split(command).index("--nonce") + 1]
    assert json.loads(answer)["nonce"] == nonce
    paste(b, answer)

    # Back on the transfer form as typed (the same idempotency key), now at level 40.
    assert b.page.url.endswith("/step-up/certificate"), b.page.url
    assert b.message_of(".notice") == word(lang, "web.step_up.done")
    assert b.page.locator("input[name=idempotency_key]").input_value() == key
    assert b.page.locator("#other_account").input_value() == WANG_FANG
    assert b.page.locator("#amount").input_value() == AMOUNT
    b.check("transfer-after-ukey")
    submit(b, "#transfer-form")
    b.check("transfer-done")
    assert b.page.locator(".refusal").count() == 0
    assert b.message_of(".notice") == word(lang, "web.transfer.booked")
    assert b.message_of("#receipt-amount").startswith("20,000.00")


@pytest.mark.rule("K1", kind="refuse")
@pytest.mark.parametrize(("locale", "lang", "phone"), [("zh-CN", "zh", True), ("ko-KR", "ko", False)])
def test_a_wrong_paste_is_refused_in_words_and_the_challenge_stays(
    visitor: Visitor, server: Server, locale: str, lang: str, phone: bool
) -> None:
    b = visitor(locale, phone=phone, name=f"ukey-wrong-paste-{lang}")
    start_transfer_needing_a_certificate(b, lang)
    command = get_ukey_challenge(b, lang)

    # Not the helper's output at all (e.g. the command itself pasted back).
    paste(b, command)
    assert refusal_code(b) == "K1_LOGIN_ANSWER_MALFORMED"
    assert b.message_of(".refusal .message") == word(lang, "K1_LOGIN_ANSWER_MALFORMED")
    assert (b.page.locator("#ukey-command").text_content() or "").strip() == command
    b.check("ukey-not-an-answer")

    # The helper's answer with its signature altered: it does not verify.
    answer = json.loads(run_client_helper(server, command))
    signature = bytearray(base64.b64decode(answer["signature"]))
    signature[-1] ^= 0x01
    answer["signature"] = base64.b64encode(bytes(signature)).decode("ascii")
    paste(b, json.dumps(answer))
    assert refusal_code(b) == "K1_SIGNATURE_INVALID"
    assert b.message_of(".refusal .message") == word(lang, "K1_SIGNATURE_INVALID")
    assert (b.page.locator("#ukey-command").text_content() or "").strip() == command
    b.check("ukey-bad-signature")

    # Nothing was raised: the transfer still asks for a step-up.
    b.goto("/transfer")
    b.page.select_option("#from_account", CARD)
    b.page.check("#target-other")
    b.page.fill("#other_account", WANG_FANG)
    b.page.fill("#amount", AMOUNT)
    submit(b, "#transfer-form")
    assert refusal_code(b) == "K2_STEP_UP_REQUIRED"


@pytest.mark.rule("K1", kind="allow")
@pytest.mark.parametrize(("locale", "lang", "phone"), [("ko-KR", "ko", False), ("zh-CN", "zh", True)])
def test_the_certificate_centre_shows_the_certificate_on_the_ukey(
    visitor: Visitor, server: Server, locale: str, lang: str, phone: bool
) -> None:
    b = visitor(locale, phone=phone, name=f"ukey-centre-{lang}")
    on_ukey = certificate_on_ukey(server)
    sign_in_customer(b, CARD)
    b.goto("/certificates")
    b.check("centre-with-ukey")
    assert b.page.locator("#no-ukey").count() == 0
    rows = b.page.locator("#ukey-status tr.ukey-certificate")
    assert rows.count() == 1
    assert b.message_of("#ukey-status .ukey-serial") == f"{on_ukey.serial_number:x}"
    assert b.message_of("#ukey-status .ukey-status") == word(lang, "web.cert_status.valid")
    # The validity's dates are the institution's (EDB: Asia/Shanghai), not UTC's.
    shanghai = ZoneInfo("Asia/Shanghai")
    not_before = on_ukey.not_valid_before_utc.astimezone(shanghai)
    not_after = on_ukey.not_valid_after_utc.astimezone(shanghai)
    assert b.message_of("#ukey-status .ukey-not-before") == f"{not_before:%Y-%m-%d}"
    assert b.message_of("#ukey-status .ukey-not-after") == f"{not_after:%Y-%m-%d}"
    headers = b.page.locator("#ukey-status th").all_inner_texts()
    assert word(lang, "web.cert.valid_from") in headers and word(lang, "web.cert.valid_until") in headers
