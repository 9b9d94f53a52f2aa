"""In-memory repositories of what the services record: sign-in sessions, the counter's identity
checks and journal, the hash-chained audit log, and strong authentication (TOTP credentials,
challenges, the outbox and the rate-limit buckets)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netbank.domain.audit import GENESIS, AuditEntry, seal_entry
from netbank.domain.counter import CounterTransaction, IdentityCheck
from netbank.domain.otp import Challenge, TOTPCredential
from netbank.domain.outbox import MessageStatus, OutboxMessage
from netbank.domain.session import Session
from tests.fakes.parties import FakeRepository


class FakeSessions(FakeRepository):
    def add(self, session: Session) -> None:
        self.store.insert(session)

    def get(self, session_id: int) -> Session | None:
        return self.store.get(Session, session_id)

    def get_by_digest(self, digest: str) -> Session | None:
        return self.store.first(Session, token_digest=digest)

    def list_live_for(
        self, *, contract_id: int | None, teller_id: int | None, now: datetime
    ) -> list[Session]:
        return [
            s
            for s in self.store.where(Session, revoked_at=None)
            if s.expires_at > now
            and (contract_id is None or s.contract_id == contract_id)
            and (teller_id is None or s.teller_id == teller_id)
        ]


class FakeCounter(FakeRepository):
    def add_identity_check(self, check: IdentityCheck) -> None:
        self.store.insert(check)

    def get_identity_check(self, check_id: int) -> IdentityCheck | None:
        return self.store.get(IdentityCheck, check_id)

    def add_transaction(self, txn: CounterTransaction) -> None:
        self.store.insert(txn)

    def transactions_for_customer(self, customer_id: int) -> list[CounterTransaction]:
        return self.store.where(CounterTransaction, customer_id=customer_id)

    def get_transaction(self, transaction_id: int) -> CounterTransaction | None:
        return self.store.get(CounterTransaction, transaction_id)


class FakeAudit(FakeRepository):
    """The chain's head is its last entry (the SQL repository keeps it in a row of its own)."""

    def append(
        self, *, chain: str, at: datetime, actor: str, event: str, subject: str, details: Mapping[str, Any]
    ) -> AuditEntry:
        last = next(iter(self.recent(chain, 1)), None)
        entry = seal_entry(
            AuditEntry(
                chain=chain,
                chain_seq=last.chain_seq + 1 if last else 1,
                at=at,
                actor=actor,
                event=event,
                subject=subject,
                details=dict(details),
                prev_hash=last.hash if last else GENESIS,
            )
        )
        self.store.insert(entry)
        return entry

    def entries(self, chain: str) -> Iterator[AuditEntry]:
        yield from self.store.where(AuditEntry, chain=chain)

    def heads(self) -> dict[str, tuple[int, str]]:
        return {e.chain: (e.chain_seq, e.hash) for e in self.store.rows(AuditEntry)}

    def recent(self, chain: str, limit: int) -> list[AuditEntry]:
        return self.page(chain, before_seq=None, limit=limit)

    def page(self, chain: str, *, before_seq: int | None, limit: int) -> list[AuditEntry]:
        older = [
            e
            for e in self.store.where(AuditEntry, chain=chain)
            if before_seq is None or e.chain_seq < before_seq
        ]
        return older[::-1][:limit]


class FakeOTP(FakeRepository):
    def add_credential(self, credential: TOTPCredential) -> None:
        self.store.insert(credential)

    def active_credential(self, contract_id: int, *, for_update: bool = False) -> TOTPCredential | None:
        return self.store.first(TOTPCredential, contract_id=contract_id, active=True)

    def add_challenge(self, challenge: Challenge) -> None:
        self.store.insert(challenge)

    def challenge(self, challenge_id: int, *, for_update: bool = False) -> Challenge | None:
        return self.store.get(Challenge, challenge_id)


class FakeOutbox(FakeRepository):
    def add(self, message: OutboxMessage) -> None:
        self.store.insert(message)

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        pending = self.store.where(OutboxMessage, status=MessageStatus.PENDING)
        ready = [
            m
            for m in pending
            if m.next_attempt_at <= now and (m.leased_until is None or m.leased_until <= now)
        ]
        return ready[:limit]

    def get(self, message_id: int, *, for_update: bool = False) -> OutboxMessage | None:
        return self.store.get(OutboxMessage, message_id)

    def recent(self, limit: int) -> list[OutboxMessage]:
        return self.store.rows(OutboxMessage)[::-1][:limit]


@dataclass(eq=False)
class RateBucket:
    """A row of the rate-limit buckets: the attempts at ``key`` in the window starting then."""

    key: str
    window_start: datetime
    count: int


class FakeRateLimits(FakeRepository):
    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        window = datetime.fromtimestamp(now.timestamp() // window_seconds * window_seconds, tz=now.tzinfo)
        bucket = self.store.get(RateBucket, key)
        if bucket is None or bucket.window_start != window:
            bucket = RateBucket(key, window, 0)
            self.store.put(key, bucket)
        bucket.count += 1
        return bucket.count
