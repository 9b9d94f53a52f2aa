"""C1: identity document numbers are checked as typed and never shown in full."""

from __future__ import annotations

import pytest

from netbank.domain.errors import Code, DomainError
from netbank.domain.identity import (
    DocumentType,
    mask_document_number,
    normalize_document_number,
)
from tests.unit.domain.builders import code_of


@pytest.mark.rule("C1", kind="refuse")
@pytest.mark.parametrize(
    ("doc_type", "number"),
    [
        (DocumentType.CN_RESIDENT_ID, "110101199003071235"),  # wrong check character
        (DocumentType.CN_RESIDENT_ID, "110101199002301234"),  # 30 February
        (DocumentType.KR_RESIDENT_REGISTRATION, "9013011234567"),  # month 13
        (DocumentType.KR_RESIDENT_REGISTRATION, "900101123456"),  # 12 digits
        (DocumentType.KR_RESIDENT_REGISTRATION, "0002291234567"),  # 1900-02-29 did not exist
    ],
)
def test_malformed_identity_numbers_are_refused(doc_type: DocumentType, number: str) -> None:
    with pytest.raises(DomainError) as exc:
        normalize_document_number(doc_type, number)
    assert code_of(exc) is Code.C1_IDENTITY_DOCUMENT_INVALID


@pytest.mark.rule("C1", kind="allow")
def test_resident_registration_numbers_need_no_check_digit() -> None:
    # Numbers assigned from October 2020 carry no check digit: any last digit is accepted as
    # long as the birth date is real in the century the 7th digit names.
    for last in "0123456789":
        number = f"2110103{'12345'}{last}"
        assert normalize_document_number(DocumentType.KR_RESIDENT_REGISTRATION, number) == number
    # 29 February 2000 existed (7th digit 3 = 2000s); 29 February 1900 did not (digit 1).
    assert normalize_document_number(DocumentType.KR_RESIDENT_REGISTRATION, "0002293234567")


@pytest.mark.rule("C1", kind="allow")
def test_identity_numbers_are_masked() -> None:
    cn = normalize_document_number(DocumentType.CN_RESIDENT_ID, "110101199003071233")
    assert mask_document_number(DocumentType.CN_RESIDENT_ID, cn) == "110101********1233"
    kr = normalize_document_number(DocumentType.KR_RESIDENT_REGISTRATION, "900101-1234567")
    assert mask_document_number(DocumentType.KR_RESIDENT_REGISTRATION, kr) == "900101-1******"
