"""The audit trail is a hash chain: each entry commits to the one before it, so a changed,
inserted or deleted entry breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(eq=False)
class AuditEntry:
    chain: str
    chain_seq: int
    at: datetime
    actor: str
    event: str
    subject: str
    details: Mapping[str, Any]
    prev_hash: str
    hash: str = ""
    id: int | None = field(default=None)


def entry_hash(
    *,
    chain: str,
    chain_seq: int,
    at: datetime,
    actor: str,
    event: str,
    subject: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    body = json.dumps(
        {
            "chain": chain,
            "seq": chain_seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "event": event,
            "subject": subject,
            "details": details,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def seal_entry(entry: AuditEntry) -> AuditEntry:
    entry.hash = entry_hash(
        chain=entry.chain,
        chain_seq=entry.chain_seq,
        at=entry.at,
        actor=entry.actor,
        event=entry.event,
        subject=entry.subject,
        details=entry.details,
        prev_hash=entry.prev_hash,
    )
    return entry


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    chain_seq: int
    reason: str


def verify_chain(
    chain: str, entries: Iterable[AuditEntry], head_seq: int, head_hash: str
) -> list[ChainBreak]:
    """Walk one chain in sequence order; report every break. ``head_*`` is the separately
    stored tip, so deleting the newest entries is detected too."""
    breaks: list[ChainBreak] = []
    prev = GENESIS
    expected_seq = 1
    for e in entries:
        if e.chain_seq != expected_seq:
            breaks.append(ChainBreak(chain, expected_seq, "missing entry"))
            expected_seq = e.chain_seq
        if e.prev_hash != prev:
            breaks.append(ChainBreak(chain, e.chain_seq, "previous hash does not match"))
        recomputed = entry_hash(
            chain=e.chain,
            chain_seq=e.chain_seq,
            at=e.at,
            actor=e.actor,
            event=e.event,
            subject=e.subject,
            details=e.details,
            prev_hash=e.prev_hash,
        )
        if recomputed != e.hash:
            breaks.append(ChainBreak(chain, e.chain_seq, "entry content changed"))
        prev = e.hash
        expected_seq += 1
    if expected_seq - 1 != head_seq or prev != head_hash:
        breaks.append(ChainBreak(chain, head_seq, "chain tip does not match (entries removed)"))
    return breaks
