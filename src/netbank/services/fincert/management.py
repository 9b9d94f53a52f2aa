"""F4: the holder manages their certificate from an institution's e-banking: sees it with the
institutions where it is registered, releases the registration here (해제), revokes it at the
issuing bank (폐기), suspends and restores it (정지/해제) and changes its PIN (F5)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netbank.domain import fincert as fc
from netbank.domain.errors import Code, NotFound
from netbank.domain.fincert import FinancialCertificate, RegistrationStatus, RevocationReason
from netbank.services.common import CustomerActor, id_of
from netbank.services.fincert.shared import (
    STRONG,
    CertificateView,
    audit,
    check_pin,
    ensure_bank,
    held_certificate,
    masked_number_of,
    retire,
    service,
    view_of,
)
from netbank.services.ports import Deps, UnitOfWork
from netbank.services.strong_auth import require_level


@dataclass(frozen=True)
class ReleaseRegistration:
    """F4 해제: remove the registration at the signed-in customer's institution."""


@dataclass(frozen=True)
class RevokeCertificate:
    """F4 폐기: revoke the certificate for good, at the bank that issued it."""


@dataclass(frozen=True)
class SuspendCertificate:
    """F4 정지: suspend the certificate (restorable)."""


@dataclass(frozen=True)
class RestoreCertificate:
    """F4 정지 해제: end a suspension."""


@dataclass(frozen=True, kw_only=True)
class ChangePIN:
    """F4/F5 비밀번호 변경: the certificate's PIN, proven with the old one."""

    old_pin: str = field(repr=False)
    new_pin: str = field(repr=False)


def my_certificate(deps: Deps, actor: CustomerActor) -> CertificateView:
    """F4: the signed-in customer's certificate and where it is registered."""
    with deps.uow(readonly=True) as uow:
        certificate = held_certificate(uow, actor)
        return view_of(uow, certificate, masked_number_of(uow, actor.customer_id))


def release_registration(deps: Deps, actor: CustomerActor, command: ReleaseRegistration) -> None:
    """F4 해제: remove the registration at this institution; the certificate stays valid."""
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = held_certificate(uow, actor, for_update=True)
        registration = uow.fincert.active_registration(
            id_of(certificate), actor.institution_id, for_update=True
        )
        if registration is None:
            raise NotFound(Code.F4_NOT_REGISTERED)
        registration.status = RegistrationStatus.RELEASED
        registration.ended_at = now
        audit(uow, actor.institution_code, now, actor.label, "released", certificate)
        uow.commit()


def revoke_certificate(deps: Deps, actor: CustomerActor, command: RevokeCertificate) -> None:
    """F4 폐기: at the issuing bank, for good and everywhere."""
    ensure_bank(deps, actor)
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = held_certificate(uow, actor, for_update=True)
        certificate.ensure_revocable_at(actor.institution_id)
        voided = retire(uow, certificate, RevocationReason.REVOKED_BY_HOLDER, now)
        audit(uow, actor.institution_code, now, actor.label, "revoked", certificate, voided=voided)
        uow.commit()


def suspend_certificate(deps: Deps, actor: CustomerActor, command: SuspendCertificate) -> None:
    """F4 정지: at any institution where it is registered; restorable."""
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _registered_here(uow, actor)
        certificate.suspend(now)
        audit(uow, actor.institution_code, now, actor.label, "suspended", certificate)
        uow.commit()


def restore_certificate(deps: Deps, actor: CustomerActor, command: RestoreCertificate) -> None:
    """F4 정지 해제: needs a strong session."""
    require_level(deps, actor, STRONG)
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _registered_here(uow, actor)
        certificate.restore(now)
        audit(uow, actor.institution_code, now, actor.label, "restored", certificate)
        uow.commit()


def change_pin(deps: Deps, actor: CustomerActor, command: ChangePIN) -> None:
    """F4/F5: the old PIN is required (and counted when wrong)."""
    adapters = service(deps)
    fc.ensure_pin_format(command.new_pin)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _registered_here(uow, actor)
        check_pin(deps, uow, certificate, command.old_pin, policy, now, actor.institution_code)
        certificate.pin_digest = adapters.pins.digest(certificate.key_ref, command.new_pin)
        audit(uow, actor.institution_code, now, actor.label, "pin_changed", certificate)
        uow.commit()


def _registered_here(uow: UnitOfWork, actor: CustomerActor) -> FinancialCertificate:
    """The customer's certificate, locked for update, if it is registered at this institution
    (F4: suspending, restoring and changing the PIN happen where it is registered)."""
    certificate = held_certificate(uow, actor, for_update=True)
    if uow.fincert.active_registration(id_of(certificate), actor.institution_id) is None:
        raise NotFound(Code.F4_NOT_REGISTERED)
    return certificate
