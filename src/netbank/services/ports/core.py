"""Ports to the outside world that are not storage: the clock, hashing and sealing of
secrets, randomness, TOTP arithmetic, message delivery and the institutions' policies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from netbank.domain.identity import DocumentType
from netbank.domain.otp import TOTPParameters
from netbank.domain.policy import PasswordPolicy, Policy


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SecretHasher(Protocol):
    """Password and PIN hashing (argon2id)."""

    def hash(self, secret: str, policy: PasswordPolicy) -> str: ...
    def verify(self, digest: str, secret: str) -> bool: ...
    def waste_time(self, secret: str) -> None:
        """Spend what a verify costs, so unknown users cannot be told apart by timing."""
        ...


class IdentityVault(Protocol):
    """Identity numbers are kept sealed (AES-GCM) and as a keyed digest for look-ups."""

    def digest(self, doc_type: DocumentType, normalized: str) -> str: ...
    def seal(self, normalized: str) -> bytes: ...
    def unseal(self, sealed: bytes) -> str: ...


class SecretBox(Protocol):
    """Secrets the system must read back (TOTP seeds, queued codes), sealed with a purpose."""

    def seal(self, plaintext: bytes, purpose: str) -> bytes: ...
    def open(self, sealed: bytes, purpose: str) -> bytes: ...
    def digest(self, value: str, purpose: str) -> str: ...


class TokenSource(Protocol):
    """Randomness: session tokens, one-time codes, TOTP seeds, idempotency keys."""

    def new_token(self) -> str: ...
    def digest(self, token: str) -> str: ...
    def new_code(self, digits: int) -> str: ...
    def new_seed(self, size: int) -> bytes: ...
    def new_key(self) -> str: ...


class OTPCodec(Protocol):
    """RFC 6238 arithmetic and provisioning (pyotp, segno)."""

    def matching_step(self, seed: bytes, params: TOTPParameters, code: str, now: datetime) -> int | None: ...
    def code_at(self, seed: bytes, params: TOTPParameters, at: datetime) -> str: ...
    def provisioning_uri(self, seed: bytes, params: TOTPParameters, *, account: str, issuer: str) -> str: ...
    def qr_svg(self, uri: str) -> str: ...
    def qr_png(self, uri: str) -> bytes: ...


class Sender(Protocol):
    """Delivers one outbox message; raises on failure (the dispatcher retries)."""

    def send(
        self, *, message_id: int, dedup_key: str, kind: str, recipient: str, payload: Mapping[str, Any]
    ) -> None: ...


class PolicyBook(Protocol):
    def policy_for(self, institution_code: str) -> Policy: ...
    def all(self) -> Sequence[Policy]: ...
