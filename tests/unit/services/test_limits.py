"""The customer's limits (``services/limits.py``): what is in force at the session's level and
left today (L1-L4, K2), and lowering one's own limits, never past the version's (L1)."""

from __future__ import annotations

from datetime import date

import pytest

from netbank.domain.audit import AuditEntry
from netbank.domain.enrolment import ContractStatus, Version
from netbank.domain.errors import Code
from netbank.domain.policy import VersionLimits
from netbank.domain.session import AuthLevel
from netbank.services import limits, payments
from netbank.services.common import CustomerActor
from netbank.services.limits import SetOwnLimits
from tests.fakes import Enrolled, FakeBank

OTP_LIMITS = VersionLimits(per_transaction_minor=None, daily_minor=1_000_000, bill_payment_daily_minor=0)


@pytest.fixture
def otp(bank: FakeBank) -> Enrolled:
    return bank.enrolled()


def pay(bank: FakeBank, actor: CustomerActor, enrolled: Enrolled, amount_minor: int) -> None:
    payee = bank.account(bank.customer(), balance_minor=0)
    command = payments.MakeTransfer(
        idempotency_key=f"limits-{amount_minor}",
        from_account=enrolled.card.number,
        to_account=payee.number,
        amount_minor=amount_minor,
    )
    payments.make_transfer(bank.deps, actor, command)


@pytest.mark.rule("L2", kind="allow")
@pytest.mark.rule("L4", kind="allow")
def test_the_view_shows_the_versions_limits_and_what_is_left_of_the_business_day(
    bank: FakeBank, otp: Enrolled
) -> None:
    actor = bank.customer_actor(otp.contract, AuthLevel.ONE_TIME_CODE)
    pay(bank, actor, otp, 300_000)
    view = limits.limits_view(bank.deps, actor)
    assert (view.version, view.level, view.currency) == ("otp", 30, "CNY")
    assert view.version_limits == view.in_force == OTP_LIMITS
    assert (view.own_per_transaction_minor, view.own_daily_minor) == (None, None)
    assert (view.used_today_minor, view.left_today_minor) == (300_000, 700_000)
    assert view.business_date == date(2026, 6, 15)


@pytest.mark.rule("K2", kind="allow")
def test_a_password_session_of_an_otp_customer_is_under_the_ordinary_versions_limits(
    bank: FakeBank, otp: Enrolled
) -> None:
    view = limits.limits_view(bank.deps, bank.customer_actor(otp.contract, AuthLevel.PASSWORD))
    assert view.version_limits == OTP_LIMITS
    assert view.in_force == VersionLimits(
        per_transaction_minor=0, daily_minor=0, bill_payment_daily_minor=50_000
    )
    assert (view.left_today_minor, view.bill_payment_left_today_minor) == (0, 50_000)


@pytest.mark.rule("L1", kind="allow")
def test_a_customer_lowers_their_own_limits_and_restores_the_versions(bank: FakeBank, otp: Enrolled) -> None:
    actor = bank.customer_actor(otp.contract, AuthLevel.ONE_TIME_CODE)
    view = limits.set_own_limits(
        bank.deps, actor, SetOwnLimits(per_transaction_minor=50_000, daily_minor=200_000)
    )
    assert (view.own_per_transaction_minor, view.own_daily_minor) == (50_000, 200_000)
    assert view.in_force == VersionLimits(50_000, 200_000, 0) and view.version_limits == OTP_LIMITS
    entry = bank.store.rows(AuditEntry)[-1]
    assert (entry.event, entry.details) == (
        "limits.changed",
        {"per_transaction_minor": 50_000, "daily_minor": 200_000},
    )
    restored = limits.set_own_limits(bank.deps, actor, SetOwnLimits())
    assert restored.in_force == OTP_LIMITS and restored.left_today_minor == 1_000_000


@pytest.mark.rule("L1", kind="refuse")
@pytest.mark.parametrize(
    ("own", "code", "params"),
    [
        (SetOwnLimits(daily_minor=1_000_001), Code.L1_OWN_LIMIT_ABOVE_VERSION, {"limit_minor": 1_000_000}),
        (SetOwnLimits(daily_minor=-1), Code.L1_OWN_LIMIT_ABOVE_VERSION, {"limit_minor": 1_000_000}),
        (
            SetOwnLimits(per_transaction_minor=300_000, daily_minor=200_000),
            Code.L1_PER_TRANSACTION_ABOVE_DAILY,
            {},
        ),
        (SetOwnLimits(per_transaction_minor=1_000_001), Code.L1_PER_TRANSACTION_ABOVE_DAILY, {}),
    ],
    ids=[
        "a daily limit above the version's",
        "a negative one",
        "per transaction above own daily",
        "above the version's daily",
    ],
)
def test_own_limits_can_never_be_raised_past_the_versions(
    bank: FakeBank, otp: Enrolled, own: SetOwnLimits, code: Code, params: dict[str, int]
) -> None:
    actor = bank.customer_actor(otp.contract, AuthLevel.ONE_TIME_CODE)
    assert bank.refuses(code, lambda: limits.set_own_limits(bank.deps, actor, own)).params == params


@pytest.mark.rule("L1", kind="refuse")
@pytest.mark.rule("L3", kind="refuse")
def test_a_korean_otp_customer_may_not_raise_the_per_transaction_limit_past_10_000_000(
    bank: FakeBank,
) -> None:
    kb = bank.enrolled("kb")
    actor = bank.customer_actor(kb.contract, AuthLevel.ONE_TIME_CODE)
    raised = SetOwnLimits(per_transaction_minor=10_000_001)
    error = bank.refuses(
        Code.L1_OWN_LIMIT_ABOVE_VERSION, lambda: limits.set_own_limits(bank.deps, actor, raised)
    )
    assert error.params == {"limit_minor": 10_000_000}


@pytest.mark.rule("E1", kind="refuse")
def test_a_card_login_has_no_limits_to_see_or_set(bank: FakeBank, otp: Enrolled) -> None:
    card = bank.card_actor(otp.card)
    bank.refuses(Code.E1_QUERY_ONLY, lambda: limits.limits_view(bank.deps, card))
    bank.refuses(
        Code.E1_QUERY_ONLY, lambda: limits.set_own_limits(bank.deps, card, SetOwnLimits(daily_minor=1))
    )


@pytest.mark.rule("E3", kind="refuse")
def test_an_ended_contract_has_no_limits(bank: FakeBank) -> None:
    ordinary = bank.enrolled(version=Version.ORDINARY)
    actor = bank.customer_actor(ordinary.contract)
    with bank.deps.uow() as uow:  # 819101 delete ended it since the sign-in
        contract = uow.contracts.get(actor.contract_id or 0)
        assert contract is not None
        contract.status = ContractStatus.ENDED
        uow.commit()
    bank.refuses(Code.E3_NOT_ENROLLED, lambda: limits.limits_view(bank.deps, actor))
