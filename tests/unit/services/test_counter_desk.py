"""The counter desk (``services/counter/desk.py``): what every counter transaction passes
through, in its order — the request's own rules, the customer, the teller's identity check
(E12), the contract (E3), the account presented (E7, C2), its status flags (E11) — and the
journal line and audit entry written with the receipt. Every refusal here is checked to leave
the store as it was (``FakeBank.refuses``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from netbank.domain.account import Account, AccountKind, StatusFlag
from netbank.domain.audit import AuditEntry
from netbank.domain.counter import CounterTransaction
from netbank.domain.enrolment import Version
from netbank.domain.errors import Code
from netbank.services.common import Receipt, TellerActor
from netbank.services.counter import accounts, contract, maintenance
from netbank.services.counter.accounts import ReportLoss
from netbank.services.counter.contract import AddLinkedAccount, ModifyContract, RemoveLinkedAccount
from tests.builders import LOGIN_PASSWORD
from tests.fakes import Enrolled, FakeBank, Holder

FLAGS = [f.name.lower() for f in StatusFlag if f.name]
NEW_PASSWORD = "Counter#2027"


@dataclass(frozen=True)
class Counter:
    """Teller T001 at their branch with an OTP customer in front of them (checked in person),
    that customer's second debit card (not linked), and a stranger with an account."""

    bank: FakeBank
    teller: TellerActor
    otp: Enrolled
    check: int
    spare: Account
    stranger: Account

    def add_link(
        self, account: Account | str, check: int | None = None, holder: Holder | None = None
    ) -> Receipt:
        """819102 for ``holder`` (default: the OTP customer) with ``check`` (default: theirs)."""
        command = AddLinkedAccount(
            customer_number=(holder or self.otp.holder).number,
            identity_check_id=self.check if check is None else check,
            account_number=account if isinstance(account, str) else account.number,
        )
        return contract.add_linked_account(self.bank.deps, self.teller, command)


@pytest.fixture
def counter(bank: FakeBank) -> Counter:
    teller = bank.teller()
    otp = bank.enrolled()
    spare = bank.account(otp.holder)
    stranger = bank.account(bank.customer())
    return Counter(bank, teller, otp, bank.identity_check(teller, otp.holder), spare, stranger)


def modify(c: Counter, registration: Account, check: int | None = None) -> Callable[[], Receipt]:
    command = ModifyContract(
        customer_number=c.otp.holder.number,
        identity_check_id=c.check if check is None else check,
        registration_account_number=registration.number,
        version=Version.CERTIFICATE,
        ukey_serial="UK2-900001",
        ukey_generation=2,
    )
    return lambda: contract.modify_contract(c.bank.deps, c.teller, command)


def reset_password(c: Counter, registration: Account) -> Callable[[], Receipt]:
    command = maintenance.ResetLoginPassword(
        customer_number=c.otp.holder.number,
        identity_check_id=c.check,
        registration_account_number=registration.number,
        new_password=NEW_PASSWORD,
    )
    return lambda: maintenance.reset_login_password(c.bank.deps, c.teller, command)


# --- E12: in person, with the identity check this teller recorded ---------------------------


@pytest.mark.rule("E12", kind="refuse")
@pytest.mark.parametrize("check", [None, 999], ids=["no check", "an unknown check"])
def test_counter_work_without_the_tellers_identity_check_is_refused(
    counter: Counter, check: int | None
) -> None:
    command = AddLinkedAccount(
        customer_number=counter.otp.holder.number,
        identity_check_id=check,
        account_number=counter.spare.number,
    )
    counter.bank.refuses(
        Code.E12_IDENTITY_CHECK_REQUIRED,
        lambda: contract.add_linked_account(counter.bank.deps, counter.teller, command),
    )


@pytest.mark.rule("E12", kind="allow")
@pytest.mark.rule("E12", kind="refuse")
def test_an_identity_check_is_good_for_the_policys_thirty_minutes(counter: Counter) -> None:
    counter.bank.clock.advance(timedelta(minutes=29, seconds=59))
    counter.add_link(counter.spare)
    counter.bank.clock.advance(timedelta(seconds=1))
    second = counter.bank.account(counter.otp.holder)
    counter.bank.refuses(Code.E12_IDENTITY_CHECK_EXPIRED, lambda: counter.add_link(second))


