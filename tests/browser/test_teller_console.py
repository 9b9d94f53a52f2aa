"""The teller console in a real browser, in Korean: sign-in, find a customer by name, record
the in-person identity check (E12), open an account's postings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from netbank.adapters.i18n import catalogs
from netbank.demo import cn_id
from tests.browser.browsing import Browsing
from tests.browser.journeys import LI_MING, sign_in_teller

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]
#: 李明 (edb 100002), born 1985-11-20, the second person the demo loads.
LI_MING_ID = cn_id(date(1985, 11, 20), 102)


@pytest.mark.rule("E12", kind="allow")
def test_teller_finds_a_customer_records_the_identity_check_and_reads_postings(visitor: Visitor) -> None:
    b = visitor("ko-KR", name="teller-ko")
    sign_in_teller(b)
    b.check("find")
    assert b.page.locator("html").get_attribute("lang") == "ko"
    b.page.fill("#name", "李")
    with b.page.expect_navigation():
        b.page.click("form[role=search] button")
    b.check("found")
    with b.page.expect_navigation():
        b.page.click("#found a:text('100002')")
    b.check("customer")
    assert "李明" in b.page.locator("h1").inner_text()
    # Only the masked number is ever shown.
    assert LI_MING_ID not in b.page.content()
    facts = b.page.locator("#customer-facts").inner_text()
    assert "*" in facts

    # A number that is not the one on file is refused (C1), in Korean; nothing is recorded.
    b.page.fill("#document_number", "110101199003077777")
    with b.page.expect_navigation():
        b.page.click("form[action$='/identity-check'] button")
    assert b.page.locator(".refusal .code code").inner_text() == "C1_IDENTITY_MISMATCH"
    assert b.page.locator("#check-recorded").count() == 0
    b.check("check-refused")

    b.page.fill("#document_number", LI_MING_ID)
    with b.page.expect_navigation():
        b.page.click("form[action$='/identity-check'] button")
    recorded = b.page.locator("#check-recorded").inner_text()
    assert recorded.startswith(catalogs().message("ko", "web.check.recorded").split("{")[0][:6])
    b.check("check-recorded")

    with b.page.expect_navigation():
        b.page.click(f"#accounts a:text('{LI_MING}')")
    b.check("postings")
    assert b.page.url.endswith(f"/teller/accounts/{LI_MING}/postings")
    rows = b.page.locator("#statement-rows > tr")
    assert rows.count() >= 1
    opening = catalogs().message("ko", "web.posting_kind.opening")
    assert opening in b.page.locator("#statement-rows").inner_text()
