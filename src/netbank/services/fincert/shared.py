"""What the use cases of the cloud financial certificate service share: the views of a
certificate, the look-ups that refuse cleanly, the F5 PIN check, revocation everywhere, the
registration at an institution with its SMS notice (F4), and the audit entries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from netbank.domain import fincert as fc
from netbank.domain.customer import Customer
from netbank.domain.errors import Code, Locked, NotFound, RuleViolation
from netbank.domain.fincert import FinancialCertificate, Registration, RegistrationStatus, RevocationReason
from netbank.domain.institution import Institution
from netbank.domain.outbox import MessageKind, OutboxMessage
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, id_of
from netbank.services.ports import Deps, FinCertAdapters, FinCertAuthority, UnitOfWork
from netbank.services.strong_auth import require_level

#: F2: issuing, re-issuing, renewing, revoking and restoring need a strong session.
STRONG = AuthLevel.ONE_TIME_CODE
#: The audit chain of the cloud service's own events (F8: devices, the purge).
CHAIN = "fincert"


# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationView:
    institution_code: str
    institution_name: str
    registered_at: datetime


@dataclass(frozen=True)
class CertificateView:
    """What the holder sees (F4): never the resident number in full, never the key or PIN."""

    serial: str
    status: str
    holder_name: str
    resident_number_masked: str
    issuing_institution: str
    not_before: datetime
    not_after: datetime
    pin_locked: bool
    registrations: list[RegistrationView]
    der: bytes


def view_of(uow: UnitOfWork, certificate: FinancialCertificate, masked: str) -> CertificateView:
    """The holder's view of ``certificate``, ``masked`` being their masked resident number."""
    registrations = []
    for r in uow.fincert.active_registrations(id_of(certificate)):
        inst = institution_of(uow, r.institution_id)
        registrations.append(RegistrationView(inst.code, inst.name, r.registered_at))
    return CertificateView(
        serial=certificate.serial,
        status=certificate.status.value,
        holder_name=certificate.holder_name,
        resident_number_masked=masked,
        issuing_institution=institution_of(uow, certificate.issuing_institution_id).code,
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        pin_locked=certificate.pin_locked,
        registrations=registrations,
        der=certificate.der,
    )


# --- look-ups ------------------------------------------------------------------------------


def service(deps: Deps) -> FinCertAdapters:
    """F1: the service's adapters, or F1_SERVICE_NOT_CONFIGURED where the deployment runs none."""
    if deps.fincert is None:
        raise RuleViolation(Code.F1_SERVICE_NOT_CONFIGURED)
    return deps.fincert


def authorities(uow: UnitOfWork) -> tuple[FinCertAuthority, FinCertAuthority]:
    """F1: (root, issuing), the service CA, or F1_CA_NOT_INITIALISED before ``init-ca``."""
    root = uow.fincert.active_authority("root")
    issuing = uow.fincert.active_authority("issuing")
    if root is None or issuing is None:
        raise RuleViolation(Code.F1_CA_NOT_INITIALISED)
    return root, issuing


