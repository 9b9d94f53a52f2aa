"""The counter desk: what every counter transaction passes through (E7, E11, E12).

A counter transaction is a frozen command (a :class:`CounterCommand`) handled by one function
of this package. :func:`at_the_counter` runs it in one database transaction, in this order:

1. the command's own checks that need no database (:meth:`CounterCommand.check_request`);
2. the customer, by number, within the teller's institution, locked (C1);
3. the in-person identity check the teller recorded for them, still valid (E12);
4. their active e-banking contract (E3), when the transaction needs one, and the rules the
   command puts on the contract (:meth:`CounterCommand.check_contract`, E9 say);
5. the account presented: the registration account itself for :class:`WithRegistrationAccount`
   commands (E7), or the customer's account named by :class:`WithAccount` commands (C2); open,
   the command's rules on it (:meth:`CounterCommand.check_account`, E5 or E9 kinds), and free
   of C3 flags where E11 asks it (``blocked_by_flags``);
6. the transaction's own step, which changes what it must and says what it did (:class:`Done`);
7. the counter journal line and its audit entry (E12), the commit, and the receipt.

Nothing is written when any step refuses. This is the one place where a rule for every counter
transaction belongs (a supervisor's approval for some of them, say).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from netbank.domain.account import Account
from netbank.domain.counter import CounterTransaction, IdentityCheck, TransactionCode
from netbank.domain.customer import Customer
from netbank.domain.enrolment import Contract
from netbank.domain.errors import Code, NotFound, RuleViolation
from netbank.domain.policy import Policy
from netbank.services.common import (
    OTPEnrolment,
    Receipt,
    TellerActor,
    customer_by_number,
    customers_account,
    id_of,
)
from netbank.services.ports import Deps, UnitOfWork


@dataclass(frozen=True, kw_only=True)
class CounterCommand:
    """A counter transaction for a customer present in person: ``identity_check_id`` names the
    check of their identity document the teller recorded (E12)."""

    customer_number: str
    #: None only where :meth:`identity_check_needed` allows it (the bank's own risk flags).
    identity_check_id: int | None

    #: The transaction's code in the counter journal and on the receipt.
    code: ClassVar[TransactionCode]
    #: E3: the customer must have an active e-banking contract.
    needs_contract: ClassVar[bool] = True
    #: E11: the account presented must carry no C3 flag.
    blocked_by_flags: ClassVar[bool] = True

    def check_request(self, policy: Policy) -> None:
        """The transaction's rules that need no database, checked before anything is read."""

    def identity_check_needed(self) -> bool:
        """E12: counter work is in person; only the bank's own risk flags are set without."""
        return True

    def check_contract(self, contract: Contract) -> None:
        """The transaction's rules on the contract, before the account is looked at."""

    def check_account(self, account: Account, policy: Policy) -> None:
        """The transaction's rules on the account presented, before its C3 flags (E11)."""


@dataclass(frozen=True, kw_only=True)
class WithRegistrationAccount(CounterCommand):
    """E7: the customer presents the registration account (add, modify, password reset,
    certificate and OTP maintenance). With a contract it must be that contract's."""

    registration_account_number: str


@dataclass(frozen=True, kw_only=True)
class WithAccount(CounterCommand):
    """The transaction concerns one of the customer's accounts (C2): ``account_number``."""

    account_number: str


@dataclass
class Desk:
    """What the prologue found, for the transaction's own step; everything is locked for the
    rest of the database transaction."""

    deps: Deps
    uow: UnitOfWork
    actor: TellerActor
    policy: Policy
    now: datetime
    customer: Customer
    check: IdentityCheck | None
    found_contract: Contract | None
    found_account: Account | None

    @property
    def contract(self) -> Contract:
        """The active contract (commands with ``needs_contract``)."""
        if self.found_contract is None:
            raise RuntimeError("this counter transaction has no contract")
        return self.found_contract

    @property
    def account(self) -> Account:
        """The account presented (:class:`WithRegistrationAccount`, :class:`WithAccount`)."""
        if self.found_account is None:
            raise RuntimeError("this counter transaction presents no account")
        return self.found_account


@dataclass(frozen=True)
class Done:
    """What a transaction's step did: its action on the journal and the receipt's details
    (never a secret, identifiers masked), the account to record (default: the one presented),
    the TOTP enrolment to show once, and work to do after the commit (tidying a UKEY)."""

    action: str
    details: Mapping[str, Any]
    account: Account | None = None
    otp_enrolment: OTPEnrolment | None = None
    after_commit: Callable[[], None] | None = None


