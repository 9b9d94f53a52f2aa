"""Identity checks and counter transactions."""

from __future__ import annotations

from sqlalchemy import select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository
from netbank.domain.counter import CounterTransaction, IdentityCheck


class SqlCounter(SqlRepository):
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
