"""The institution admin's and the auditor's pages in a real browser, in Chinese and Korean: the
admin reads the policy in force (limits L1-L3, fees G1-G2, lock-outs); the auditor browses the
institution's audit trail a page at a time and runs the audit chain and ledger checks. Each role
reaches only its own pages: a teller none of these, the admin and auditor no counter page."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netbank.adapters.i18n import catalogs
from netbank.demo import STAFF_PASSWORD
from tests.browser.browsing import Browsing
from tests.browser.journeys import sign_in_teller

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]


def sign_in_staff(b: Browsing, number: str, institution: str = "edb") -> None:
    b.goto("/teller/sign-in")
    b.page.select_option("#institution", institution)
    b.page.fill("#teller_number", number)
    b.page.fill("#password", STAFF_PASSWORD)
    with b.page.expect_navigation():
        b.page.click("form[action='/teller/sign-in'] button[type=submit]")


@pytest.mark.rule("L1", "G1", "G2", kind="allow")
@pytest.mark.parametrize(("locale", "lang", "phone"), [("zh-CN", "zh", False), ("ko-KR", "ko", True)])
def test_the_admin_reads_the_policy_in_force(visitor: Visitor, locale: str, lang: str, phone: bool) -> None:
    b = visitor(locale, phone=phone, name=f"admin-{lang}")
    sign_in_staff(b, "A001")
    assert b.page.url.endswith("/teller/admin/policy")
    assert b.page.locator("h1").inner_text() == catalogs().message(lang, "web.policy.title")
    # edb's policy file: OTP 10,000.00 a day, UKEY generation 2 at 120.00, 5 wrong passwords.
    limits = b.page.locator("#policy-limits").inner_text()
    assert "10,000.00" in limits
    assert catalogs().message(lang, "web.version.otp") in limits
    fees = b.page.locator("#policy-fees").inner_text()
    assert "60.00" in fees
    assert "120.00" in fees
    assert "20.00" in fees
    assert "5" in b.page.locator("#policy-lockouts").inner_text()
    b.check("policy")
    # The admin may read the audit trail too (as the API's auditor endpoints allow) ...
    assert b.goto("/teller/audit") == 200
    b.check("admin-audit")
    # ... but does no counter work.
    assert b.goto("/teller") == 403
    assert b.page.locator(".refusal .code code").inner_text() == "TELLER_ROLE_REQUIRED"
    b.check("admin-on-counter")


@pytest.mark.rule("E12", kind="allow")
@pytest.mark.parametrize(("locale", "lang", "phone"), [("zh-CN", "zh", True), ("ko-KR", "ko", False)])
def test_the_auditor_pages_through_the_audit_trail_and_verifies_chain_and_ledger(
    visitor: Visitor, locale: str, lang: str, phone: bool
) -> None:
    b = visitor(locale, phone=phone, name=f"auditor-{lang}")
    sign_in_staff(b, "U001")
    assert b.page.url.endswith("/teller/audit")
    rows = b.page.locator("#audit-rows > tr")
    assert 0 < rows.count() <= 25  # one page at most
    assert catalogs().message(lang, "web.audit.caption", chain="edb") in b.page.content()
    b.check("audit")
    # Pages of 5 (the demo alone wrote more than two of them): "older" goes 5 entries back.
    b.goto("/teller/audit?limit=5")
    assert rows.count() == 5
    first_page_top = int(rows.first.locator("td").first.inner_text())
    with b.page.expect_navigation():
        b.page.click("#audit-older")
    assert rows.count() == 5  # the page size is kept
    older_top = int(rows.first.locator("td").first.inner_text())
    assert older_top == first_page_top - 5
    b.check("audit-older")
    # The demo's counter work is on the trail, with the identity document masked only.
    b.goto("/teller/audit?before=200&limit=200")
    assert "counter.identity_check" in b.page.locator("#audit-rows").inner_text()

    with b.page.expect_navigation():
        b.page.click("#verify-form button[type=submit]")
    assert b.page.locator("#audit-ok").inner_text() == catalogs().message(lang, "web.verify.audit_ok")
    assert b.page.locator("#ledger-ok").inner_text() == catalogs().message(lang, "web.verify.ledger_ok")
    assert "edb" in b.page.locator("#audit-chains").inner_text()
    b.check("verified")

    # The auditor reads; the policy page is the admin's and the counter the tellers'.
    assert b.goto("/teller/admin/policy") == 403
    b.check("auditor-on-policy")
    assert b.goto("/teller/customers/100002") == 403


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("ko-KR", "ko")])
def test_a_teller_and_a_customer_reach_no_admin_or_auditor_page(
    visitor: Visitor, locale: str, lang: str
) -> None:
    b = visitor(locale, name=f"teller-on-staff-{lang}")
    sign_in_teller(b)
    for path in ("/teller/admin/policy", "/teller/audit"):
        assert b.goto(path) == 403, path
        assert b.page.locator(".refusal .code code").inner_text() == "TELLER_ROLE_REQUIRED"
    b.check("teller-on-audit")
    b.goto("/teller")
    token = b.page.locator("form.sign-out input[name=csrf_token]").input_value()
    answer = b.page.request.post(
        b.base_url + "/teller/audit/verify", form={"csrf_token": token}, headers={"Accept-Language": lang}
    )
    assert answer.status == 403
    # Without a session: the staff sign-in page.
    anonymous = visitor(locale, name=f"anonymous-staff-{lang}")
    anonymous.goto("/teller/audit")
    assert anonymous.page.url == anonymous.base_url + "/teller/sign-in"
