"""F2/F5: the financial certificate is issued, re-issued and renewed at a bank, by the customer
in a session raised to a one-time code (or a certificate). One person holds one live
certificate: issuing replaces another bank's only when the customer confirms it, re-issuing
replaces the customer's own (a new key, the same expiry), renewing certifies the same key again
in the last days before expiry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from netbank.domain import fincert as fc
from netbank.domain.customer import Customer
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.fincert import CertificateStatus, FinancialCertificate, RevocationReason
from netbank.domain.policy import Policy
from netbank.services.common import CustomerActor, id_of
from netbank.services.fincert.shared import (
    CertificateView,
    audit,
    authorities,
    check_pin,
    customer_of,
    ensure_bank,
    held_certificate,
    masked_number_of,
    register,
    retire,
    service,
    view_of,
)
from netbank.services.ports import Deps, FinCertAuthority, UnitOfWork


@dataclass(frozen=True, kw_only=True)
class IssueCertificate:
    """F2/F5: the one financial certificate of the customer's person, with its 6-digit PIN;
    ``confirm_revoke_other``: the customer agrees that another bank's live one is revoked."""

    pin: str = field(repr=False)
    confirm_revoke_other: bool = False


@dataclass(frozen=True, kw_only=True)
class ReissueCertificate:
    """F5: a new key and certificate (with a new PIN) in place of the customer's own."""

    pin: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class RenewCertificate:
    """F5: the same key certified again, proven with the certificate's PIN."""

    pin: str = field(repr=False)


def issue_certificate(deps: Deps, actor: CustomerActor, command: IssueCertificate) -> CertificateView:
    """F2/F5: a bank customer in a strong session gets the one financial certificate of their
    person. A live one from another bank is revoked first only if the customer confirms."""
    policy = _ready_to_issue(deps, actor, command.pin)
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = _personal_customer(uow, actor)
        document = uow.customers.document_of(actor.customer_id)
        existing = uow.fincert.live_certificate_of(document.number_digest, for_update=True)
        fc.ensure_may_issue(
            existing,
            institution_id=actor.institution_id,
            confirm_revoke=command.confirm_revoke_other,
            now=now,
        )
        replaced = None
        if existing is not None:
            replaced = existing.serial
            retire(uow, existing, RevocationReason.SUPERSEDED, now)
        not_after = fc.add_years(now, policy.fincert.validity_years)
        certificate = _new_certificate(
            deps, uow, customer, document.number_digest, command.pin, not_after=not_after, now=now
        )
        register(deps, uow, certificate, customer, policy, now)
        audit(uow, actor.institution_code, now, actor.label, "issued", certificate, replaced=replaced)
        uow.commit()
        return view_of(uow, certificate, document.number_masked)


def reissue_certificate(deps: Deps, actor: CustomerActor, command: ReissueCertificate) -> CertificateView:
    """F5: a new key and certificate at any bank, keeping the original expiry; the previous
    certificate is revoked everywhere and its registrations voided. The way out of a PIN lock."""
    policy = _ready_to_issue(deps, actor, command.pin)
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = _personal_customer(uow, actor)
        existing = held_certificate(uow, actor, for_update=True)
        existing.ensure_not_expired(now)
        retire(uow, existing, RevocationReason.SUPERSEDED, now)
        certificate = _new_certificate(
            deps, uow, customer, existing.person_digest, command.pin, not_after=existing.not_after, now=now
        )
        register(deps, uow, certificate, customer, policy, now)
        audit(
            uow, actor.institution_code, now, actor.label, "reissued", certificate, replaced=existing.serial
        )
        uow.commit()
        return view_of(uow, certificate, masked_number_of(uow, actor.customer_id))


def renew_certificate(deps: Deps, actor: CustomerActor, command: RenewCertificate) -> CertificateView:
    """F5: only at the issuing bank and only in the last days before expiry: the same key is
    certified again until the old expiry plus the validity; registrations and PIN stay. The old
    certificate is published as revoked, reason superseded, from the renewal on (OCSP, CRL, and
    a signature made with it is refused F4_CERTIFICATE_REVOKED)."""
    adapters = service(deps)
    ensure_bank(deps, actor)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = held_certificate(uow, actor, for_update=True)
        not_after = certificate.renewed_not_after(actor.institution_id, now, policy.fincert)
        _, issuing = authorities(uow)
        _ensure_ca_covers(issuing, now, not_after)
        check_pin(deps, uow, certificate, command.pin, policy, now, actor.institution_code)
        public_key_der = adapters.ca.public_key_of(certificate.der)
        serial, der = adapters.ca.issue(
            issuing, public_key_der, holder_name=certificate.holder_name, not_before=now, not_after=not_after
        )
        # The old certificate is published as superseded from now until its own expiry.
        old = certificate.renew(serial, der, not_after, now)
        uow.fincert.add_superseded(old)
        audit(uow, actor.institution_code, now, actor.label, "renewed", certificate, previous=old.serial)
        uow.commit()
        return view_of(uow, certificate, masked_number_of(uow, actor.customer_id))


# --- helpers -------------------------------------------------------------------------------


def _ready_to_issue(deps: Deps, actor: CustomerActor, pin: str) -> Policy:
    """Before any write: the service runs (F1), this is a bank and the session is strong (F2),
    the new PIN is acceptable (F5). Returns the institution's certificate policy."""
    service(deps)
    ensure_bank(deps, actor)
    fc.ensure_pin_format(pin)
    return deps.policies.policy_for(actor.institution_code)


def _personal_customer(uow: UnitOfWork, actor: CustomerActor) -> Customer:
    """F2: the signed-in customer, who must be a person (not a business)."""
    customer = customer_of(uow, actor.customer_id)
    fc.ensure_personal_customer(customer)
    return customer


def _ensure_ca_covers(issuing: FinCertAuthority, not_before: datetime, not_after: datetime) -> None:
    """F1: a certificate's validity lies within its issuing CA's, or path validation refuses
    it (RFC 5280 6.1.3). Once the issuing CA cannot cover a new certificate's whole period, the
    operator rolls the service CA over; until then issuing, re-issuing and renewing are refused
    (before any key is made)."""
    if not_before < issuing.not_before or not_after > issuing.not_after:
        raise RuleViolation(Code.F1_CA_VALIDITY_EXCEEDED, ca_not_after=issuing.not_after.date().isoformat())


def _new_certificate(
    deps: Deps,
    uow: UnitOfWork,
    customer: Customer,
    person_digest: str,
    pin: str,
    *,
    not_after: datetime,
    now: datetime,
) -> FinancialCertificate:
    """A new key on the service's key store, certified by the issuing CA until ``not_after``,
    for the customer's person (``person_digest``), protected by ``pin``."""
    adapters = service(deps)
    _, issuing = authorities(uow)
    _ensure_ca_covers(issuing, now, not_after)
    key_ref = f"fc-{deps.tokens.new_key()}"
    key = adapters.keys.generate(key_ref)
    serial, der = adapters.ca.issue(
        issuing, key.public_key_der, holder_name=customer.name, not_before=now, not_after=not_after
    )
    certificate = FinancialCertificate(
        person_digest=person_digest,
        holder_name=customer.name,
        issuing_institution_id=customer.institution_id,
        customer_id=id_of(customer),
        serial=serial,
        status=CertificateStatus.VALID,
        not_before=now,
        not_after=not_after,
        issued_at=now,
        pin_digest=adapters.pins.digest(key_ref, pin),
        key_ref=key_ref,
        key_sealed=key.sealed,
        der=der,
    )
    uow.fincert.add_certificate(certificate)
    return certificate
