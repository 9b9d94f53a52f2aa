"""The ledger use cases: posting balanced entries with O(1) balances, the chart of accounts,
transfers and bill payments under limits (L1-L4) and step-up (K2), reversals, fees (G1-G2),
and the ledger's own proof of consistency.

Concurrency: every payout of a contract on a business day first locks that day's usage row,
then the accounts in id order, then the GL accounts it touches; so limits and balances hold
under any number of concurrent requests, on PostgreSQL (row locks) and SQLite (one writer)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from netbank.domain.account import Account, StatusFlag
from netbank.domain.enrolment import Contract, Version
from netbank.domain.errors import Code, Conflict, NotFound, RuleViolation
from netbank.domain.institution import Institution
from netbank.domain.ledger import (
    CHART,
    Entry,
    FeeKind,
    GLAccount,
    GLCode,
    Posting,
    PostingKind,
    Side,
    Transfer,
    TransferKind,
    TransferStatus,
    balance_delta,
    ensure_balanced,
    ensure_not_reversed,
    ensure_positive_amount,
    fee_amount,
    reversal_entries,
)
from netbank.domain.limits import (
    VERSION_CEILING,
    DailyUsage,
    OwnLimits,
    daily_cap,
    ensure_own_limits_within,
    ensure_within_daily_cap,
    ensure_within_limits,
    fits,
    limits_at,
)
from netbank.domain.policy import Policy, VersionLimits
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, TellerActor, id_of
from netbank.services.ports import BalanceMismatch, Deps, UnbalancedPosting, UnitOfWork
from netbank.services.strong_auth import StepUpRequired, step_up_methods

#: C3 flags that stop money leaving an account (a loss report, a PIN lock, risk holds).
PAYOUT_BLOCKING = (
    StatusFlag.VERBAL_LOSS
    | StatusFlag.WRITTEN_LOSS
    | StatusFlag.PIN_LOSS
    | StatusFlag.WRONG_PIN_EXCEEDED
    | StatusFlag.UNDER_WATCH
    | StatusFlag.FRAUD_HOLD
)


# --- the posting engine ------------------------------------------------------------------


def ensure_chart(uow: UnitOfWork, institution: Institution) -> None:
    """Give the institution the chart of accounts it needs (idempotent)."""
    for code, (name, kind) in CHART.items():
        if uow.ledger.gl_account(id_of(institution), code.value) is None:
            uow.ledger.add_gl_account(
                GLAccount(
                    institution_id=id_of(institution),
                    code=code.value,
                    name=name,
                    kind=kind,
                    currency=institution.currency,
                )
            )


def gl(uow: UnitOfWork, institution_id: int, code: GLCode) -> GLAccount:
    account = uow.ledger.gl_account(institution_id, code.value)
    if account is None:
        raise RuntimeError(f"GL account {code.value} missing: run institution set-up")
    return account


def post(uow: UnitOfWork, posting: Posting, entries: list[Entry], accounts: dict[int, Account]) -> Posting:
    """Book a balanced posting and move the stored balances, in the caller's transaction.
    ``accounts`` are the customer accounts the entries touch, already locked by the caller."""
    ensure_balanced(entries)
    for entry in entries:
        if entry.account_id is not None:
            account = accounts[entry.account_id]
            if entry.currency != account.currency:
                raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=entry.currency)
            account.balance_minor += balance_delta(entry.side, entry.amount_minor, Side.CREDIT)
            entry.balance_after_minor = account.balance_minor
        else:
            gl_account = uow.ledger.lock_gl(entry.gl_account_id or 0)
            gl_account.balance_minor += balance_delta(
                entry.side, entry.amount_minor, gl_account.kind.normal_side
            )
            entry.balance_after_minor = gl_account.balance_minor
    uow.ledger.add_posting(posting, entries)
    return posting


def post_opening_deposit(
    uow: UnitOfWork, account: Account, amount_minor: int, now: datetime, today: date
) -> None:
    """An account opened with money in it: cash in (GL 1001) to the account."""
    if amount_minor <= 0:
        return
    cash = gl(uow, account.institution_id, GLCode.CASH)
    post(
        uow,
        Posting(
            institution_id=account.institution_id,
            kind=PostingKind.OPENING,
            created_at=now,
            business_date=today,
            description="opening deposit",
            reference=account.number,
        ),
        [
            Entry(Side.DEBIT, amount_minor, account.currency, gl_account_id=id_of(cash)),
            Entry(Side.CREDIT, amount_minor, account.currency, account_id=id_of(account)),
        ],
        {id_of(account): account},
    )


# --- limits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitsView:
    version: str
    level: int
    version_limits: VersionLimits
    own_per_transaction_minor: int | None
    own_daily_minor: int | None
    in_force: VersionLimits
    used_today_minor: int
    bill_payments_today_minor: int
    left_today_minor: int
    bill_payment_left_today_minor: int
    business_date: date
    currency: str


def _contract(uow: UnitOfWork, actor: CustomerActor) -> Contract:
    contract = uow.contracts.get(actor.ensure_enrolled())
    if contract is None or not contract.is_active:
        raise NotFound(Code.E3_NOT_ENROLLED)
    return contract


def limits_view(deps: Deps, actor: CustomerActor) -> LimitsView:
    policy = deps.policies.policy_for(actor.institution_code)
    today = deps.today_in(policy.timezone)
    with deps.uow(readonly=True) as uow:
        contract = _contract(uow, actor)
        own = uow.payouts.own_limits(id_of(contract))
        version_limits = limits_at(policy, contract.version, VERSION_CEILING[contract.version], None)
        in_force = limits_at(policy, contract.version, actor.level, own)
        usage = uow.payouts.peek_usage(id_of(contract), today)
        used = usage.transfers_minor + usage.bill_payments_minor
        cap = daily_cap(version_limits, own)
        return LimitsView(
            version=contract.version.value,
            level=int(actor.level),
            version_limits=version_limits,
            own_per_transaction_minor=own.per_transaction_minor if own else None,
            own_daily_minor=own.daily_minor if own else None,
            in_force=in_force,
            used_today_minor=used,
            bill_payments_today_minor=usage.bill_payments_minor,
            left_today_minor=max(in_force.daily_minor - used, 0),
            bill_payment_left_today_minor=min(
                max(in_force.bill_payment_daily_minor - usage.bill_payments_minor, 0),
                max(cap - used, 0) if cap is not None else in_force.bill_payment_daily_minor,
            )
            if in_force.bill_payment_daily_minor
            else max(in_force.daily_minor - used, 0),
            business_date=today,
            currency=policy.currency,
        )


def set_own_limits(
    deps: Deps, actor: CustomerActor, per_transaction_minor: int | None, daily_minor: int | None
) -> LimitsView:
    """L1: the customer lowers (or restores) their own limits within their version's."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        contract = _contract(uow, actor)
        version_limits = limits_at(policy, contract.version, VERSION_CEILING[contract.version], None)
        ensure_own_limits_within(version_limits, per_transaction_minor, daily_minor)
        uow.payouts.set_own_limits(
            OwnLimits(
                contract_id=id_of(contract),
                per_transaction_minor=per_transaction_minor,
                daily_minor=daily_minor,
            )
        )
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="limits.changed",
            subject=actor.label,
            details={"per_transaction_minor": per_transaction_minor, "daily_minor": daily_minor},
        )
        uow.commit()
    return limits_view(deps, actor)