def customer_of(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFound(Code.CUSTOMER_NOT_FOUND)
    return customer


def institution_of(uow: UnitOfWork, institution_id: int) -> Institution:
    inst = uow.institutions.get(institution_id)
    if inst is None:
        raise NotFound(Code.INSTITUTION_NOT_FOUND, institution=str(institution_id))
    return inst


def ensure_bank(deps: Deps, actor: CustomerActor) -> Institution:
    """F2 first (a clear refusal at a non-bank), then the session's strength."""
    with deps.uow(readonly=True) as uow:
        inst = institution_of(uow, actor.institution_id)
    fc.ensure_issuer_is_bank(inst)
    require_level(deps, actor, STRONG)
    return inst


def held_certificate(
    uow: UnitOfWork, actor: CustomerActor, *, for_update: bool = False
) -> FinancialCertificate:
    """The live certificate of the signed-in customer's person, or F4_NO_CERTIFICATE."""
    person = uow.customers.document_of(actor.customer_id).number_digest
    certificate = uow.fincert.live_certificate_of(person, for_update=for_update)
    if certificate is None:
        raise NotFound(Code.F4_NO_CERTIFICATE)
    return certificate


def masked_number_of(uow: UnitOfWork, customer_id: int) -> str:
    """The customer's resident number as the holder's view shows it."""
    return uow.customers.document_of(customer_id).number_masked


# --- the audit trail -------------------------------------------------------------------------


def audit(
    uow: UnitOfWork,
    chain: str,
    now: datetime,
    actor: str,
    event: str,
    certificate: FinancialCertificate,
    **details: object,
) -> None:
    """An event about ``certificate`` (subject: its serial) in the chain of ``chain``."""
    uow.audit.append(
        chain=chain,
        at=now,
        actor=actor,
        event=f"fincert.{event}",
        subject=f"fincert:{certificate.serial}",
        details={"serial": certificate.serial, **details},
    )


def person_ref(person_digest: str) -> str:
    """How the audit names a person: a prefix of the keyed digest, never the number."""
    return f"fincert-person:{person_digest[:16]}"


def audit_person(
    uow: UnitOfWork, now: datetime, actor: str, event: str, person_digest: str, **details: object
) -> None:
    """An event of the cloud service about a person (F8), in the service's own chain."""
    uow.audit.append(
        chain=CHAIN,
        at=now,
        actor=actor,
        event=f"fincert.{event}",
        subject=person_ref(person_digest),
        details=details,
    )


# --- the PIN, revocation, registration -------------------------------------------------------


def check_pin(
    deps: Deps,
    uow: UnitOfWork,
    certificate: FinancialCertificate,
    pin: str,
    policy: Policy,
    now: datetime,
    chain: str,
) -> None:
    """F5: the certificate (locked for update by the caller) is usable and ``pin`` is right.
    A wrong PIN is counted and committed, then refused; the limit locks the certificate."""
    adapters = service(deps)
    certificate.ensure_usable(now)
    if adapters.pins.matches(certificate.pin_digest, certificate.key_ref, pin):
        certificate.record_right_pin()
        uow.fincert_devices.record_activity(certificate.person_digest, now)  # F8: a use
        return
    locked = certificate.record_wrong_pin(policy.fincert.pin_max_failures)
    audit(
        uow,
        chain,
        now,
        "fincert-service",
        "pin_locked" if locked else "pin_wrong",
        certificate,
        failures=certificate.pin_failures,
    )
    uow.commit()
    if certificate.pin_locked:
        raise Locked(Code.F5_PIN_LOCKED)
    raise fc.PINRejected(
        Code.F5_PIN_WRONG, attempts_left=policy.fincert.pin_max_failures - certificate.pin_failures
    )


def retire(
    uow: UnitOfWork, certificate: FinancialCertificate, reason: RevocationReason, now: datetime
) -> int:
    """Revoke everywhere (F4/F5) and void every registration; returns how many were voided."""
    certificate.revoke(reason, now)
    voided = 0
    for registration in uow.fincert.active_registrations(id_of(certificate)):
        registration.status = RegistrationStatus.VOIDED
        registration.ended_at = now
        voided += 1
    uow.flush()  # the old row leaves the one-live-per-person index before a new one comes
    return voided


def register(
    deps: Deps,
    uow: UnitOfWork,
    certificate: FinancialCertificate,
    customer: Customer,
    policy: Policy,
    now: datetime,
) -> Registration:
    """F4: ``certificate`` registered at the customer's institution, which sends an SMS notice."""
    registration = Registration(
        certificate_id=id_of(certificate),
        institution_id=customer.institution_id,
        customer_id=id_of(customer),
        registered_at=now,
    )
    uow.fincert.add_registration(registration)
    uow.fincert_devices.record_activity(certificate.person_digest, now)  # F8: a use
    _notify_registration(deps, uow, policy, customer.institution_id, customer.mobile, now)
    return registration


def _notify_registration(
    deps: Deps, uow: UnitOfWork, policy: Policy, institution_id: int, phone: str, now: datetime
) -> None:
    """F4: the registering institution sends an SMS notice (through the outbox)."""
    dedup_key = deps.tokens.new_key()
    payload = {
        "template": "fincert_registered",
        "institution": policy.institution_code,
        "institution_name": policy.name,
        "language": policy.language,
    }
    uow.outbox.add(
        OutboxMessage(
            institution_id=institution_id,
            kind=MessageKind.SMS,
            recipient=phone,
            body_sealed=deps.secrets.seal(
                json.dumps(payload, ensure_ascii=False, sort_keys=True).encode(), f"outbox:{dedup_key}"
            ),
            dedup_key=dedup_key,
            created_at=now,
            next_attempt_at=now,
        )
    )
