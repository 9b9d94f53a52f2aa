"""The teller console's counter forms and printable receipts through the app (no browser): a
counter transaction run from the web form, its receipt page and its PDF, whose text names the
transaction code, the teller and the branch (E12) and the fee (G1); only a teller of the same
institution gets the PDF. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from netbank.adapters.clock import SettableClock
from netbank.adapters.i18n import catalogs
from netbank.domain.institution import StaffRole
from netbank.entrypoints.web.common import local_day, local_time
from netbank.entrypoints.web.receipt_pdf import cjk_font, render_receipt
from netbank.services import institutions, receipts
from netbank.services.institutions import AddTeller
from netbank.services.ports import Deps
from tests.builders import OPERATOR, STAFF_PASSWORD, Api, csrf_of, make_account, snapshot, teller
from tests.payments import Customer, enrol_at_counter

SESSION = "netbank_web_session"


def browse_as(client: TestClient, token: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION, token)


def post_form(client: TestClient, path: str, token: str, lang: str = "en", **fields: Any) -> Any:
    return client.post(
        path,
        data={"csrf_token": token, **{k: str(v) for k, v in fields.items()}},
        headers={"accept-language": lang},
        follow_redirects=False,
    )


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def receipt_number(html: str) -> int:
    found = re.search(r'id="receipt-number">(\d+)<', html)
    assert found is not None, html
    return int(found.group(1))


def sell_ukey_on_the_web(client: TestClient, c: Customer, fee_account: str, lang: str) -> Any:
    page = f"/teller/customers/{c.person.number}?check={c.check}"
    token = csrf_of(client, page, lang)
    base = f"/teller/customers/{c.person.number}/counter/"
    quote = post_form(
        client,
        base + "ukey-sale/quote",
        token,
        lang,
        identity_check_id=c.check,
        registration_account_number=c.card,
        fee_account_number=fee_account,
        ukey_generation=1,
        ukey_serial="UK1-WEB-0001",
    )
    assert quote.status_code == 200, quote.text
    # G1: the fee of a generation-1 UKEY and the account it comes from, before anything is booked
    assert 'id="quote-fee">60.00' in quote.text
    assert fee_account in quote.text
    return post_form(
        client,
        base + "ukey-sale",
        token,
        lang,
        identity_check_id=c.check,
        registration_account_number=c.card,
        fee_account_number=fee_account,
        ukey_generation=1,
        ukey_serial="UK1-WEB-0001",
    )


@pytest.mark.rule("E12", "G1", kind="allow")
@pytest.mark.parametrize("lang", ["zh", "ko"])
def test_a_ukey_sale_on_the_web_prints_a_receipt_naming_code_teller_branch_and_fee(
    api: Api, deps: Deps, client: TestClient, clock: SettableClock, lang: str
) -> None:
    c = enrol_at_counter(api, deps, "certificate")
    fee_account = make_account(deps, c.person, balance_minor=50_000, label="fees")
    browse_as(client, c.teller)
    done = sell_ukey_on_the_web(client, c, fee_account, lang)
    assert done.status_code == 200, done.text
    assert 'id="counter-done"' in done.text
    number = receipt_number(done.text)
    # The page and the PDF give the time as the institution's wall clock (EDB: China Standard
    # Time), the same on both.
    local = local_time(clock.now(), "Asia/Shanghai", seconds=True)
    assert local.endswith(" CST") and f"<dd>{local}</dd>" in done.text

    pdf = client.get(f"/teller/receipts/{number}.pdf", headers={"accept-language": lang})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "NB-UKEY-SALE" in text
    assert "T001" in text  # the teller
    assert "B1" in text  # the branch of the session
    assert "60.00" in text  # the G1 fee
    assert local in text
    assert c.person.number in text
    assert c.person.doc_number not in text  # identity numbers only masked
    if cjk_font() is not None:
        assert catalogs().message(lang, "web.receipt.title") in text
        assert catalogs().message(lang, "web.txn.ukey_sale") in text


@pytest.mark.rule("E12", kind="refuse")
def test_only_a_teller_of_the_same_institution_gets_the_receipt(
    api: Api, deps: Deps, client: TestClient
) -> None:
    c = enrol_at_counter(api, deps, "certificate")
    fee_account = make_account(deps, c.person, balance_minor=50_000, label="fees")
    browse_as(client, c.teller)
    number = receipt_number(sell_ukey_on_the_web(client, c, fee_account, "en").text)
    pdf = f"/teller/receipts/{number}.pdf"

    browse_as(client, api.teller_token("edb", "T002"))  # another branch, same institution
    assert client.get(pdf).status_code == 200

    browse_as(client, api.teller_token("kb"))  # another institution's teller
    answer = client.get(pdf, headers={"accept": "text/html"})
    assert answer.status_code == 404
    assert "%PDF" not in answer.text
    assert client.get(f"/teller/receipts/{number}").status_code == 404

    browse_as(client, api.customer_token("edb", c.card))  # the customer themselves
    assert client.get(pdf).status_code == 403

    browse_as(client, api.teller_token("edb", "U001"))  # the auditor is no teller
    assert client.get(pdf).status_code == 403

    client.cookies.clear()
    answer = client.get(pdf, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/teller/sign-in"


@pytest.mark.rule("E12", kind="refuse")
def test_without_an_identity_check_the_page_offers_no_counter_form_and_a_forged_one_changes_nothing(
    api: Api, deps: Deps, client: TestClient
) -> None:
    c = enrol_at_counter(api, deps, "otp")
    browse_as(client, api.teller_token("edb", "T002"))
    page = client.get(f"/teller/customers/{c.person.number}")
    assert 'id="counter-needs-check"' in page.text
    assert "/counter/" not in page.text
    # A check this teller did not record (T001's) is not theirs to use: refused, nothing changes.
    token = csrf_of(client, f"/teller/customers/{c.person.number}?check={c.check}")
    before = snapshot(api.engine)
    answer = post_form(
        client,
        f"/teller/customers/{c.person.number}/counter/otp-unlock",
        token,
        identity_check_id=c.check,
        registration_account_number=c.card,
    )
    assert answer.status_code == 422
    assert "E12_IDENTITY_CHECK_REQUIRED" in answer.text
    assert snapshot(api.engine) == before


def test_the_receipt_degrades_to_english_without_a_cjk_font(api: Api, deps: Deps) -> None:
    c = enrol_at_counter(api, deps, "otp")
    actor = teller(deps)
    history = receipts.counter_receipt(deps, actor, 1)
    assert history.code == "819101"
    text = pdf_text(render_receipt(history, "ko", None))
    assert "819101" in text
    assert "T001" in text
    assert catalogs().message("en", "web.receipt.title") in text
    assert c.person.number in text
    assert all(ord(ch) < 256 for ch in text)


def test_staff_start_on_their_own_page_after_signing_in(api: Api, deps: Deps, client: TestClient) -> None:
    institutions.add_teller(
        deps,
        OPERATOR,
        AddTeller(
            institution_code="edb",
            branch_code="B1",
            teller_number="A001",
            name="Admin",
            password=STAFF_PASSWORD,
            role=StaffRole.ADMIN,
        ),
    )
    for number, home in [("T001", "/teller"), ("A001", "/teller/admin/policy"), ("U001", "/teller/audit")]:
        client.cookies.clear()
        token = csrf_of(client, "/teller/sign-in")
        answer = post_form(
            client,
            "/teller/sign-in",
            token,
            institution_code="edb",
            teller_number=number,
            password=STAFF_PASSWORD,
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == home


def test_customer_pages_give_times_in_the_institutions_zone(
    api: Api, deps: Deps, client: TestClient, clock: SettableClock
) -> None:
    """A KB customer's sessions page shows Korean time, an EDB customer's China time, each as
    its institution's policy sets the zone."""
    for institution, zone, abbreviation in (("kb", "Asia/Seoul", "KST"), ("edb", "Asia/Shanghai", "CST")):
        c = enrol_at_counter(api, deps, institution=institution)
        browse_as(client, api.customer_token(institution, c.card))
        page = client.get("/sessions", headers={"accept-language": "en"})
        assert page.status_code == 200, page.text
        local = local_time(clock.now(), zone)
        assert local.endswith(f" {abbreviation}") and local in page.text
        assert " UTC" not in page.text


def test_dates_are_the_institutions_dates() -> None:
    """A certificate valid until 16:00 UTC is valid until the next day's midnight in Seoul."""
    end = datetime(2029, 11, 23, 16, 0, tzinfo=UTC)
    assert local_day(end, "Asia/Seoul") == "2029-11-24"
    assert local_day(end, "Asia/Shanghai") == "2029-11-24"
    assert local_day(end, None) == "2029-11-23"
    assert local_time(end, "Asia/Seoul") == "2029-11-24 01:00 KST"
    assert local_time(end, None, seconds=True) == "2029-11-23 16:00:00 UTC"
