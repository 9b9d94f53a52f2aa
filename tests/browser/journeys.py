"""Steps the browser tests share: signing in as a demo customer or teller."""

from __future__ import annotations

from netbank.demo import LOGIN_PASSWORD, STAFF_PASSWORD
from tests.browser.browsing import Browsing, Server

#: edb 100002 李明, OTP version: 0011 is the registration card, 0012 a sub-card linked at the
#: counter, 0013 linked online and still waiting for 819102 (E10).
LI_MING = "6222020000000011"
LI_MING_SUB_CARD = "6222020000000012"
LI_MING_ONLINE_LINK = "6222020000000013"
#: edb 100001 王芳's card: another customer's account.
WANG_FANG = "6222020000000001"


def sign_in_customer(b: Browsing, login_id: str = LI_MING, institution: str = "edb") -> None:
    b.goto("/sign-in")
    b.check("sign-in")
    form = b.page.locator("form[action='/sign-in']")
    b.page.select_option("#institution", institution)
    b.page.fill("#login_id", login_id)
    b.page.fill("#password", LOGIN_PASSWORD)
    with b.page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert b.page.url.endswith("/home"), b.page.url


def sign_in_teller(b: Browsing, institution: str = "edb", teller: str = "T001") -> None:
    b.goto("/teller/sign-in")
    b.check("teller-sign-in")
    b.page.select_option("#institution", institution)
    b.page.fill("#teller_number", teller)
    b.page.fill("#password", STAFF_PASSWORD)
    with b.page.expect_navigation():
        b.page.click("form[action='/teller/sign-in'] button[type=submit]")
    assert b.page.url.endswith("/teller"), b.page.url


def submit(b: Browsing, form: str) -> None:
    """Click ``form``'s submit button and wait for the page it answers with."""
    with b.page.expect_navigation():
        b.page.click(f"{form} button[type=submit]")


def step_up_with_a_code(b: Browsing, server: Server, channel: str) -> None:
    """On the step-up page (K2): a code by ``channel`` (sms, ars, one_time_code) through the
    outbox, read from what the server delivered to the phone (never from the page), typed in."""
    assert b.message_of(".refusal .code code") == "K2_STEP_UP_REQUIRED"
    b.check("step-up")
    b.page.check(f"#channel-{channel}")
    seen = len(server.delivered())
    submit(b, "#challenge-form")
    b.check("step-up-code-sent")
    message, code = server.next_code(seen)
    assert message["kind"] == {"sms": "sms", "ars": "voice", "one_time_code": "app"}[channel]
    assert code not in b.page.content()
    b.page.fill("#challenge_code", code)
    submit(b, "#challenge-verify-form")


def kept_language(b: Browsing) -> str | None:
    """The language the signed-in customer's record keeps (``GET /api/v1/me/preferences``, with
    this browser's session as the bearer token)."""
    response = b.page.request.get(f"{b.base_url}/api/v1/me/preferences", headers=_bearer_of(b))
    assert response.status == 200, response.text()
    value = response.json()["preferred_locale"]
    return str(value) if value is not None else None


def forget_language(b: Browsing) -> None:
    """Clear the language the signed-in customer's record keeps, so that a later test signing
    in as the same demo customer gets its browser's language again (the server is shared)."""
    response = b.page.request.put(
        f"{b.base_url}/api/v1/me/preferences", data={"preferred_locale": None}, headers=_bearer_of(b)
    )
    assert response.status == 200, response.text()


def _bearer_of(b: Browsing) -> dict[str, str]:
    token = next(c["value"] for c in b.context.cookies() if c["name"] == "netbank_web_session")
    return {"Authorization": f"Bearer {token}"}
