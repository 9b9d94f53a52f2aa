"""Payments (E6, E10, C2, C3, L1-L4, K2): transfers to one's own or another customer's
account and bill payments, booked by the ledger's posting engine, and their reversal by staff.

Concurrency: every payout of a contract on a business day first locks that day's usage row,
then the accounts in id order, then the GL accounts it touches; so limits and balances hold
under any number of concurrent requests, on PostgreSQL (row locks) and SQLite (one writer)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from netbank.domain.account import Account
from netbank.domain.enrolment import AccountLink, Contract
from netbank.domain.errors import Code, Conflict, NotFound, RuleViolation
from netbank.domain.ledger import (
    Entry,
    GLCode,
    Posting,
    PostingKind,
    Side,
    Transfer,
    TransferKind,
    TransferStatus,
    ensure_not_reversed,
    ensure_positive_amount,
    reversal_entries,
)
from netbank.domain.limits import (
    DailyUsage,
    OwnLimits,
)
from netbank.domain.policy import Policy
from netbank.services.common import CustomerActor, TellerActor, id_of
from netbank.services.ledger import gl, post
from netbank.services.limits import authorize, enrolled_contract
from netbank.services.ports import Deps, UnitOfWork


@dataclass(frozen=True, kw_only=True)
class MakeTransfer:
    """Move money from one of your accounts to another account here: yours (an own transfer)
    or another customer's (the service tells which from the account it locks). The
    ``idempotency_key`` is the client's: a repeat returns the first result (E6, L1-L4, K2)."""

    idempotency_key: str
    from_account: str
    to_account: str
    amount_minor: int
    reference: str = ""


@dataclass(frozen=True, kw_only=True)
class PayBill:
    """Pay a bill (utility, phone, tax) to one of the institution's payees, with its
    reference; the ordinary version up to its bill-payment limit (L2)."""

    idempotency_key: str
    from_account: str
    payee_code: str
    amount_minor: int
    bill_reference: str = ""


