"""Authorization through the browser: no session goes to sign-in; a customer reaches neither
another customer's data nor a teller page; a teller sees only their own institution; every POST
needs this browser's CSRF token."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netbank.adapters.i18n import catalogs
from tests.browser.browsing import Browsing
from tests.browser.journeys import LI_MING, LI_MING_SUB_CARD, WANG_FANG, sign_in_customer, sign_in_teller

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Visitor = Callable[..., Browsing]


def test_pages_without_a_session_go_to_sign_in(visitor: Visitor) -> None:
    b = visitor("en-US", name="anonymous")
    for path, sign_in in [
        ("/home", "/sign-in"),
        ("/statement", "/sign-in"),
        ("/transfer", "/sign-in"),
        ("/teller", "/teller/sign-in"),
        ("/teller/customers/100002", "/teller/sign-in"),
    ]:
        b.goto(path)
        assert b.page.url == b.base_url + sign_in, path


def test_a_customer_reaches_no_other_customers_data_and_no_teller_page(visitor: Visitor) -> None:
    b = visitor("en-US", name="customer-authz")
    sign_in_customer(b)

    assert b.goto("/teller") == 403
    assert b.page.locator("h1").inner_text() == catalogs().message("en", "web.refusal.forbidden")
    b.check("customer-on-teller-page")
    assert b.goto(f"/teller/accounts/{LI_MING}/postings") == 403

    assert b.goto(f"/statement?account={WANG_FANG}") == 404
    assert b.page.locator(".refusal .code code").inner_text() == "ACCOUNT_NOT_FOUND"
    b.check("other-customers-statement")
    response = b.page.request.get(f"{b.base_url}/statement.csv?account={WANG_FANG}")
    assert response.status == 404
    assert "balance_after_minor" not in response.text()  # an error page, not a CSV

    # A forged transfer form paying out of someone else's account: refused, nothing moves.
    b.goto("/transfer")
    token = b.page.locator("#transfer-form input[name=csrf_token]").input_value()
    key = b.page.locator("#transfer-form input[name=idempotency_key]").input_value()
    response = b.page.request.post(
        b.base_url + "/transfer",
        form={
            "csrf_token": token,
            "idempotency_key": key,
            "from_account": WANG_FANG,
            "target": "own",
            "own_account": LI_MING_SUB_CARD,
            "amount": "1.00",
        },
    )
    assert response.status == 404  # ACCOUNT_NOT_FOUND's family, as the API answers it
    assert "ACCOUNT_NOT_FOUND" in response.text()


def test_every_post_needs_this_browsers_csrf_token(visitor: Visitor) -> None:
    b = visitor("zh-CN", name="csrf")
    sign_in_customer(b)
    b.goto("/transfer")
    key = b.page.locator("#transfer-form input[name=idempotency_key]").input_value()
    fields = {
        "idempotency_key": key,
        "from_account": LI_MING,
        "target": "own",
        "own_account": LI_MING_SUB_CARD,
        "amount": "1.00",
    }
    for token in (None, "0" * 64):
        form = fields if token is None else {**fields, "csrf_token": token}
        # (API requests from the page do not send the context's Accept-Language by themselves)
        response = b.page.request.post(b.base_url + "/transfer", form=form, headers={"Accept-Language": "zh"})
        assert response.status == 403
        assert catalogs().message("zh", "web.csrf.rejected") in response.text()
    # A token of another browser (another CSRF secret and session) does not work here either.
    other = visitor("zh-CN", name="csrf-other")
    sign_in_customer(other)
    other.goto("/transfer")
    foreign = other.page.locator("#transfer-form input[name=csrf_token]").input_value()
    response = b.page.request.post(b.base_url + "/transfer", form={**fields, "csrf_token": foreign})
    assert response.status == 403
    # Sign-out is a POST too: a link from elsewhere cannot end the session.
    response = b.page.request.post(b.base_url + "/sign-out", form={"then": "customer"})
    assert response.status == 403
    assert b.goto("/home") == 200
    b.page.set_content("")  # leave nothing half-checked
    b.goto("/home")
    b.check("still-signed-in")


def test_a_teller_sees_only_their_own_institution(visitor: Visitor) -> None:
    b = visitor("ko-KR", name="teller-authz")
    sign_in_teller(b, institution="kb")
    assert b.goto("/teller/customers/100002") == 404
    assert b.page.locator(".refusal .code code").inner_text() == "CUSTOMER_NOT_FOUND"
    b.check("other-institutions-customer")
    assert b.goto(f"/teller/accounts/{LI_MING}/postings") == 404
    b.goto("/teller?name=李")
    assert "100002" not in b.page.locator("#found").inner_text()
    assert b.goto("/home") == 403  # a teller's session is no customer's
