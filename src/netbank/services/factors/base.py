"""The step-up factor interface (K1, K2, F7): one class per way a signed-in customer proves
more than their password. Each says which methods it offers, the level it gives, whether this
customer can use it now, how to start (when there is anything to start) and how to verify.

The factors a deployment offers are one :class:`~netbank.services.factors.registry.FactorRegistry`,
wired by ``bootstrap`` into ``Deps.factors``: the API's ``K2_STEP_UP_REQUIRED`` answer, the
web's step-up page and the customer's settings all read it, so a new factor is a new class
here and one line in the registry, nothing else."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from netbank.domain.enrolment import Contract
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor
from netbank.services.ports import Deps, UnitOfWork
from netbank.services.strong_auth import StepUpResult


@dataclass(frozen=True)
class FactorContext:
    """What a factor looks at to say whether the customer can use it: read in one read-only
    unit of work for all factors."""

    deps: Deps
    uow: UnitOfWork
    actor: CustomerActor
    policy: Policy
    contract: Contract


@dataclass(frozen=True)
class NothingToStart:
    """The start command of a factor whose secret the customer already holds (a TOTP code on
    their authenticator, a certificate PIN)."""


StartT = TypeVar("StartT")
VerifyT = TypeVar("VerifyT")


class StepUpFactor(ABC, Generic[StartT, VerifyT]):
    """One way to step up. ``methods`` are the names clients use (the API's ``methods``
    list, the web's forms); a factor may offer several (the code factor's channels)."""

    #: The factor's own name (the web's step-up page shows its form from ``step_up/{name}.html``).
    name: ClassVar[str]
    methods: ClassVar[tuple[str, ...]]

    @abstractmethod
    def level(self, policy: Policy) -> AuthLevel:
        """The level a successful verification raises the session to."""

    @abstractmethod
    def usable(self, ctx: FactorContext) -> tuple[str, ...]:
        """The methods of this factor the customer can use now (none: not set up for them)."""

    def start(self, deps: Deps, actor: CustomerActor, command: StartT) -> object | None:
        """Begin a verification (send a code, issue a nonce to sign); None when there is
        nothing to start."""
        return None

    @abstractmethod
    def verify(self, deps: Deps, actor: CustomerActor, command: VerifyT) -> StepUpResult:
        """Check the customer's proof and raise the session's level (or refuse, having counted
        the failure)."""