@dataclass(frozen=True)
class TransferRequest:
    """A payout as the posting engine books it: to ``to_account`` or to the payee
    ``payee_code`` (a bill)."""

    idempotency_key: str
    from_account: str
    amount_minor: int
    to_account: str | None = None
    payee_code: str | None = None
    reference: str = ""

    @property
    def is_bill(self) -> bool:
        return self.payee_code is not None

    def digest(self, kind: TransferKind) -> str:
        """What a repeat with the same idempotency key must match (``kind`` included, as the
        booked transfer records it)."""
        body = json.dumps(
            [
                kind.value,
                self.from_account,
                self.to_account,
                self.payee_code,
                self.amount_minor,
                self.reference,
            ],
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class TransferResult:
    transfer: Transfer
    replayed: bool
    payer_balance_minor: int | None


def make_transfer(deps: Deps, actor: CustomerActor, cmd: MakeTransfer) -> TransferResult:
    """A transfer to one of the customer's own accounts or to another customer's account here."""
    return book_transfer(
        deps,
        actor,
        TransferRequest(
            idempotency_key=cmd.idempotency_key,
            from_account=cmd.from_account,
            amount_minor=cmd.amount_minor,
            to_account=cmd.to_account,
            reference=cmd.reference,
        ),
    )


def pay_bill(deps: Deps, actor: CustomerActor, cmd: PayBill) -> TransferResult:
    """A bill payment to one of the institution's payees, credited to the bill clearing GL."""
    return book_transfer(
        deps,
        actor,
        TransferRequest(
            idempotency_key=cmd.idempotency_key,
            from_account=cmd.from_account,
            amount_minor=cmd.amount_minor,
            payee_code=cmd.payee_code,
            reference=cmd.bill_reference,
        ),
    )


@dataclass(frozen=True)
class _Legs:
    """The two sides of a payout, locked: the payer (an account under the contract) and the
    credit, to a customer account (``payee``) or to the bill clearing GL; the transfer's kind
    as the locked payee says (own, internal, bill) and the payer's terms."""

    payer: Account
    payee: Account | None
    credit: Entry
    kind: TransferKind
    locked: dict[int, Account]
    link: AccountLink
    own_limits: OwnLimits | None


def book_transfer(
    deps: Deps,
    actor: CustomerActor,
    req: TransferRequest,
    *,
    evidence: Callable[[UnitOfWork, Transfer], None] | None = None,
) -> TransferResult:
    """Move money from one of the customer's accounts: to another of theirs, to another
    customer's account here, or to a payee. The idempotency key makes a retry return the first
    result; the payer must be an account under the contract that can pay out (E6, E10) and is
    not blocked (C3); funds, limits (L1-L4) and the session's level (K2) are checked under
    locks, and the posting, the usage and the transfer record commit together. ``evidence``
    adds to the same transaction (K1: a signed transfer keeps its signature)."""
    ensure_positive_amount(req.amount_minor)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    today = deps.today_in(policy.timezone)
    with deps.uow() as uow:
        contract = enrolled_contract(uow, actor)
        usage = uow.payouts.usage(id_of(contract), today)  # serialises this contract's payouts
        replayed = _replay(uow, contract, req)
        if replayed is not None:
            return replayed
        legs = _lock_legs(uow, actor, req)
        _ensure_payable(deps, uow, actor, policy, contract, legs, req.amount_minor, usage)
        transfer = _record(uow, actor, contract, legs, req, now, today)
        if evidence is not None:
            evidence(uow, transfer)
        _audit_payment(uow, actor, transfer, legs.payer, now)
        uow.commit()
        return TransferResult(transfer, False, legs.payer.balance_minor)


def _replay(uow: UnitOfWork, contract: Contract, req: TransferRequest) -> TransferResult | None:
    """The first result of a repeated idempotency key; the same key for another payment is
    refused."""
    existing = uow.payouts.transfer_by_key(id_of(contract), req.idempotency_key)
    if existing is None:
        return None
    if existing.request_digest != req.digest(existing.kind):
        raise Conflict(Code.IDEMPOTENCY_KEY_REUSED)
    return TransferResult(existing, True, None)


def _lock_legs(uow: UnitOfWork, actor: CustomerActor, req: TransferRequest) -> _Legs:
    """Lock the payer and the payee account in id order (after the usage row); E6/E10: the
    payer is linked to the contract and may pay out."""
    contract_id = actor.ensure_enrolled()
    numbers = [req.from_account] if req.is_bill else [req.from_account, req.to_account or ""]
    by_number = uow.ledger.lock_accounts_by_number(actor.institution_id, numbers)
    payer = by_number.get(req.from_account)
    if payer is None or payer.customer_id != actor.customer_id:
        raise NotFound(Code.ACCOUNT_NOT_FOUND)
    link, own_limits = uow.payouts.terms(contract_id, id_of(payer))
    if link is None:
        raise RuleViolation(Code.E6_PAYER_NOT_LINKED)
    link.ensure_can_pay_out()
    locked = {id_of(a): a for a in by_number.values()}
    if req.is_bill:
        payee_code = req.payee_code or ""
        if uow.payees.get(actor.institution_id, payee_code) is None:
            raise NotFound(Code.PAYEE_NOT_FOUND)
        clearing = gl(uow, actor.institution_id, GLCode.BILL_CLEARING)
        credit = Entry(Side.CREDIT, req.amount_minor, payer.currency, gl_account_id=id_of(clearing))
        return _Legs(payer, None, credit, TransferKind.BILL, locked, link, own_limits)
    if req.to_account == req.from_account:
        raise RuleViolation(Code.C2_SAME_ACCOUNT)
    payee = by_number.get(req.to_account or "")
    if payee is None or not payee.is_open:
        raise NotFound(Code.ACCOUNT_NOT_FOUND)
    kind = TransferKind.OWN if payee.customer_id == actor.customer_id else TransferKind.INTERNAL
    credit = Entry(Side.CREDIT, req.amount_minor, payer.currency, account_id=id_of(payee))
    return _Legs(payer, payee, credit, kind, locked, link, own_limits)


def _ensure_payable(
    deps: Deps,
    uow: UnitOfWork,
    actor: CustomerActor,
    policy: Policy,
    contract: Contract,
    legs: _Legs,
    amount_minor: int,
    usage: DailyUsage,
) -> None:
    """C2/C3: the payer is open and not blocked, the currencies match; L1-L4 with K2; funds."""
    payer = legs.payer
    payer.ensure_open()
    payer.ensure_can_pay_out()
    if legs.payee is not None and legs.payee.currency != payer.currency:
        raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=legs.payee.currency)
    authorize(
        deps,
        uow,
        actor,
        policy,
        contract.version,
        legs.own_limits,
        amount_minor,
        usage,
        bill=legs.payee is None,
    )
    if payer.balance_minor < amount_minor:
        raise RuleViolation(Code.C2_INSUFFICIENT_FUNDS, account=payer.masked_number)


