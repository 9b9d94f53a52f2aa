"""The web's step-up by UKEY (K1, K2) through the app, no browser (tests/browser/
test_ukey_step_up.py drives it in Chromium): the page shows the client helper's command for a
challenge of this session; the helper's answer raises the session to the certificate level;
an answer replayed, to an expired challenge, or from a certificate revoked at the counter in the
meantime is a translated refusal on the step-up page (never a 500) and the session stays where
it was; a customer without a UKEY certificate is offered none. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re
import shlex
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from netbank.adapters.clock import SettableClock
from netbank.adapters.i18n import catalogs
from netbank.bootstrap import App
from netbank.client import ukey as client
from netbank.services.ports import Deps
from tests.builders import Api, csrf_of, otp_customer
from tests.integration.test_ukey import (
    CertificateCustomer,
    app_state,
    certificate_customer,
    login,
)
from tests.integration.test_ukey_interop import revoke
from tests.softhsm import USER_PIN

__all__ = ["app_state"]  # the HSM-enabled app of test_ukey

pytestmark = [pytest.mark.hsm, pytest.mark.rule("K1")]

SESSION = "netbank_web_session"
BACK_HOME = {"resume": "page", "next": "/home"}


def signed_in(api: Api, token: str) -> TestClient:
    api.client.cookies.clear()
    api.client.cookies.set(SESSION, token)
    return api.client


def ask_challenge(web: TestClient, lang: str) -> tuple[str, dict[str, str]]:
    """The page's command for a new challenge, and the hidden fields of its answer form."""
    csrf = csrf_of(web, "/home", lang)
    page = web.post(
        "/step-up/certificate/challenge",
        data={"csrf_token": csrf, **BACK_HOME},
        headers={"accept-language": lang},
    )
    assert page.status_code == 200, page.text
    assert catalogs().message(lang, "web.step_up.ukey_run") in html.unescape(page.text)
    found = re.search(r'<code id="ukey-command">([^<]+)</code>', page.text)
    assert found is not None
    command = html.unescape(found.group(1))
    args = shlex.split(command)
    fields = {"nonce": args[args.index("--nonce") + 1], "to_sign": args[args.index("--to-sign") + 1]}
    return command, {"csrf_token": csrf, **BACK_HOME, **fields}


def answer_of(c: CertificateCustomer, command: str) -> str:
    """What the client helper prints for ``command`` (its library, in this process)."""
    args = shlex.split(command)
    assert args[args.index("--token") + 1] == c.token_label
    body = client.signed_login_body(
        args[args.index("--nonce") + 1], args[args.index("--to-sign") + 1], c.token_label, USER_PIN
    )
    return json.dumps(body)


def refused(web: TestClient, form: dict[str, str], answer: str, lang: str, code: str, status: int) -> str:
    page = web.post(
        "/step-up/certificate", data={**form, "answer": answer}, headers={"accept-language": lang}
    )
    assert page.status_code == status, page.text
    text = html.unescape(page.text)
    assert f"<code>{code}</code>" in text
    assert catalogs().message(lang, code) in text
    return text


def level(api: Api, token: str) -> int:
    return int(api.get("/api/v1/me/session", token).json()["level"])


def test_the_helpers_answer_raises_the_session_and_a_replay_is_refused(
    api: Api, deps: Deps, app_state: App
) -> None:
    c = certificate_customer(api, deps)
    token = login(api, c)
    web = signed_in(api, token)
    command, form = ask_challenge(web, "en")
    assert f"--token {c.token_label} " in command and "--pin" not in command
    answer = answer_of(c, command)
    done = web.post("/step-up/certificate", data={**form, "answer": answer}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/home?stepped_up=1"
    assert level(api, token) == 40
    # The same answer again: the challenge is spent; the page offers a new one instead.
    text = refused(web, form, answer, "zh", "K1_LOGIN_CHALLENGE_USED", 422)
    assert 'id="ukey-step-up-form"' in text and 'id="ukey-command"' not in text


@pytest.mark.rule("K1", kind="refuse")
def test_expired_challenges_revoked_certificates_and_bad_pastes_are_refused_on_the_page(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    token = login(api, c)
    web = signed_in(api, token)

    # Not JSON, JSON of something else, a certificate that is not one: the challenge stays.
    command, form = ask_challenge(web, "ko")
    good = json.loads(answer_of(c, command))
    for paste in ("", "not json", '{"nonce": "x"}', command):
        text = refused(web, form, paste, "ko", "K1_LOGIN_ANSWER_MALFORMED", 422)
        assert html.unescape(command) in text
    refused(web, form, json.dumps({**good, "certificate": "QUJDRA=="}), "ko", "K1_CERTIFICATE_MALFORMED", 422)

    # Expired: signed in time, pasted after the challenge's three minutes.
    clock.advance(timedelta(minutes=3, seconds=1))
    text = refused(web, form, answer_of(c, command), "ko", "K1_LOGIN_CHALLENGE_EXPIRED", 422)
    assert 'id="ukey-step-up-form"' in text and 'id="ukey-command"' not in text
    assert level(api, token) == 20

    # Revoked at the counter between the challenge and the answer.
    command, form = ask_challenge(web, "zh")
    answer = answer_of(c, command)
    revoke(api, c)
    text = refused(web, form, answer, "zh", "K1_CERTIFICATE_REVOKED", 422)
    # No valid UKEY certificate any more: the UKEY is no longer offered.
    assert 'id="ukey-step-up-form"' not in text and 'id="ukey-command"' not in text
    assert level(api, token) == 20
    csrf = csrf_of(web, "/home")
    page = web.post("/step-up/certificate/challenge", data={"csrf_token": csrf, **BACK_HOME})
    assert page.status_code == 404 and "K1_NO_VALID_CERTIFICATE" in page.text  # its family's one status


@pytest.mark.rule("K1", kind="refuse")
def test_a_customer_without_a_ukey_is_not_offered_one_and_forms_need_the_csrf_token(
    api: Api, deps: Deps, app_state: App
) -> None:
    _, card, _ = otp_customer(api, deps)
    web = signed_in(api, api.customer_token("edb", card))
    csrf = csrf_of(web, "/home")
    page = web.post("/step-up/certificate/challenge", data={"csrf_token": csrf, **BACK_HOME})
    assert page.status_code == 404 and "K1_NO_VALID_CERTIFICATE" in page.text  # its family's one status
    assert 'id="ukey-step-up-form"' not in page.text
    for path in ("/step-up/certificate/challenge", "/step-up/certificate"):
        assert web.post(path, data=BACK_HOME, follow_redirects=False).status_code == 403, path
