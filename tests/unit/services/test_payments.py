"""Payments (``services/payments.py``): the payer must be linked and able to pay out (E6, E10,
C3), the accounts and amounts must make sense (C2), the limits hold at the session's level
(L1-L4) or the answer names the level and the methods that reach it (K2), and the client's
idempotency key makes a retry return the first result. Every refusal leaves the store as it
was; every booking leaves books that prove (``verify_ledger``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import count

import pytest

from netbank.domain.account import PAYOUT_BLOCKING, Account, AccountStatus
from netbank.domain.audit import AuditEntry
from netbank.domain.enrolment import LinkOrigin, Version
from netbank.domain.errors import Code
from netbank.domain.ledger import PayeeCategory, TransferKind
from netbank.domain.session import AuthLevel
from netbank.services import institutions, limits, payments
from netbank.services.common import CustomerActor
from netbank.services.counter import contract as counter_contract
from netbank.services.ledger import verify_ledger
from netbank.services.payments import MakeTransfer, PayBill, TransferResult
from tests.fakes import Enrolled, FakeBank, Holder
from tests.fakes.bank import OPERATOR
from tests.unit.services.step_up import with_certificate_factor

BLOCKING = [f.name.lower() for f in PAYOUT_BLOCKING if f.name]
CODE_METHODS = ["sms", "ars", "one_time_code"]
_keys = count(1)


@dataclass
class Payer:
    """An enrolled customer signed in at ``actor``'s level, paying from their card."""

    bank: FakeBank
    enrolled: Enrolled
    actor: CustomerActor

    @property
    def card(self) -> Account:
        return self.enrolled.card

    def transfer(self, to: Account | str, amount_minor: int, key: str | None = None) -> TransferResult:
        command = MakeTransfer(
            idempotency_key=key or f"key-{next(_keys)}",
            from_account=self.card.number,
            to_account=to if isinstance(to, str) else to.number,
            amount_minor=amount_minor,
        )
        return payments.make_transfer(self.bank.deps, self.actor, command)

    def pay_bill(self, amount_minor: int, payee_code: str = "SH-POWER") -> TransferResult:
        command = PayBill(
            idempotency_key=f"key-{next(_keys)}",
            from_account=self.card.number,
            payee_code=payee_code,
            amount_minor=amount_minor,
        )
        return payments.pay_bill(self.bank.deps, self.actor, command)

    def balance(self, account: Account | None = None) -> int:
        return self.bank.now_of(account or self.card).balance_minor


def payer(
    bank: FakeBank,
    version: Version = Version.OTP,
    level: AuthLevel = AuthLevel.ONE_TIME_CODE,
    *,
    code: str = "edb",
    balance_minor: int = 5_000_000,
) -> Payer:
    enrolled = bank.enrolled(code, version, balance_minor=balance_minor)
    return Payer(bank, enrolled, bank.customer_actor(enrolled.contract, level))


def paying_from(bank: FakeBank, holder: Holder, card: Account) -> Payer:
    """``holder`` enrolled (OTP) with ``card`` as the registration account, at level 30."""
    contract = bank.contract(holder, card)
    return Payer(
        bank, Enrolled(holder, card, contract), bank.customer_actor(contract, AuthLevel.ONE_TIME_CODE)
    )


@pytest.fixture
def otp(bank: FakeBank) -> Payer:
    """An OTP customer of edb after a TOTP step-up (level 30): 10,000.00 CNY a day (L2)."""
    return payer(bank)


@pytest.fixture
def stranger(bank: FakeBank) -> Account:
    """Another customer's debit card at edb, empty."""
    return bank.account(bank.customer(), balance_minor=0)


def assert_books_prove(bank: FakeBank) -> None:
    report = verify_ledger(bank.deps)
    assert report.ok, report


# --- what the transfer is: own, internal; idempotency ----------------------------------------


