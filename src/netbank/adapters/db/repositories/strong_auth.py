"""K2: TOTP credentials and challenges, the outbox, the rate-limit buckets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, or_, select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository, upsert_insert
from netbank.domain.otp import Challenge, TOTPCredential
from netbank.domain.outbox import MessageStatus, OutboxMessage


class SqlOTP(SqlRepository):
    def add_credential(self, credential: TOTPCredential) -> None:
        self.s.add(credential)
        self.s.flush()

    def active_credential(self, contract_id: int, *, for_update: bool = False) -> TOTPCredential | None:
        stmt = select(TOTPCredential).filter_by(contract_id=contract_id, active=True)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]

    def add_challenge(self, challenge: Challenge) -> None:
        self.s.add(challenge)
        self.s.flush()

    def challenge(self, challenge_id: int, *, for_update: bool = False) -> Challenge | None:
        return self._one(select(Challenge).filter_by(id=challenge_id), for_update)  # type: ignore[no-any-return]


class SqlOutbox(SqlRepository):
    def add(self, message: OutboxMessage) -> None:
        self.s.add(message)
        self.s.flush()

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Messages ready to send, locked; other dispatchers skip them (PostgreSQL
        ``SKIP LOCKED``; SQLite serialises writers anyway)."""
        c = t.outbox_messages.c
        stmt = (
            select(OutboxMessage)
            .where(c.status == MessageStatus.PENDING.value, c.next_attempt_at <= now)
            .where(or_(c.leased_until.is_(None), c.leased_until <= now))
            .order_by(c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.s.scalars(stmt))

    def get(self, message_id: int, *, for_update: bool = False) -> OutboxMessage | None:
        return self._one(select(OutboxMessage).filter_by(id=message_id), for_update)  # type: ignore[no-any-return]

    def recent(self, limit: int) -> list[OutboxMessage]:
        stmt = select(OutboxMessage).order_by(t.outbox_messages.c.id.desc()).limit(limit)
        return list(self.s.scalars(stmt))


class SqlRateLimits(SqlRepository):
    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        """Count one attempt in the fixed window containing ``now``; returns the count. One
        atomic upsert, so concurrent hits from several processes never collide."""
        table = t.rate_limit_buckets
        window = datetime.fromtimestamp(now.timestamp() // window_seconds * window_seconds, tz=now.tzinfo)
        stmt = upsert_insert(self.s, table).values(key=key, window_start=window, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((table.c.window_start == window, table.c.count + 1), else_=1),
                "window_start": window,
            },
        ).returning(table.c.count)
        return int(self.s.execute(stmt).scalar_one())