def _record(
    uow: UnitOfWork,
    actor: CustomerActor,
    contract: Contract,
    legs: _Legs,
    req: TransferRequest,
    now: datetime,
    today: date,
) -> Transfer:
    """The balanced posting, the day's usage and the transfer record, in the caller's
    transaction."""
    bill = legs.kind is TransferKind.BILL
    posting = post(
        uow,
        Posting(
            institution_id=actor.institution_id,
            kind=PostingKind.BILL_PAYMENT if bill else PostingKind.TRANSFER,
            created_at=now,
            business_date=today,
            description=f"bill payment {req.payee_code}"
            if bill
            else f"transfer to {credit_label(legs.payee)}",
            reference=req.reference,
            contract_id=id_of(contract),
        ),
        [Entry(Side.DEBIT, req.amount_minor, legs.payer.currency, account_id=id_of(legs.payer)), legs.credit],
        legs.locked,
    )
    if bill:
        uow.payouts.add_usage(id_of(contract), today, bill_payments_minor=req.amount_minor)
    else:
        uow.payouts.add_usage(id_of(contract), today, transfers_minor=req.amount_minor)
    transfer = Transfer(
        institution_id=actor.institution_id,
        contract_id=id_of(contract),
        idempotency_key=req.idempotency_key,
        request_digest=req.digest(legs.kind),
        kind=legs.kind,
        payer_account_id=id_of(legs.payer),
        amount_minor=req.amount_minor,
        currency=legs.payer.currency,
        created_at=now,
        business_date=today,
        auth_level=int(actor.level),
        posting_id=id_of(posting),
        payee_account_id=id_of(legs.payee) if legs.payee else None,
        payee_code=req.payee_code if bill else None,
        reference=req.reference,
    )
    uow.payouts.add_transfer(transfer)
    return transfer


def _audit_payment(
    uow: UnitOfWork, actor: CustomerActor, transfer: Transfer, payer: Account, now: datetime
) -> None:
    uow.audit.append(
        chain=actor.institution_code,
        at=now,
        actor=actor.label,
        event=f"payment.{transfer.kind.value}",
        subject=actor.label,
        details={
            "transfer": id_of(transfer),
            "amount_minor": transfer.amount_minor,
            "payer": payer.masked_number,
            "level": int(actor.level),
        },
    )


def credit_label(account: Account | None) -> str:
    return account.masked_number if account else ""


@dataclass(frozen=True, kw_only=True)
class ReverseTransfer:
    """Correct transfer ``transfer_id`` by a reversing posting, for ``reason``."""

    transfer_id: int
    reason: str


def reverse_transfer(deps: Deps, actor: TellerActor, cmd: ReverseTransfer) -> Transfer:
    """A completed transfer is corrected by a new posting with the sides swapped (never by
    changing the original); the day's usage is given back. Staff only, audited."""
    transfer_id, reason = cmd.transfer_id, cmd.reason
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    today = deps.today_in(policy.timezone)
    with deps.uow() as uow:
        transfer = uow.payouts.transfer(transfer_id, for_update=True)
        if transfer is None or transfer.institution_id != actor.institution_id:
            raise NotFound(Code.TRANSFER_NOT_FOUND)
        uow.payouts.usage(transfer.contract_id, transfer.business_date)  # serialises with payouts
        ensure_not_reversed(
            transfer.status is TransferStatus.REVERSED or uow.ledger.is_reversed(transfer.posting_id)
        )
        original = uow.ledger.entries_of(transfer.posting_id)
        locked = uow.ledger.lock_accounts([e.account_id for e in original if e.account_id is not None])
        entries = reversal_entries(original)
        for entry in entries:
            # C2: the money must still be there; a payee's account never goes below zero.
            payee = locked[entry.account_id] if entry.account_id is not None else None
            if payee is not None and entry.side is Side.DEBIT and payee.balance_minor < entry.amount_minor:
                raise RuleViolation(Code.C2_INSUFFICIENT_FUNDS, account=payee.masked_number)
        reversal = post(
            uow,
            Posting(
                institution_id=transfer.institution_id,
                kind=PostingKind.REVERSAL,
                created_at=now,
                business_date=today,
                description=f"reversal of transfer {transfer_id}: {reason}"[:200],
                reference=transfer.reference,
                contract_id=transfer.contract_id,
                reverses_id=transfer.posting_id,
            ),
            entries,
            locked,
        )
        if transfer.kind is TransferKind.BILL:
            uow.payouts.add_usage(
                transfer.contract_id, transfer.business_date, bill_payments_minor=-transfer.amount_minor
            )
        else:
            uow.payouts.add_usage(
                transfer.contract_id, transfer.business_date, transfers_minor=-transfer.amount_minor
            )
        transfer.status = TransferStatus.REVERSED
        transfer.reversal_posting_id = id_of(reversal)
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="payment.reversed",
            subject=f"transfer:{transfer_id}",
            details={"reason": reason[:200], "amount_minor": transfer.amount_minor},
        )
        uow.commit()
        return transfer
