"""Cryptographic adapters: argon2id for passwords and PINs, AES-GCM + HMAC for identity
numbers, random session tokens."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from netbank.domain.identity import DocumentType
from netbank.domain.policy import PasswordPolicy


class Argon2Hasher:
    """argon2id with the institution's cost parameters (policy [password])."""

    def __init__(self) -> None:
        self._hashers: dict[tuple[int, int, int], PasswordHasher] = {}
        self._dummy: str | None = None

    def _hasher(self, policy: PasswordPolicy) -> PasswordHasher:
        key = (policy.argon2_time_cost, policy.argon2_memory_kib, policy.argon2_parallelism)
        if key not in self._hashers:
            self._hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
        return self._hashers[key]

    def hash(self, secret: str, policy: PasswordPolicy) -> str:
        return self._hasher(policy).hash(secret)

    def verify(self, digest: str, secret: str) -> bool:
        try:
            # The digest carries its own parameters; any hasher verifies it.
            return PasswordHasher().verify(digest, secret)
        except (VerificationError, InvalidHashError):
            return False

    def waste_time(self, secret: str) -> None:
        if self._dummy is None:
            self._dummy = self.hash(secrets.token_hex(16), PasswordPolicy())
        self.verify(self._dummy, secret)


class AesGcmVault:
    """Identity numbers: sealed with AES-256-GCM (random 96-bit nonce, the purpose as
    associated data) and digested with HMAC-SHA256 for look-ups. Both keys live outside the
    database (configuration or the key file in the data folder)."""

    _AAD = b"netbank identity number v1"

    def __init__(self, seal_key: bytes, lookup_key: bytes) -> None:
        if len(seal_key) != 32 or len(lookup_key) < 32:
            raise ValueError("identity keys must be 32 bytes")
        self._aead = AESGCM(seal_key)
        self._lookup_key = lookup_key

    def digest(self, doc_type: DocumentType, normalized: str) -> str:
        message = f"{doc_type.value}:{normalized}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def seal(self, normalized: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, normalized.encode(), self._AAD)

    def unseal(self, sealed: bytes) -> str:
        return self._aead.decrypt(sealed[:12], sealed[12:], self._AAD).decode()


class RandomTokens:
    """Session tokens: 256 random bits; only their SHA-256 is stored."""

    def new_token(self) -> str:
        return secrets.token_urlsafe(32)

    def digest(self, token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def new_code(self, digits: int) -> str:
        """A uniformly random numeric one-time code."""
        return f"{secrets.randbelow(10**digits):0{digits}d}"

    def new_seed(self, size: int) -> bytes:
        return secrets.token_bytes(size)

    def new_key(self) -> str:
        return secrets.token_hex(16)


class AesGcmSecretBox:
    """Seals secrets the system must read back (TOTP seeds, queued one-time codes) with
    AES-256-GCM; the purpose is bound as associated data, so a sealed seed cannot be passed
    off as a message. ``digest`` is a keyed HMAC for values only ever compared."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the secrets key must be 32 bytes")
        self._aead = AESGCM(key)
        self._mac_key = hashlib.sha256(b"netbank digest key\x00" + key).digest()

    def seal(self, plaintext: bytes, purpose: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, purpose.encode())

    def open(self, sealed: bytes, purpose: str) -> bytes:
        return self._aead.decrypt(sealed[:12], sealed[12:], purpose.encode())

    def digest(self, value: str, purpose: str) -> str:
        return hmac.new(self._mac_key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
