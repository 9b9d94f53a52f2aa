"""Use cases of the cloud financial certificate service (SPEC F1-F5, F7).

One service per deployment, shared by every member institution (F1): its CA keys are on the
HSM, customers' keys in the key store, and the database holds the certificates, their
registrations at institutions and the F3 registration flows. A person is identified across
institutions by the keyed digest of their resident registration number, which every institution
already stores next to the sealed number (``identity_documents.number_digest``).

Refusals change nothing, except wrong PINs and wrong codes: those are counted and committed
before the refusal is raised (F5 lock-out, K2 attempts), under a row lock on the certificate
(``SELECT ... FOR UPDATE``; ``BEGIN IMMEDIATE`` on SQLite), so parallel guesses cannot beat
the counter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from netbank.domain import fincert as fc
from netbank.domain.customer import Customer, normalize_phone
from netbank.domain.errors import Code, Conflict, Locked, NotFound, RuleViolation
from netbank.domain.fincert import (
    CertificateStatus,
    FinancialCertificate,
    FlowStep,
    Registration,
    RegistrationFlow,
    RegistrationStatus,
    RevocationReason,
    SignaturePurpose,
)
from netbank.domain.identity import DocumentType
from netbank.domain.institution import Institution
from netbank.domain.otp import ChallengeChannel, ChallengePurpose, FactorRejected, RateLimited
from netbank.domain.outbox import MessageKind, OutboxMessage
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, id_of, institution_by_code
from netbank.services.ports import (
    Deps,
    FinCertAdapters,
    FinCertAuthority,
    UnitOfWork,
    VerifiedSignedData,
)
from netbank.services.strong_auth import (
    check_challenge_code,
    count_attempt,
    create_challenge,
    require_level,
)

#: F2: issuing, re-issuing, renewing, revoking and restoring need a strong session.
STRONG = AuthLevel.ONE_TIME_CODE


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


@dataclass(frozen=True)
class FlowView:
    handle: str
    step: str
    expires_at: datetime
    challenge_id: int | None = None


@dataclass(frozen=True)
class SignedMessage:
    serial: str
    purpose: SignaturePurpose
    cms_der: bytes


# --- helpers -------------------------------------------------------------------------------


def _service(deps: Deps) -> FinCertAdapters:
    if deps.fincert is None:
        raise RuleViolation(Code.F1_SERVICE_NOT_CONFIGURED)
    return deps.fincert


def _authorities(uow: UnitOfWork) -> tuple[FinCertAuthority, FinCertAuthority]:
    root = uow.fincert.active_authority("root")
    issuing = uow.fincert.active_authority("issuing")
    if root is None or issuing is None:
        raise RuleViolation(Code.F1_CA_NOT_INITIALISED)
    return root, issuing


def _ensure_ca_covers(issuing: FinCertAuthority, not_before: datetime, not_after: datetime) -> None:
    """F1: a certificate's validity lies within its issuing CA's, or path validation refuses
    it (RFC 5280 6.1.3). Once the issuing CA cannot cover a new certificate's whole period, the
    operator rolls the service CA over; until then issuing, re-issuing and renewing are refused
    (before any key is made)."""
    if not_before < issuing.not_before or not_after > issuing.not_after:
        raise RuleViolation(Code.F1_CA_VALIDITY_EXCEEDED, ca_not_after=issuing.not_after.date().isoformat())


def _customer(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFound(Code.CUSTOMER_NOT_FOUND)
    return customer


def _person_digest(uow: UnitOfWork, customer_id: int) -> str:
    return uow.customers.document_of(customer_id).number_digest


def _institution(uow: UnitOfWork, institution_id: int) -> Institution:
    inst = uow.institutions.get(institution_id)
    if inst is None:
        raise NotFound(Code.INSTITUTION_NOT_FOUND, institution=str(institution_id))
    return inst


def _ensure_bank(deps: Deps, actor: CustomerActor) -> Institution:
    """F2 first (a clear refusal at a non-bank), then the session's strength."""
    with deps.uow(readonly=True) as uow:
        inst = _institution(uow, actor.institution_id)
    fc.ensure_issuer_is_bank(inst)
    require_level(deps, actor, STRONG)
    return inst


