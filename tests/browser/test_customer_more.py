"""The customer portal's other journeys in a real browser, each in Korean and in Chinese: a bill
payment that needs a step-up by SMS / ARS code (L2, K2) with the limit left today, the
customer's own lower limits (L1), signed-in sessions and the login password (E13, K2), linked
accounts with those still waiting for the counter (E10), and online self-registration of the
ordinary version with its E2 / E5 refusals in words.

The people: 홍길동 (K0001) at Hana and Woori banks (OTP version), 李明 (edb 100002, OTP version),
김영희 (K0002) not enrolled at Hana and Woori, and edb's 孙悦 (17, E2) and 吴敏 (merchant, four-bank
and credit cards only, E5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from netbank.adapters.i18n import I18N_DIR, catalogs
from netbank.demo import KOREAN, LOGIN_PASSWORD, PIN, cn_id, kr_rrn, years_ago
from tests.browser.browsing import Browsing, Server
from tests.browser.journeys import (
    LI_MING_ONLINE_LINK,
    WANG_FANG,
    sign_in_customer,
    step_up_with_a_code,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]

HONG_CARD = {inst: f"{prefix}000000001" for inst, (prefix, _) in KOREAN.items()}
KIM_CARD = {inst: f"{prefix}000000002" for inst, (prefix, _) in KOREAN.items()}
KIM_RRN = kr_rrn(date(2001, 7, 9), False, "123456")
LI_MING_PASSBOOK = "6222020000000014"
#: edb 100007 孙悦, 17 without own income (E2 refuses); born relative to the demo's load day.
SUN_YUE = (
    "孙悦",
    cn_id(years_ago(datetime.now(ZoneInfo("Asia/Shanghai")).date(), 17, 60), 107),
    "6222020000000071",
)
#: edb 100009 吴敏: a co-branded merchant card cannot be the registration account (E5).
WU_MIN = ("吴敏", cn_id(date(1992, 12, 12), 109), "6222020000000091")


def word(locale: str, msgid: str, **params: object) -> str:
    return catalogs().message(locale, msgid, **params)


@cache
def _templates(locale: str) -> dict[str, str]:
    with (I18N_DIR / locale / "LC_MESSAGES" / "netbank.po").open("rb") as fileobj:
        return {str(m.id): str(m.string) for m in read_po(fileobj, locale=locale) if m.id}


def opening_words(locale: str, code: str) -> str:
    """The fixed opening words of a refusal's message (before its first parameter)."""
    start = _templates(locale)[code].split("{")[0][:10]
    assert start.strip()
    return start


def refusal(b: Browsing) -> tuple[str, str]:
    return b.message_of(".refusal .code code"), b.message_of(".refusal .message")


@pytest.mark.rule("L1", "L2", "K2", kind="allow")
@pytest.mark.parametrize(
    ("locale", "lang", "institution", "channel"),
    [("ko-KR", "ko", "hana", "sms"), ("zh-CN", "zh", "woori", "ars")],
)
def test_a_bill_above_the_password_levels_limit_is_paid_after_a_code_and_own_limits_are_lowered(
    visitor: Visitor, server: Server, locale: str, lang: str, institution: str, channel: str
) -> None:
    b = visitor(locale, phone=True, name=f"bills-{lang}")
    sign_in_customer(b, HONG_CARD[institution], institution)
    b.page.click("nav a[href='/bills']")
    b.page.wait_for_url("**/bills")
    b.check("bill-form")
    # At the password level an OTP customer is under the ordinary version's bill limit (L2).
    assert b.message_of("#bill-left-today") == "500 KRW"
    key = b.page.locator("input[name=idempotency_key]").input_value()
    b.page.select_option("#payee_code", "KEPCO")
    b.page.fill("#bill_reference", "2026-0042-7")
    b.page.fill("#amount", "1000")
    submit(b, "#bill-form")
    step_up_with_a_code(b, server, channel)
    b.check("bill-after-step-up")
    assert b.message_of(".notice") == word(lang, "web.step_up.done_form")
    assert b.page.locator("input[name=idempotency_key]").input_value() == key
    assert b.page.locator("#amount").input_value() == "1000"
    assert b.page.locator("#payee_code").input_value() == "KEPCO"
    # Now at the one-time-code level, the OTP version's limits apply.
    assert b.message_of("#bill-left-today") != "500 KRW"
    submit(b, "#bill-form")
    b.check("bill-paid")
    assert b.message_of("#receipt-amount") == "1,000 KRW"
    assert b.message_of(".notice") == word(lang, "web.bills.paid")

    # L1: the customer lowers their own daily limit, never above the version's.
    b.goto("/settings")
    b.check("settings")
    b.page.click("#settings-menu a[href='/limits']")
    b.page.wait_for_url("**/limits")
    b.check("limits")
    b.page.fill("#per_transaction", "")
    b.page.fill("#daily", "99000000")
    submit(b, "#limits-form")
    code, message = refusal(b)
    assert code.startswith("L1_"), code
    assert message.startswith(opening_words(lang, code)), message
    b.check("limits-refused")
    b.page.fill("#per_transaction", "")
    b.page.fill("#daily", "2000000")
    submit(b, "#limits-form")
    assert b.message_of(".notice") == word(lang, "web.own_limits.saved")
    assert "2,000,000 KRW" in b.message_of("#limit-daily")
    b.check("limits-saved")
    # Empty restores the version's limits.
    submit(b, "#limits-form")
    assert word(lang, "web.own_limits.not_set") in b.message_of("#limit-daily")


