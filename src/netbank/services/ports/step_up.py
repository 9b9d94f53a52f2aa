"""K2: the step-up factors a deployment offers (``services/factors``), as the use cases that
need a stronger session name them in their refusal and the pages list them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from netbank.domain.session import AuthLevel

if TYPE_CHECKING:
    from netbank.domain.errors import StepUpRequired
    from netbank.services.common import CustomerActor
    from netbank.services.factors.registry import Method
    from netbank.services.ports.uow import Deps, UnitOfWork


class StepUpFactors(Protocol):
    def step_up_required(
        self, deps: Deps, actor: CustomerActor, level: AuthLevel, uow: UnitOfWork | None = None
    ) -> StepUpRequired:
        """The refusal that names ``level`` and the methods that reach it."""
        ...

    def catalogue(self, deps: Deps, actor: CustomerActor, uow: UnitOfWork | None = None) -> list[Method]:
        """Every method, the level it gives and whether the customer can use it now."""
        ...

    def methods(
        self,
        deps: Deps,
        actor: CustomerActor,
        *,
        at_least: AuthLevel | None = None,
        uow: UnitOfWork | None = None,
    ) -> list[str]:
        """The methods the customer can use now that reach ``at_least``."""
        ...

    def grouped(self, methods: Sequence[str]) -> list[tuple[str, list[str]]]:
        """``methods`` by the factor that offers them: (factor name, its methods)."""
        ...
