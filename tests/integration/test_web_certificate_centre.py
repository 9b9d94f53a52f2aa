"""The certificate centre and the portal's self-service pages through the app (no browser), on a
deployment without the cloud financial certificate service (F1): the centre, its forms and the
F3 registration say so plainly in ko / zh / en and change nothing; the UKEY status stays
readable; the self-service forms refuse without this browser's CSRF token. SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from netbank.adapters.i18n import catalogs
from netbank.services.ports import Deps
from tests.builders import Api, csrf_of, otp_customer, snapshot

SESSION = "netbank_web_session"
LANGS = ("ko", "zh", "en")


@pytest.mark.rule("F1", kind="refuse")
@pytest.mark.parametrize("lang", LANGS)
def test_without_the_service_the_centre_says_so_and_registration_changes_nothing(
    api: Api, deps: Deps, lang: str
) -> None:
    client = api.client
    _, card, _ = otp_customer(api, deps)
    client.cookies.set(SESSION, api.customer_token("edb", card))
    off = catalogs().message(lang, "web.cert.service_off")
    for path in ("/certificates", "/certificates/issue", "/certificates/manage", "/certificates/pin"):
        page = client.get(path, headers={"accept-language": lang})
        assert page.status_code == 200, path
        assert off in page.text, path
        assert 'id="issue-form"' not in page.text and 'id="pin-form"' not in page.text
    centre = client.get("/certificates", headers={"accept-language": lang})
    assert catalogs().message(lang, "web.cert.no_ukey") in centre.text  # UKEY status, read-only

    token = csrf_of(client, "/certificates/register?institution=edb", lang)
    before = snapshot(api.engine)
    answer = client.post(
        "/certificates/register/identity",
        data={"csrf_token": token, "institution": "edb", "name": "x", "resident_number": "8503151234567"},
        headers={"accept-language": lang},
    )
    assert answer.status_code == 422
    assert "F1_SERVICE_NOT_CONFIGURED" in answer.text
    assert catalogs().message(lang, "F1_SERVICE_NOT_CONFIGURED") in answer.text
    assert snapshot(api.engine) == before


def test_self_service_forms_need_the_csrf_token(api: Api, deps: Deps) -> None:
    client = api.client
    _, card, _ = otp_customer(api, deps)
    client.cookies.set(SESSION, api.customer_token("edb", card))
    csrf_of(client, "/limits")  # sets this browser's CSRF secret
    before = snapshot(api.engine)
    for path, form in (
        ("/limits", {"daily": "1.00"}),
        (
            "/bills",
            {"idempotency_key": "web-abcdefgh", "from_account": card, "payee_code": "X", "amount": "1"},
        ),
        ("/password", {"old_password": "a", "new_password": "b", "new_password_again": "b"}),
        ("/certificates/issue", {"pin": "480135", "pin_again": "480135"}),
    ):
        answer = client.post(path, data=form, follow_redirects=False)
        assert answer.status_code == 403, path
    assert snapshot(api.engine) == before
