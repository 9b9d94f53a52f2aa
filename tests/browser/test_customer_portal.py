"""The customer portal in a real browser: sign-in, accounts and limits, the statement with its
filters, htmx "older" pages and CSV, a transfer that needs a TOTP step-up (K2, L2), and
refusals shown in the visitor's language."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from netbank.adapters.i18n import I18N_DIR, catalogs
from netbank.demo import PIN
from tests.browser.browsing import CSP, Browsing, Server
from tests.browser.journeys import (
    LI_MING,
    LI_MING_ONLINE_LINK,
    LI_MING_SUB_CARD,
    WANG_FANG,
    forget_language,
    kept_language,
    sign_in_customer,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]


@cache
def _templates(locale: str) -> dict[str, str]:
    with (I18N_DIR / locale / "LC_MESSAGES" / "netbank.po").open("rb") as fileobj:
        return {str(m.id): str(m.string) for m in read_po(fileobj, locale=locale) if m.id}


def _message_start(locale: str, code: str) -> str:
    """The fixed opening words of a refusal's message in ``locale`` (before its first
    parameter), read straight from the catalog."""
    start = _templates(locale)[code].split("{")[0][:12]
    assert start.strip()
    return start


@pytest.mark.rule("K2", "L2", kind="allow")
def test_customer_signs_in_reads_statement_and_transfers_after_a_totp_step_up(
    visitor: Visitor, server: Server
) -> None:
    b = visitor("zh-CN", phone=True, name="customer-zh")
    b.goto("/")
    b.check("landing")
    assert b.page.locator("html").get_attribute("lang") == "zh"
    sign_in_customer(b)
    b.check("home")
    assert "李明" in b.page.locator("h1").inner_text()
    accounts = b.page.locator("#accounts")
    assert LI_MING in accounts.inner_text()
    assert "50,000.00 CNY" in accounts.inner_text()
    assert catalogs().message("zh", "web.limits.left_today") in b.page.locator("#limits").inner_text()

    # The statement: all accounts, one line a page; "older" appends the next page in place (htmx).
    b.goto("/statement?limit=1")
    b.check("statement")
    rows = b.page.locator("#statement-rows > tr")
    assert rows.count() == 1
    url_before = b.page.url
    b.page.click("#older-nav a")
    # (waits in Playwright's own script: the page's CSP allows no string evaluation)
    expect(rows).to_have_count(2)
    assert b.page.url == url_before  # appended, not navigated
    b.check("statement-older")
    # Filters: one account, opening deposits only.
    b.page.select_option("#account", LI_MING)
    b.page.select_option("#kind", "opening")
    with b.page.expect_navigation():
        b.page.click("form.filters button")
    assert "kind=opening" in b.page.url
    assert b.page.locator("#statement-rows > tr").count() == 1
    b.check("statement-filtered")
    with b.page.expect_download() as download:
        b.page.click("#csv-link")
    csv_text = download.value.path().read_text(encoding="utf-8-sig")
    assert csv_text.startswith("business_date,created_at,account_number,kind")
    assert f"{LI_MING},opening," in csv_text

    # A transfer to the customer's own sub-card: at the password level the OTP version is under
    # the ordinary version's limits, so the service asks for a step-up (K2).
    b.goto("/transfer")
    b.check("transfer-form")
    key = b.page.locator("input[name=idempotency_key]").input_value()
    b.page.select_option("#from_account", LI_MING)
    b.page.check("#target-own")
    b.page.select_option("#own_account", LI_MING_SUB_CARD)
    b.page.fill("#amount", "100.00")
    b.page.fill("#reference", "浏览器测试")
    with b.page.expect_navigation():
        b.page.click("#transfer-form button[type=submit]")
    b.check("step-up")
    assert "K2_STEP_UP_REQUIRED" in b.page.locator(".refusal .code").inner_text()

    # A wrong code is refused (K2) and the form stays.
    b.page.fill("#code", "000000" if server.totp("edb", "100002") != "000000" else "111111")
    with b.page.expect_navigation():
        b.page.click("#step-up-form button[type=submit]")
    assert b.page.locator(".refusal .code code").inner_text() == "K2_OTP_WRONG"
    b.check("step-up-wrong-code")

    b.page.fill("#code", server.totp("edb", "100002"))
    with b.page.expect_navigation():
        b.page.click("#step-up-form button[type=submit]")
    b.check("transfer-confirm")
    assert b.page.locator(".notice").inner_text() == catalogs().message("zh", "web.step_up.done")
    assert b.page.locator("input[name=idempotency_key]").input_value() == key
    assert b.page.locator("#amount").input_value() == "100.00"
    confirmed = b.page.evaluate("Object.fromEntries(new FormData(document.getElementById('transfer-form')))")
    with b.page.expect_navigation():
        b.page.click("#transfer-form button[type=submit]")
    b.check("transfer-done")
    assert "100.00 CNY" in b.page.locator("#receipt-amount").inner_text()
    assert catalogs().message("zh", "web.transfer.booked") in b.page.locator(".notice").inner_text()

    # The same form sent again (a double click, a resent page: same idempotency key) moves
    # nothing a second time.
    again = b.page.request.post(b.base_url + "/transfer", form=confirmed, headers={"Accept-Language": "zh"})
    assert again.status == 200
    assert catalogs().message("zh", "web.transfer.replayed") in again.text()

    # To another customer's account, still within the raised level's limits.
    b.goto("/transfer")
    b.page.check("#target-other")
    b.page.fill("#other_account", WANG_FANG)
    b.page.fill("#amount", "12.34")
    with b.page.expect_navigation():
        b.page.click("#transfer-form button[type=submit]")
    assert "12.34 CNY" in b.page.locator("#receipt-amount").inner_text()

    b.goto("/home")
    assert "49,887.66 CNY" in b.page.locator("#accounts").inner_text()
    with b.page.expect_navigation():
        b.page.click("form.sign-out button")
    assert b.page.url.endswith("/sign-in")
    b.goto("/home")
    assert b.page.url.endswith("/sign-in")  # the session ended on the server too


@pytest.mark.rule("L2", "E10", kind="refuse")
def test_refusals_are_shown_in_chinese_and_after_the_switch_in_korean(visitor: Visitor) -> None:
    b = visitor("zh-CN", name="refusal")
    sign_in_customer(b)

    def transfer(amount: str, from_account: str = LI_MING) -> tuple[str, str]:
        b.goto("/transfer")
        b.page.select_option("#from_account", from_account)
        b.page.select_option("#own_account", LI_MING_SUB_CARD)
        b.page.fill("#amount", amount)
        with b.page.expect_navigation():
            b.page.click("#transfer-form button[type=submit]")
        code = b.page.locator(".refusal .code code").inner_text().strip()
        return code, b.page.locator(".refusal .message").inner_text()

    # Above the OTP version's daily limit: no step-up can help, the limit refuses (L1/L2).
    code, message = transfer("20000.00")
    assert code.startswith(("L1_", "L2_")), code
    assert message.startswith(_message_start("zh", code)), message
    b.check("refusal-zh")

    # The language switch is remembered for every later page.
    with b.page.expect_navigation():
        b.page.click("nav.languages a[lang=ko]")
    assert b.page.locator("html").get_attribute("lang") == "ko"
    assert {c["name"]: c["value"] for c in b.context.cookies()}["netbank_lang"] == "ko"
    # ... and on 李明's record (his next sign-in, in any browser, is in Korean): forgotten again
    # here, so that later tests signing in as 李明 get their browser's language.
    assert kept_language(b) == "ko"
    forget_language(b)
    code_ko, message_ko = transfer("20000.00")
    assert code_ko == code
    assert message_ko.startswith(_message_start("ko", code)), message_ko
    b.check("refusal-ko")
    # E10: an account linked online cannot pay out before 819102 at a counter.
    code, message = transfer("1.00", from_account=LI_MING_ONLINE_LINK)
    assert code.startswith("E10_"), code
    assert message.startswith(_message_start("ko", code)), message
    # A malformed amount is a validation refusal, in Korean too.
    code, _ = transfer("12.345")
    assert code == "REQUEST_VALIDATION"


def test_card_login_sees_one_account_and_pages_carry_the_security_headers(visitor: Visitor) -> None:
    b = visitor("en-US", phone=True, name="card")
    status = b.goto("/sign-in")
    assert status == 200
    response = b.page.request.get(b.base_url + "/sign-in")
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    b.page.select_option("#card_institution", "edb")
    b.page.fill("#account_number", "6222020000000031")
    b.page.fill("#pin", PIN)
    with b.page.expect_navigation():
        b.page.click("form[action='/sign-in/card'] button[type=submit]")
    b.check("card-home")
    assert b.page.locator("#accounts tbody tr").count() == 1
    assert b.page.locator("#limits").count() == 0
    session = next(c for c in b.context.cookies() if c["name"] == "netbank_web_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
