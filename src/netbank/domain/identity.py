"""Identity documents (C1): validation of their numbers and how they may be shown.

Full numbers never leave this module except to the sealed store; everything shown or logged is
``mask_document_number``'s output.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from netbank.domain.errors import Code, RuleViolation


class DocumentType(StrEnum):
    CN_RESIDENT_ID = "cn_resident_id"  # 居民身份证, 18 characters, ISO 7064 MOD 11-2 check
    KR_RESIDENT_REGISTRATION = "kr_rrn"  # 주민등록번호, 13 digits
    PASSPORT = "passport"


_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"


def cn_resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a mainland resident ID (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(first17, _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11]


def _birth_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def normalize_document_number(doc_type: DocumentType, number: str) -> str:
    """Strip separators and upper-case; validate the structure of the number.

    C1/F3: a mainland ID is 17 digits plus a MOD 11-2 check character and a real birth date;
    a Korean resident registration number is 13 digits with a real birth date and a 7th digit
    consistent with the century; its old check digit is *not* required (numbers assigned from
    October 2020 carry none)."""
    text = re.sub(r"[\s-]", "", number).upper()
    if doc_type is DocumentType.CN_RESIDENT_ID:
        if not re.fullmatch(r"\d{17}[\dX]", text):
            raise RuleViolation(Code.C1_IDENTITY_DOCUMENT_INVALID, document_type=doc_type.value)
        if _birth_date(int(text[6:10]), int(text[10:12]), int(text[12:14])) is None:
            raise RuleViolation(Code.C1_IDENTITY_DOCUMENT_INVALID, document_type=doc_type.value)
        if cn_resident_id_check_char(text[:17]) != text[17]:
            raise RuleViolation(Code.C1_IDENTITY_DOCUMENT_INVALID, document_type=doc_type.value)
        return text
    if doc_type is DocumentType.KR_RESIDENT_REGISTRATION:
        if not re.fullmatch(r"\d{13}", text) or kr_rrn_birth_date(text) is None:
            raise RuleViolation(Code.C1_IDENTITY_DOCUMENT_INVALID, document_type=doc_type.value)
        return text
    if not re.fullmatch(r"[A-Z0-9]{6,20}", text):
        raise RuleViolation(Code.C1_IDENTITY_DOCUMENT_INVALID, document_type=doc_type.value)
    return text


_KR_CENTURY = {
    "9": 1800,
    "0": 1800,
    "1": 1900,
    "2": 1900,
    "5": 1900,
    "6": 1900,
    "3": 2000,
    "4": 2000,
    "7": 2000,
    "8": 2000,
}


def kr_rrn_birth_date(rrn: str) -> date | None:
    """Birth date encoded in a resident registration number, or None when impossible."""
    century = _KR_CENTURY.get(rrn[6])
    if century is None:
        return None
    return _birth_date(century + int(rrn[0:2]), int(rrn[2:4]), int(rrn[4:6]))


def cn_resident_id_birth_date(number: str) -> date | None:
    return _birth_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def document_birth_date(doc_type: DocumentType, normalized: str) -> date | None:
    if doc_type is DocumentType.CN_RESIDENT_ID:
        return cn_resident_id_birth_date(normalized)
    if doc_type is DocumentType.KR_RESIDENT_REGISTRATION:
        return kr_rrn_birth_date(normalized)
    return None


def mask_document_number(doc_type: DocumentType, normalized: str) -> str:
    """``110101199003071234`` -> ``110101********1234``; ``9001011234567`` -> ``900101-1******``."""
    if doc_type is DocumentType.KR_RESIDENT_REGISTRATION:
        return f"{normalized[:6]}-{normalized[6]}******"
    if doc_type is DocumentType.CN_RESIDENT_ID:
        return normalized[:6] + "*" * 8 + normalized[-4:]
    return normalized[:2] + "*" * (len(normalized) - 4) + normalized[-2:]
