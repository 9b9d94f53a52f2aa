"""The customers, documents and accounts the C and E domain tests start from, and their clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from netbank.domain.account import Account, AccountKind
from netbank.domain.customer import Customer, IdentityDocument
from netbank.domain.errors import Code, DomainError
from netbank.domain.identity import DocumentType

NOW = datetime(2026, 6, 15, 2, tzinfo=UTC)
TODAY = date(2026, 6, 15)


def code_of(exc: pytest.ExceptionInfo[DomainError]) -> Code:
    return exc.value.code


def person(birth: date, own_income: bool = False) -> Customer:
    return Customer(
        institution_id=1,
        customer_number="1",
        name="x",
        birth_date=birth,
        mobile="13800138000",
        own_income=own_income,
    )


def document(expires: date | None) -> IdentityDocument:
    return IdentityDocument(DocumentType.CN_RESIDENT_ID, "m", "d", b"s", expires)


def account(kind: AccountKind = AccountKind.DEBIT_MAIN_CARD, flags: int = 0) -> Account:
    return Account(
        institution_id=1,
        customer_id=1,
        number="6222020000000001",
        kind=kind,
        currency="CNY",
        opened_on=TODAY,
        flags=int(flags),
        id=1,
    )