@pytest.mark.rule("E12", kind="refuse")
def test_an_identity_check_is_good_only_for_the_teller_who_recorded_it(counter: Counter) -> None:
    colleague = counter.bank.teller(number="T002")
    theirs = counter.bank.identity_check(colleague, counter.otp.holder)
    counter.bank.refuses(Code.E12_IDENTITY_CHECK_REQUIRED, lambda: counter.add_link(counter.spare, theirs))


@pytest.mark.rule("E12", kind="refuse")
def test_an_identity_check_is_good_only_for_the_customer_it_checked(counter: Counter) -> None:
    someone = counter.bank.customer()
    theirs = counter.bank.identity_check(counter.teller, someone)
    counter.bank.refuses(Code.E12_IDENTITY_CHECK_REQUIRED, lambda: counter.add_link(counter.spare, theirs))


@pytest.mark.rule("E12", kind="refuse")
def test_an_identity_check_of_another_institution_is_not_one_of_this_institution(counter: Counter) -> None:
    kb_teller = counter.bank.teller("kb")
    kb_check = counter.bank.identity_check(kb_teller, counter.bank.customer("kb"))
    counter.bank.refuses(Code.E12_IDENTITY_CHECK_REQUIRED, lambda: counter.add_link(counter.spare, kb_check))


@pytest.mark.rule("E12", kind="allow")
def test_any_branch_does_counter_work_and_the_journal_records_teller_branch_and_check(bank: FakeBank) -> None:
    """通兑: T001 (home branch B1) works at B2 today; the journal line and its audit entry
    are written with the receipt, in the same commit."""
    teller = bank.teller(branch="B2")
    otp = bank.enrolled()
    card = bank.account(otp.holder)
    check = bank.identity_check(teller, otp.holder)
    commits = bank.factory.commits
    command = AddLinkedAccount(
        customer_number=otp.holder.number, identity_check_id=check, account_number=card.number
    )
    receipt = contract.add_linked_account(bank.deps, teller, command)

    assert bank.factory.commits == commits + 1
    assert (receipt.code, receipt.action, receipt.teller_number, receipt.branch_code) == (
        "819102",
        "add",
        "T001",
        "B2",
    )
    (line,) = bank.store.where(CounterTransaction, customer_id=otp.holder.id)
    assert line.id == receipt.transaction_id
    assert (line.teller_id, line.branch_id) == (teller.teller_id, teller.branch_id)
    assert (line.identity_check_id, line.account_id) == (check, card.id)
    assert line.details == receipt.details == {"account": card.masked_number}
    entry = bank.store.rows(AuditEntry)[-1]
    assert (entry.chain, entry.event, entry.actor) == ("edb", "counter.819102.add", "teller:edb/T001")
    assert entry.subject == f"customer:{otp.holder.number}"
    assert entry.details == {
        "transaction_id": receipt.transaction_id,
        "code": "819102",
        "action": "add",
        "branch": "B2",
        "identity_check": check,
        "account": card.masked_number,
    }


# --- E3, E7, C2: the contract and the account presented -------------------------------------


@pytest.mark.rule("E3", kind="refuse")
def test_a_customer_without_a_contract_gets_no_contract_transaction(counter: Counter) -> None:
    holder = counter.bank.customer()
    card = counter.bank.account(holder)
    check = counter.bank.identity_check(counter.teller, holder)
    counter.bank.refuses(Code.E3_NOT_ENROLLED, lambda: counter.add_link(card, check, holder))
    delete = contract.DeleteContract(customer_number=holder.number, identity_check_id=check)
    counter.bank.refuses(
        Code.E3_NOT_ENROLLED, lambda: contract.delete_contract(counter.bank.deps, counter.teller, delete)
    )


@pytest.mark.rule("E7", kind="refuse")
def test_modify_and_password_reset_need_the_registration_account_itself(counter: Counter) -> None:
    counter.bank.refuses(Code.E7_REGISTRATION_ACCOUNT_REQUIRED, modify(counter, counter.spare))
    counter.bank.refuses(Code.E7_REGISTRATION_ACCOUNT_REQUIRED, reset_password(counter, counter.spare))


