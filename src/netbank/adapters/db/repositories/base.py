"""What every SQLAlchemy repository shares: the unit of work's session, locking reads, the
column values of a domain object for a Core ``INSERT``, and the dialect's upsert."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.selectable import Select

_Locked = TypeVar("_Locked", bound=Select[Any])


def locking(stmt: _Locked) -> _Locked:
    """``SELECT … FOR UPDATE`` that also refreshes the objects it returns. Without
    ``populate_existing`` an object the session loaded before the lock keeps the values read
    then, and a balance moved by a transaction that committed in between is overwritten (a
    lost update: two transfers to one payee from two contracts, on PostgreSQL)."""
    return stmt.with_for_update().execution_options(populate_existing=True)


class SqlRepository:
    """A repository over the unit of work's session (one transaction with everything else)."""

    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def _one(self, stmt: Any, for_update: bool) -> Any:
        if for_update:
            stmt = locking(stmt)
        return self.s.scalars(stmt).first()


def row_values(obj: object, table: Table) -> dict[str, Any]:
    """The column values of a mapped domain object, for a Core ``INSERT`` (its id excluded)."""
    return {c.key: getattr(obj, c.key) for c in table.columns if c.key != "id"}


def upsert_insert(session: OrmSession, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` for the dialect in use (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)
