"""The composition root: builds the concrete adapters and hands them to the services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from netbank.adapters.clock import SystemClock
from netbank.adapters.crypto import AesGcmSecretBox, AesGcmVault, Argon2Hasher, RandomTokens
from netbank.adapters.db.engine import make_engine
from netbank.adapters.db.uow import SqlUnitOfWorkFactory
from netbank.adapters.notify import FileSender, WebhookSender
from netbank.adapters.otp import PyOTPCodec
from netbank.adapters.policies import TomlPolicyBook
from netbank.config import Settings
from netbank.domain.outbox import RetryPolicy
from netbank.services.ports import Clock, Deps, PolicyBook, Sender


@dataclass(frozen=True)
class App:
    settings: Settings
    engine: Engine
    deps: Deps

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    policies: PolicyBook | None = None,
) -> App:
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url)
    keys = settings.keys
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine),
        clock=clock or SystemClock(),
        hasher=Argon2Hasher(),
        vault=AesGcmVault(keys.identity_seal_key, keys.identity_lookup_key),
        secrets=AesGcmSecretBox(keys.secrets_key),
        tokens=RandomTokens(),
        policies=policies or TomlPolicyBook(settings.policy_dir),
        otp=PyOTPCodec(),
    )
    return App(settings=settings, engine=engine, deps=deps)


def make_sender(settings: Settings) -> Sender:
    """The outbox sender the settings ask for."""
    if settings.outbox_sender == "webhook":
        if not settings.outbox_webhook_url:
            raise RuntimeError("NETBANK_OUTBOX_WEBHOOK_URL is required for the webhook sender")
        return WebhookSender(settings.outbox_webhook_url, token=settings.outbox_webhook_token)
    if settings.outbox_sender == "file":
        if settings.environment == "production":
            raise RuntimeError("the file sender shows one-time codes: not in production")
        return FileSender(settings.resolved_outbox_file)
    raise RuntimeError(f"unknown outbox sender {settings.outbox_sender!r}")


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        first_backoff_seconds=settings.outbox_first_backoff_seconds,
        max_backoff_seconds=settings.outbox_max_backoff_seconds,
        lease_seconds=settings.outbox_lease_seconds,
    )