@pytest.mark.rule("E7", kind="allow")
def test_the_registration_account_presented_lets_the_password_be_reset(counter: Counter) -> None:
    receipt = reset_password(counter, counter.otp.card)()
    assert receipt.action == "reset"
    reset = counter.bank.now_of(counter.otp.contract)
    assert counter.bank.deps.hasher.verify(reset.password_digest, NEW_PASSWORD)
    assert not counter.bank.deps.hasher.verify(reset.password_digest, LOGIN_PASSWORD)


@pytest.mark.rule("C2", kind="refuse")
@pytest.mark.parametrize("transaction", ["819102", "819103", "819101 modify", "loss report"])
def test_an_account_of_someone_else_is_refused_whatever_the_transaction(
    counter: Counter, transaction: str
) -> None:
    c, theirs = counter, counter.stranger.number
    common: dict[str, Any] = {"customer_number": c.otp.holder.number, "identity_check_id": c.check}
    calls: dict[str, Callable[[], object]] = {
        "819102": lambda: contract.add_linked_account(
            c.bank.deps, c.teller, AddLinkedAccount(**common, account_number=theirs)
        ),
        "819103": lambda: contract.remove_linked_account(
            c.bank.deps, c.teller, RemoveLinkedAccount(**common, account_number=theirs)
        ),
        "819101 modify": modify(c, c.stranger),
        "loss report": lambda: accounts.report_loss(
            c.bank.deps, c.teller, ReportLoss(**common, account_number=theirs, kind="verbal")
        ),
    }
    c.bank.refuses(Code.C2_ACCOUNT_NOT_CUSTOMERS, calls[transaction])


def test_an_unknown_account_number_is_not_found(counter: Counter) -> None:
    counter.bank.refuses(Code.ACCOUNT_NOT_FOUND, lambda: counter.add_link("6200000000000000"))


# --- E11: the account's status flags ---------------------------------------------------------


@pytest.mark.rule("E11", kind="refuse")
@pytest.mark.parametrize("flag", FLAGS)
def test_819102_is_refused_while_the_account_carries_any_c3_flag(counter: Counter, flag: str) -> None:
    flagged = counter.bank.account(counter.otp.holder, flags=(flag,))
    error = counter.bank.refuses(Code.E11_ACCOUNT_STATUS_BLOCKS, lambda: counter.add_link(flagged))
    assert error.params["flags"] == flag


@pytest.mark.rule("E11", kind="refuse")
def test_a_flagged_registration_card_blocks_modify_and_password_reset(bank: FakeBank) -> None:
    holder = bank.customer()
    card = bank.account(holder, flags=("pin_loss",))
    otp = Enrolled(holder, card, bank.contract(holder, card))
    teller = bank.teller()
    c = Counter(bank, teller, otp, bank.identity_check(teller, holder), card, card)
    bank.refuses(Code.E11_ACCOUNT_STATUS_BLOCKS, modify(c, card))
    bank.refuses(Code.E11_ACCOUNT_STATUS_BLOCKS, reset_password(c, card))


@pytest.mark.rule("E11", kind="allow")
def test_819103_and_the_loss_report_look_at_no_flag(counter: Counter) -> None:
    c = counter
    flagged = c.bank.account(c.otp.holder, flags=("initial_pin", "under_watch"))
    c.bank.link(c.otp.contract, flagged)
    common: dict[str, Any] = {
        "customer_number": c.otp.holder.number,
        "identity_check_id": c.check,
        "account_number": flagged.number,
    }
    removed = contract.remove_linked_account(c.bank.deps, c.teller, RemoveLinkedAccount(**common))
    lost = accounts.report_loss(c.bank.deps, c.teller, ReportLoss(**common, kind="verbal"))
    assert (removed.action, lost.action) == ("remove", "verbal")
    assert (
        c.bank.now_of(flagged).status_flags
        == StatusFlag.INITIAL_PIN | StatusFlag.UNDER_WATCH | StatusFlag.VERBAL_LOSS
    )


# --- the order of the prologue ---------------------------------------------------------------


