"""Statements: a customer's transaction history and the teller's view of an account's
postings, read from the ledger's entries (each carries the balance after it, so a page costs
the same however long the history is).

Pages are keyset-paginated on the entry id, newest first: ``cursor`` is the id of the last
line of the previous page. A customer signed in with a card or passbook (E1) sees only that
account; an enrolled customer sees every account they hold here. Another customer's account
appears only masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from netbank.domain.account import Account, mask_account_number
from netbank.domain.errors import Code, NotFound, RuleViolation
from netbank.domain.ledger import PostingKind, Side
from netbank.services.common import CustomerActor, TellerActor, id_of
from netbank.services.ports import Deps, StatementRow, UnitOfWork

MAX_PAGE = 200


@dataclass(frozen=True)
class StatementFilter:
    account_number: str | None = None
    from_date: date | None = None
    to_date: date | None = None
    kinds: tuple[PostingKind, ...] = ()

    def ensure_valid(self) -> None:
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise RuleViolation(Code.STATEMENT_DATES_REVERSED)


@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    posting_id: int
    account_number: str
    kind: PostingKind
    created_at: datetime
    business_date: date
    description: str
    reference: str
    #: signed: money in is positive, money out negative
    amount_minor: int
    currency: str
    balance_after_minor: int
    counterparty: str


@dataclass(frozen=True)
class StatementPage:
    lines: list[StatementLine]
    next_cursor: int | None


def _page(
    uow: UnitOfWork,
    accounts: list[Account],
    viewer_customer_id: int | None,
    filt: StatementFilter,
    cursor: int | None,
    limit: int,
) -> StatementPage:
    filt.ensure_valid()
    limit = max(1, min(limit, MAX_PAGE))
    if filt.account_number is not None:
        accounts = [a for a in accounts if a.number == filt.account_number]
        if not accounts:
            raise NotFound(Code.ACCOUNT_NOT_FOUND)
    if not accounts:
        return StatementPage([], None)
    rows = uow.statements.page(
        [id_of(a) for a in accounts],
        from_date=filt.from_date,
        to_date=filt.to_date,
        kinds=[k.value for k in filt.kinds] or None,
        before_entry_id=cursor,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    others = uow.statements.counterparts([id_of(r.posting) for r in rows])
    lines = [_line(r, others.get(id_of(r.posting), []), viewer_customer_id) for r in rows]
    return StatementPage(lines, lines[-1].entry_id if more and lines else None)


def _line(row: StatementRow, others: list[tuple[int, str, int | None]], viewer: int | None) -> StatementLine:
    """``others``: (entry id, account number or GL name, owner customer id or None for a GL
    account) of every entry of the posting; the counterparty is every entry but this one,
    another customer's account masked."""
    names = [
        label if owner is None or owner == viewer else mask_account_number(label)
        for entry_id, label, owner in others
        if entry_id != row.entry.id
    ]
    amount = row.entry.amount_minor if row.entry.side is Side.CREDIT else -row.entry.amount_minor
    return StatementLine(
        entry_id=id_of(row.entry),
        posting_id=id_of(row.posting),
        account_number=row.account_number,
        kind=row.posting.kind,
        created_at=row.posting.created_at,
        business_date=row.posting.business_date,
        description=row.posting.description,
        reference=row.posting.reference,
        amount_minor=amount,
        currency=row.entry.currency,
        balance_after_minor=row.entry.balance_after_minor,
        counterparty=", ".join(names),
    )


def customer_statement(
    deps: Deps, actor: CustomerActor, filt: StatementFilter, *, cursor: int | None = None, limit: int = 50
) -> StatementPage:
    """The signed-in customer's history (E1: a card/passbook login sees its own account only)."""
    with deps.uow(readonly=True) as uow:
        if actor.account_id is not None and actor.contract_id is None:
            account = uow.accounts.get(actor.account_id)
            accounts = [account] if account is not None else []
        else:
            accounts = uow.accounts.list_for_customer(actor.customer_id)
        accounts = [a for a in accounts if a.institution_id == actor.institution_id]
        return _page(uow, accounts, actor.customer_id, filt, cursor, limit)


def account_postings(
    deps: Deps,
    actor: TellerActor,
    account_number: str,
    filt: StatementFilter,
    *,
    cursor: int | None = None,
    limit: int = 50,
) -> StatementPage:
    """The teller's view of one account of their own institution; the account's owner is the
    viewer, so other customers' accounts stay masked here too."""
    with deps.uow(readonly=True) as uow:
        account = uow.accounts.get_by_number(actor.institution_id, account_number)
        if account is None:
            raise NotFound(Code.ACCOUNT_NOT_FOUND)
        return _page(
            uow,
            [account],
            account.customer_id,
            StatementFilter(None, filt.from_date, filt.to_date, filt.kinds),
            cursor,
            limit,
        )
