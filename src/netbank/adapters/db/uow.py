"""The SQLAlchemy unit of work: one database transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from netbank.adapters.db import repositories as r
from netbank.adapters.db.tables import map_domain
from netbank.services import ports


class SqlUnitOfWork:
    institutions: ports.InstitutionRepository
    tellers: ports.TellerRepository
    customers: ports.CustomerRepository
    accounts: ports.AccountRepository
    contracts: ports.ContractRepository
    sessions: ports.SessionRepository
    counter: ports.CounterRepository
    audit: ports.AuditRepository
    otp: ports.OTPRepository
    outbox: ports.OutboxRepository
    rate_limits: ports.RateLimitRepository
    ledger: ports.LedgerRepository

    def __init__(self, factory: sessionmaker, *, readonly: bool = False) -> None:  # type: ignore[type-arg]
        self._factory = factory
        self._readonly = readonly

    def __enter__(self) -> Self:
        self.session = self._factory()
        # Tell the SQLite begin hook whether to take the write lock up front.
        self.session.connection(execution_options={"netbank_readonly": self._readonly})
        s = self.session
        self.institutions = r.SqlInstitutions(s)
        self.tellers = r.SqlTellers(s)
        self.customers = r.SqlCustomers(s)
        self.accounts = r.SqlAccounts(s)
        self.contracts = r.SqlContracts(s)
        self.sessions = r.SqlSessions(s)
        self.counter = r.SqlCounter(s)
        self.audit = r.SqlAudit(s)
        self.otp = r.SqlOTP(s)
        self.outbox = r.SqlOutbox(s)
        self.rate_limits = r.SqlRateLimits(s)
        self.ledger = r.SqlLedger(s)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed and detaches the objects without
        # expiring them, so what a use case returns stays readable after the unit of work.
        self.session.close()

    def commit(self) -> None:
        if self._readonly:
            raise RuntimeError("commit in a read-only unit of work")
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        map_domain()
        self.engine = engine
        self._factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)

    def __call__(self, *, readonly: bool = False) -> ports.UnitOfWork:
        return SqlUnitOfWork(self._factory, readonly=readonly)
