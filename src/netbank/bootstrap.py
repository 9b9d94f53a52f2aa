"""The composition root: builds the concrete adapters and hands them to the services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from netbank.adapters.clock import SystemClock
from netbank.adapters.crypto import AesGcmVault, Argon2Hasher, RandomTokens
from netbank.adapters.db.engine import make_engine
from netbank.adapters.db.uow import SqlUnitOfWorkFactory
from netbank.adapters.policies import TomlPolicyBook
from netbank.config import Settings
from netbank.services.ports import Clock, Deps, PolicyBook


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
    seal_key, lookup_key = settings.keys
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine),
        clock=clock or SystemClock(),
        hasher=Argon2Hasher(),
        vault=AesGcmVault(seal_key, lookup_key),
        tokens=RandomTokens(),
        policies=policies or TomlPolicyBook(settings.policy_dir),
    )
    return App(settings=settings, engine=engine, deps=deps)
