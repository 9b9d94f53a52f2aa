"""The factors a deployment offers, in the order clients should offer them (K2 first: the
TOTP code the OTP version was sold with)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netbank.domain.errors import Code, StepUpRequired
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor
from netbank.services.factors.base import FactorContext, StepUpFactor
from netbank.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class Method:
    """One step-up method as the settings page lists it."""

    name: str
    level: AuthLevel
    usable: bool


class FactorRegistry:
    """The step-up factors, each a :class:`StepUpFactor`; method names are unique."""

    def __init__(self, factors: Sequence[StepUpFactor[Any, Any]]) -> None:
        names = [m for f in factors for m in f.methods]
        if len(names) != len(set(names)):
            raise ValueError(f"step-up method offered twice: {names}")
        self.factors = tuple(factors)

    def catalogue(self, deps: Deps, actor: CustomerActor, uow: UnitOfWork | None = None) -> list[Method]:
        """Every method, with the level it gives and whether this customer can use it now."""
        if actor.contract_id is None:  # E1: a card login can only query
            return [
                Method(m, f.level(deps.policies.policy_for(actor.institution_code)), False)
                for f in self.factors
                for m in f.methods
            ]
        if uow is None:
            with deps.uow(readonly=True) as read:
                return self._catalogue(deps, actor, read)
        return self._catalogue(deps, actor, uow)

    def _catalogue(self, deps: Deps, actor: CustomerActor, uow: UnitOfWork) -> list[Method]:
        policy = deps.policies.policy_for(actor.institution_code)
        contract = uow.contracts.get(actor.contract_id or 0)
        if contract is None or not contract.is_active:
            return []
        ctx = FactorContext(deps, uow, actor, policy, contract)
        found = []
        for factor in self.factors:
            usable = factor.usable(ctx)
            found += [Method(m, factor.level(policy), m in usable) for m in factor.methods]
        return found

    def methods(
        self,
        deps: Deps,
        actor: CustomerActor,
        *,
        at_least: AuthLevel | None = None,
        uow: UnitOfWork | None = None,
    ) -> list[str]:
        """The methods this customer can use now that reach ``at_least``."""
        return [
            m.name
            for m in self.catalogue(deps, actor, uow)
            if m.usable and (at_least is None or m.level >= at_least)
        ]

    def grouped(self, methods: Sequence[str]) -> list[tuple[str, list[str]]]:
        """``methods`` by the factor that offers them, in the registry's order: (factor name,
        its methods among ``methods``) for each factor that offers any."""
        return [
            (f.name, [m for m in f.methods if m in methods])
            for f in self.factors
            if set(f.methods) & set(methods)
        ]

    def step_up_required(
        self, deps: Deps, actor: CustomerActor, level: AuthLevel, uow: UnitOfWork | None = None
    ) -> StepUpRequired:
        """K2: the refusal that names the level needed and the methods that reach it."""
        return StepUpRequired(
            Code.K2_STEP_UP_REQUIRED,
            required_level=int(level),
            current_level=int(actor.level),
            methods=self.methods(deps, actor, at_least=level, uow=uow),
        )
