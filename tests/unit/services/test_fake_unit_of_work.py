"""The fake unit of work behaves as the real one where the services rely on it: one short
scenario, the same assertions, run on the fake and on ``SqlUnitOfWork`` over SQLite and
PostgreSQL (the harness's databases): ids are given as the database gives them, a commit
persists, a refusal (or leaving without commit) changes nothing, also after writes in the
same unit of work, one row is one object within a unit of work, and a read-only unit of work
cannot commit. Then what only the fake does: the repositories it leaves out say so, and a
writing unit of work inside another is refused (SQLite would wait for its own lock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest

from netbank.adapters.clock import SettableClock
from netbank.bootstrap import bootstrap
from netbank.demo import cn_id
from netbank.domain.account import AccountKind
from netbank.domain.errors import Code, Conflict, RuleViolation
from netbank.domain.identity import DocumentType
from netbank.domain.institution import Branch
from netbank.services import customers, institutions
from netbank.services.customers import OpenAccount, RegisterCustomer
from netbank.services.ledger import verify_ledger
from netbank.services.ports import Deps
from tests.builders import snapshot
from tests.conftest import T0, make_settings
from tests.fakes import FakeUnitOfWorkFactory, cheap_policies, fake_deps
from tests.fakes.bank import OPERATOR

State = Callable[[], object]
CARD = "6222020000000001"


def _register(deps: Deps) -> tuple[int, int]:
    customer = customers.register_customer(
        deps,
        OPERATOR,
        RegisterCustomer(
            institution_code="edb",
            customer_number="C000001",
            name="王芳",
            birth_date=date(1990, 5, 17),
            mobile="13912345678",
            document_type=DocumentType.CN_RESIDENT_ID,
            document_number=cn_id(date(1990, 5, 17), 1),
            document_expires_on=date(2036, 1, 1),
        ),
    )
    account = customers.open_account(
        deps,
        OPERATOR,
        OpenAccount(
            institution_code="edb",
            customer_number="C000001",
            number=CARD,
            kind=AccountKind.DEBIT_MAIN_CARD,
            balance_minor=100_000,
        ),
    )
    return customer.id or 0, account.id or 0


def run_scenario(deps: Deps, state: State) -> None:
    # A commit persists; ids are given as the database gives them (on a fresh database).
    assert institutions.sync_institutions(deps, OPERATOR) == ["edb", "hana", "kb", "ksfc", "shinhan", "woori"]
    with deps.uow(readonly=True) as uow:
        assert [i.id for i in uow.institutions.list()] == [1, 2, 3, 4, 5, 6]
        assert [g.id for g in uow.ledger.gl_accounts(1)] == [1, 2, 3, 4, 5]
    assert (_register(deps)) == (1, 1)
    with deps.uow(readonly=True) as uow:
        assert uow.customers.document_of(1).customer_id == 1
        assert [a.number for a in uow.accounts.list_for_customer(1)] == [CARD]
    assert verify_ledger(deps).ok and verify_ledger(deps).postings == 1
    committed = state()

    # A refused use case changes nothing.
    taken = OpenAccount(
        institution_code="edb", customer_number="C000001", number=CARD, kind=AccountKind.DEBIT_MAIN_CARD
    )
    with pytest.raises(Conflict):
        customers.open_account(deps, OPERATOR, taken)
    assert state() == committed

    # Nor does one refused after it wrote: the branch, its id, the balance changed are undone.
    with pytest.raises(RuleViolation), deps.uow() as uow:
        uow.institutions.add_branch(branch := Branch(1, "B9", "Refused"))
        uow.flush()
        assert branch.id is not None
        account = uow.accounts.get(1, for_update=True)
        assert account is not None
        account.balance_minor = 0
        raise RuleViolation(Code.C2_ACCOUNT_CLOSED)
    assert state() == committed

    # What was committed stays; what came after the commit, without one, does not.
    with deps.uow() as uow:
        uow.institutions.add_branch(Branch(1, "B1", "Branch one"))
        uow.commit()
        uow.institutions.add_branch(Branch(1, "B2", "Branch two"))
    with deps.uow(readonly=True) as uow:
        assert [b.code for b in uow.institutions.list_branches(1)] == ["B1"]
    committed_with_b1 = state()

    # Within a unit of work one row is one object, whichever repository reads it; a rollback
    # goes back to what was committed.
    with deps.uow() as uow:
        card = uow.accounts.get_by_number(1, CARD)
        locked = uow.ledger.lock_accounts_by_number(1, [CARD])
        assert card is not None and locked == {CARD: card} and uow.ledger.lock_accounts([1]) == {1: card}
        card.balance_minor += 1
        uow.flush()
        assert uow.accounts.get(1) is card
        uow.rollback()
        again = uow.accounts.get(1)
        assert again is not None and again.balance_minor == 100_000
    assert state() == committed_with_b1

    # A read-only unit of work cannot commit; what a use case returned stays readable.
    with deps.uow(readonly=True) as uow:
        found = uow.customers.get_by_number(1, "C000001")
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()
    assert found is not None and found.name == "王芳"


def test_the_scenario_on_the_fake() -> None:
    deps = fake_deps()
    factory = cast(FakeUnitOfWorkFactory, deps.uow)
    run_scenario(deps, lambda: factory.committed.snapshot())


def test_the_scenario_on_the_database(database_url: str, tmp_path: Path) -> None:
    app = bootstrap(make_settings(database_url, tmp_path), clock=SettableClock(T0), policies=cheap_policies())
    try:
        run_scenario(app.deps, lambda: snapshot(app.engine))
    finally:
        app.close()


# --- what only the fake does ------------------------------------------------------------------


@pytest.mark.parametrize("repository", ["pki", "fincert", "fincert_devices", "statements"])
def test_the_repositories_the_fake_leaves_out_say_so(repository: str) -> None:
    with fake_deps().uow() as uow, pytest.raises(NotImplementedError, match=f"uow.{repository}.anything"):
        cast(Any, getattr(uow, repository)).anything()


def test_a_writing_unit_of_work_inside_another_is_refused_and_a_reading_one_is_not() -> None:
    deps = fake_deps()
    with deps.uow() as outer:
        with deps.uow(readonly=True) as inner:
            assert inner.institutions.list() == []
        with pytest.raises(RuntimeError, match="inside another"), deps.uow():
            pass
        outer.commit()
    with deps.uow() as again:  # the first one ended: the next one writes
        again.commit()
