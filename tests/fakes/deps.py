"""``Deps`` for service unit tests: the fake unit of work and the real adapters that need no
I/O (argon2 at the test suite's cheap cost, AES-GCM with fixed test keys, pyotp, the settable
clock, the shipped policy files, the standard step-up factors). No HSM: ``pki`` and
``fincert`` are None unless a test passes its own."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from netbank.adapters.clock import SettableClock
from netbank.adapters.crypto import AesGcmSecretBox, AesGcmVault, Argon2Hasher, RandomTokens
from netbank.adapters.otp import PyOTPCodec
from netbank.adapters.policies import StaticPolicyBook, TomlPolicyBook
from netbank.services.factors import standard_factors
from netbank.services.ports import Deps
from tests.conftest import T0
from tests.fakes.uow import FakeUnitOfWorkFactory

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"


@cache
def cheap_policies() -> StaticPolicyBook:
    """The shipped policies with argon2 at its cheapest (half a millisecond a hash), as the
    ``policies`` fixture of ``tests/conftest.py`` gives the integration tests."""
    cheap = [
        replace(p, password=replace(p.password, argon2_time_cost=1, argon2_memory_kib=256))
        for p in TomlPolicyBook(POLICY_DIR).all()
    ]
    return StaticPolicyBook(cheap)


def fake_deps(clock: SettableClock | None = None, **overrides: Any) -> Deps:
    """``Deps`` on a fresh, empty fake store; ``overrides`` replace any field (``factors``,
    ``pki``, ``policies``)."""
    deps = Deps(
        uow=FakeUnitOfWorkFactory(),
        clock=clock or SettableClock(T0),
        hasher=Argon2Hasher(),
        vault=AesGcmVault(b"s" * 32, b"l" * 32),
        secrets=AesGcmSecretBox(b"k" * 32),
        tokens=RandomTokens(),
        policies=cheap_policies(),
        otp=PyOTPCodec(),
        factors=standard_factors(),
    )
    return replace(deps, **overrides)