@pytest.mark.rule("C2", kind="allow")
def test_the_service_tells_an_own_transfer_from_the_payee_account_it_locks(
    otp: Payer, stranger: Account
) -> None:
    mine = otp.bank.account(otp.enrolled.holder, balance_minor=0)
    own = otp.transfer(mine, 1_000)
    internal = otp.transfer(stranger, 2_000)
    assert (own.transfer.kind, internal.transfer.kind) == (TransferKind.OWN, TransferKind.INTERNAL)
    assert (otp.balance(), otp.balance(mine), otp.balance(stranger)) == (4_997_000, 1_000, 2_000)
    assert own.payer_balance_minor == 4_999_000 and internal.payer_balance_minor == 4_997_000
    events = [e.event for e in otp.bank.store.rows(AuditEntry)][-2:]
    assert events == ["payment.own", "payment.internal"]
    assert_books_prove(otp.bank)


def test_a_retried_transfer_returns_the_first_result_and_moves_money_once(
    otp: Payer, stranger: Account
) -> None:
    first = otp.transfer(stranger, 1_000, key="retry-1")
    before = otp.bank.snapshot()
    again = otp.transfer(stranger, 1_000, key="retry-1")
    assert (again.replayed, again.transfer.id) == (True, first.transfer.id)
    assert otp.bank.snapshot() == before
    assert otp.balance(stranger) == 1_000


def test_the_same_idempotency_key_with_another_body_is_refused(otp: Payer, stranger: Account) -> None:
    otp.transfer(stranger, 1_000, key="reused-1")
    otp.bank.refuses(Code.IDEMPOTENCY_KEY_REUSED, lambda: otp.transfer(stranger, 1_001, key="reused-1"))


# --- who may pay: E6, E10, C3 ----------------------------------------------------------------


@pytest.mark.rule("E6", kind="refuse")
def test_an_account_of_the_customer_that_is_not_linked_cannot_pay(otp: Payer, stranger: Account) -> None:
    unlinked = otp.bank.account(otp.enrolled.holder)
    otp.enrolled = Enrolled(otp.enrolled.holder, unlinked, otp.enrolled.contract)
    otp.bank.refuses(Code.E6_PAYER_NOT_LINKED, lambda: otp.transfer(stranger, 1_000))


@pytest.mark.rule("E10", kind="refuse")
@pytest.mark.rule("E10", kind="allow")
def test_an_account_linked_online_pays_only_once_819102_re_adds_it(otp: Payer, stranger: Account) -> None:
    bank, holder = otp.bank, otp.enrolled.holder
    online = bank.account(holder)
    bank.link(otp.enrolled.contract, online, LinkOrigin.ONLINE)
    otp.enrolled = Enrolled(holder, online, otp.enrolled.contract)
    bank.refuses(Code.E10_LINK_NEEDS_COUNTER, lambda: otp.transfer(stranger, 1_000))

    teller = bank.teller()
    command = counter_contract.AddLinkedAccount(
        customer_number=holder.number,
        identity_check_id=bank.identity_check(teller, holder),
        account_number=online.number,
    )
    assert counter_contract.add_linked_account(bank.deps, teller, command).action == "re_add"
    assert otp.transfer(stranger, 1_000).transfer.payer_account_id == online.id


@pytest.mark.rule("C3", kind="refuse")
@pytest.mark.parametrize("flag", BLOCKING)
def test_a_loss_report_a_pin_lock_or_a_risk_hold_stops_money_leaving(
    bank: FakeBank, stranger: Account, flag: str
) -> None:
    holder = bank.customer()
    card = bank.account(holder, flags=(flag,), balance_minor=100_000)
    blocked = paying_from(bank, holder, card)
    error = bank.refuses(Code.C3_ACCOUNT_BLOCKED_FOR_PAYOUT, lambda: blocked.transfer(stranger, 1_000))
    assert error.params["flags"] == flag


@pytest.mark.rule("C3", kind="allow")
def test_an_initial_pin_not_yet_changed_does_not_stop_a_payout(bank: FakeBank, stranger: Account) -> None:
    holder = bank.customer()
    card = bank.account(holder, flags=("initial_pin",), balance_minor=100_000)
    fresh = paying_from(bank, holder, card)
    assert fresh.transfer(stranger, 1_000).transfer.amount_minor == 1_000


# --- what is paid: C2 ------------------------------------------------------------------------


