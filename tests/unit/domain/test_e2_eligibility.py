"""E2: who may enrol: full civil capacity (18, or 16 with own labour income) and a valid
identity document."""

from __future__ import annotations

from datetime import date

import pytest

from netbank.domain.customer import age_on, ensure_eligible
from netbank.domain.errors import Code, DomainError
from tests.unit.domain.builders import TODAY, code_of, document, person


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
