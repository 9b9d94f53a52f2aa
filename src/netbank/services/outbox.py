"""Delivery of queued messages (SMS, voice, app): at least once, in order of creation.

A dispatcher leases due messages in one short transaction, sends each outside any
transaction, and records the outcome in another. If it dies after the lease, the lease
expires and another pass sends the message again with the same idempotency key, which the
gateway uses to drop the duplicate; nothing committed is ever lost."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from netbank.domain.outbox import OutboxMessage, RetryPolicy
from netbank.services.common import id_of
from netbank.services.ports import Deps, Sender

log = logging.getLogger("netbank.outbox")


@dataclass(frozen=True)
class DispatchReport:
    sent: int
    failed: int


def _payload(deps: Deps, message: OutboxMessage) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(deps.secrets.open(message.body_sealed, f"outbox:{message.dedup_key}"))
    return data


def dispatch_once(
    deps: Deps, sender: Sender, retry: RetryPolicy | None = None, limit: int = 50
) -> DispatchReport:
    retry = retry or RetryPolicy()
    now = deps.clock.now()
    with deps.uow() as uow:
        leased = uow.outbox.due(now, limit)
        for message in leased:
            message.lease(now, retry)
        uow.commit()
    sent = failed = 0
    for message in leased:
        error: str | None = None
        try:
            sender.send(
                message_id=id_of(message),
                dedup_key=message.dedup_key,
                kind=message.kind.value,
                recipient=message.recipient,
                payload=_payload(deps, message),
            )
        except Exception as exc:  # any failure of the channel is retried
            error = f"{type(exc).__name__}: {exc}"
        with deps.uow() as uow:
            current = uow.outbox.get(id_of(message), for_update=True)
            if current is None:
                continue
            if error is None:
                current.mark_sent(deps.clock.now())
                sent += 1
            else:
                current.mark_attempt_failed(deps.clock.now(), error, retry)
                failed += 1
                log.warning("outbox message %s attempt %s failed: %s", current.id, current.attempts, error)
            uow.commit()
    return DispatchReport(sent, failed)


def run_dispatcher(
    deps: Deps,
    sender: Sender,
    stop: threading.Event,
    *,
    interval_seconds: float = 1.0,
    retry: RetryPolicy | None = None,
) -> None:
    """Dispatch until ``stop`` is set; errors of one pass never end the loop."""
    while not stop.is_set():
        try:
            report = dispatch_once(deps, sender, retry)
            if report.sent or report.failed:
                continue
        except Exception:
            log.exception("outbox pass failed")
        stop.wait(interval_seconds)


@dataclass(frozen=True)
class OutboxLine:
    id: int
    kind: str
    recipient_masked: str
    status: str
    attempts: int
    created_at: str
    sent_at: str | None
    last_error: str | None


def recent_messages(deps: Deps, limit: int = 20) -> list[OutboxLine]:
    from netbank.domain.customer import mask_phone

    with deps.uow(readonly=True) as uow:
        return [
            OutboxLine(
                id_of(m),
                m.kind.value,
                mask_phone(m.recipient),
                m.status.value,
                m.attempts,
                m.created_at.isoformat(),
                m.sent_at.isoformat() if m.sent_at else None,
                m.last_error,
            )
            for m in uow.outbox.recent(limit)
        ]
