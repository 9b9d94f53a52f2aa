"""Pure domain rules, without I/O (the integration tests repeat each through the services on
SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from netbank.domain.account import Account, AccountKind, StatusFlag
from netbank.domain.customer import (
    Customer,
    IdentityDocument,
    age_on,
    ensure_eligible,
    normalize_phone,
)
from netbank.domain.enrolment import (
    AccountLink,
    LinkOrigin,
    Medium,
    Version,
    ensure_counter_can_open,
    ensure_counter_linkable_kind,
    ensure_medium_fits_version,
    ensure_registration_account_kind,
)
from netbank.domain.errors import Code, DomainError
from netbank.domain.identity import (
    DocumentType,
    mask_document_number,
    normalize_document_number,
)
from netbank.domain.money import format_minor

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


@pytest.mark.parametrize(
    ("birth", "age"), [(date(2008, 6, 15), 18), (date(2008, 6, 16), 17), (date(2000, 2, 29), 26)]
)
def test_age_counts_whole_years(birth: date, age: int) -> None:
    assert age_on(birth, TODAY) == age


@pytest.mark.rule("E2", kind="refuse")
def test_seventeen_without_own_income_is_not_eligible() -> None:
    with pytest.raises(DomainError) as exc:
        ensure_eligible(person(date(2009, 1, 1)), document(None), has_real_name_account=True, today=TODAY)
    assert code_of(exc) is Code.E2_UNDER_AGE


@pytest.mark.rule("E2", kind="allow")
def test_sixteen_with_own_income_is_eligible() -> None:
    ensure_eligible(
        person(date(2010, 6, 1), own_income=True), document(None), has_real_name_account=True, today=TODAY
    )


@pytest.mark.rule("E2", kind="refuse")
def test_fifteen_with_own_income_is_not_eligible() -> None:
    with pytest.raises(DomainError) as exc:
        ensure_eligible(
            person(date(2011, 1, 1), own_income=True), document(None), has_real_name_account=True, today=TODAY
        )
    assert code_of(exc) is Code.E2_UNDER_AGE


@pytest.mark.rule("E2", kind="refuse")
def test_document_expired_yesterday_is_refused_and_today_is_still_valid() -> None:
    adult = person(date(1990, 1, 1))
    ensure_eligible(adult, document(TODAY), has_real_name_account=True, today=TODAY)
    with pytest.raises(DomainError) as exc:
        ensure_eligible(adult, document(date(2026, 6, 14)), has_real_name_account=True, today=TODAY)
    assert code_of(exc) is Code.E2_IDENTITY_DOCUMENT_EXPIRED


@pytest.mark.rule("E5", kind="refuse")
@pytest.mark.parametrize("kind", [k for k in AccountKind if k is not AccountKind.DEBIT_MAIN_CARD])
def test_only_a_debit_main_card_can_be_registration_account(kind: AccountKind) -> None:
    with pytest.raises(DomainError) as exc:
        ensure_registration_account_kind(kind, frozenset({AccountKind.DEBIT_MAIN_CARD}))
    assert code_of(exc) is Code.E5_REGISTRATION_ACCOUNT_KIND


@pytest.mark.rule("E9", kind="refuse")
@pytest.mark.parametrize(
    "kind",
    [
        AccountKind.DEMAND_PASSBOOK,
        AccountKind.DEMAND_ALL_IN_ONE,
        AccountKind.TIME_DEPOSIT_ALL_IN_ONE,
        AccountKind.MERCHANT_CARD,
        AccountKind.TREASURY_BOND_RECEIPT,
        AccountKind.CERTIFICATE_OF_DEPOSIT,
        AccountKind.FOUR_BANK_CARD,
    ],
)
def test_counter_cannot_link_the_seven_excluded_kinds(kind: AccountKind) -> None:
    with pytest.raises(DomainError) as exc:
        ensure_counter_linkable_kind(kind)
    assert code_of(exc) is Code.E9_ACCOUNT_KIND_NOT_LINKABLE


@pytest.mark.rule("E9", kind="allow")
@pytest.mark.parametrize(
    "kind", [AccountKind.DEBIT_MAIN_CARD, AccountKind.DEBIT_SUB_CARD, AccountKind.CREDIT_CARD]
)
def test_counter_can_link_cards_outside_the_list(kind: AccountKind) -> None:
    ensure_counter_linkable_kind(kind)


@pytest.mark.rule("E4", kind="refuse")
def test_counter_cannot_open_the_ordinary_version() -> None:
    with pytest.raises(DomainError) as exc:
        ensure_counter_can_open(Version.ORDINARY)
    assert code_of(exc) is Code.E4_ORDINARY_ONLINE_ONLY


@pytest.mark.rule("E4", kind="refuse")
@pytest.mark.parametrize(
    ("version", "medium", "code"),
    [
        (Version.OTP, Medium(), Code.E4_MEDIUM_REQUIRED),
        (Version.CERTIFICATE, Medium(ukey_serial="UK-1"), Code.E4_MEDIUM_REQUIRED),
        (
            Version.OTP,
            Medium(otp_phone="13800138000", ukey_serial="UK-1", ukey_generation=1),
            Code.E4_MEDIUM_NOT_FOR_VERSION,
        ),
        (
            Version.CERTIFICATE,
            Medium(ukey_serial="UK-1", ukey_generation=3),
            Code.E4_UKEY_GENERATION_NOT_ALLOWED,
        ),
    ],
)
def test_medium_must_fit_the_version(version: Version, medium: Medium, code: Code) -> None:
    with pytest.raises(DomainError) as exc:
        ensure_medium_fits_version(version, medium, frozenset({1, 2}))
    assert code_of(exc) is code


@pytest.mark.rule("E11", kind="refuse")
@pytest.mark.parametrize("flag", list(StatusFlag))
def test_every_c3_flag_blocks_counter_work(flag: StatusFlag) -> None:
    with pytest.raises(DomainError) as exc:
        account(flags=flag).ensure_no_blocking_flags()
    assert code_of(exc) is Code.E11_ACCOUNT_STATUS_BLOCKS
    assert exc.value.params["flags"] == flag.name.lower()  # type: ignore[union-attr]


@pytest.mark.rule("C3", kind="refuse")
def test_wrong_pins_set_the_wrong_pin_exceeded_flag_at_the_threshold() -> None:
    a = account()
    assert not a.record_wrong_pin(3)
    assert not a.record_wrong_pin(3)
    assert a.record_wrong_pin(3)
    assert StatusFlag.WRONG_PIN_EXCEEDED in a.status_flags


@pytest.mark.rule("E10", kind="refuse")
def test_online_link_cannot_pay_out_until_the_counter_adds_it() -> None:
    link = AccountLink(contract_id=1, account_id=2, origin=LinkOrigin.ONLINE, created_at=NOW)
    with pytest.raises(DomainError) as exc:
        link.ensure_can_pay_out()
    assert code_of(exc) is Code.E10_LINK_NEEDS_COUNTER
    link.origin = LinkOrigin.COUNTER
    link.ensure_can_pay_out()


@pytest.mark.rule("E14", kind="refuse")
def test_same_number_replacement_needs_a_loss_report_and_keeps_the_number() -> None:
    a = account()
    with pytest.raises(DomainError) as exc:
        a.replace_card_same_number()
    assert code_of(exc) is Code.E14_CARD_NOT_REPORTED_LOST
    a.set_flag(StatusFlag.WRITTEN_LOSS)
    a.replace_card_same_number()
    assert a.number == "6222020000000001" and a.card_sequence == 2 and not a.flags


@pytest.mark.rule("E15", kind="allow")
@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0755-12345678", "075512345678"),
        ("010 1234567", "0101234567"),
    ],
)
def test_mainland_mobile_and_phs_with_area_code_are_accepted(raw: str, normalized: str) -> None:
    assert normalize_phone(raw, "CN") == normalized


@pytest.mark.rule("E15", kind="refuse")
def test_phs_without_area_code_is_refused_with_its_own_code() -> None:
    with pytest.raises(DomainError) as exc:
        normalize_phone("23456789", "CN")
    assert code_of(exc) is Code.E15_PHS_AREA_CODE_REQUIRED
    with pytest.raises(DomainError) as exc2:
        normalize_phone("12345", "CN")
    assert code_of(exc2) is Code.E15_PHONE_NUMBER_INVALID


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


def test_money_formats_minor_units_per_currency() -> None:
    assert format_minor(123456, "CNY") == "1,234.56 CNY"
    assert format_minor(10_000_000, "KRW") == "10,000,000 KRW"
    assert format_minor(-5, "CNY") == "-0.05 CNY"
