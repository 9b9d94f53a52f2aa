"""The repository of sign-in sessions (customers and staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from netbank.domain.session import Session


class SessionRepository(Protocol):
    def add(self, session: Session) -> None: ...
    def get(self, session_id: int) -> Session | None: ...
    def get_by_digest(self, digest: str) -> Session | None: ...
    def list_live_for(
        self, *, contract_id: int | None, teller_id: int | None, now: datetime
    ) -> list[Session]: ...
