"""The language a signed-in person chooses follows them to another browser: the switch is kept on
their record, and signing in from a browser with no cookie at all (and a Korean
Accept-Language) shows the pages after sign-in in the language they chose.

The people: edb's 王芳 (100001, ordinary version) and teller T002 of edb's second branch; no
other browser test signs in as either (and 王芳's is forgotten again at the end)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netbank.adapters.i18n import catalogs
from tests.browser.browsing import Browsing
from tests.browser.journeys import (
    WANG_FANG,
    forget_language,
    kept_language,
    sign_in_customer,
    sign_in_teller,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]
KOREAN = "ko-KR"


def lang_of(b: Browsing) -> str | None:
    return b.page.locator("html").get_attribute("lang")


def cookie(b: Browsing, name: str) -> str | None:
    return next((c["value"] for c in b.context.cookies() if c["name"] == name), None)


def switch_to(b: Browsing, locale: str) -> None:
    with b.page.expect_navigation():
        b.page.click(f"nav.languages a[lang={locale}]")
    assert lang_of(b) == locale


def test_a_customer_who_switched_to_chinese_gets_chinese_pages_after_signing_in_elsewhere(
    visitor: Visitor,
) -> None:
    here = visitor(KOREAN, name="language-customer-a")
    sign_in_customer(here, WANG_FANG)
    assert lang_of(here) == "ko"  # no choice yet: the browser's language
    here.check("home-ko")
    switch_to(here, "zh")
    assert here.page.url.endswith("/home")
    here.check("home-zh")

    # Another browser: nothing remembered, Korean by its Accept-Language.
    there = visitor(KOREAN, phone=True, name="language-customer-b")
    assert there.context.cookies() == []
    there.goto("/sign-in")
    assert lang_of(there) == "ko"
    assert cookie(there, "netbank_lang") is None
    sign_in_customer(there, WANG_FANG)  # screenshots and checks the Korean sign-in page
    assert lang_of(there) == "zh"
    assert cookie(there, "netbank_lang") == "zh"
    statement_link = there.page.locator("header nav a[href='/statement']")
    assert statement_link.inner_text().strip() == catalogs().message("zh", "web.nav.statement")
    greeting = catalogs().message("zh", "web.home.greeting", name="王芳")
    assert there.page.locator("h1").first.inner_text().strip() == greeting
    there.check("home-zh-after-sign-in")
    there.goto("/settings")
    assert lang_of(there) == "zh"
    there.check("settings-zh")
    # The API reads the same record; forgetting it leaves the shared server as the demo made it.
    assert kept_language(there) == "zh"
    forget_language(there)


def test_a_teller_who_switched_to_korean_gets_korean_pages_after_signing_in_elsewhere(
    visitor: Visitor,
) -> None:
    here = visitor("zh-CN", name="language-teller-a")
    sign_in_teller(here, teller="T002")
    assert lang_of(here) == "zh"
    switch_to(here, "ko")
    here.check("teller-ko")

    there = visitor("zh-CN", name="language-teller-b")
    assert there.context.cookies() == []
    sign_in_teller(there, teller="T002")  # the sign-in page in Chinese, checked
    assert lang_of(there) == "ko"
    assert cookie(there, "netbank_lang") == "ko"
    customers_link = there.page.locator("header nav a[href='/teller']")
    assert customers_link.inner_text().strip() == catalogs().message("ko", "web.nav.customers")
    there.check("teller-ko-after-sign-in")
