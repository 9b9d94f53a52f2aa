"""G: the billers of an institution."""

from __future__ import annotations

import builtins

from sqlalchemy import select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository
from netbank.domain.ledger import Payee


class SqlPayees(SqlRepository):
    def add(self, payee: Payee) -> None:
        self.s.add(payee)
        self.s.flush()

    def get(self, institution_id: int, code: str) -> Payee | None:
        return self._one(select(Payee).filter_by(institution_id=institution_id, code=code), False)  # type: ignore[no-any-return]

    def list(self, institution_id: int) -> builtins.list[Payee]:
        return list(
            self.s.scalars(select(Payee).filter_by(institution_id=institution_id).order_by(t.payees.c.code))
        )
