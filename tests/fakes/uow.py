"""The fake unit of work (cosmicpython's ``FakeUnitOfWork``): the repositories of
``services.ports`` over an in-memory store, with the real unit of work's transaction rules.

- ``__enter__`` takes a copy of the committed store; every repository reads and writes it.
- ``commit()`` hands a copy of it back as the committed store; leaving without commit (a
  refusal, an exception) drops it, so a refused use case changes nothing.
- ``rollback()`` goes back to what was committed; ``flush()`` does nothing (ids are given on
  ``add``, where the database gives them on the flush that follows).
- a read-only unit of work refuses to commit, as ``SqlUnitOfWork`` does.
- one writing unit of work at a time: a second one opened inside the first is refused, since
  on SQLite it would wait for the first's write lock (``BEGIN IMMEDIATE``) and time out.

Not modelled: locks (``for_update=`` is accepted and ignored), the database's constraints
(unique keys, CHECKs, foreign keys, E3's partial unique index), JSON round trips, and the
repositories of K1 and F (``pki``, ``fincert``, ``fincert_devices``) and of statements, which
refuse any use with an error naming them."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, cast

from netbank.services import ports
from tests.fakes import ledger, parties, records
from tests.fakes.store import FakeStore


class NotModelled:
    """A repository the fake leaves out: any use says so (the integration tests cover it)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise NotImplementedError(f"the fake unit of work does not model uow.{self._name}.{attribute}")


class FakeUnitOfWork(ports.UnitOfWork):
    """The repositories' attributes are the protocol's (``ports.UnitOfWork``), set on enter."""

    def __init__(self, factory: FakeUnitOfWorkFactory, *, readonly: bool = False) -> None:
        self._factory = factory
        self._readonly = readonly
        self._work = FakeStore()

    def __enter__(self) -> Self:
        if not self._readonly:
            self._factory.begin_writing()
        self._work = self._factory.committed.copy()
        w = self._work
        self.institutions = parties.FakeInstitutions(w)
        self.tellers = parties.FakeTellers(w)
        self.customers = parties.FakeCustomers(w)
        self.accounts = parties.FakeAccounts(w)
        self.contracts = parties.FakeContracts(w)
        self.sessions = records.FakeSessions(w)
        self.counter = records.FakeCounter(w)
        self.audit = records.FakeAudit(w)
        self.otp = records.FakeOTP(w)
        self.outbox = records.FakeOutbox(w)
        self.rate_limits = records.FakeRateLimits(w)
        self.ledger = ledger.FakeLedger(w)
        self.payouts = ledger.FakePayouts(w)
        self.payees = ledger.FakePayees(w)
        self.ledger_proof = ledger.FakeLedgerProof(w)
        self.statements = cast(ports.StatementRepository, NotModelled("statements"))
        self.pki = cast(ports.PKIRepository, NotModelled("pki"))
        self.fincert = cast(ports.FinCertRepository, NotModelled("fincert"))
        self.fincert_devices = cast(ports.FinCertDeviceRepository, NotModelled("fincert_devices"))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # What was not committed is dropped with the working copy; the objects the use case
        # read stay readable (detached, as after ``Session.close()``).
        if not self._readonly:
            self._factory.end_writing()

    def commit(self) -> None:
        if self._readonly:
            raise RuntimeError("commit in a read-only unit of work")
        self._factory.committed = self._work.copy()
        self._factory.commits += 1

    def rollback(self) -> None:
        self._work.restore(self._factory.committed)

    def flush(self) -> None:
        """Ids are given on ``add``; nothing is pending."""


class FakeUnitOfWorkFactory:
    """``Deps.uow``: the committed store, and how many commits it took."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.committed = store or FakeStore()
        self.commits = 0
        self._writing = False

    def __call__(self, *, readonly: bool = False) -> ports.UnitOfWork:
        return FakeUnitOfWork(self, readonly=readonly)

    def begin_writing(self) -> None:
        if self._writing:
            raise RuntimeError(
                "a writing unit of work opened inside another: on SQLite it waits for the first's "
                "write lock until the busy timeout"
            )
        self._writing = True

    def end_writing(self) -> None:
        self._writing = False
