"""One settings object, read from ``NETBANK_*`` environment variables."""

from __future__ import annotations

import base64
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
