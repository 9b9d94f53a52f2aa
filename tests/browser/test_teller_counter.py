"""Counter transactions in the teller console, in a real browser, in Chinese and Korean: the forms
appear once the identity check is recorded (E12); 819101 add hands the OTP QR code over once
(K2); a loss report and a same-number replacement (C3, E14); a UKEY sale shows its G1 fee
before it is booked, and the receipt prints as PDF. The demo server has no PKI, so presenting a
UKEY gets the service's translated refusal (K1). A teller of another institution can act for
none of these customers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from netbank.adapters.i18n import catalogs
from netbank.demo import cn_id, kr_rrn, years_ago
from tests.browser.browsing import Browsing
from tests.browser.journeys import sign_in_teller
from tests.demo_counter import ZHANG_WEI

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]

#: edb 100003 张伟, certificate version (UKEY generation 2), registration card 0021.
#: edb 100006 赵磊, 17 and living on his own income (E2 allows), not enrolled; the demo dates
#: his birth from the day it is loaded.
ZHAO_LEI = (
    "100006",
    cn_id(years_ago(datetime.now(ZoneInfo("Asia/Shanghai")).date(), 17, 40), 106),
    "6222020000000061",
)
#: kb K0002 김영희, not enrolled.
KIM = ("K0002", kr_rrn(date(2001, 7, 9), False, "123456"), "9100000000002")


def open_customer(b: Browsing, number: str, document: str) -> int:
    """Open the customer's page and record the identity check; returns the check's number."""
    b.goto(f"/teller/customers/{number}")
    # Before the check the page says plainly that counter work needs it, and offers no form.
    assert b.page.locator("#counter-needs-check").is_visible()
    assert b.page.locator("#counter form").count() == 0
    b.check("customer-before-check")
    b.page.fill("#document_number", document)
    with b.page.expect_navigation():
        b.page.click("form[action$='/identity-check'] button")
    assert b.page.locator("#check-recorded").is_visible()
    check_id = b.page.locator("#counter input[name=identity_check_id]").first.input_value()
    b.check("customer-with-check")
    return int(check_id)


def run_form(b: Browsing, form: str, fill: Callable[[], None] | None = None) -> None:
    b.page.click(f"#form-{form} summary")
    if fill is not None:
        fill()
    with b.page.expect_navigation():
        b.page.click(f"#form-{form} button[type=submit]")


@pytest.mark.rule("E12", "G1", "K1", kind="allow")
@pytest.mark.parametrize(("locale", "lang", "phone"), [("zh-CN", "zh", False), ("ko-KR", "ko", True)])
def test_a_ukey_sale_shows_its_fee_before_booking_and_prints_its_receipt(
    visitor: Visitor, locale: str, lang: str, phone: bool
) -> None:
    b = visitor(locale, phone=phone, name=f"ukey-sale-{lang}")
    sign_in_teller(b)
    number, document, card = ZHANG_WEI
    open_customer(b, number, document)

    def fill() -> None:
        b.page.select_option("#us-generation", "2")
        b.page.fill("#us-serial", f"UK2-WEB-{lang}")

    run_form(b, "ukey-sale", fill)
    # The confirmation: the G1 fee from the fee engine and the account it will be debited from.
    assert b.page.locator("#quote-fee").inner_text().startswith("120.00")
    assert card in b.page.locator("#quote-account").inner_text()
    b.check("ukey-sale-confirm")
    with b.page.expect_navigation():
        b.page.click("#confirm-form button[type=submit]")
    assert b.page.locator("#counter-done").is_visible()
    assert "NB-UKEY-SALE" in b.page.locator("#receipt-code").inner_text()
    assert catalogs().message(lang, "web.txn.ukey_sale") in b.page.locator("#receipt-code").inner_text()
    assert b.page.locator("#receipt-teller").inner_text() == "T001"
    assert b.page.locator("#receipt-fee").inner_text().startswith("120.00")
    b.check("ukey-sale-receipt")
    pdf = b.page.request.get(b.base_url + b.page.locator("#receipt-pdf").get_attribute("href"))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")

    # With a UKEY named that is not plugged in (no such token on this server's PKCS#11 module),
    # no key pair can be made on it: the service's refusal, translated; nothing is booked.
    with b.page.expect_navigation():
        b.page.click("text=" + catalogs().message(lang, "web.receipt.back"))
    run_form(b, "ukey-sale", fill)
    b.page.fill("#token_label", "ukey1")
    b.page.fill("#token_pin", "123456")
    with b.page.expect_navigation():
        b.page.click("#confirm-form button[type=submit]")
    assert b.page.locator(".refusal .code code").inner_text() == "K1_TOKEN_NOT_FOUND"
    assert catalogs().message(lang, "K1_TOKEN_NOT_FOUND") in b.page.locator(".refusal").inner_text()
    assert b.page.locator("#form-ukey-sale").get_attribute("open") is not None
    b.check("ukey-sale-refused")


@pytest.mark.rule("E4", "E12", "K2", "E14", kind="allow")
@pytest.mark.parametrize(
    ("locale", "lang", "institution", "person", "phone_number"),
    [
        ("zh-CN", "zh", "edb", "zhao", "13800138006"),
        ("ko-KR", "ko", "kb", "kim", "01098765432"),
    ],
)
def test_a_teller_opens_the_otp_version_then_reports_a_loss_and_replaces_the_card(
    visitor: Visitor, locale: str, lang: str, institution: str, person: str, phone_number: str
) -> None:
    b = visitor(locale, phone=lang == "zh", name=f"contract-{lang}")
    sign_in_teller(b, institution=institution)
    number, document, card = KIM if person == "kim" else ZHAO_LEI
    open_customer(b, number, document)

    def add() -> None:
        b.page.select_option("#ca-version", "otp")
        b.page.select_option("#ca-registration", card)
        b.page.fill("#ca-password", "Counter#2026")
        b.page.fill("#ca-otp-phone", phone_number)

    run_form(b, "contract-add", add)
    assert b.page.locator("#counter-done").is_visible()
    assert b.page.locator("#receipt-code").inner_text().startswith("819101")
    # K2: the authenticator's QR code, shown this once.
    assert b.page.locator("#otp-enrolment img").count() == 1
    assert "otpauth://totp/" in b.page.locator("#otp-enrolment code").inner_text()
    b.check("contract-added")
    with b.page.expect_navigation():
        b.page.click("text=" + catalogs().message(lang, "web.receipt.back"))

    # A second 819101 add is refused (E3), in the page's language, with the form left open.
    run_form(b, "contract-add", add)
    assert b.page.locator(".refusal .code code").inner_text() == "E3_ALREADY_ENROLLED"
    b.check("contract-add-refused")

    def loss() -> None:
        b.page.select_option("#cl-account", card)
        b.page.select_option("#cl-kind", "written")

    run_form(b, "card-loss", loss)
    assert b.page.locator("#receipt-code").inner_text().startswith("NB-CARD-LOSS")
    b.check("card-loss-receipt")
    with b.page.expect_navigation():
        b.page.click("text=" + catalogs().message(lang, "web.receipt.back"))
    run_form(b, "card-replacement", lambda: b.page.select_option("#cr-account", card))
    assert b.page.locator("#receipt-code").inner_text().startswith("NB-CARD-REPLACEMENT")
    b.check("card-replacement-receipt")


@pytest.mark.rule("E12", kind="refuse")
@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("ko-KR", "ko")])
def test_a_teller_cannot_act_for_another_institutions_customer(
    visitor: Visitor, locale: str, lang: str
) -> None:
    # An edb teller records a check for 张伟 and puts a card under watch and takes it off (C3) ...
    edb = visitor(locale, name=f"edb-teller-{lang}")
    sign_in_teller(edb)
    number, document, card = ZHANG_WEI
    check_id = open_customer(edb, number, document)
    for change in ("set", "clear"):

        def flag(change: str = change) -> None:
            edb.page.select_option("#sf-account", card)
            edb.page.select_option("#sf-flag", "under_watch")
            edb.page.select_option("#sf-action", change)

        run_form(edb, "status-flag", flag)
        assert edb.page.locator("#receipt-code").inner_text().startswith("NB-STATUS-FLAG")
        edb.check(f"status-flag-{change}")
        receipt = edb.page.locator("#receipt-pdf").get_attribute("href")
        assert receipt is not None
        with edb.page.expect_navigation():
            edb.page.click("text=" + catalogs().message(lang, "web.receipt.back"))

    # ... a kb teller, with a valid form of their own console, gets "not found" for all of it.
    kb = visitor(locale, name=f"kb-teller-{lang}")
    sign_in_teller(kb, institution="kb")
    token = kb.page.locator("form.sign-out input[name=csrf_token]").input_value()
    assert kb.goto(f"/teller/customers/{number}") == 404
    kb.check("other-institutions-customer")
    answer = kb.page.request.post(
        f"{kb.base_url}/teller/customers/{number}/counter/card-loss",
        form={
            "csrf_token": token,
            "identity_check_id": str(check_id),
            "account_number": card,
            "kind": "verbal",
        },
        headers={"Accept-Language": lang},
    )
    assert answer.status == 404
    assert "CUSTOMER_NOT_FOUND" in answer.text()
    assert kb.page.request.get(kb.base_url + receipt).status == 404
    assert kb.goto(receipt.removesuffix(".pdf")) == 404
    kb.check("other-institutions-receipt")
    # Nothing happened to the card: 张伟's page shows no loss flag.
    edb.goto(f"/teller/customers/{number}")
    assert "verbal_loss" not in edb.page.locator("#accounts").inner_text()
