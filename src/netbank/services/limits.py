"""The customer's limits (L1-L4) at the session's level (K2): what is in force and left
today, lowering one's own limits, and the authorisation of a payout against them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from netbank.domain.enrolment import Contract, Version
from netbank.domain.errors import Code, NotFound
from netbank.domain.limits import (
    VERSION_CEILING,
    DailyUsage,
    OwnLimits,
    daily_cap,
    ensure_own_limits_within,
    ensure_within_daily_cap,
    ensure_within_limits,
    fits,
    limits_at,
)
from netbank.domain.policy import Policy, VersionLimits
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, id_of
from netbank.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class LimitsView:
    version: str
    level: int
    version_limits: VersionLimits
    own_per_transaction_minor: int | None
    own_daily_minor: int | None
    in_force: VersionLimits
    used_today_minor: int
    bill_payments_today_minor: int
    left_today_minor: int
    bill_payment_left_today_minor: int
    business_date: date
    currency: str


def enrolled_contract(uow: UnitOfWork, actor: CustomerActor) -> Contract:
    """E3: the active contract of the signed-in customer (E1: a card login has none)."""
    contract = uow.contracts.get(actor.ensure_enrolled())
    if contract is None or not contract.is_active:
        raise NotFound(Code.E3_NOT_ENROLLED)
    return contract


def limits_view(deps: Deps, actor: CustomerActor) -> LimitsView:
    policy = deps.policies.policy_for(actor.institution_code)
    today = deps.today_in(policy.timezone)
    with deps.uow(readonly=True) as uow:
        contract = enrolled_contract(uow, actor)
        own = uow.payouts.own_limits(id_of(contract))
        version_limits = limits_at(policy, contract.version, VERSION_CEILING[contract.version], None)
        in_force = limits_at(policy, contract.version, actor.level, own)
        usage = uow.payouts.peek_usage(id_of(contract), today)
        used = usage.transfers_minor + usage.bill_payments_minor
        cap = daily_cap(version_limits, own)
        return LimitsView(
            version=contract.version.value,
            level=int(actor.level),
            version_limits=version_limits,
            own_per_transaction_minor=own.per_transaction_minor if own else None,
            own_daily_minor=own.daily_minor if own else None,
            in_force=in_force,
            used_today_minor=used,
            bill_payments_today_minor=usage.bill_payments_minor,
            left_today_minor=max(in_force.daily_minor - used, 0),
            bill_payment_left_today_minor=min(
                max(in_force.bill_payment_daily_minor - usage.bill_payments_minor, 0),
                max(cap - used, 0) if cap is not None else in_force.bill_payment_daily_minor,
            )
            if in_force.bill_payment_daily_minor
            else max(in_force.daily_minor - used, 0),
            business_date=today,
            currency=policy.currency,
        )


@dataclass(frozen=True, kw_only=True)
class SetOwnLimits:
    """L1: your own limits, at most your version's; None restores the version's."""

    per_transaction_minor: int | None = None
    daily_minor: int | None = None


def set_own_limits(deps: Deps, actor: CustomerActor, cmd: SetOwnLimits) -> LimitsView:
    """L1: the customer lowers (or restores) their own limits within their version's."""
    per_transaction_minor, daily_minor = cmd.per_transaction_minor, cmd.daily_minor
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        contract = enrolled_contract(uow, actor)
        version_limits = limits_at(policy, contract.version, VERSION_CEILING[contract.version], None)
        ensure_own_limits_within(version_limits, per_transaction_minor, daily_minor)
        uow.payouts.set_own_limits(
            OwnLimits(
                contract_id=id_of(contract),
                per_transaction_minor=per_transaction_minor,
                daily_minor=daily_minor,
            )
        )
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="limits.changed",
            subject=actor.label,
            details={"per_transaction_minor": per_transaction_minor, "daily_minor": daily_minor},
        )
        uow.commit()
    return limits_view(deps, actor)


def authorize(
    deps: Deps,
    uow: UnitOfWork,
    actor: CustomerActor,
    policy: Policy,
    version: Version,
    own: OwnLimits | None,
    amount_minor: int,
    usage: DailyUsage,
    *,
    bill: bool,
) -> None:
    """L1-L3 with K2: within the limits of the session's level, or a step-up answer naming the
    lowest level at which the payment fits, or the refusal of the strongest level's limits.
    The customer's daily cap holds at every level, so no step-up is asked for past it."""
    ceiling = VERSION_CEILING[version]
    version_limits = limits_at(policy, version, ceiling, None)
    current = limits_at(policy, version, actor.level, own)
    if fits(current, amount_minor, usage, bill=bill):
        ensure_within_daily_cap(version_limits, own, amount_minor, usage)
        return
    for level in (AuthLevel.ONE_TIME_CODE, AuthLevel.CERTIFICATE):
        if actor.level < level <= ceiling and fits(
            limits_at(policy, version, level, own), amount_minor, usage, bill=bill
        ):
            ensure_within_daily_cap(version_limits, own, amount_minor, usage)
            raise deps.factors.step_up_required(deps, actor, level, uow)
    ensure_within_limits(
        limits_at(policy, version, ceiling if actor.level < ceiling else actor.level, own),
        amount_minor,
        usage,
        bill=bill,
    )
