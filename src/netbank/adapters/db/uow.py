"""The SQLAlchemy unit of work: one database transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from netbank.adapters.db import repositories as r
from netbank.adapters.db.fincert_device_repository import SqlFinCertDevices
from netbank.adapters.db.fincert_repository import SqlFinCert
from netbank.adapters.db.pki_repository import SqlPKI
from netbank.adapters.db.tables import map_domain
from netbank.adapters.db.writers import WriterQueue
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
    payouts: ports.PayoutRepository
    payees: ports.PayeeRepository
    statements: ports.StatementRepository
    ledger_proof: ports.LedgerProofRepository
    pki: ports.PKIRepository
    fincert: ports.FinCertRepository
    fincert_devices: ports.FinCertDeviceRepository

    def __init__(
        self,
        factory: sessionmaker,  # type: ignore[type-arg]
        *,
        readonly: bool = False,
        writers: WriterQueue | None = None,
    ) -> None:
        self._factory = factory
        self._readonly = readonly
        self._writers = None if readonly else writers
        self._holds_writers = False

    def __enter__(self) -> Self:
        if self._writers is not None:
            self._holds_writers = self._writers.acquire()
        try:
            self.session = self._factory()
            # Tell the SQLite begin hook whether to take the write lock up front.
            self.session.connection(execution_options={"netbank_readonly": self._readonly})
        except BaseException:
            self._release_writers()
            raise
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
        self.payouts = r.SqlPayouts(s)
        self.payees = r.SqlPayees(s)
        self.statements = r.SqlStatements(s)
        self.ledger_proof = r.SqlLedgerProof(s)
        self.pki = SqlPKI(s)
        self.fincert = SqlFinCert(s)
        self.fincert_devices = SqlFinCertDevices(s)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed and detaches the objects without
        # expiring them, so what a use case returns stays readable after the unit of work.
        try:
            self.session.close()
        finally:
            self._release_writers()

    def _release_writers(self) -> None:
        if self._holds_writers and self._writers is not None:
            self._holds_writers = False
            self._writers.release()

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
        # SQLite has one writer at a time: the threads of this process queue for it (see
        # writers.py) instead of polling in SQLite's busy handler.
        self._writers = WriterQueue() if engine.dialect.name == "sqlite" else None

    def __call__(self, *, readonly: bool = False) -> ports.UnitOfWork:
        return SqlUnitOfWork(self._factory, readonly=readonly, writers=self._writers)
