"""The transactional outbox: a message to the customer's phone is written in the same
database transaction as the state that needs it (a challenge), then delivered at least once
by a dispatcher that leases it, sends it, and marks it sent; a crash anywhere in between
leaves it pending or leased, and it is sent again with the same idempotency key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class MessageKind(StrEnum):
    SMS = "sms"
    VOICE = "voice"  # ARS: an automated call reads the text
    APP = "app"  # a notification to the banking app


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    first_backoff_seconds: float = 2.0
    max_backoff_seconds: float = 300.0
    lease_seconds: float = 30.0

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(
            seconds=min(self.first_backoff_seconds * 2 ** max(attempts - 1, 0), self.max_backoff_seconds)
        )


@dataclass(eq=False)
class OutboxMessage:
    institution_id: int
    kind: MessageKind
    recipient: str
    body_sealed: bytes
    dedup_key: str
    created_at: datetime
    next_attempt_at: datetime
    status: MessageStatus = MessageStatus.PENDING
    attempts: int = 0
    leased_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    id: int | None = field(default=None)

    def is_due(self, now: datetime) -> bool:
        leased = self.leased_until is not None and self.leased_until > now
        return self.status is MessageStatus.PENDING and self.next_attempt_at <= now and not leased

    def lease(self, now: datetime, policy: RetryPolicy) -> None:
        self.attempts += 1
        self.leased_until = now + timedelta(seconds=policy.lease_seconds)

    def mark_sent(self, now: datetime) -> None:
        self.status = MessageStatus.SENT
        self.sent_at = now
        self.leased_until = None
        self.last_error = None

    def mark_attempt_failed(self, now: datetime, error: str, policy: RetryPolicy) -> None:
        self.last_error = error[:500]
        self.leased_until = None
        if self.attempts >= policy.max_attempts:
            self.status = MessageStatus.FAILED
        else:
            self.next_attempt_at = now + policy.backoff(self.attempts)
