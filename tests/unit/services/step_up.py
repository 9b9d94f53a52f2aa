"""A step-up factor for the tests of the registry and of the K2 answer: the UKEY and the
financial certificate offer themselves only with ``deps.pki`` / ``deps.fincert`` configured
(an HSM), so a stand-in of the certificate level shows what the registry does with one."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services import factors
from netbank.services.common import CustomerActor
from netbank.services.factors.base import FactorContext, NothingToStart, StepUpFactor
from netbank.services.factors.registry import FactorRegistry
from netbank.services.ports import Deps
from netbank.services.strong_auth import StepUpResult


class CertificateForAll(StepUpFactor[NothingToStart, NothingToStart]):
    """A certificate-level factor every enrolled customer can use."""

    name: ClassVar[str] = "test_certificate"
    methods: ClassVar[tuple[str, ...]] = ("test_certificate",)

    def level(self, policy: Policy) -> AuthLevel:
        return AuthLevel.CERTIFICATE

    def usable(self, ctx: FactorContext) -> tuple[str, ...]:
        return self.methods

    def verify(self, deps: Deps, actor: CustomerActor, command: NothingToStart) -> StepUpResult:
        raise NotImplementedError("a stand-in: it is offered, never verified")


def with_certificate_factor(deps: Deps) -> Deps:
    """``deps`` whose registry is the standard one and :class:`CertificateForAll` after it."""
    standard = (factors.TOTP, factors.CODES, factors.UKEY, factors.FINCERT)
    return replace(deps, factors=FactorRegistry((*standard, CertificateForAll())))
