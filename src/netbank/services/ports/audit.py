"""The repository of the hash-chained audit log."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from netbank.domain.audit import AuditEntry


class AuditRepository(Protocol):
    def append(
        self, *, chain: str, at: datetime, actor: str, event: str, subject: str, details: Mapping[str, Any]
    ) -> AuditEntry: ...
    def entries(self, chain: str) -> Iterator[AuditEntry]: ...
    def heads(self) -> dict[str, tuple[int, str]]: ...
    def recent(self, chain: str, limit: int) -> list[AuditEntry]: ...
    def page(self, chain: str, *, before_seq: int | None, limit: int) -> list[AuditEntry]:
        """Newest first: up to ``limit`` entries of ``chain`` below ``before_seq`` (all when None)."""
        ...