@pytest.mark.rule("E13", "K2", kind="allow")
@pytest.mark.parametrize(
    ("locale", "lang", "institution", "channel"),
    [("ko-KR", "ko", "woori", "one_time_code"), ("zh-CN", "zh", "hana", "sms")],
)
def test_sessions_are_listed_and_ended_and_the_password_changes_after_a_code(
    visitor: Visitor, server: Server, locale: str, lang: str, institution: str, channel: str
) -> None:
    login = HONG_CARD[institution]
    here = visitor(locale, name=f"sessions-{lang}-a")
    sign_in_customer(here, login, institution)
    there = visitor(locale, phone=True, name=f"sessions-{lang}-b")
    sign_in_customer(there, login, institution)

    there.goto("/sessions")
    there.check("sessions-other-device")
    theirs = there.page.locator("#sessions tbody tr:has(strong)").get_attribute("id")
    here.goto("/sessions")
    here.check("sessions")
    mine = here.page.locator("#sessions tbody tr:has(strong)").get_attribute("id")
    assert theirs and mine and theirs != mine
    assert here.page.locator(f"#{theirs}").count() == 1
    submit(here, f"#{theirs} form.revoke-session")
    assert here.message_of(".notice") == word(lang, "web.sessions.revoked")
    assert here.page.locator(f"#{theirs}").count() == 0
    there.goto("/home")
    assert there.page.url.endswith("/sign-in")  # ended on the server
    # Another customer's session is not this customer's to end.
    token = here.page.locator("input[name=csrf_token]").first.input_value()
    other = here.page.request.post(here.base_url + "/sessions/1/revoke", form={"csrf_token": token})
    assert other.status == 404 and "SESSION_NOT_FOUND" in other.text()

    # E13 / K2: the OTP version proves a one-time code before changing the password.
    here.goto("/password")
    here.check("password-form")
    new_password = "Harbor#2027qx"
    here.page.fill("#old_password", LOGIN_PASSWORD)
    here.page.fill("#new_password", new_password)
    here.page.fill("#new_password_again", new_password + "!")
    submit(here, "#password-form")
    assert refusal(here) == ("REQUEST_VALIDATION", word(lang, "web.password.mismatch"))
    here.page.fill("#old_password", LOGIN_PASSWORD)
    here.page.fill("#new_password", new_password)
    here.page.fill("#new_password_again", new_password)
    submit(here, "#password-form")
    step_up_with_a_code(here, server, channel)
    assert here.page.url.endswith("/password?stepped_up=1")
    here.check("password-after-step-up")
    for old, new in ((LOGIN_PASSWORD, new_password), (new_password, LOGIN_PASSWORD)):
        here.page.fill("#old_password", old)
        here.page.fill("#new_password", new)
        here.page.fill("#new_password_again", new)
        submit(here, "#password-form")
        assert here.message_of(".notice") == word(lang, "web.password.changed"), refusal(here)
    here.check("password-changed")


