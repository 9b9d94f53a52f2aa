"""One settings object, read from ``NETBANK_*`` environment variables."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_policy_dir() -> Path:
    # A source checkout keeps policies/ at the top of the repository.
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "policies"
        if (parent / "pyproject.toml").exists() and candidate.is_dir():
            return candidate
    return Path.cwd() / "policies"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NETBANK_", extra="ignore")

    #: ``production`` refuses to invent keys; ``development`` keeps them in the data folder.
    environment: str = "development"
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "var")
    #: Default: SQLite (WAL) in the data folder. Production: ``postgresql+psycopg://...``.
    database_url: str | None = None
    policy_dir: Path = Field(default_factory=_default_policy_dir)
    #: base64 of 32 bytes each; see ``keys`` below for the development fallback.
    identity_seal_key: str | None = None
    identity_lookup_key: str | None = None
    secrets_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    #: Send secure cookies only (set behind TLS).
    secure_cookies: bool = False
    #: Outbox delivery: "file" (development: codes appear in ``outbox_file``) or "webhook".
    outbox_sender: str = "file"
    outbox_file: Path | None = None
    outbox_webhook_url: str | None = None
    outbox_webhook_token: str | None = None
    #: Run the outbox dispatcher inside ``netbank serve`` (else run ``netbank outbox run``).
    outbox_in_process: bool = True
    #: A leased message not confirmed within this time is sent again (the sender died).
    outbox_lease_seconds: float = 30.0
    outbox_max_attempts: int = 8
    outbox_first_backoff_seconds: float = 2.0
    outbox_max_backoff_seconds: float = 300.0
    #: F1 cloud financial certificate service: the PKCS#11 token holding its CA keys (unset:
    #: the service is off and its endpoints answer F1_SERVICE_NOT_CONFIGURED).
    fincert_token_label: str | None = None
    #: (The PKCS#11 module is ``pkcs11_module``, shared with the K1 PKI: one per process.)
    fincert_token_pin: str | None = Field(default=None, repr=False)
    #: Base URL written into the certificates (CRL / OCSP locations).
    fincert_base_url: str = "http://127.0.0.1:8000"
    #: F1 key store: a PKCS#11 token of its own on which every customer's key is generated and
    #: used (production). Unset: the embedded store, keys sealed with the key-encryption key.
    fincert_key_token_label: str | None = None
    fincert_key_token_pin: str | None = Field(default=None, repr=False)
    #: base64 of 32 bytes each: the key store's key-encryption key and the PIN HMAC key. In
    #: development they are derived from the secrets key; production must set both.
    fincert_key_encryption_key: str | None = Field(default=None, repr=False)
    fincert_pin_key: str | None = Field(default=None, repr=False)
    #: F8: a person who has not used the cloud for this many months is deleted by
    #: ``netbank fincert purge`` with their certificates.
    fincert_unused_months: int = Field(default=12, ge=1, le=120)

    def fincert_keys(self) -> tuple[bytes, bytes]:
        """(key-encryption key, PIN key): configured, or in development derived from the
        secrets key with distinct labels (both stay outside the database either way)."""
        if self.fincert_key_encryption_key and self.fincert_pin_key:
            return base64.b64decode(self.fincert_key_encryption_key), base64.b64decode(self.fincert_pin_key)
        if self.environment == "production":
            raise RuntimeError("NETBANK_FINCERT_KEY_ENCRYPTION_KEY and NETBANK_FINCERT_PIN_KEY are required")
        base = self.keys.secrets_key
        return (
            hmac.new(base, b"netbank fincert key-encryption key", hashlib.sha256).digest(),
            hmac.new(base, b"netbank fincert PIN key", hashlib.sha256).digest(),
        )

    #: K1 institution PKI: the PKCS#11 module, the HSM token holding the CA keys (found by label)
    #: and its user PIN. Without a PIN the certificate version's PKI is off (K1_PKI_NOT_INITIALISED).
    #: None = the Debian SoftHSM2 module (``adapters/hsm/``); SoftHSM2 reads SOFTHSM2_CONF.
    pkcs11_module: str | None = None
    hsm_token_label: str = "netbank-hsm"  # noqa: S105 - a token label, not a secret
    hsm_pin: str | None = Field(default=None, repr=False)
    #: The public address written into certificates (CRL distribution point, OCSP URL);
    #: default ``http://{host}:{port}``.
    public_base_url: str | None = None

    @property
    def resolved_public_base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_outbox_file(self) -> Path:
        return self.outbox_file or self.data_dir / "outbox.log"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'netbank.sqlite3'}"

    @cached_property
    def keys(self) -> Keys:
        """The keys that live outside the database. In development they are generated once into
        ``<data_dir>/keys.json`` (mode 0600); production must configure every one."""
        configured = {
            "identity_seal_key": self.identity_seal_key,
            "identity_lookup_key": self.identity_lookup_key,
            "secrets_key": self.secrets_key,
        }
        if all(configured.values()):
            return Keys(**{k: base64.b64decode(v or "") for k, v in configured.items()})
        if self.environment == "production":
            raise RuntimeError(
                "NETBANK_IDENTITY_SEAL_KEY, NETBANK_IDENTITY_LOOKUP_KEY and NETBANK_SECRETS_KEY are required"
            )
        path = self.data_dir / "keys.json"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        missing = [k for k in configured if k not in stored]
        if missing:
            for name in missing:
                stored[name] = base64.b64encode(secrets.token_bytes(32)).decode()
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(stored, fh)
            os.replace(tmp, path)
        values = {k: (v or stored[k]) for k, v in configured.items()}
        return Keys(**{k: base64.b64decode(v) for k, v in values.items()})


@dataclass(frozen=True)
class Keys:
    identity_seal_key: bytes
    identity_lookup_key: bytes
    #: seals TOTP seeds and queued messages (AES-256-GCM) and keys one-time code digests
    secrets_key: bytes