def _authorize(
    deps: Deps,
    actor: CustomerActor,
    policy: Policy,
    version: Version,
    own: OwnLimits | None,
    amount_minor: int,
    usage: DailyUsage,
    *,
    bill: bool,
) -> None:
    """L1-L3 with K2: within the limits of the session's level, or a step-up answer naming the
    lowest level at which the payment fits, or the refusal of the strongest level's limits.
    The customer's daily cap holds at every level, so no step-up is asked for past it."""
    ceiling = VERSION_CEILING[version]
    version_limits = limits_at(policy, version, ceiling, None)
    current = limits_at(policy, version, actor.level, own)
    if fits(current, amount_minor, usage, bill=bill):
        ensure_within_daily_cap(version_limits, own, amount_minor, usage)
        return
    for level in (AuthLevel.ONE_TIME_CODE, AuthLevel.CERTIFICATE):
        if actor.level < level <= ceiling and fits(
            limits_at(policy, version, level, own), amount_minor, usage, bill=bill
        ):
            ensure_within_daily_cap(version_limits, own, amount_minor, usage)
            raise StepUpRequired(
                Code.K2_STEP_UP_REQUIRED,
                required_level=int(level),
                current_level=int(actor.level),
                methods=step_up_methods(deps, actor),
            )
    ensure_within_limits(
        limits_at(policy, version, ceiling if actor.level < ceiling else actor.level, own),
        amount_minor,
        usage,
        bill=bill,
    )


