"""Personal identifiers (mainland resident IDs, Korean resident registration numbers) are never
shown in full, never logged in full and never stored in plain text (SPEC §8, STYLE)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from netbank.adapters.db.tables import audit_entries
from netbank.adapters.logging import MaskingFilter
from netbank.bootstrap import App
from netbank.demo import cn_id, kr_rrn
from netbank.domain.account import AccountKind
from netbank.domain.identity import DocumentType
from netbank.services import customers
from netbank.services.customers import OpenAccount, RegisterCustomer
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, OPERATOR, PIN, Api, snapshot
from tests.pgserver import PgServer

BIRTH = date(1990, 3, 7)
#: Beijing Dongcheng, born 1990-03-07: ``110101199003071233``-shaped, with a real check character.
CN_NUMBER = cn_id(BIRTH, 123, region="110101")
CN_MASKED = f"{CN_NUMBER[:6]}********{CN_NUMBER[-4:]}"
KR_NUMBER = kr_rrn(BIRTH, True, "234567")  # 9003071234567
KR_MASKED = f"{KR_NUMBER[:6]}-{KR_NUMBER[6]}******"
CN_CARD = "6222029900000001"
KR_CARD = "9100990000000001"


def register(
    deps: Deps, institution: str, number: str, doc_type: DocumentType, document: str, card: str
) -> None:
    today = deps.today_in("Asia/Shanghai" if institution == "edb" else "Asia/Seoul")
    customers.register_customer(
        deps,
        OPERATOR,
        RegisterCustomer(
            institution_code=institution,
            customer_number=number,
            name="掩码测试" if institution == "edb" else "마스킹",
            birth_date=BIRTH,
            mobile="13900001111" if institution == "edb" else "01000001111",
            document_type=doc_type,
            document_number=document,
            document_expires_on=today + timedelta(days=3650) if institution == "edb" else None,
        ),
    )
    customers.open_account(
        deps,
        OPERATOR,
        OpenAccount(
            institution_code=institution,
            customer_number=number,
            number=card,
            kind=AccountKind.DEBIT_MAIN_CARD,
            pin=PIN,
            balance_minor=100_000,
        ),
    )


def enrol_at_counter(
    api: Api, institution: str, number: str, doc_type: DocumentType, document: str, card: str
) -> int:
    """Identity check + 819101 add (OTP version); returns the identity check's id."""
    token = api.teller_token(institution)
    r = api.post(
        "/api/v1/teller/identity-checks",
        token,
        customer_number=number,
        document_type=doc_type.value,
        document_number=document,
    )
    assert r.status_code == 201, r.text
    check = int(r.json()["id"])
    r = api.post(
        "/api/v1/teller/transactions/819101/add",
        token,
        customer_number=number,
        identity_check_id=check,
        version="otp",
        registration_account_number=card,
        login_password=LOGIN_PASSWORD,
        otp_phone="13900001111" if institution == "edb" else "01000001111",
    )
    assert r.status_code == 201, r.text
    return check


@pytest.fixture
def cn_person(api: Api, deps: Deps) -> str:
    register(deps, "edb", "M0001", DocumentType.CN_RESIDENT_ID, CN_NUMBER, CN_CARD)
    return "M0001"


@pytest.fixture
def kr_person(api: Api, deps: Deps) -> str:
    register(deps, "kb", "M0002", DocumentType.KR_RESIDENT_REGISTRATION, KR_NUMBER, KR_CARD)
    return "M0002"


def _forms(number: str) -> list[str]:
    """The number as typed, and the Korean one with its dash."""
    forms = [number]
    if len(number) == 13:
        forms.append(f"{number[:6]}-{number[6:]}")
    return forms


# --- (a) API output --------------------------------------------------------------------------


def test_a_teller_sees_a_mainland_id_masked_and_never_in_full(api: Api, cn_person: str) -> None:
    token = api.teller_token("edb")
    r = api.get(f"/api/v1/teller/customers/{cn_person}", token)
    assert r.status_code == 200, r.text
    assert r.json()["document_number_masked"] == CN_MASKED
    assert CN_NUMBER not in r.text
    listed = api.get("/api/v1/teller/customers?name=掩码测试", token)
    assert listed.status_code == 200, listed.text
    assert [c["document_number_masked"] for c in listed.json()] == [CN_MASKED]
    assert CN_NUMBER not in listed.text


def test_a_teller_sees_a_korean_resident_number_masked_and_never_in_full(api: Api, kr_person: str) -> None:
    r = api.get(f"/api/v1/teller/customers/{kr_person}", api.teller_token("kb"))
    assert r.status_code == 200, r.text
    assert r.json()["document_number_masked"] == KR_MASKED
    for form in _forms(KR_NUMBER):
        assert form not in r.text


def test_a_customer_sees_their_own_identity_number_masked_and_never_in_full(api: Api, cn_person: str) -> None:
    enrol_at_counter(api, "edb", cn_person, DocumentType.CN_RESIDENT_ID, CN_NUMBER, CN_CARD)
    r = api.get("/api/v1/me", api.customer_token("edb", CN_CARD))
    assert r.status_code == 200, r.text
    assert r.json()["document_number_masked"] == CN_MASKED
    assert CN_NUMBER not in r.text


def test_an_identity_check_receipt_shows_the_number_masked(api: Api, cn_person: str) -> None:
    r = api.post(
        "/api/v1/teller/identity-checks",
        api.teller_token("edb"),
        customer_number=cn_person,
        document_type="cn_resident_id",
        document_number=CN_NUMBER,
    )
    assert r.status_code == 201, r.text
    assert r.json()["number_masked"] == CN_MASKED
    assert CN_NUMBER not in r.text


