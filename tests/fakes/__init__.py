"""Fakes for the service layer (STYLE.md, cosmicpython's ``FakeUnitOfWork``): a unit of work
over an in-memory store, ``Deps`` with the real adapters that need no I/O, and builders that
put a bank into the store, so that a rule in a service gets a unit test that runs in
milliseconds without a database. The integration tests prove the SQL adapters.

- ``store.py``: the in-memory tables and the copies a unit of work takes and commits;
- ``parties.py``, ``records.py``, ``ledger.py``: the repositories of ``services.ports``;
- ``uow.py``: ``FakeUnitOfWork`` and its factory (and what they do not model);
- ``deps.py``: ``fake_deps()``;
- ``bank.py``: ``FakeBank``, the builders.
"""

from __future__ import annotations

from tests.fakes.bank import Enrolled, FakeBank, Holder
from tests.fakes.deps import cheap_policies, fake_deps
from tests.fakes.store import FakeStore, Snapshot
from tests.fakes.uow import FakeUnitOfWork, FakeUnitOfWorkFactory

__all__ = [
    "Enrolled",
    "FakeBank",
    "FakeStore",
    "FakeUnitOfWork",
    "FakeUnitOfWorkFactory",
    "Holder",
    "Snapshot",
    "cheap_policies",
    "fake_deps",
]