# --- transfers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferRequest:
    idempotency_key: str
    kind: TransferKind
    from_account: str
    amount_minor: int
    to_account: str | None = None
    payee_code: str | None = None
    reference: str = ""

    def digest(self) -> str:
        body = json.dumps(
            [
                self.kind.value,
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
    locks, and the posting, the usage and the transfer record commit together."""
    ensure_positive_amount(req.amount_minor)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    today = deps.today_in(policy.timezone)
    with deps.uow() as uow:
        contract = _contract(uow, actor)
        usage = uow.payouts.usage(id_of(contract), today)  # serialises this contract's payouts
        existing = uow.payouts.transfer_by_key(id_of(contract), req.idempotency_key)
        if existing is not None:
            if existing.request_digest != req.digest():
                raise Conflict(Code.IDEMPOTENCY_KEY_REUSED)
            return TransferResult(existing, True, None)
        bill = req.kind is TransferKind.BILL
        # The payer and the payee account, locked in id order after the usage row.
        numbers = [req.from_account] if bill else [req.from_account, req.to_account or ""]
        locked_by_number = uow.ledger.lock_accounts_by_number(actor.institution_id, numbers)
        payer = locked_by_number.get(req.from_account)
        if payer is None or payer.customer_id != actor.customer_id:
            raise NotFound(Code.ACCOUNT_NOT_FOUND)
        link, own_limits = uow.payouts.terms(id_of(contract), id_of(payer))
        if link is None:
            raise RuleViolation(Code.E6_PAYER_NOT_LINKED)
        link.ensure_can_pay_out()
        payee_account: Account | None = None
        credit: Entry
        if bill:
            payee = uow.payees.get(actor.institution_id, req.payee_code or "")
            if payee is None:
                raise NotFound(Code.PAYEE_NOT_FOUND)
            credit = Entry(
                Side.CREDIT,
                req.amount_minor,
                payer.currency,
                gl_account_id=id_of(gl(uow, actor.institution_id, GLCode.BILL_CLEARING)),
            )
        else:
            if req.to_account == req.from_account:
                raise RuleViolation(Code.C2_SAME_ACCOUNT)
            payee_account = locked_by_number.get(req.to_account or "")
            if payee_account is None or not payee_account.is_open:
                raise NotFound(Code.ACCOUNT_NOT_FOUND)
            own = payee_account.customer_id == actor.customer_id
            if (req.kind is TransferKind.OWN) != own:
                raise RuleViolation(Code.C2_ACCOUNT_NOT_CUSTOMERS)
            credit = Entry(Side.CREDIT, req.amount_minor, payer.currency, account_id=id_of(payee_account))
        locked = {id_of(a): a for a in locked_by_number.values()}
        payer.ensure_open()
        if payer.status_flags & PAYOUT_BLOCKING:
            raise RuleViolation(
                Code.C3_ACCOUNT_BLOCKED_FOR_PAYOUT,
                account=payer.masked_number,
                flags=",".join((payer.status_flags & PAYOUT_BLOCKING).names()),
            )
        if payee_account is not None and payee_account.currency != payer.currency:
            raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=payee_account.currency)
        _authorize(deps, actor, policy, contract.version, own_limits, req.amount_minor, usage, bill=bill)
        if payer.balance_minor < req.amount_minor:
            raise RuleViolation(Code.C2_INSUFFICIENT_FUNDS, account=payer.masked_number)
        posting = post(
            uow,
            Posting(
                institution_id=actor.institution_id,
                kind=PostingKind.BILL_PAYMENT if bill else PostingKind.TRANSFER,
                created_at=now,
                business_date=today,
                description=f"bill payment {req.payee_code}"
                if bill
                else f"transfer to {credit_label(payee_account)}",
                reference=req.reference,
                contract_id=id_of(contract),
            ),
            [Entry(Side.DEBIT, req.amount_minor, payer.currency, account_id=id_of(payer)), credit],
            locked,
        )
        if bill:
            uow.payouts.add_usage(id_of(contract), today, bill_payments_minor=req.amount_minor)
        else:
            uow.payouts.add_usage(id_of(contract), today, transfers_minor=req.amount_minor)
        transfer = Transfer(
            institution_id=actor.institution_id,
            contract_id=id_of(contract),
            idempotency_key=req.idempotency_key,
            request_digest=req.digest(),
            kind=req.kind,
            payer_account_id=id_of(payer),
            amount_minor=req.amount_minor,
            currency=payer.currency,
            created_at=now,
            business_date=today,
            auth_level=int(actor.level),
            posting_id=id_of(posting),
            payee_account_id=id_of(payee_account) if payee_account else None,
            payee_code=req.payee_code if bill else None,
            reference=req.reference,
        )
        uow.payouts.add_transfer(transfer)
        if evidence is not None:  # K1: a signed transfer keeps its signature in this transaction
            evidence(uow, transfer)
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event=f"payment.{req.kind.value}",
            subject=actor.label,
            details={
                "transfer": id_of(transfer),
                "amount_minor": req.amount_minor,
                "payer": payer.masked_number,
                "level": int(actor.level),
            },
        )
        uow.commit()
        return TransferResult(transfer, False, payer.balance_minor)


def credit_label(account: Account | None) -> str:
    return account.masked_number if account else ""


def reverse_transfer(deps: Deps, actor: TellerActor, transfer_id: int, reason: str) -> Transfer:
    """A completed transfer is corrected by a new posting with the sides swapped (never by
    changing the original); the day's usage is given back. Staff only, audited."""
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


# --- fees (G1-G2) -------------------------------------------------------------------------


def charge_fee(
    deps: Deps,
    uow: UnitOfWork,
    *,
    policy: Policy,
    account: Account,
    kind: FeeKind,
    now: datetime,
    reference: str,
    contract_id: int | None,
) -> tuple[int, Posting | None]:
    """Debit the fee from the account the customer chose and credit the GL sub-account of its
    kind, in the caller's transaction (the counter transaction that sells or renews)."""
    base = {
        FeeKind.UKEY_GENERATION_1: policy.fees.ukey_generation_1_minor,
        FeeKind.UKEY_GENERATION_2: policy.fees.ukey_generation_2_minor,
        FeeKind.CERTIFICATE_RENEWAL: policy.fees.certificate_renewal_minor,
    }[kind]
    amount = fee_amount(base, policy.fees.discount_percent)
    if amount == 0:
        return 0, None
    locked = uow.ledger.lock_accounts([id_of(account)])
    payer = locked[id_of(account)]
    payer.ensure_open()
    if payer.status_flags & PAYOUT_BLOCKING:
        raise RuleViolation(Code.G1_FEE_ACCOUNT_NOT_USABLE, account=payer.masked_number)
    if payer.currency != policy.currency:
        raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=payer.currency)
    if payer.balance_minor < amount:
        raise RuleViolation(Code.C2_INSUFFICIENT_FUNDS, account=payer.masked_number)
    income = gl(uow, account.institution_id, kind.gl_code)
    posting = post(
        uow,
        Posting(
            institution_id=account.institution_id,
            kind=PostingKind.FEE,
            created_at=now,
            business_date=deps.today_in(policy.timezone),
            description=f"fee {kind.value}",
            reference=reference,
            contract_id=contract_id,
        ),
        [
            Entry(Side.DEBIT, amount, payer.currency, account_id=id_of(payer)),
            Entry(Side.CREDIT, amount, payer.currency, gl_account_id=id_of(income)),
        ],
        locked,
    )
    return amount, posting


def quote_fee(deps: Deps, institution_code: str, kind: FeeKind) -> int:
    policy = deps.policies.policy_for(institution_code)
    base = {
        FeeKind.UKEY_GENERATION_1: policy.fees.ukey_generation_1_minor,
        FeeKind.UKEY_GENERATION_2: policy.fees.ukey_generation_2_minor,
        FeeKind.CERTIFICATE_RENEWAL: policy.fees.certificate_renewal_minor,
    }[kind]
    return fee_amount(base, policy.fees.discount_percent)


# --- proof -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerReport:
    postings: int
    entries: int
    unbalanced: list[UnbalancedPosting]
    short_postings: list[int]
    account_mismatches: list[BalanceMismatch]
    gl_mismatches: list[BalanceMismatch]

    @property
    def ok(self) -> bool:
        return not (self.unbalanced or self.short_postings or self.account_mismatches or self.gl_mismatches)


def verify_ledger(deps: Deps) -> LedgerReport:
    """Every posting balances per currency and has two entries or more; every stored balance,
    customer or GL, equals the sum of its entries."""
    with deps.uow(readonly=True) as uow:
        counts = uow.ledger_proof.counts()
        return LedgerReport(
            postings=counts.postings,
            entries=counts.entries,
            unbalanced=uow.ledger_proof.unbalanced_postings(),
            short_postings=uow.ledger_proof.postings_with_fewer_than_two_entries(),
            account_mismatches=uow.ledger_proof.account_balance_mismatches(),
            gl_mismatches=uow.ledger_proof.gl_balance_mismatches(),
        )