@pytest.mark.rule("C2", kind="refuse")
def test_an_account_cannot_pay_itself_nor_more_than_it_holds(otp: Payer, stranger: Account) -> None:
    otp.bank.refuses(Code.C2_SAME_ACCOUNT, lambda: otp.transfer(otp.card, 1_000))
    holder = otp.bank.customer()
    poor = paying_from(otp.bank, holder, otp.bank.account(holder, balance_minor=1_000))
    error = otp.bank.refuses(Code.C2_INSUFFICIENT_FUNDS, lambda: poor.transfer(stranger, 1_001))
    assert error.params == {"account": poor.card.masked_number}
    poor.transfer(stranger, 1_000)


@pytest.mark.rule("C2", kind="refuse")
def test_money_moves_only_between_accounts_of_one_currency(otp: Payer) -> None:
    dollars = otp.bank.account(otp.bank.customer(), currency="USD", balance_minor=0)
    error = otp.bank.refuses(Code.C2_CURRENCY_MISMATCH, lambda: otp.transfer(dollars, 1_000))
    assert error.params == {"currency": "USD"}


@pytest.mark.rule("C2", kind="refuse")
def test_someone_elses_account_unknown_or_closed_accounts_are_not_found(
    otp: Payer, stranger: Account
) -> None:
    thief = payer(otp.bank)
    thief.enrolled = Enrolled(thief.enrolled.holder, otp.card, thief.enrolled.contract)
    otp.bank.refuses(Code.ACCOUNT_NOT_FOUND, lambda: thief.transfer(stranger, 1_000))
    otp.bank.refuses(Code.ACCOUNT_NOT_FOUND, lambda: otp.transfer("6200000000009999", 1_000))
    closed = otp.bank.account(otp.bank.customer(), balance_minor=0)
    with otp.bank.deps.uow() as uow:  # the core system closed it
        account = uow.accounts.get(closed.id or 0)
        assert account is not None
        account.status = AccountStatus.CLOSED
        uow.commit()
    otp.bank.refuses(Code.ACCOUNT_NOT_FOUND, lambda: otp.transfer(closed, 1_000))
    otp.bank.refuses(Code.L1_AMOUNT_NOT_POSITIVE, lambda: otp.transfer(stranger, 0))


# --- L1-L4 and the K2 step-up answer ---------------------------------------------------------


@pytest.mark.rule("L2", kind="allow")
@pytest.mark.rule("L2", kind="refuse")
def test_the_otp_versions_daily_cumulative_limit_is_10000(otp: Payer, stranger: Account) -> None:
    otp.transfer(stranger, 600_000)
    error = otp.bank.refuses(Code.L2_DAILY_LIMIT_EXCEEDED, lambda: otp.transfer(stranger, 400_001))
    assert error.params == {"limit_minor": 1_000_000, "left_minor": 400_000}
    otp.transfer(stranger, 400_000)


@pytest.mark.rule("L4", kind="allow")
def test_the_day_starts_again_at_midnight_in_shanghai(otp: Payer, stranger: Account) -> None:
    otp.transfer(stranger, 1_000_000)
    otp.bank.clock.advance(timedelta(hours=13, minutes=59))  # 23:59 in Shanghai
    otp.bank.refuses(Code.L2_DAILY_LIMIT_EXCEEDED, lambda: otp.transfer(stranger, 1))
    otp.bank.clock.advance(timedelta(minutes=1))  # midnight there, 16:00 in UTC
    assert otp.transfer(stranger, 1_000_000).transfer.business_date.isoformat() == "2026-06-16"


@pytest.mark.rule("L2", kind="refuse")
@pytest.mark.rule("L2", kind="allow")
def test_the_ordinary_version_cannot_transfer_and_pays_bills_up_to_500_a_day(
    bank: FakeBank, stranger: Account
) -> None:
    institutions.add_payee(
        bank.deps,
        OPERATOR,
        institutions.AddPayee(
            institution_code="edb", payee_code="SH-POWER", name="Power", category=PayeeCategory.UTILITY
        ),
    )
    ordinary = payer(bank, Version.ORDINARY, AuthLevel.PASSWORD)
    bank.refuses(Code.L2_VERSION_CANNOT_TRANSFER, lambda: ordinary.transfer(stranger, 1))
    assert ordinary.pay_bill(30_000).transfer.kind is TransferKind.BILL
    error = bank.refuses(Code.L2_BILL_PAYMENT_LIMIT_EXCEEDED, lambda: ordinary.pay_bill(20_001))
    assert error.params == {"limit_minor": 50_000, "left_minor": 20_000}
    bank.refuses(Code.PAYEE_NOT_FOUND, lambda: ordinary.pay_bill(1, "NOBODY"))
    assert_books_prove(bank)