C = TypeVar("C", bound=CounterCommand)
Step = Callable[[Desk, C], Done]


def at_the_counter(
    deps: Deps,
    actor: TellerActor,
    command: C,
    step: Step[C],
    *,
    guard: AbstractContextManager[Any] | None = None,
) -> Receipt:
    """Run one counter transaction (see the module's docstring); ``guard`` wraps the database
    transaction (a UKEY PIN failure counter, which must outlive a rollback)."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    command.check_request(policy)
    with guard or nullcontext(), deps.uow() as uow:
        desk = _open_desk(deps, uow, actor, policy, now, command)
        done = step(desk, command)
        receipt = journal(
            uow,
            actor,
            desk.customer,
            code=command.code,
            action=done.action,
            check=desk.check,
            account=done.account or desk.found_account,
            details=dict(done.details),
            now=now,
        )
        uow.commit()
    if done.after_commit is not None:
        done.after_commit()
    return replace(receipt, otp_enrolment=done.otp_enrolment)


def _open_desk(
    deps: Deps, uow: UnitOfWork, actor: TellerActor, policy: Policy, now: datetime, command: CounterCommand
) -> Desk:
    customer = customer_by_number(uow, actor.institution_id, command.customer_number, for_update=True)
    check = (
        usable_identity_check(uow, actor, customer, command.identity_check_id, now)
        if command.identity_check_needed()
        else None
    )
    contract = active_contract(uow, customer) if command.needs_contract else None
    if contract is not None:
        command.check_contract(contract)
    account = _presented(uow, customer, contract, policy, command)
    return Desk(deps, uow, actor, policy, now, customer, check, contract, account)


def _presented(
    uow: UnitOfWork, customer: Customer, contract: Contract | None, policy: Policy, command: CounterCommand
) -> Account | None:
    if isinstance(command, WithRegistrationAccount):
        account = customers_account(uow, customer, command.registration_account_number)
        if contract is not None:
            contract.ensure_presented_registration_account(account)
    elif isinstance(command, WithAccount):
        account = customers_account(uow, customer, command.account_number)
    else:
        return None
    account.ensure_open()
    command.check_account(account, policy)
    if command.blocked_by_flags:
        account.ensure_no_blocking_flags()
    return account


def active_contract(uow: UnitOfWork, customer: Customer) -> Contract:
    """E3: the customer's active e-banking contract, locked."""
    contract = uow.contracts.active_for_customer(id_of(customer), for_update=True)
    if contract is None:
        raise NotFound(Code.E3_NOT_ENROLLED)
    return contract


def usable_identity_check(
    uow: UnitOfWork, actor: TellerActor, customer: Customer, check_id: int | None, now: datetime
) -> IdentityCheck:
    """E12: counter work for a customer needs the in-person identity check this teller
    recorded for this customer, still within its validity."""
    check = uow.counter.get_identity_check(check_id) if check_id is not None else None
    if check is None or check.institution_id != actor.institution_id:
        raise RuleViolation(Code.E12_IDENTITY_CHECK_REQUIRED)
    check.ensure_usable(teller_id=actor.teller_id, customer_id=id_of(customer), now=now)
    return check


def journal(
    uow: UnitOfWork,
    actor: TellerActor,
    customer: Customer,
    *,
    code: TransactionCode,
    action: str,
    check: IdentityCheck | None,
    account: Account | None,
    details: dict[str, Any],
    now: datetime,
) -> Receipt:
    """Record a counter transaction (E12) and its audit entry, in the caller's transaction."""
    txn = CounterTransaction(
        institution_id=actor.institution_id,
        branch_id=actor.branch_id,
        teller_id=actor.teller_id,
        customer_id=id_of(customer),
        code=code,
        action=action,
        at=now,
        identity_check_id=check.id if check else None,
        account_id=account.id if account else None,
        details=details,
    )
    uow.counter.add_transaction(txn)
    uow.audit.append(
        chain=actor.institution_code,
        at=now,
        actor=actor.label,
        event=f"counter.{code.value}.{action}",
        subject=f"customer:{customer.customer_number}",
        details={
            "transaction_id": id_of(txn),
            "code": code.value,
            "action": action,
            "branch": actor.branch_code,
            "identity_check": check.id if check else None,
            **details,
        },
    )
    return Receipt(
        transaction_id=id_of(txn),
        code=code.value,
        action=action,
        teller_number=actor.teller_number,
        branch_code=actor.branch_code,
        institution_code=actor.institution_code,
        at=now,
        customer_number=customer.customer_number,
        details=details,
    )
