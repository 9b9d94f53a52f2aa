"""One settings object, read from ``NETBANK_*`` environment variables."""

from __future__ import annotations

import base64
import json
import os
import secrets
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
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    #: Send secure cookies only (set behind TLS).
    secure_cookies: bool = False

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'netbank.sqlite3'}"

    @cached_property
    def keys(self) -> tuple[bytes, bytes]:
        """(seal key, lookup key). In development they are generated once into
        ``<data_dir>/keys.json`` (mode 0600); production must configure both."""
        if self.identity_seal_key and self.identity_lookup_key:
            return base64.b64decode(self.identity_seal_key), base64.b64decode(self.identity_lookup_key)
        if self.environment == "production":
            raise RuntimeError("NETBANK_IDENTITY_SEAL_KEY and NETBANK_IDENTITY_LOOKUP_KEY are required")
        path = self.data_dir / "keys.json"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(
                    {
                        "identity_seal_key": base64.b64encode(secrets.token_bytes(32)).decode(),
                        "identity_lookup_key": base64.b64encode(secrets.token_bytes(32)).decode(),
                    },
                    fh,
                )
        data = json.loads(path.read_text())
        return base64.b64decode(data["identity_seal_key"]), base64.b64decode(data["identity_lookup_key"])
