"""Sign-in sessions: the look-up by token digest every authenticated request runs."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.sql.selectable import Select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository
from netbank.domain.session import Session


@cache
def _session_by_digest() -> Select[Session]:
    """Built once, after the domain is mapped: every authenticated request runs it."""
    return select(Session).where(t.sessions.c.token_digest == bindparam("d"))


class SqlSessions(SqlRepository):
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
