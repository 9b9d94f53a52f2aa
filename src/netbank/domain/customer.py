"""Customers of the core banking model (C1) and the eligibility rules of enrolment (E2)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from netbank.domain.errors import Code, RuleViolation
from netbank.domain.identity import DocumentType


class CustomerKind(StrEnum):
    PERSONAL = "personal"
    SOLE_PROPRIETOR = "sole_proprietor"
    CORPORATE = "corporate"


@dataclass(eq=False)
class IdentityDocument:
    """C1: type, number (kept sealed and as a keyed digest, shown masked) and expiry."""

    doc_type: DocumentType
    number_masked: str
    number_digest: str
    number_sealed: bytes
    expires_on: date | None
    customer_id: int | None = None
    id: int | None = field(default=None)

    def is_valid_on(self, today: date) -> bool:
        return self.expires_on is None or self.expires_on >= today


@dataclass(eq=False)
class Customer:
    """C1: one core customer number per institution."""

    institution_id: int
    customer_number: str
    name: str
    birth_date: date
    mobile: str
    own_income: bool = False
    kind: CustomerKind = CustomerKind.PERSONAL
    #: The language of their web pages after sign-in (``netbank.domain.locale``); None: the
    #: browser's.
    preferred_locale: str | None = None
    id: int | None = field(default=None)


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def ensure_full_civil_capacity(customer: Customer, today: date) -> None:
    """E2: aged 18 or over, or 16 or over and living on their own labour income."""
    age = age_on(customer.birth_date, today)
    if age >= 18 or (age >= 16 and customer.own_income):
        return
    raise RuleViolation(Code.E2_UNDER_AGE, age=age)


def ensure_eligible(
    customer: Customer,
    document: IdentityDocument,
    *,
    has_real_name_account: bool,
    today: date,
) -> None:
    """E2: full civil capacity, a real-name personal account here, a valid identity document.
    F2/E1: personal customers only."""
    if customer.kind is not CustomerKind.PERSONAL:
        raise RuleViolation(Code.E2_NOT_PERSONAL_CUSTOMER)
    ensure_full_civil_capacity(customer, today)
    if not has_real_name_account:
        raise RuleViolation(Code.E2_NO_REAL_NAME_ACCOUNT)
    if not document.is_valid_on(today):
        raise RuleViolation(
            Code.E2_IDENTITY_DOCUMENT_EXPIRED,
            expired_on=document.expires_on.isoformat() if document.expires_on else "",
        )


# --- E15: phone numbers ------------------------------------------------------------------

_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_CN_PHS_WITH_AREA = re.compile(r"0\d{2,3}\d{7,8}")
_CN_PHS_LOCAL = re.compile(r"[2-9]\d{6,7}")
_KR_MOBILE = re.compile(r"01[016789]\d{7,8}")


def normalize_phone(number: str, region: str) -> str:
    """E15: the OTP version needs a mobile number from any carrier. In mainland China a PHS
    (小灵通) number must carry its area code (``0755`` + 7-8 digits); without it the number is
    refused with its own code. Returns the number as digits only."""
    text = re.sub(r"[\s()-]", "", number)
    if region == "CN":
        if text.startswith("+86"):
            text = text[3:]
        elif text.startswith("0086"):
            text = text[4:]
        if _CN_MOBILE.fullmatch(text) or _CN_PHS_WITH_AREA.fullmatch(text):
            return text
        if _CN_PHS_LOCAL.fullmatch(text):
            raise RuleViolation(Code.E15_PHS_AREA_CODE_REQUIRED)
        raise RuleViolation(Code.E15_PHONE_NUMBER_INVALID)
    if region == "KR":
        if text.startswith("+82"):
            text = "0" + text[3:]
        if _KR_MOBILE.fullmatch(text):
            return text
        raise RuleViolation(Code.E15_PHONE_NUMBER_INVALID)
    raise ValueError(f"unknown phone region {region!r}")


def mask_phone(number: str) -> str:
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(name: str) -> str:
    """A name as a printed receipt shows it: the first character, the rest starred
    (``王芳`` -> ``王*``, ``홍길동`` -> ``홍**``)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)