def _my_certificate(
    uow: UnitOfWork, actor: CustomerActor, *, for_update: bool = False
) -> FinancialCertificate:
    certificate = uow.fincert.live_certificate_of(
        _person_digest(uow, actor.customer_id), for_update=for_update
    )
    if certificate is None:
        raise NotFound(Code.F4_NO_CERTIFICATE)
    return certificate


def _audit(
    uow: UnitOfWork,
    chain: str,
    now: datetime,
    actor: str,
    event: str,
    certificate: FinancialCertificate,
    **details: object,
) -> None:
    uow.audit.append(
        chain=chain,
        at=now,
        actor=actor,
        event=f"fincert.{event}",
        subject=f"fincert:{certificate.serial}",
        details={"serial": certificate.serial, **details},
    )


def _check_pin(
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
    service = _service(deps)
    certificate.ensure_usable(now)
    if service.pins.matches(certificate.pin_digest, certificate.key_ref, pin):
        certificate.record_right_pin()
        uow.fincert_devices.record_activity(certificate.person_digest, now)  # F8: a use
        return
    locked = certificate.record_wrong_pin(policy.fincert.pin_max_failures)
    _audit(
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


def _retire(
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


def _register(
    deps: Deps,
    uow: UnitOfWork,
    certificate: FinancialCertificate,
    customer: Customer,
    policy: Policy,
    now: datetime,
) -> Registration:
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
    service = _service(deps)
    _, issuing = _authorities(uow)
    _ensure_ca_covers(issuing, now, not_after)
    key_ref = f"fc-{deps.tokens.new_key()}"
    key = service.keys.generate(key_ref)
    serial, der = service.ca.issue(
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
        pin_digest=service.pins.digest(key_ref, pin),
        key_ref=key_ref,
        key_sealed=key.sealed,
        der=der,
    )
    uow.fincert.add_certificate(certificate)
    return certificate


def _view(uow: UnitOfWork, certificate: FinancialCertificate, masked: str) -> CertificateView:
    registrations = []
    for r in uow.fincert.active_registrations(id_of(certificate)):
        inst = _institution(uow, r.institution_id)
        registrations.append(RegistrationView(inst.code, inst.name, r.registered_at))
    return CertificateView(
        serial=certificate.serial,
        status=certificate.status.value,
        holder_name=certificate.holder_name,
        resident_number_masked=masked,
        issuing_institution=_institution(uow, certificate.issuing_institution_id).code,
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        pin_locked=certificate.pin_locked,
        registrations=registrations,
        der=certificate.der,
    )


# --- F1: the service CA --------------------------------------------------------------------


def init_service_ca(deps: Deps) -> list[FinCertAuthority]:
    """F1: create the service's root and issuing CA and the issuing CA's delegated OCSP signer
    on the HSM (once per deployment). Where the CAs exist but the signer does not (a deployment
    older than the responder), only the signer is created; with both there, it is refused."""
    service = _service(deps)
    now = deps.clock.now()
    with deps.uow() as uow:
        issuing = uow.fincert.active_authority("issuing")
        if issuing is None:
            made = service.ca.create_hierarchy(now)
            for authority in made:
                uow.fincert.add_authority(authority, now)
            issuing = next(a for a in made if a.role == "issuing")
        else:
            made = []
        signer, created = service.ca.ensure_ocsp_signer(issuing, now)
        if not made and not created:
            raise Conflict(Code.F1_CA_ALREADY_INITIALISED)
        made.append(signer)
        uow.audit.append(
            chain="fincert",
            at=now,
            actor="operator",
            event="fincert.ca_created",
            subject="fincert:ca",
            details={a.role: a.serial for a in made},
        )
        uow.commit()
        return made


def service_ca_certificates(deps: Deps) -> tuple[FinCertAuthority, FinCertAuthority]:
    """(root, issuing): what institutions trust."""
    with deps.uow(readonly=True) as uow:
        return _authorities(uow)


# --- F2/F5: issue, re-issue, renew at a bank ------------------------------------------------


def issue_certificate(
    deps: Deps, actor: CustomerActor, pin: str, *, confirm_revoke_other: bool
) -> CertificateView:
    """F2/F5: a bank customer in a strong session gets the one financial certificate of their
    person. A live one from another bank is revoked first only if the customer confirms."""
    _service(deps)
    _ensure_bank(deps, actor)
    fc.ensure_pin_format(pin)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = _customer(uow, actor.customer_id)
        fc.ensure_personal_customer(customer)
        document = uow.customers.document_of(actor.customer_id)
        existing = uow.fincert.live_certificate_of(document.number_digest, for_update=True)
        fc.ensure_may_issue(
            existing, institution_id=actor.institution_id, confirm_revoke=confirm_revoke_other, now=now
        )
        replaced = None
        if existing is not None:
            replaced = existing.serial
            _retire(uow, existing, RevocationReason.SUPERSEDED, now)
        certificate = _new_certificate(
            deps,
            uow,
            customer,
            document.number_digest,
            pin,
            not_after=fc.add_years(now, policy.fincert.validity_years),
            now=now,
        )
        _register(deps, uow, certificate, customer, policy, now)
        _audit(uow, actor.institution_code, now, actor.label, "issued", certificate, replaced=replaced)
        uow.commit()
        return _view(uow, certificate, document.number_masked)


def reissue_certificate(deps: Deps, actor: CustomerActor, pin: str) -> CertificateView:
    """F5: a new key and certificate at any bank, keeping the original expiry; the previous
    certificate is revoked everywhere and its registrations voided. The way out of a PIN lock."""
    _service(deps)
    _ensure_bank(deps, actor)
    fc.ensure_pin_format(pin)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = _customer(uow, actor.customer_id)
        fc.ensure_personal_customer(customer)
        document = uow.customers.document_of(actor.customer_id)
        existing = _my_certificate(uow, actor, for_update=True)
        existing.ensure_not_expired(now)
        not_after = existing.not_after
        _retire(uow, existing, RevocationReason.SUPERSEDED, now)
        certificate = _new_certificate(
            deps, uow, customer, document.number_digest, pin, not_after=not_after, now=now
        )
        _register(deps, uow, certificate, customer, policy, now)
        _audit(
            uow, actor.institution_code, now, actor.label, "reissued", certificate, replaced=existing.serial
        )
        uow.commit()
        return _view(uow, certificate, document.number_masked)


def renew_certificate(deps: Deps, actor: CustomerActor, pin: str) -> CertificateView:
    """F5: only at the issuing bank and only in the last days before expiry: the same key is
    certified again until the old expiry plus the validity; registrations and PIN stay. The old
    certificate is published as revoked, reason superseded, from the renewal on (OCSP, CRL, and
    a signature made with it is refused F4_CERTIFICATE_REVOKED)."""
    service = _service(deps)
    _ensure_bank(deps, actor)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _my_certificate(uow, actor, for_update=True)
        not_after = certificate.renewed_not_after(actor.institution_id, now, policy.fincert)
        _, issuing = _authorities(uow)
        _ensure_ca_covers(issuing, now, not_after)
        _check_pin(deps, uow, certificate, pin, policy, now, actor.institution_code)
        public_key_der = service.ca.public_key_of(certificate.der)
        serial, der = service.ca.issue(
            issuing, public_key_der, holder_name=certificate.holder_name, not_before=now, not_after=not_after
        )
        # The old certificate is published as superseded from now until its own expiry.
        old = certificate.renew(serial, der, not_after, now)
        uow.fincert.add_superseded(old)
        _audit(uow, actor.institution_code, now, actor.label, "renewed", certificate, previous=old.serial)
        uow.commit()
        return _view(uow, certificate, uow.customers.document_of(actor.customer_id).number_masked)


# --- F4: management -------------------------------------------------------------------------


def my_certificate(deps: Deps, actor: CustomerActor) -> CertificateView:
    with deps.uow(readonly=True) as uow:
        certificate = _my_certificate(uow, actor)
        return _view(uow, certificate, uow.customers.document_of(actor.customer_id).number_masked)


def release_registration(deps: Deps, actor: CustomerActor) -> None:
    """F4 해제: remove the registration at this institution; the certificate stays valid."""
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _my_certificate(uow, actor, for_update=True)
        registration = uow.fincert.active_registration(
            id_of(certificate), actor.institution_id, for_update=True
        )
        if registration is None:
            raise NotFound(Code.F4_NOT_REGISTERED)
        registration.status = RegistrationStatus.RELEASED
        registration.ended_at = now
        _audit(uow, actor.institution_code, now, actor.label, "released", certificate)
        uow.commit()


def revoke_certificate(deps: Deps, actor: CustomerActor) -> None:
    """F4 폐기: at the issuing bank, for good and everywhere."""
    _ensure_bank(deps, actor)
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _my_certificate(uow, actor, for_update=True)
        certificate.ensure_revocable_at(actor.institution_id)
        voided = _retire(uow, certificate, RevocationReason.REVOKED_BY_HOLDER, now)
        _audit(uow, actor.institution_code, now, actor.label, "revoked", certificate, voided=voided)
        uow.commit()


def _registered_here(uow: UnitOfWork, actor: CustomerActor, certificate: FinancialCertificate) -> None:
    if uow.fincert.active_registration(id_of(certificate), actor.institution_id) is None:
        raise NotFound(Code.F4_NOT_REGISTERED)


def suspend_certificate(deps: Deps, actor: CustomerActor) -> None:
    """F4 정지: at any institution where it is registered; restorable."""
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _my_certificate(uow, actor, for_update=True)
        _registered_here(uow, actor, certificate)
        certificate.suspend(now)
        _audit(uow, actor.institution_code, now, actor.label, "suspended", certificate)
        uow.commit()


def restore_certificate(deps: Deps, actor: CustomerActor) -> None:
    """F4 정지 해제: needs a strong session."""
    require_level(deps, actor, STRONG)
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _my_certificate(uow, actor, for_update=True)
        _registered_here(uow, actor, certificate)
        certificate.restore(now)
        _audit(uow, actor.institution_code, now, actor.label, "restored", certificate)
        uow.commit()


def change_pin(deps: Deps, actor: CustomerActor, old_pin: str, new_pin: str) -> None:
    """F4/F5: the old PIN is required (and counted when wrong)."""
    service = _service(deps)
    fc.ensure_pin_format(new_pin)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        certificate = _my_certificate(uow, actor, for_update=True)
        _registered_here(uow, actor, certificate)
        _check_pin(deps, uow, certificate, old_pin, policy, now, actor.institution_code)
        certificate.pin_digest = service.pins.digest(certificate.key_ref, new_pin)
        _audit(uow, actor.institution_code, now, actor.label, "pin_changed", certificate)
        uow.commit()


# --- F3: registration at another institution ------------------------------------------------


def _flow(uow: UnitOfWork, deps: Deps, inst: Institution, handle: str) -> RegistrationFlow:
    flow = uow.fincert.flow_by_handle(deps.tokens.digest(handle), for_update=True)
    if flow is None or flow.institution_id != inst.id:
        raise NotFound(Code.F3_FLOW_NOT_FOUND)
    return flow


def start_registration(
    deps: Deps, institution_code: str, name: str, resident_number: str, client: str | None = None
) -> FlowView:
    """F3 step 1: name + resident registration number of a customer of this institution.
    Attempts are counted per person and per client address, found or not: the step cannot be
    used to test which resident numbers belong to the institution's customers."""
    _service(deps)
    number = fc.normalize_resident_number(resident_number, deps.today_in("Asia/Seoul"))
    policy = deps.policies.policy_for(institution_code)
    digest = deps.vault.digest(DocumentType.KR_RESIDENT_REGISTRATION, number)
    wait = count_attempt(deps, policy, f"fincert-registration:{institution_code}", digest, client)
    if wait is not None:
        raise RateLimited(Code.F3_TOO_MANY_ATTEMPTS, retry_after_seconds=wait)
    now = deps.clock.now()
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        wanted = name.strip()
        customer = next(
            (c for c in uow.customers.find_by_document(id_of(inst), digest) if c.name == wanted), None
        )
        if customer is None:
            raise RuleViolation(Code.F3_IDENTITY_MISMATCH)
        fc.ensure_personal_customer(customer)
        handle = deps.tokens.new_token()
        flow = RegistrationFlow(
            handle_digest=deps.tokens.digest(handle),
            institution_id=id_of(inst),
            customer_id=id_of(customer),
            person_digest=digest,
            step=FlowStep.IDENTIFIED,
            created_at=now,
            expires_at=now + timedelta(minutes=policy.fincert.registration_flow_minutes),
        )
        uow.fincert.add_flow(flow)
        uow.audit.append(
            chain=institution_code,
            at=now,
            actor="fincert-registration",
            event="fincert.registration_started",
            subject=f"customer:{customer.customer_number}",
            details={"flow": id_of(flow)},
        )
        uow.commit()
        return FlowView(handle=handle, step=flow.step.value, expires_at=flow.expires_at)


def send_registration_code(
    deps: Deps, institution_code: str, handle: str, channel: ChallengeChannel, client: str | None = None
) -> FlowView:
    """F3 step 2a: the customer's choice of SMS, ARS or a one-time code, to the mobile on file;
    codes sent are counted per flow and per client address (no flooding a phone)."""
    policy = deps.policies.policy_for(institution_code)
    wait = count_attempt(deps, policy, f"fincert-code:{institution_code}", deps.tokens.digest(handle), client)
    if wait is not None:
        raise RateLimited(Code.F3_TOO_MANY_ATTEMPTS, retry_after_seconds=wait)
    now = deps.clock.now()
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        flow = _flow(uow, deps, inst, handle)
        flow.move_to(FlowStep.CHALLENGE_SENT, now)
        customer = _customer(uow, flow.customer_id)
        if not customer.mobile:
            raise FactorRejected(Code.K2_NO_PHONE_FOR_CHALLENGE)
        challenge = create_challenge(
            deps,
            uow,
            policy=policy,
            institution_id=id_of(inst),
            phone=customer.mobile,
            channel=channel,
            purpose=ChallengePurpose.CERTIFICATE_REGISTRATION,
            customer_id=id_of(customer),
            session_id=None,
        )
        flow.challenge_id = id_of(challenge)
        uow.commit()
        return FlowView(
            handle=handle, step=flow.step.value, expires_at=flow.expires_at, challenge_id=flow.challenge_id
        )


def verify_registration_code(deps: Deps, institution_code: str, handle: str, code: str) -> FlowView:
    """F3 step 2b: the code that was sent. Wrong codes count towards the challenge's limit."""
    now = deps.clock.now()
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        flow = _flow(uow, deps, inst, handle)
        flow.ensure_can_move_to(FlowStep.AUTHENTICATED, now)
        challenge = uow.otp.challenge(flow.challenge_id or 0, for_update=True)
        if challenge is None:
            raise NotFound(Code.K2_CHALLENGE_NOT_FOUND)
        if not check_challenge_code(deps, uow, challenge, code, now):
            uow.commit()
            challenge.ensure_open(now)
            raise FactorRejected(
                Code.K2_CHALLENGE_WRONG, attempts_left=challenge.max_attempts - challenge.attempts
            )
        flow.move_to(FlowStep.AUTHENTICATED, now)
        uow.commit()
        return FlowView(handle=handle, step=flow.step.value, expires_at=flow.expires_at)


def verify_without_medium(
    deps: Deps, institution_code: str, handle: str, resident_number: str, mobile: str
) -> FlowView:
    """F3 step 3, 보안매체 미보유 고객 확인: resident number and mobile number must match what
    this institution holds for the customer."""
    number = fc.normalize_resident_number(resident_number, deps.today_in("Asia/Seoul"))
    policy = deps.policies.policy_for(institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        flow = _flow(uow, deps, inst, handle)
        flow.ensure_can_move_to(FlowStep.MEDIUM_VERIFIED, now)
        if deps.vault.digest(DocumentType.KR_RESIDENT_REGISTRATION, number) != flow.person_digest:
            raise RuleViolation(Code.F3_IDENTITY_MISMATCH)
        customer = _customer(uow, flow.customer_id)
        try:
            phone = normalize_phone(mobile, policy.phone_region)
        except RuleViolation:
            raise RuleViolation(Code.F3_MOBILE_MISMATCH) from None
        if phone != customer.mobile:
            raise RuleViolation(Code.F3_MOBILE_MISMATCH)
        flow.move_to(FlowStep.MEDIUM_VERIFIED, now)
        uow.commit()
        return FlowView(handle=handle, step=flow.step.value, expires_at=flow.expires_at)


def registration_certificates(deps: Deps, institution_code: str, handle: str) -> list[CertificateView]:
    """F3 step 4a: the certificates the person may choose from (the one live one, if valid)."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        inst = institution_by_code(uow, institution_code)
        flow = _flow(uow, deps, inst, handle)
        flow.ensure_can_move_to(FlowStep.REGISTERED, now)
        certificate = uow.fincert.live_certificate_of(flow.person_digest)
        if (
            certificate is None
            or certificate.status is not CertificateStatus.VALID
            or now >= certificate.not_after
        ):
            return []
        masked = uow.customers.document_of(flow.customer_id).number_masked
        return [_view(uow, certificate, masked)]


def complete_registration(
    deps: Deps, institution_code: str, handle: str, serial: str, pin: str
) -> CertificateView:
    """F3 step 4b: the chosen certificate and its PIN; registered, and an SMS notice is sent."""
    policy = deps.policies.policy_for(institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        flow = _flow(uow, deps, inst, handle)
        flow.ensure_can_move_to(FlowStep.REGISTERED, now)
        certificate = uow.fincert.live_certificate_of(flow.person_digest, for_update=True)
        if certificate is None or certificate.serial != serial.lower():
            raise NotFound(Code.F3_NO_CERTIFICATE)
        if uow.fincert.active_registration(id_of(certificate), id_of(inst)) is not None:
            raise Conflict(Code.F3_ALREADY_REGISTERED)
        _check_pin(deps, uow, certificate, pin, policy, now, institution_code)
        customer = _customer(uow, flow.customer_id)
        _register(deps, uow, certificate, customer, policy, now)
        flow.move_to(FlowStep.REGISTERED, now)
        flow.certificate_id = id_of(certificate)
        _audit(
            uow,
            institution_code,
            now,
            f"customer:{institution_code}/{id_of(customer)}",
            "registered",
            certificate,
        )
        uow.commit()
        return _view(uow, certificate, uow.customers.document_of(id_of(customer)).number_masked)


# --- F7: signatures ---------------------------------------------------------------------------


def sign_message(
    deps: Deps, actor: CustomerActor, pin: str, message: bytes, purpose: SignaturePurpose
) -> SignedMessage:
    """F7: the service signs with the customer's key only after the right PIN, and only for an
    institution where the certificate is registered.

    The PIN check, its counter and the audit entry are committed before the token signs: they
    are durable whatever happens next, and the database's write lock is not held during the
    signature. Should the token then fail, a second audit entry says so."""
    service = _service(deps)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        found = uow.fincert.signing_certificate(actor.customer_id, actor.institution_id)
        if found is None:
            raise NotFound(Code.F4_NO_CERTIFICATE)
        certificate, registered = found
        if not registered:
            raise NotFound(Code.F4_NOT_REGISTERED)
        _check_pin(deps, uow, certificate, pin, policy, now, actor.institution_code)
        _audit(uow, actor.institution_code, now, actor.label, "signed", certificate, purpose=purpose.value)
        uow.commit()
    try:
        cms = service.keys.sign_cms(
            certificate.key_ref, certificate.key_sealed, certificate.der, message=message, purpose=purpose
        )
    except Exception:
        with deps.uow() as uow:
            _audit(uow, actor.institution_code, deps.clock.now(), actor.label, "sign_failed", certificate)
            uow.commit()
        raise
    return SignedMessage(serial=certificate.serial, purpose=purpose, cms_der=cms)


def certificate_status(uow: UnitOfWork, serial: str, now: datetime) -> fc.PublishedStatus:
    """F4/F5: what the service publishes about a serial (hex, lower case), from the database.
    The one source of revocation status: the OCSP responder answers from it and institutions
    verifying a signature refuse on it."""
    return fc.published_status(uow.fincert.serial_record(serial), now)


#: The CRL distribution point of the service's customer certificates: ``/pki/fincert/crl``
#: (the issuing CA certificate names the root's, ``/pki/{root key label}/crl``).
CRL_NAME = "fincert"
CRL_VALIDITY = timedelta(days=1)


def is_service_crl(deps: Deps, ca_name: str) -> bool:
    """Whether ``/pki/{ca_name}/crl`` is one of the service's CRLs rather than an institution's."""
    if deps.fincert is None or not (ca_name == CRL_NAME or ca_name.startswith("fincert-root-")):
        return False
    with deps.uow(readonly=True) as uow:
        root = uow.fincert.active_authority("root")
    return ca_name == CRL_NAME or (root is not None and ca_name == root.key_label)


def current_crl(deps: Deps, ca_name: str) -> bytes:
    """The service's CRLs, signed when asked: the issuing CA's lists every unexpired
    certificate revoked, superseded or on hold, from the status source of the OCSP responder;
    the root's lists nothing (it has issued only the issuing CA). The CRL number is the signing
    time in microseconds: it grows with every CRL, whichever process signs it."""
    service = _service(deps)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        root, issuing = _authorities(uow)
        if ca_name == CRL_NAME:
            authority = issuing
            revoked = [(r.serial, fc.published_status(r, now)) for r in uow.fincert.unexpired_not_valid(now)]
        elif ca_name == root.key_label:
            authority, revoked = root, []
        else:
            raise NotFound(Code.NOT_FOUND)
    return service.ca.build_crl(authority, revoked, now, now + CRL_VALIDITY, int(now.timestamp() * 1_000_000))


def ocsp_response(deps: Deps, request_der: bytes) -> bytes:
    """RFC 6960 answer about certificates of the service's issuing CA, signed by its delegated
    OCSP signer; a request that does not parse is answered malformedRequest."""
    service = _service(deps)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        _, issuing = _authorities(uow)
        return service.ca.respond_ocsp(
            request_der, issuing, lambda serial: certificate_status(uow, serial, now), now
        )


def verify_signed_message(deps: Deps, cms_der: bytes) -> VerifiedSignedData:
    """F7, the institution's side: chain to the service CA, validity, and the signer's status
    as the service's OCSP responder publishes it (:func:`certificate_status`): a revoked
    certificate is refused F4_CERTIFICATE_REVOKED, a suspended one F4_CERTIFICATE_SUSPENDED."""
    service = _service(deps)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        root, issuing = _authorities(uow)
        return service.ca.verify_signed_data(
            cms_der, issuing, root, status_of=lambda serial: certificate_status(uow, serial, now), at=now
        )
