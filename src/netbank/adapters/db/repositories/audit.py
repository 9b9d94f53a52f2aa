"""The hash-chained audit log: appends serialised on the row lock of the chain's head."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository, row_values, upsert_insert
from netbank.adapters.db.tables import audit_heads
from netbank.domain.audit import GENESIS, AuditEntry, seal_entry

_NEXT_AUDIT_SEQ = (
    update(audit_heads)
    .where(audit_heads.c.chain == bindparam("head"))
    .values(last_seq=audit_heads.c.last_seq + 1)
    .returning(audit_heads.c.last_seq, audit_heads.c.last_hash)
)
_INSERT_AUDIT_ENTRY = insert(t.audit_entries).returning(t.audit_entries.c.id)
_SET_AUDIT_HASH = (
    update(audit_heads)
    .where(audit_heads.c.chain == bindparam("head"))
    .values(last_hash=bindparam("new_hash"))
)


class SqlAudit(SqlRepository):
    def append(
        self, *, chain: str, at: datetime, actor: str, event: str, subject: str, details: Mapping[str, Any]
    ) -> AuditEntry:
        """Append to ``chain`` under the row lock of its head, so concurrent appends to one
        chain are serialised and the chain never forks."""
        # Take the next sequence number under the head's row lock (one statement); create the
        # head the first time (concurrent first appends do not collide). The entry and the head
        # are written with Core: the log is append-only and nothing reads the entry back here.
        conn = self.s.connection()
        head = conn.execute(_NEXT_AUDIT_SEQ, {"head": chain}).first()
        if head is None:
            conn.execute(
                upsert_insert(self.s, audit_heads)
                .values(chain=chain, last_seq=0, last_hash=GENESIS)
                .on_conflict_do_nothing(index_elements=[audit_heads.c.chain])
            )
            head = conn.execute(_NEXT_AUDIT_SEQ, {"head": chain}).one()
        entry = seal_entry(
            AuditEntry(
                chain=chain,
                chain_seq=head.last_seq,
                at=at,
                actor=actor,
                event=event,
                subject=subject,
                details=dict(details),
                prev_hash=head.last_hash,
            )
        )
        entry.id = conn.execute(_INSERT_AUDIT_ENTRY, row_values(entry, t.audit_entries)).scalar_one()
        conn.execute(_SET_AUDIT_HASH, {"head": chain, "new_hash": entry.hash})
        return entry

    def entries(self, chain: str) -> Iterator[AuditEntry]:
        stmt = select(AuditEntry).filter_by(chain=chain).order_by(t.audit_entries.c.chain_seq)
        yield from self.s.scalars(stmt.execution_options(yield_per=500))

    def heads(self) -> dict[str, tuple[int, str]]:
        rows = self.s.execute(select(audit_heads.c.chain, audit_heads.c.last_seq, audit_heads.c.last_hash))
        return {chain: (int(seq), h) for chain, seq, h in rows}

    def recent(self, chain: str, limit: int) -> list[AuditEntry]:
        stmt = (
            select(AuditEntry)
            .filter_by(chain=chain)
            .order_by(t.audit_entries.c.chain_seq.desc())
            .limit(limit)
        )
        return list(self.s.scalars(stmt))

    def page(self, chain: str, *, before_seq: int | None, limit: int) -> list[AuditEntry]:
        stmt = select(AuditEntry).filter_by(chain=chain)
        if before_seq is not None:
            stmt = stmt.where(t.audit_entries.c.chain_seq < before_seq)
        stmt = stmt.order_by(t.audit_entries.c.chain_seq.desc()).limit(limit)
        return list(self.s.scalars(stmt))