def test_a_refused_identity_check_does_not_echo_the_number_typed(api: Api, cn_person: str) -> None:
    other = cn_id(BIRTH, 124, region="110101")
    r = api.post(
        "/api/v1/teller/identity-checks",
        api.teller_token("edb"),
        customer_number=cn_person,
        document_type="cn_resident_id",
        document_number=other,
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "C1_IDENTITY_MISMATCH"
    assert other not in r.text and CN_NUMBER not in r.text


# --- (b) logs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (CN_NUMBER, CN_MASKED),
        (cn_id(date(1971, 12, 31), 5, region="310115"), None),  # may end in X
        (KR_NUMBER, KR_MASKED),
        (f"{KR_NUMBER[:6]}-{KR_NUMBER[6:]}", KR_MASKED),
    ],
)
def test_logged_identity_numbers_are_masked(
    caplog: pytest.LogCaptureFixture, number: str, masked: str | None
) -> None:
    caplog.handler.addFilter(MaskingFilter())
    log = logging.getLogger("netbank")
    with caplog.at_level(logging.INFO, logger="netbank"):
        log.info("identity check for %s", number)
        logging.getLogger("netbank.api").info(f"document {number} refused")  # in the message itself
        log.info("customer %s has document %s", "C000001", number)
    assert len(caplog.records) == 3
    digits = number.replace("-", "")
    expected = masked or f"{digits[:6]}********{digits[-4:]}"
    for record in caplog.records:
        formatted = record.getMessage()
        assert expected in formatted, formatted
        assert number not in formatted and digits not in formatted
    assert number not in caplog.text and digits not in caplog.text
    assert caplog.text.count(expected) == 3


# --- (c) storage -----------------------------------------------------------------------------


def _cells(rows: dict[str, list[tuple[Any, ...]]]) -> Iterable[tuple[str, Any]]:
    for table, table_rows in rows.items():
        for row in table_rows:
            for cell in row:
                yield table, cell


def _assert_absent(engine: Engine, numbers: list[str]) -> int:
    """No cell of any table holds a number as text, as bytes or as hex; returns the cells seen."""
    seen = 0
    for table, cell in _cells(snapshot(engine)):
        seen += 1
        raw = bytes(cell) if isinstance(cell, bytes | bytearray | memoryview) else repr(cell).encode()
        for number in numbers:
            for needle in (number.encode(), number.encode().hex().encode(), number.encode("utf-16-le")):
                assert needle not in raw, f"{table} holds {number} in plain text"
    return seen


def test_the_database_never_holds_an_identity_number_in_plain_text(
    api: Api, app_state: App, cn_person: str, kr_person: str
) -> None:
    enrol_at_counter(api, "edb", cn_person, DocumentType.CN_RESIDENT_ID, CN_NUMBER, CN_CARD)
    enrol_at_counter(api, "kb", kr_person, DocumentType.KR_RESIDENT_REGISTRATION, KR_NUMBER, KR_CARD)
    api.customer_token("edb", CN_CARD)
    numbers = [*_forms(CN_NUMBER), *_forms(KR_NUMBER)]
    assert _assert_absent(app_state.engine, numbers) > 100
    # The digest still finds the person: the number is stored, only not readable.
    r = api.post(
        "/api/v1/teller/identity-checks",
        api.teller_token("kb"),
        customer_number=kr_person,
        document_type="kr_rrn",
        document_number=f"{KR_NUMBER[:6]}-{KR_NUMBER[6:]}",
    )
    assert r.status_code == 201, r.text


def test_the_raw_database_files_never_hold_an_identity_number(
    api: Api, app_state: App, backend: str, request: pytest.FixtureRequest, cn_person: str
) -> None:
    """Below the SQL layer too: the SQLite file and its WAL, or PostgreSQL's pages and WAL."""
    enrol_at_counter(api, "edb", cn_person, DocumentType.CN_RESIDENT_ID, CN_NUMBER, CN_CARD)
    if backend == "sqlite":
        database = Path(app_state.engine.url.database or "")
        files = [p for p in database.parent.glob(f"{database.name}*") if p.is_file()]
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        with app_state.engine.connect() as conn:
            oid = conn.execute(
                text("SELECT oid FROM pg_database WHERE datname = current_database()")
            ).scalar()
            conn.execute(text("CHECKPOINT"))
        files = [p for p in (server.data / "base" / str(oid)).iterdir() if p.is_file()]
        files += [p for p in (server.data / "pg_wal").iterdir() if p.is_file()]
    assert files
    scanned = 0
    for path in files:
        content = path.read_bytes()
        scanned += len(content)
        assert CN_NUMBER.encode() not in content, f"{path.name} holds the identity number"
    assert scanned > 0


# --- (d) audit -------------------------------------------------------------------------------


@pytest.mark.rule("E12", kind="allow")
def test_the_audit_entry_of_an_identity_check_carries_the_masked_number_only(
    api: Api, app_state: App, cn_person: str
) -> None:
    check = enrol_at_counter(api, "edb", cn_person, DocumentType.CN_RESIDENT_ID, CN_NUMBER, CN_CARD)
    with app_state.engine.connect() as conn:
        rows = conn.execute(
            select(audit_entries).where(audit_entries.c.event == "counter.identity_check")
        ).all()
    entries = [r for r in rows if r.details.get("identity_check") == check]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.details["document"] == CN_MASKED
    assert entry.subject == f"customer:{cn_person}"
    for row in rows:
        assert CN_NUMBER not in repr(tuple(row))