@pytest.mark.rule("K2", kind="refuse")
def test_an_otp_customer_signed_in_with_the_password_is_asked_for_a_one_time_code(
    bank: FakeBank, stranger: Account
) -> None:
    password_only = payer(bank, level=AuthLevel.PASSWORD)
    error = bank.refuses(Code.K2_STEP_UP_REQUIRED, lambda: password_only.transfer(stranger, 1_000))
    assert error.params == {"required_level": 30, "current_level": 20, "methods": ["totp", *CODE_METHODS]}


@pytest.mark.rule("K2", kind="refuse")
@pytest.mark.rule("L2", kind="refuse")
def test_a_certificate_customer_is_asked_for_the_lowest_level_that_fits(
    bank: FakeBank, stranger: Account
) -> None:
    """The methods come from the registry: without an HSM neither the UKEY nor the financial
    certificate offers itself, so a certificate-level answer names only the stand-in factor."""
    certificate = payer(bank, Version.CERTIFICATE, AuthLevel.PASSWORD, balance_minor=200_000_000)
    small = bank.refuses(Code.K2_STEP_UP_REQUIRED, lambda: certificate.transfer(stranger, 100))
    assert small.params["required_level"] == 30 and small.params["methods"] == CODE_METHODS
    big = bank.refuses(Code.K2_STEP_UP_REQUIRED, lambda: certificate.transfer(stranger, 5_000_000))
    assert big.params["required_level"] == 40 and big.params["methods"] == []
    bank.deps = with_certificate_factor(bank.deps)
    big = bank.refuses(Code.K2_STEP_UP_REQUIRED, lambda: certificate.transfer(stranger, 5_000_000))
    assert big.params["methods"] == ["test_certificate"]
    # Past what the strongest level allows, no step-up is asked for.
    bank.refuses(Code.L2_DAILY_LIMIT_EXCEEDED, lambda: certificate.transfer(stranger, 100_000_001))


@pytest.mark.rule("L1", kind="allow")
@pytest.mark.rule("L1", kind="refuse")
def test_own_limits_bound_each_transfer_and_the_day(otp: Payer, stranger: Account) -> None:
    limits.set_own_limits(
        otp.bank.deps, otp.actor, limits.SetOwnLimits(per_transaction_minor=50_000, daily_minor=120_000)
    )
    error = otp.bank.refuses(Code.L1_PER_TRANSACTION_LIMIT_EXCEEDED, lambda: otp.transfer(stranger, 50_001))
    assert error.params == {"limit_minor": 50_000}
    otp.transfer(stranger, 50_000)
    otp.transfer(stranger, 50_000)
    error = otp.bank.refuses(Code.L2_DAILY_LIMIT_EXCEEDED, lambda: otp.transfer(stranger, 20_001))
    assert error.params == {"limit_minor": 120_000, "left_minor": 20_000}


@pytest.mark.rule("L3", kind="allow")
@pytest.mark.rule("L3", kind="refuse")
def test_a_korean_banks_otp_channel_allows_10_000_000_krw_a_day_and_a_time(bank: FakeBank) -> None:
    kb = payer(bank, code="kb", balance_minor=30_000_000)
    payee = bank.account(bank.customer("kb"), balance_minor=0)
    error = bank.refuses(Code.L1_PER_TRANSACTION_LIMIT_EXCEEDED, lambda: kb.transfer(payee, 10_000_001))
    assert error.params == {"limit_minor": 10_000_000}
    assert kb.transfer(payee, 10_000_000).transfer.currency == "KRW"
    bank.refuses(Code.L2_DAILY_LIMIT_EXCEEDED, lambda: kb.transfer(payee, 1))
    assert_books_prove(bank)
