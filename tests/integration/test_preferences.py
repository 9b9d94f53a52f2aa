"""A signed-in person's language is kept on their record, not only in a browser's cookie: the web's
language switch stores it for a customer (every version, the card/passbook login too) and for a
member of staff, and the next sign-in, in a browser that never chose a language, sets the
language cookie to it. ``GET``/``PUT /api/v1/me/preferences`` read and set it; a language netbank
does not speak is refused with ``LOCALE_UNSUPPORTED`` in ko / zh / en and changes nothing.
SQLite and PostgreSQL (app and services, no browser: ``tests/browser/test_language.py``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netbank.adapters.i18n import catalogs
from netbank.domain.errors import RuleViolation
from netbank.services import auth, preferences
from netbank.services.ports import Deps
from tests.builders import (
    LOGIN_PASSWORD,
    PIN,
    STAFF_PASSWORD,
    VISITOR,
    Api,
    bearer,
    csrf_of,
    otp_customer,
    snapshot,
)

SESSION = "netbank_web_session"
LANG = "netbank_lang"
LANGS = ("ko", "zh", "en")
ME = "/api/v1/me/preferences"


def fresh_browser(client: TestClient) -> None:
    """Another browser: no session, no CSRF secret, no language chosen."""
    client.cookies.clear()


def web_sign_in(client: TestClient, path: str, form: dict[str, str], lang: str) -> Any:
    """Sign in through the page's form (as a browser would, CSRF token included); the answer
    is the redirect to the first page after sign-in."""
    page = "/teller/sign-in" if path.startswith("/teller") else "/sign-in"
    answer = client.post(
        path,
        data={"csrf_token": csrf_of(client, page, lang), **form},
        headers={"accept-language": lang},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer


def switch_language(client: TestClient, locale: str, then: str) -> Any:
    answer = client.get(f"/language/{locale}?next={then}", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == then
    return answer


def shown_in(client: TestClient, path: str, accept_language: str) -> str:
    """The language a page comes in (``<html lang>``), for a browser whose own is
    ``accept_language``."""
    page = client.get(path, headers={"accept-language": accept_language})
    assert page.status_code == 200, page.text
    found = re.search(r'<html lang="([a-z]{2})">', page.text)
    assert found is not None
    return found.group(1)


def password_login(deps: Deps, card: str) -> auth.IssuedSession:
    return auth.login_with_password(
        deps, VISITOR, auth.PasswordLogin(institution_code="edb", login_id=card, password=LOGIN_PASSWORD)
    )


def teller_login(deps: Deps, institution: str, number: str) -> auth.IssuedSession:
    return auth.login_teller(
        deps,
        VISITOR,
        auth.TellerLogin(institution_code=institution, teller_number=number, password=STAFF_PASSWORD),
    )


def customer_form(card: str) -> dict[str, str]:
    return {"institution": "edb", "login_id": card, "password": LOGIN_PASSWORD}


# --- the API and the service ------------------------------------------------------------------


def test_a_customer_reads_sets_and_forgets_their_language_through_the_api(api: Api, deps: Deps) -> None:
    _, card, _ = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    assert api.get(ME, token).json() == {"preferred_locale": None, "supported_locales": list(LANGS)}

    answer = api.client.put(ME, json={"preferred_locale": "zh"}, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["preferred_locale"] == "zh"
    assert api.get(ME, token).json()["preferred_locale"] == "zh"
    # The next sign-in, by any client, carries it.
    assert password_login(deps, card).preferred_locale == "zh"
    assert (
        auth.login_with_card(
            deps, VISITOR, auth.CardLogin(institution_code="edb", account_number=card, pin=PIN)
        ).preferred_locale
        == "zh"
    )

    answer = api.client.put(ME, json={"preferred_locale": None}, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert api.get(ME, token).json()["preferred_locale"] is None
    assert password_login(deps, card).preferred_locale is None


@pytest.mark.parametrize("lang", LANGS)
def test_a_language_netbank_does_not_speak_is_refused_in_every_language_and_changes_nothing(
    api: Api, deps: Deps, lang: str
) -> None:
    _, card, _ = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    api.client.put(ME, json={"preferred_locale": "ko"}, headers=bearer(token))
    before = snapshot(api.engine)
    for bad in ("fr", "ZH", "zh-CN", "en_US", "x" * 16):
        answer = api.client.put(
            ME, json={"preferred_locale": bad}, headers={**bearer(token), "accept-language": lang}
        )
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "LOCALE_UNSUPPORTED"
        assert error["message"] == catalogs().message(
            lang, "LOCALE_UNSUPPORTED", language=bad, supported="ko, zh, en"
        )
    # Shapes the schema refuses before any service runs.
    for body in ({"preferred_locale": ""}, {"preferred_locale": "x" * 17}, {}, {"locale": "zh"}):
        answer = api.client.put(ME, json=body, headers=bearer(token))
        assert answer.status_code == 422, body
        assert answer.json()["error"]["code"] == "REQUEST_VALIDATION"
    assert snapshot(api.engine) == before
    assert api.get(ME, token).json()["preferred_locale"] == "ko"


def test_staff_preferences_are_kept_per_member_of_staff(api: Api, deps: Deps) -> None:
    t001 = auth.authenticate_teller(deps, teller_login(deps, "edb", "T001").token)
    assert preferences.staff_locale(deps, t001) is None
    assert preferences.set_staff_locale(deps, t001, preferences.SetPreferredLocale("ko")) == "ko"
    assert preferences.staff_locale(deps, t001) == "ko"
    assert teller_login(deps, "edb", "T001").preferred_locale == "ko"
    # Another teller of the same institution, and the same number at another one, keep none.
    assert teller_login(deps, "edb", "T002").preferred_locale is None
    assert teller_login(deps, "kb", "T001").preferred_locale is None
    before = snapshot(api.engine)
    with pytest.raises(RuleViolation) as refused:
        preferences.set_staff_locale(deps, t001, preferences.SetPreferredLocale("ja"))
    assert refused.value.code.value == "LOCALE_UNSUPPORTED"
    assert snapshot(api.engine) == before
    assert preferences.set_staff_locale(deps, t001, preferences.SetPreferredLocale(None)) is None
    assert teller_login(deps, "edb", "T001").preferred_locale is None


# --- the web: the switch stores it, the sign-in applies it -------------------------------------


def test_the_switch_is_kept_on_the_customer_and_the_next_sign_in_anywhere_shows_it(
    api: Api, deps: Deps
) -> None:
    client = api.client
    _, card, _ = otp_customer(api, deps)

    # Browser A: Korean, signs in, switches to Chinese.
    fresh_browser(client)
    first = web_sign_in(client, "/sign-in", customer_form(card), "ko")
    assert LANG not in first.cookies  # no preference yet: the browser's language decides
    assert shown_in(client, "/home", "ko-KR") == "ko"
    switched = switch_language(client, "zh", "/home")
    assert switched.cookies[LANG] == "zh"
    assert shown_in(client, "/home", "ko-KR") == "zh"
    token = client.cookies[SESSION]
    assert api.get(ME, token).json()["preferred_locale"] == "zh"

    # Browser B: no cookie at all and a Korean Accept-Language; the sign-in page is Korean,
    # the pages after sign-in are Chinese.
    fresh_browser(client)
    assert shown_in(client, "/sign-in", "ko-KR,ko;q=0.9") == "ko"
    answer = web_sign_in(client, "/sign-in", customer_form(card), "ko-KR,ko;q=0.9")
    assert answer.headers["location"] == "/home"
    assert answer.cookies[LANG] == "zh"
    home = client.get("/home", headers={"accept-language": "ko-KR,ko;q=0.9"})
    assert '<html lang="zh">' in home.text
    assert catalogs().message("zh", "web.nav.statement") in home.text

    # The card/passbook login of the same customer (E1) gets it too.
    fresh_browser(client)
    answer = web_sign_in(
        client, "/sign-in/card", {"institution": "edb", "account_number": card, "pin": PIN}, "en"
    )
    assert answer.cookies[LANG] == "zh"
    assert shown_in(client, "/home", "en-US") == "zh"
    # ... and a switch made there is kept on the same customer.
    switch_language(client, "en", "/home")
    fresh_browser(client)
    assert web_sign_in(client, "/sign-in", customer_form(card), "zh").cookies[LANG] == "en"


@pytest.mark.parametrize(("number", "home"), [("T002", "/teller"), ("U001", "/teller/audit")])
def test_the_switch_is_kept_on_the_member_of_staff_and_applied_at_their_next_sign_in(
    api: Api, number: str, home: str
) -> None:
    client = api.client  # the api fixture set up edb and kb with their staff
    form = {"institution_code": "edb", "teller_number": number, "password": STAFF_PASSWORD}
    fresh_browser(client)
    first = web_sign_in(client, "/teller/sign-in", form, "zh")
    assert first.headers["location"] == home
    assert LANG not in first.cookies
    switch_language(client, "ko", home)
    assert shown_in(client, home, "zh-CN") == "ko"

    fresh_browser(client)
    answer = web_sign_in(client, "/teller/sign-in", form, "zh-CN")
    assert answer.cookies[LANG] == "ko"
    assert shown_in(client, home, "zh-CN") == "ko"
    # Only that member of staff: T001 still gets the browser's language.
    fresh_browser(client)
    other = web_sign_in(client, "/teller/sign-in", {**form, "teller_number": "T001"}, "zh-CN")
    assert LANG not in other.cookies


def test_without_a_live_session_the_switch_changes_only_the_browser(api: Api, deps: Deps) -> None:
    client = api.client
    _, card, _ = otp_customer(api, deps)
    fresh_browser(client)
    before = snapshot(api.engine)
    assert switch_language(client, "zh", "/sign-in").cookies[LANG] == "zh"
    # A session cookie that is no session, and one that was signed out.
    client.cookies.set(SESSION, "not-a-session")
    switch_language(client, "ko", "/sign-in")
    assert snapshot(api.engine) == before
    fresh_browser(client)
    web_sign_in(client, "/sign-in", customer_form(card), "en")
    token = client.cookies[SESSION]
    auth.logout(deps, VISITOR, auth.Logout(token))
    switch_language(client, "en", "/sign-in")
    fresh_browser(client)
    assert LANG not in web_sign_in(client, "/sign-in", customer_form(card), "en").cookies


@pytest.mark.parametrize("lang", LANGS)
def test_the_switch_refuses_an_unsupported_language_with_its_code(api: Api, deps: Deps, lang: str) -> None:
    client = api.client
    _, card, _ = otp_customer(api, deps)
    fresh_browser(client)
    web_sign_in(client, "/sign-in", customer_form(card), lang)
    before = snapshot(api.engine)
    answer = client.get("/language/fr?next=/home", headers={"accept-language": lang}, follow_redirects=False)
    assert answer.status_code == 422
    assert "LOCALE_UNSUPPORTED" in answer.text
    message = catalogs().message(lang, "LOCALE_UNSUPPORTED", language="fr", supported="ko, zh, en")
    assert message in answer.text
    assert LANG not in answer.cookies
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    assert snapshot(api.engine) == before
