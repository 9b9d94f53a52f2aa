"""The composition root: builds the concrete adapters and hands them to the services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from netbank.adapters import hsm
from netbank.adapters.ca import TokenCA
from netbank.adapters.clock import SystemClock
from netbank.adapters.crypto import AesGcmSecretBox, AesGcmVault, Argon2Hasher, RandomTokens
from netbank.adapters.db.engine import make_engine
from netbank.adapters.db.uow import SqlUnitOfWorkFactory
from netbank.adapters.fincert import HMACPINDigester, HSMFinCertCA, SealedKeyStore
from netbank.adapters.fincert_keys import PKCS11KeyStore
from netbank.adapters.notify import FileSender, WebhookSender
from netbank.adapters.otp import PyOTPCodec
from netbank.adapters.policies import TomlPolicyBook
from netbank.config import Settings
from netbank.domain.fincert_devices import DevicePolicy
from netbank.domain.outbox import RetryPolicy
from netbank.services.factors import standard_factors
from netbank.services.ports import Clock, Deps, FinCertAdapters, PolicyBook, Sender


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
        factors=standard_factors(),
        pki=make_certificate_authority(settings),
        fincert=fincert_adapters(settings),
    )
    return App(settings=settings, engine=engine, deps=deps)


def make_certificate_authority(settings: Settings) -> TokenCA | None:
    """K1: the institution CAs on the configured HSM token, or None without an HSM PIN. The
    token is opened on first use, not here (``netbank migrate`` needs no HSM)."""
    if not settings.hsm_pin:
        return None
    return TokenCA(
        module_path=settings.pkcs11_module or hsm.DEFAULT_MODULE_PATH,
        token_label=settings.hsm_token_label,
        pin=settings.hsm_pin,
        base_url=settings.resolved_public_base_url,
    )


def fincert_adapters(settings: Settings) -> FinCertAdapters | None:
    """F1: the cloud financial certificate service, when its HSM token is configured. The
    token is opened on first use, not here."""
    if not settings.fincert_token_label:
        return None
    kek, pin_key = settings.fincert_keys()
    return FinCertAdapters(
        ca=HSMFinCertCA(
            token_label=settings.fincert_token_label,
            pin=settings.fincert_token_pin or "",
            base_url=settings.fincert_base_url,
            module_path=settings.pkcs11_module,
        ),
        keys=PKCS11KeyStore(
            token_label=settings.fincert_key_token_label,
            pin=settings.fincert_key_token_pin or "",
            module_path=settings.pkcs11_module,
        )
        if settings.fincert_key_token_label
        else SealedKeyStore(kek),
        pins=HMACPINDigester(pin_key),
        devices=DevicePolicy(unused_months=settings.fincert_unused_months).validate(),
    )


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
