"""SQLAlchemy implementations of the repository ports."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Table, bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.selectable import Select

from netbank.adapters.db import tables as t
from netbank.adapters.db.tables import audit_heads
from netbank.domain.account import Account
from netbank.domain.audit import GENESIS, AuditEntry, seal_entry
from netbank.domain.counter import CounterTransaction, IdentityCheck
from netbank.domain.customer import Customer, IdentityDocument
from netbank.domain.enrolment import AccountLink, Contract, ContractStatus, LinkStatus
from netbank.domain.institution import Branch, Institution, Teller
from netbank.domain.ledger import Entry, GLAccount, Payee, Posting, Side, Transfer
from netbank.domain.limits import DailyUsage, OwnLimits
from netbank.domain.otp import Challenge, TOTPCredential
from netbank.domain.outbox import MessageStatus, OutboxMessage
from netbank.domain.session import Session
from netbank.services.ports import StatementRow


class _Repo:
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def _one(self, stmt: Any, for_update: bool) -> Any:
        if for_update:
            stmt = _locking(stmt)
        return self.s.scalars(stmt).first()


_Locked = TypeVar("_Locked", bound=Select[Any])


def _locking(stmt: _Locked) -> _Locked:
    """``SELECT … FOR UPDATE`` that also refreshes the objects it returns. Without
    ``populate_existing`` an object the session loaded before the lock keeps the values read
    then, and a balance moved by a transaction that committed in between is overwritten (a
    lost update: two transfers to one payee from two contracts, on PostgreSQL)."""
    return stmt.with_for_update().execution_options(populate_existing=True)


def _row(obj: object, table: Table) -> dict[str, Any]:
    """The column values of a mapped domain object, for a Core ``INSERT`` (its id excluded)."""
    return {c.key: getattr(obj, c.key) for c in table.columns if c.key != "id"}


_INSTITUTION_CODE = select(t.institutions.c.code).where(t.institutions.c.id == bindparam("i"))


@cache
def _session_by_digest() -> Select[Session]:
    """Built once, after the domain is mapped: every authenticated request runs it."""
    return select(Session).where(t.sessions.c.token_digest == bindparam("d"))


class SqlInstitutions(_Repo):
    def add(self, institution: Institution) -> None:
        self.s.add(institution)

    def get(self, institution_id: int) -> Institution | None:
        return self.s.get(Institution, institution_id)

    def get_by_code(self, code: str) -> Institution | None:
        return self._one(select(Institution).filter_by(code=code), False)  # type: ignore[no-any-return]

    def code_of(self, institution_id: int) -> str | None:
        """The code alone (every authenticated request asks it): no entity loaded."""
        return self.s.execute(_INSTITUTION_CODE, {"i": institution_id}).scalar_one_or_none()

    def list(self) -> list[Institution]:
        return list(self.s.scalars(select(Institution).order_by(t.institutions.c.id)))

    def add_branch(self, branch: Branch) -> None:
        self.s.add(branch)

    def get_branch(self, branch_id: int) -> Branch | None:
        return self.s.get(Branch, branch_id)

    def get_branch_by_code(self, institution_id: int, code: str) -> Branch | None:
        return self._one(select(Branch).filter_by(institution_id=institution_id, code=code), False)  # type: ignore[no-any-return]

    def list_branches(self, institution_id: int) -> builtins.list[Branch]:
        stmt = select(Branch).filter_by(institution_id=institution_id).order_by(t.branches.c.code)
        return list(self.s.scalars(stmt))


class SqlTellers(_Repo):
    def add(self, teller: Teller) -> None:
        self.s.add(teller)

    def get(self, teller_id: int) -> Teller | None:
        return self.s.get(Teller, teller_id)

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Teller | None:
        stmt = select(Teller).filter_by(institution_id=institution_id, teller_number=number)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]


class SqlCustomers(_Repo):
    def add(self, customer: Customer, document: IdentityDocument) -> None:
        self.s.add(customer)
        self.s.flush()
        document.customer_id = customer.id
        self.s.add(document)

    def get(self, customer_id: int, *, for_update: bool = False) -> Customer | None:
        return self._one(select(Customer).filter_by(id=customer_id), for_update)  # type: ignore[no-any-return]

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Customer | None:
        stmt = select(Customer).filter_by(institution_id=institution_id, customer_number=number)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]

    def document_of(self, customer_id: int) -> IdentityDocument:
        return self.s.scalars(select(IdentityDocument).filter_by(customer_id=customer_id)).one()

    def find_by_document(self, institution_id: int, digest: str) -> list[Customer]:
        stmt = (
            select(Customer)
            .join(t.identity_documents, t.identity_documents.c.customer_id == t.customers.c.id)
            .where(t.customers.c.institution_id == institution_id)
            .where(t.identity_documents.c.number_digest == digest)
        )
        return list(self.s.scalars(stmt))

    def search(self, institution_id: int, *, name: str | None, limit: int) -> list[Customer]:
        stmt = select(Customer).where(t.customers.c.institution_id == institution_id)
        if name:
            stmt = stmt.where(t.customers.c.name.contains(name, autoescape=True))
        return list(self.s.scalars(stmt.order_by(t.customers.c.customer_number).limit(limit)))


class SqlAccounts(_Repo):
    def add(self, account: Account) -> None:
        self.s.add(account)

    def get(self, account_id: int, *, for_update: bool = False) -> Account | None:
        if not for_update:
            return self.s.get(Account, account_id)
        return self._one(select(Account).filter_by(id=account_id), for_update)  # type: ignore[no-any-return]

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Account | None:
        stmt = select(Account).filter_by(institution_id=institution_id, number=number)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]

    def list_for_customer(self, customer_id: int) -> list[Account]:
        stmt = select(Account).filter_by(customer_id=customer_id).order_by(t.accounts.c.id)
        return list(self.s.scalars(stmt))

    def has_real_name_account(self, customer_id: int) -> bool:
        stmt = (
            select(t.accounts.c.id)
            .where(
                t.accounts.c.customer_id == customer_id,
                t.accounts.c.real_name.is_(True),
                t.accounts.c.status == "open",
            )
            .limit(1)
        )
        return self.s.execute(stmt).first() is not None


class SqlContracts(_Repo):
    def add(self, contract: Contract) -> None:
        self.s.add(contract)
        self.s.flush()

    def get(self, contract_id: int, *, for_update: bool = False) -> Contract | None:
        if not for_update:
            return self.s.get(Contract, contract_id)
        return self._one(select(Contract).filter_by(id=contract_id), for_update)  # type: ignore[no-any-return]

    def active_for_customer(self, customer_id: int, *, for_update: bool = False) -> Contract | None:
        stmt = select(Contract).filter_by(customer_id=customer_id, status=ContractStatus.ACTIVE)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]

    def active_with_registration_account(self, account_id: int) -> Contract | None:
        stmt = select(Contract).filter_by(registration_account_id=account_id, status=ContractStatus.ACTIVE)
        return self._one(stmt, False)  # type: ignore[no-any-return]

    def add_link(self, link: AccountLink) -> None:
        self.s.add(link)
        self.s.flush()

    def links_of(self, contract_id: int, *, active_only: bool = True) -> list[AccountLink]:
        stmt = select(AccountLink).filter_by(contract_id=contract_id)
        if active_only:
            stmt = stmt.filter_by(status=LinkStatus.ACTIVE)
        return list(self.s.scalars(stmt.order_by(t.account_links.c.id)))

    def link_of(self, contract_id: int, account_id: int) -> AccountLink | None:
        stmt = select(AccountLink).filter_by(
            contract_id=contract_id, account_id=account_id, status=LinkStatus.ACTIVE
        )
        return self._one(stmt, False)  # type: ignore[no-any-return]

    def active_links_of_account(self, account_id: int) -> list[AccountLink]:
        stmt = select(AccountLink).filter_by(account_id=account_id, status=LinkStatus.ACTIVE)
        return list(self.s.scalars(stmt))


class SqlSessions(_Repo):
    def add(self, session: Session) -> None:
        self.s.add(session)
        self.s.flush()

    def get(self, session_id: int) -> Session | None:
        return self.s.get(Session, session_id)

    def get_by_digest(self, digest: str) -> Session | None:
        return self.s.scalars(_session_by_digest(), {"d": digest}).one_or_none()

    def list_live_for(
        self, *, contract_id: int | None, teller_id: int | None, now: datetime
    ) -> list[Session]:
        stmt = select(Session).where(t.sessions.c.revoked_at.is_(None), t.sessions.c.expires_at > now)
        if contract_id is not None:
            stmt = stmt.where(t.sessions.c.contract_id == contract_id)
        if teller_id is not None:
            stmt = stmt.where(t.sessions.c.teller_id == teller_id)
        return list(self.s.scalars(stmt.order_by(t.sessions.c.id)))


class SqlCounter(_Repo):
    def add_identity_check(self, check: IdentityCheck) -> None:
        self.s.add(check)
        self.s.flush()

    def get_identity_check(self, check_id: int) -> IdentityCheck | None:
        return self.s.get(IdentityCheck, check_id)

    def add_transaction(self, txn: CounterTransaction) -> None:
        self.s.add(txn)
        self.s.flush()

    def transactions_for_customer(self, customer_id: int) -> list[CounterTransaction]:
        stmt = (
            select(CounterTransaction)
            .filter_by(customer_id=customer_id)
            .order_by(t.counter_transactions.c.id)
        )
        return list(self.s.scalars(stmt))

    def get_transaction(self, transaction_id: int) -> CounterTransaction | None:
        return self.s.get(CounterTransaction, transaction_id)


_NEXT_AUDIT_SEQ = (
    update(audit_heads)
    .where(audit_heads.c.chain == bindparam("head"))
    .values(last_seq=audit_heads.c.last_seq + 1)
    .returning(audit_heads.c.last_seq, audit_heads.c.last_hash)
)
_INSERT_AUDIT_ENTRY = insert(t.audit_entries).returning(t.audit_entries.c.id)
_SET_AUDIT_HASH = (
    update(audit_heads)
    .where(audit_heads.c.chain == bindparam("head"))
    .values(last_hash=bindparam("new_hash"))
)


class SqlAudit(_Repo):
    def append(
        self, *, chain: str, at: datetime, actor: str, event: str, subject: str, details: Mapping[str, Any]
    ) -> AuditEntry:
        """Append to ``chain`` under the row lock of its head, so concurrent appends to one
        chain are serialised and the chain never forks."""
        # Take the next sequence number under the head's row lock (one statement); create the
        # head the first time (concurrent first appends do not collide). The entry and the head
        # are written with Core: the log is append-only and nothing reads the entry back here.
        conn = self.s.connection()
        head = conn.execute(_NEXT_AUDIT_SEQ, {"head": chain}).first()
        if head is None:
            conn.execute(
                _upsert_insert(self.s, audit_heads)
                .values(chain=chain, last_seq=0, last_hash=GENESIS)
                .on_conflict_do_nothing(index_elements=[audit_heads.c.chain])
            )
            head = conn.execute(_NEXT_AUDIT_SEQ, {"head": chain}).one()
        entry = seal_entry(
            AuditEntry(
                chain=chain,
                chain_seq=head.last_seq,
                at=at,
                actor=actor,
                event=event,
                subject=subject,
                details=dict(details),
                prev_hash=head.last_hash,
            )
        )
        entry.id = conn.execute(_INSERT_AUDIT_ENTRY, _row(entry, t.audit_entries)).scalar_one()
        conn.execute(_SET_AUDIT_HASH, {"head": chain, "new_hash": entry.hash})
        return entry

    def entries(self, chain: str) -> Iterator[AuditEntry]:
        stmt = select(AuditEntry).filter_by(chain=chain).order_by(t.audit_entries.c.chain_seq)
        yield from self.s.scalars(stmt.execution_options(yield_per=500))

    def heads(self) -> dict[str, tuple[int, str]]:
        rows = self.s.execute(select(audit_heads.c.chain, audit_heads.c.last_seq, audit_heads.c.last_hash))
        return {chain: (int(seq), h) for chain, seq, h in rows}

    def recent(self, chain: str, limit: int) -> list[AuditEntry]:
        stmt = (
            select(AuditEntry)
            .filter_by(chain=chain)
            .order_by(t.audit_entries.c.chain_seq.desc())
            .limit(limit)
        )
        return list(self.s.scalars(stmt))

    def page(self, chain: str, *, before_seq: int | None, limit: int) -> list[AuditEntry]:
        stmt = select(AuditEntry).filter_by(chain=chain)
        if before_seq is not None:
            stmt = stmt.where(t.audit_entries.c.chain_seq < before_seq)
        stmt = stmt.order_by(t.audit_entries.c.chain_seq.desc()).limit(limit)
        return list(self.s.scalars(stmt))


class SqlOTP(_Repo):
    def add_credential(self, credential: TOTPCredential) -> None:
        self.s.add(credential)
        self.s.flush()

    def active_credential(self, contract_id: int, *, for_update: bool = False) -> TOTPCredential | None:
        stmt = select(TOTPCredential).filter_by(contract_id=contract_id, active=True)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]

    def add_challenge(self, challenge: Challenge) -> None:
        self.s.add(challenge)
        self.s.flush()

    def challenge(self, challenge_id: int, *, for_update: bool = False) -> Challenge | None:
        return self._one(select(Challenge).filter_by(id=challenge_id), for_update)  # type: ignore[no-any-return]


class SqlOutbox(_Repo):
    def add(self, message: OutboxMessage) -> None:
        self.s.add(message)
        self.s.flush()

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Messages ready to send, locked; other dispatchers skip them (PostgreSQL
        ``SKIP LOCKED``; SQLite serialises writers anyway)."""
        c = t.outbox_messages.c
        stmt = (
            select(OutboxMessage)
            .where(c.status == MessageStatus.PENDING.value, c.next_attempt_at <= now)
            .where(or_(c.leased_until.is_(None), c.leased_until <= now))
            .order_by(c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.s.scalars(stmt))

    def get(self, message_id: int, *, for_update: bool = False) -> OutboxMessage | None:
        return self._one(select(OutboxMessage).filter_by(id=message_id), for_update)  # type: ignore[no-any-return]

    def recent(self, limit: int) -> list[OutboxMessage]:
        stmt = select(OutboxMessage).order_by(t.outbox_messages.c.id.desc()).limit(limit)
        return list(self.s.scalars(stmt))


def _upsert_insert(session: OrmSession, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` for the dialect in use (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


class SqlRateLimits(_Repo):
    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        """Count one attempt in the fixed window containing ``now``; returns the count. One
        atomic upsert, so concurrent hits from several processes never collide."""
        table = t.rate_limit_buckets
        window = datetime.fromtimestamp(now.timestamp() // window_seconds * window_seconds, tz=now.tzinfo)
        stmt = _upsert_insert(self.s, table).values(key=key, window_start=window, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((table.c.window_start == window, table.c.count + 1), else_=1),
                "window_start": window,
            },
        ).returning(table.c.count)
        return int(self.s.execute(stmt).scalar_one())


_INSERT_POSTING = insert(t.postings).returning(t.postings.c.id)
_INSERT_TRANSFER = insert(t.transfers).returning(t.transfers.c.id)
_ADD_USAGE = (
    update(t.daily_usage)
    .where(t.daily_usage.c.contract_id == bindparam("c"), t.daily_usage.c.business_date == bindparam("d"))
    .values(
        transfers_minor=t.daily_usage.c.transfers_minor + bindparam("transfers"),
        bill_payments_minor=t.daily_usage.c.bill_payments_minor + bindparam("bills"),
    )
)


class _PayoutStatements(NamedTuple):
    lock_by_number: Select[Account]
    terms: Select[AccountLink, OwnLimits]
    transfer_by_key: Select[Transfer]


@cache
def _payout_statements() -> _PayoutStatements:
    """The reads of every payout, built once (after the domain is mapped) with bound
    parameters: building a statement costs more than SQLite takes to run it."""
    accounts, links, own = t.accounts.c, t.account_links.c, t.own_limits.c
    return _PayoutStatements(
        lock_by_number=_locking(
            select(Account)
            .where(
                accounts.institution_id == bindparam("i"), accounts.number.in_(bindparam("n", expanding=True))
            )
            .order_by(accounts.id)
        ),
        terms=select(AccountLink, OwnLimits)
        .outerjoin(t.own_limits, own.contract_id == links.contract_id)
        .where(
            links.contract_id == bindparam("c"),
            links.account_id == bindparam("a"),
            links.status == LinkStatus.ACTIVE,
        ),
        transfer_by_key=select(Transfer).where(
            t.transfers.c.contract_id == bindparam("c"), t.transfers.c.idempotency_key == bindparam("k")
        ),
    )


@cache
def _lock_usage(dialect: str) -> Any:
    """Create a contract's day-usage row or touch it, locking it, and return it (L4)."""
    table = t.daily_usage
    return (
        (pg_insert(table) if dialect == "postgresql" else sqlite_insert(table))
        .values(
            contract_id=bindparam("c"), business_date=bindparam("d"), transfers_minor=0, bill_payments_minor=0
        )
        .on_conflict_do_update(
            index_elements=[table.c.contract_id, table.c.business_date],
            set_={"transfers_minor": table.c.transfers_minor},
        )
        .returning(table.c.transfers_minor, table.c.bill_payments_minor)
    )


class SqlLedger(_Repo):
    # --- chart of accounts
    def add_gl_account(self, account: GLAccount) -> None:
        self.s.add(account)
        self.s.flush()

    def gl_account(self, institution_id: int, code: str, *, for_update: bool = False) -> GLAccount | None:
        return self._one(select(GLAccount).filter_by(institution_id=institution_id, code=code), for_update)  # type: ignore[no-any-return]

    def gl_accounts(self, institution_id: int) -> list[GLAccount]:
        stmt = select(GLAccount).filter_by(institution_id=institution_id).order_by(t.gl_accounts.c.code)
        return list(self.s.scalars(stmt))

    def lock_gl(self, gl_account_id: int) -> GLAccount:
        return self.s.scalars(_locking(select(GLAccount).filter_by(id=gl_account_id))).one()

    # --- postings
    def add_posting(self, posting: Posting, entries: list[Entry]) -> None:
        """Write a posting and its entries with Core (postings are immutable: nothing in the
        unit of work tracks them after this)."""
        conn = self.s.connection()
        posting.id = conn.execute(_INSERT_POSTING, _row(posting, t.postings)).scalar_one()
        for entry in entries:
            entry.posting_id = posting.id
        conn.execute(insert(t.entries), [_row(entry, t.entries) for entry in entries])

    def posting(self, posting_id: int) -> Posting | None:
        return self.s.get(Posting, posting_id)

    def entries_of(self, posting_id: int) -> list[Entry]:
        stmt = select(Entry).filter_by(posting_id=posting_id).order_by(t.entries.c.id)
        return list(self.s.scalars(stmt))

    def is_reversed(self, posting_id: int) -> bool:
        return (
            self.s.execute(select(t.postings.c.id).where(t.postings.c.reverses_id == posting_id)).first()
            is not None
        )

    def lock_accounts_by_number(self, institution_id: int, numbers: list[str]) -> dict[str, Account]:
        """Lock the institution's accounts with these numbers in id order, in one statement
        (the same order as ``lock_accounts``: no deadlocks); numbers not found are absent."""
        found = self.s.scalars(
            _payout_statements().lock_by_number, {"i": institution_id, "n": sorted(set(numbers))}
        )
        return {a.number: a for a in found}

    def payout_terms(self, contract_id: int, account_id: int) -> tuple[AccountLink | None, OwnLimits | None]:
        """The active link of an account under a contract, with the contract's own limits (L1),
        read together for a payout."""
        row = self.s.execute(_payout_statements().terms, {"c": contract_id, "a": account_id}).first()
        return (row[0], row[1]) if row is not None else (None, None)

    def lock_accounts(self, account_ids: list[int]) -> dict[int, Account]:
        """Lock customer accounts in id order (one order everywhere: no deadlocks)."""
        stmt = select(Account).where(t.accounts.c.id.in_(sorted(set(account_ids)))).order_by(t.accounts.c.id)
        return {a.id: a for a in self.s.scalars(_locking(stmt))}  # type: ignore[misc]

    # --- transfers, usage, limits, payees
    def add_transfer(self, transfer: Transfer) -> None:
        transfer.id = self.s.connection().execute(_INSERT_TRANSFER, _row(transfer, t.transfers)).scalar_one()

    def transfer_by_key(self, contract_id: int, key: str) -> Transfer | None:
        return self.s.scalars(_payout_statements().transfer_by_key, {"c": contract_id, "k": key}).first()

    def transfer(self, transfer_id: int, *, for_update: bool = False) -> Transfer | None:
        return self._one(select(Transfer).filter_by(id=transfer_id), for_update)  # type: ignore[no-any-return]

    def usage(self, contract_id: int, business_date: date) -> DailyUsage:
        """The day's usage of a contract, its row created if needed and locked in the same
        statement (an upsert that touches the row): every payout of a contract on a day is
        serialised on it (L4). The result is a snapshot; record a payout with ``add_usage``."""
        stmt = _lock_usage(self.s.get_bind().dialect.name)
        transfers, bills = self.s.connection().execute(stmt, {"c": contract_id, "d": business_date}).one()
        return DailyUsage(
            contract_id=contract_id,
            business_date=business_date,
            transfers_minor=transfers,
            bill_payments_minor=bills,
        )

    def add_usage(
        self, contract_id: int, business_date: date, *, transfers_minor: int = 0, bill_payments_minor: int = 0
    ) -> None:
        """Add (or, for a reversal, give back) to the day's usage locked by ``usage``."""
        self.s.connection().execute(
            _ADD_USAGE,
            {
                "c": contract_id,
                "d": business_date,
                "transfers": transfers_minor,
                "bills": bill_payments_minor,
            },
        )

    def peek_usage(self, contract_id: int, business_date: date) -> DailyUsage:
        found = self._one(
            select(DailyUsage).filter_by(contract_id=contract_id, business_date=business_date), False
        )
        return found or DailyUsage(contract_id=contract_id, business_date=business_date)

    def own_limits(self, contract_id: int) -> OwnLimits | None:
        return self.s.get(OwnLimits, contract_id)

    def set_own_limits(self, limits: OwnLimits) -> None:
        self.s.merge(limits)

    def add_payee(self, payee: Payee) -> None:
        self.s.add(payee)
        self.s.flush()

    def payee(self, institution_id: int, code: str) -> Payee | None:
        return self._one(select(Payee).filter_by(institution_id=institution_id, code=code), False)  # type: ignore[no-any-return]

    def payees(self, institution_id: int) -> list[Payee]:
        return list(
            self.s.scalars(select(Payee).filter_by(institution_id=institution_id).order_by(t.payees.c.code))
        )

    # --- reading
    def statement(
        self,
        account_ids: list[int],
        *,
        from_date: date | None,
        to_date: date | None,
        kinds: list[str] | None,
        before_entry_id: int | None,
        limit: int,
    ) -> list[StatementRow]:
        """Entries of the given accounts, newest first, keyset-paginated by entry id."""
        e, p, a = t.entries.c, t.postings.c, t.accounts.c
        stmt = (
            select(Entry, Posting, a.number)
            .join(t.postings, p.id == e.posting_id)
            .join(t.accounts, a.id == e.account_id)
            .where(e.account_id.in_(account_ids))
        )
        if from_date is not None:
            stmt = stmt.where(p.business_date >= from_date)
        if to_date is not None:
            stmt = stmt.where(p.business_date <= to_date)
        if kinds:
            stmt = stmt.where(p.kind.in_(kinds))
        if before_entry_id is not None:
            stmt = stmt.where(e.id < before_entry_id)
        rows = self.s.execute(stmt.order_by(e.id.desc()).limit(limit))
        return [StatementRow(entry, posting, number) for entry, posting, number in rows]

    def counterparts(self, posting_ids: list[int]) -> dict[int, list[tuple[int, str, int | None]]]:
        """posting id -> (entry id, account number or GL name, owner customer id or None for
        a GL account) of every entry of those postings."""
        if not posting_ids:
            return {}
        e, a, g = t.entries.c, t.accounts.c, t.gl_accounts.c
        stmt = (
            select(e.posting_id, e.id, a.number, a.customer_id, g.name)
            .outerjoin(t.accounts, a.id == e.account_id)
            .outerjoin(t.gl_accounts, g.id == e.gl_account_id)
            .where(e.posting_id.in_(posting_ids))
            .order_by(e.id)
        )
        found: dict[int, list[tuple[int, str, int | None]]] = {}
        for posting_id, entry_id, number, customer_id, gl_name in self.s.execute(stmt):
            found.setdefault(posting_id, []).append((entry_id, number or gl_name, customer_id))
        return found

    def unbalanced_postings(self) -> list[tuple[int, str, int]]:
        e = t.entries.c
        signed = case((e.side == Side.DEBIT.value, e.amount_minor), else_=-e.amount_minor)
        stmt = (
            select(e.posting_id, e.currency, func.sum(signed))
            .group_by(e.posting_id, e.currency)
            .having(func.sum(signed) != 0)
        )
        return [(int(pid), cur, int(total)) for pid, cur, total in self.s.execute(stmt)]

    def postings_with_fewer_than_two_entries(self) -> list[int]:
        p, e = t.postings.c, t.entries.c
        stmt = (
            select(p.id)
            .select_from(t.postings.outerjoin(t.entries, e.posting_id == p.id))
            .group_by(p.id)
            .having(func.count(e.id) < 2)
        )
        return [int(x) for x in self.s.scalars(stmt)]

    def account_balance_mismatches(self) -> list[tuple[str, int, int]]:
        """(number, stored, from entries) for customer accounts whose stored balance differs
        from the sum of their entries (credits minus debits)."""
        a, e = t.accounts.c, t.entries.c
        signed = case((e.side == Side.CREDIT.value, e.amount_minor), else_=-e.amount_minor)
        sums = (
            select(e.account_id.label("aid"), func.sum(signed).label("total"))
            .where(e.account_id.is_not(None))
            .group_by(e.account_id)
            .subquery()
        )
        stmt = (
            select(a.number, a.balance_minor, func.coalesce(sums.c.total, 0))
            .select_from(t.accounts.outerjoin(sums, sums.c.aid == a.id))
            .where(a.balance_minor != func.coalesce(sums.c.total, 0))
        )
        return [(n, int(b), int(s)) for n, b, s in self.s.execute(stmt)]

    def gl_balance_mismatches(self) -> list[tuple[str, int, int]]:
        g, e = t.gl_accounts.c, t.entries.c
        debit_normal = g.kind.in_(["asset", "expense"])
        credit_signed = case((e.side == Side.CREDIT.value, e.amount_minor), else_=-e.amount_minor)
        sums = (
            select(e.gl_account_id.label("gid"), func.sum(credit_signed).label("total"))
            .where(e.gl_account_id.is_not(None))
            .group_by(e.gl_account_id)
            .subquery()
        )
        total = func.coalesce(sums.c.total, 0)
        expected = case((debit_normal, -total), else_=total)
        stmt = (
            select(g.code, g.balance_minor, expected)
            .select_from(t.gl_accounts.outerjoin(sums, sums.c.gid == g.id))
            .where(g.balance_minor != expected)
        )
        return [(c, int(b), int(x)) for c, b, x in self.s.execute(stmt)]

    def counts(self) -> tuple[int, int]:
        return (
            int(self.s.scalar(select(func.count()).select_from(t.postings)) or 0),
            int(self.s.scalar(select(func.count()).select_from(t.entries)) or 0),
        )