def _order_cases() -> dict[str, tuple[Code, Callable[[Counter], Callable[[], object]]]]:
    """What each step refuses when a later step would refuse too: (the first code, the call)."""

    def nobody_ordinary(c: Counter) -> Callable[[], object]:
        command = contract.AddContract(
            customer_number="NOBODY",
            identity_check_id=None,
            registration_account_number=c.stranger.number,
            version=Version.ORDINARY,
            login_password=LOGIN_PASSWORD,
        )
        return lambda: contract.add_contract(c.bank.deps, c.teller, command)

    def nobody_unchecked(c: Counter) -> Callable[[], object]:
        command = AddLinkedAccount(
            customer_number="NOBODY", identity_check_id=None, account_number=c.stranger.number
        )
        return lambda: contract.add_linked_account(c.bank.deps, c.teller, command)

    def not_enrolled(c: Counter, checked: bool) -> Callable[[], object]:
        holder = c.bank.customer()
        check = c.bank.identity_check(c.teller, holder) if checked else 0
        return lambda: c.add_link(c.stranger, check, holder)

    def ordinary_with_strangers_card(c: Counter) -> Callable[[], object]:
        ordinary = c.bank.enrolled(version=Version.ORDINARY)
        check = c.bank.identity_check(c.teller, ordinary.holder)
        return lambda: c.add_link(c.stranger, check, ordinary.holder)

    def strangers_flagged_merchant_card(c: Counter) -> Callable[[], object]:
        theirs = c.bank.account(c.bank.customer(), AccountKind.MERCHANT_CARD, flags=("pin_loss",))
        return lambda: c.add_link(theirs)

    def own(c: Counter, kind: AccountKind, *flags: str, closed: bool = False) -> Callable[[], object]:
        account = c.bank.account(c.otp.holder, kind, flags=flags, balance_minor=0)
        if closed:
            close = accounts.CloseAccount(
                customer_number=c.otp.holder.number, identity_check_id=c.check, account_number=account.number
            )
            accounts.close_account(c.bank.deps, c.teller, close)
        return lambda: c.add_link(account)

    def flagged_linked(c: Counter) -> Callable[[], object]:
        account = c.bank.account(c.otp.holder, flags=("fraud_hold",))
        c.bank.link(c.otp.contract, account)
        return lambda: c.add_link(account)

    def flagged_spare_as_registration(c: Counter) -> Callable[[], object]:
        return modify(c, c.bank.account(c.otp.holder, flags=("written_loss",)))

    return {
        "the request's own rules before the customer": (Code.E4_ORDINARY_ONLINE_ONLY, nobody_ordinary),
        "the customer before the identity check": (Code.CUSTOMER_NOT_FOUND, nobody_unchecked),
        "the identity check before the contract": (
            Code.E12_IDENTITY_CHECK_REQUIRED,
            lambda c: not_enrolled(c, False),
        ),
        "the contract before the account": (Code.E3_NOT_ENROLLED, lambda c: not_enrolled(c, True)),
        "the contract's rules before the account": (
            Code.E9_VERSION_CANNOT_LINK_AT_COUNTER,
            ordinary_with_strangers_card,
        ),
        "whose account before what it is": (Code.C2_ACCOUNT_NOT_CUSTOMERS, strangers_flagged_merchant_card),
        "an open account before its kind": (
            Code.C2_ACCOUNT_CLOSED,
            lambda c: own(c, AccountKind.MERCHANT_CARD, closed=True),
        ),
        "the kind before the flags": (
            Code.E9_ACCOUNT_KIND_NOT_LINKABLE,
            lambda c: own(c, AccountKind.MERCHANT_CARD, "pin_loss"),
        ),
        "the registration account before its flags": (
            Code.E7_REGISTRATION_ACCOUNT_REQUIRED,
            flagged_spare_as_registration,
        ),
        "the flags before the transaction's own step": (Code.E11_ACCOUNT_STATUS_BLOCKS, flagged_linked),
    }


ORDER = _order_cases()


@pytest.mark.rule("E12", kind="refuse")
@pytest.mark.rule("E3", kind="refuse")
@pytest.mark.rule("E7", kind="refuse")
@pytest.mark.rule("C2", kind="refuse")
@pytest.mark.rule("E11", kind="refuse")
@pytest.mark.parametrize("step", list(ORDER))
def test_the_desk_checks_in_its_order(counter: Counter, step: str) -> None:
    code, build = ORDER[step]
    counter.bank.refuses(code, build(counter))