@pytest.mark.rule("E10", kind="refuse")
@pytest.mark.parametrize(("locale", "lang"), [("ko-KR", "ko"), ("zh-CN", "zh")])
def test_linked_accounts_show_which_still_need_the_counter(visitor: Visitor, locale: str, lang: str) -> None:
    b = visitor(locale, phone=lang == "zh", name=f"linked-{lang}")
    sign_in_customer(b)
    b.goto("/accounts/linked")
    b.check("linked")
    online = b.page.locator(f"#linked-accounts tr[data-account='{LI_MING_ONLINE_LINK}']")
    assert online.locator("td.needs-counter").inner_text() == word(lang, "web.linked.needs_counter")
    assert word(lang, "web.link_origin.online") in online.inner_text()
    # Another customer's card cannot be linked, whatever the PIN.
    b.page.fill("#account_number", WANG_FANG)
    b.page.fill("#account_pin", PIN)
    submit(b, "#link-form")
    code, _ = refusal(b)
    assert code in {"C2_ACCOUNT_NOT_CUSTOMERS", "AUTHENTICATION_FAILED"}, code
    b.check("link-refused")
    if lang == "zh":
        # E10: linked online, viewable at once, paying out only after 819102 at a counter.
        b.page.fill("#account_number", LI_MING_PASSBOOK)
        b.page.fill("#account_pin", PIN)
        submit(b, "#link-form")
        if b.page.locator(".refusal").count():
            assert refusal(b)[0] == "E6_ALREADY_LINKED"
        else:
            assert b.message_of(".notice") == word(lang, "web.linked.done")
        row = b.page.locator(f"#linked-accounts tr[data-account='{LI_MING_PASSBOOK}']")
        assert row.locator("td.needs-counter").count() == 1
        b.check("linked-online")


@pytest.mark.rule("E2", "E5", kind="refuse")
@pytest.mark.rule("E4", "E5", kind="allow")
@pytest.mark.parametrize(
    ("locale", "lang", "institution", "phone"),
    [("ko-KR", "ko", "hana", True), ("zh-CN", "zh", "woori", False)],
)
def test_self_registration_explains_e2_and_e5_refusals_then_registers_the_ordinary_version(
    visitor: Visitor, locale: str, lang: str, institution: str, phone: bool
) -> None:
    b = visitor(locale, phone=phone, name=f"register-{lang}")
    b.goto("/sign-in")
    b.page.click("a[href='/register']")
    b.page.wait_for_url("**/register")
    b.check("register-form")

    def register(inst: str, card: str, name: str, doc_type: str, doc: str, password: str) -> None:
        b.page.select_option("#institution", inst)
        b.page.fill("#card_number", card)
        b.page.fill("#account_pin", PIN)
        b.page.fill("#name", name)
        b.page.select_option("#document_type", doc_type)
        b.page.fill("#document_number", doc)
        b.page.fill("#login_password", password)
        b.page.fill("#login_password_again", password)
        submit(b, "#register-form")

    password = "Meadow#2026zk"
    for who, expected in ((WU_MIN, "E5_REGISTRATION_ACCOUNT_KIND"), (SUN_YUE, "E2_UNDER_AGE")):
        name, document, card = who
        register("edb", card, name, "cn_resident_id", document, password)
        code, message = refusal(b)
        assert code == expected
        assert message.startswith(opening_words(lang, code)), message
        assert b.page.locator("#name").input_value() == name  # what was typed stays
        b.check(f"register-{code}")

    register(institution, KIM_CARD[institution], "김영희", "kr_rrn", KIM_RRN, password)
    b.check("registered")
    assert b.page.locator(".refusal").count() == 0, refusal(b)
    assert b.message_of("#login-id") == KIM_CARD[institution]
    assert word(lang, "web.version.ordinary") in b.message_of(".notice")
    # E3: a second registration of the same customer is refused.
    b.goto("/register")
    register(institution, KIM_CARD[institution], "김영희", "kr_rrn", KIM_RRN, password)
    assert refusal(b)[0] == "E3_ALREADY_ENROLLED"

    # The new login works; the ordinary version pays bills only up to its limit.
    b.goto(f"/sign-in?institution={institution}")
    b.page.fill("#login_id", KIM_CARD[institution])
    b.page.fill("#password", password)
    with b.page.expect_navigation():
        b.page.click("form[action='/sign-in'] button[type=submit]")
    assert b.page.url.endswith("/home")
    assert word(lang, "web.version.ordinary") in b.page.locator("p.hint").first.inner_text()
    b.check("registered-home")
