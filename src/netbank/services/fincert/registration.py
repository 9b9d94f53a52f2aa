"""F3: registration of the person's financial certificate at another member institution, in
the seed's four steps, by someone not yet signed in there (the institution's app runs it
before login): identity (name + resident registration number), an SMS / ARS / one-time code to
the mobile on file, the check of those without a security medium (resident number + mobile),
then the certificate chosen and its PIN. The flow's state lives on the server
(``registration_flows``), addressed by the random handle the first step returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from netbank.domain import fincert as fc
from netbank.domain.customer import normalize_phone
from netbank.domain.errors import Code, Conflict, NotFound, RuleViolation
from netbank.domain.fincert import CertificateStatus, FlowStep, RegistrationFlow
from netbank.domain.identity import DocumentType
from netbank.domain.institution import Institution
from netbank.domain.otp import ChallengeChannel, ChallengePurpose, FactorRejected, RateLimited
from netbank.services.common import Visitor, id_of, institution_by_code
from netbank.services.fincert.shared import (
    CertificateView,
    audit,
    check_pin,
    customer_of,
    masked_number_of,
    register,
    service,
    view_of,
)
from netbank.services.ports import Deps, UnitOfWork
from netbank.services.strong_auth import check_challenge_code, count_attempt, create_challenge


@dataclass(frozen=True)
class FlowView:
    handle: str
    step: str
    expires_at: datetime
    challenge_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class StartRegistration:
    """F3 step 1 at ``institution_code``: the name and resident registration number of one of
    its customers."""

    institution_code: str
    name: str
    resident_number: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class FlowStepCommand:
    """A later step of the flow at ``institution_code`` that step 1 answered with ``handle``."""

    institution_code: str
    handle: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class SendRegistrationCode(FlowStepCommand):
    """F3 step 2a: a code by the channel the customer chose, to the mobile on file."""

    channel: ChallengeChannel


@dataclass(frozen=True, kw_only=True)
class VerifyRegistrationCode(FlowStepCommand):
    """F3 step 2b: the code that was sent."""

    code: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class VerifyWithoutMedium(FlowStepCommand):
    """F3 step 3 (보안매체 미보유 고객 확인): the resident number and mobile number on file."""

    resident_number: str = field(repr=False)
    mobile: str


@dataclass(frozen=True, kw_only=True)
class CompleteRegistration(FlowStepCommand):
    """F3 step 4b: the certificate chosen (its serial) and its PIN."""

    serial: str
    pin: str = field(repr=False)


def start_registration(deps: Deps, actor: Visitor, command: StartRegistration) -> FlowView:
    """F3 step 1: name + resident registration number of a customer of this institution.
    Attempts are counted per person and per client address, found or not: the step cannot be
    used to test which resident numbers belong to the institution's customers."""
    service(deps)
    institution_code = command.institution_code
    number = fc.normalize_resident_number(command.resident_number, deps.today_in("Asia/Seoul"))
    policy = deps.policies.policy_for(institution_code)
    digest = deps.vault.digest(DocumentType.KR_RESIDENT_REGISTRATION, number)
    wait = count_attempt(deps, policy, f"fincert-registration:{institution_code}", digest, actor.client)
    if wait is not None:
        raise RateLimited(Code.F3_TOO_MANY_ATTEMPTS, retry_after_seconds=wait)
    now = deps.clock.now()
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        wanted = command.name.strip()
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


def send_registration_code(deps: Deps, actor: Visitor, command: SendRegistrationCode) -> FlowView:
    """F3 step 2a: the customer's choice of SMS, ARS or a one-time code, to the mobile on file;
    codes sent are counted per flow and per client address (no flooding a phone)."""
    institution_code, handle = command.institution_code, command.handle
    policy = deps.policies.policy_for(institution_code)
    wait = count_attempt(
        deps, policy, f"fincert-code:{institution_code}", deps.tokens.digest(handle), actor.client
    )
    if wait is not None:
        raise RateLimited(Code.F3_TOO_MANY_ATTEMPTS, retry_after_seconds=wait)
    now = deps.clock.now()
    with deps.uow() as uow:
        inst, flow = _flow(uow, deps, command.institution_code, command.handle)
        flow.move_to(FlowStep.CHALLENGE_SENT, now)
        customer = customer_of(uow, flow.customer_id)
        if not customer.mobile:
            raise FactorRejected(Code.K2_NO_PHONE_FOR_CHALLENGE)
        challenge = create_challenge(
            deps,
            uow,
            policy=policy,
            institution_id=id_of(inst),
            phone=customer.mobile,
            channel=command.channel,
            purpose=ChallengePurpose.CERTIFICATE_REGISTRATION,
            customer_id=id_of(customer),
            session_id=None,
        )
        flow.challenge_id = id_of(challenge)
        uow.commit()
        return _flow_view(handle, flow)


def verify_registration_code(deps: Deps, actor: Visitor, command: VerifyRegistrationCode) -> FlowView:
    """F3 step 2b: the code that was sent. Wrong codes count towards the challenge's limit."""
    now = deps.clock.now()
    with deps.uow() as uow:
        _, flow = _flow(uow, deps, command.institution_code, command.handle)
        flow.ensure_can_move_to(FlowStep.AUTHENTICATED, now)
        challenge = uow.otp.challenge(flow.challenge_id or 0, for_update=True)
        if challenge is None:
            raise NotFound(Code.K2_CHALLENGE_NOT_FOUND)
        if not check_challenge_code(deps, uow, challenge, command.code, now):
            uow.commit()
            challenge.ensure_open(now)
            raise FactorRejected(
                Code.K2_CHALLENGE_WRONG, attempts_left=challenge.max_attempts - challenge.attempts
            )
        flow.move_to(FlowStep.AUTHENTICATED, now)
        uow.commit()
        return _flow_view(command.handle, flow, with_challenge=False)


def verify_without_medium(deps: Deps, actor: Visitor, command: VerifyWithoutMedium) -> FlowView:
    """F3 step 3, 보안매체 미보유 고객 확인: resident number and mobile number must match what
    this institution holds for the customer."""
    number = fc.normalize_resident_number(command.resident_number, deps.today_in("Asia/Seoul"))
    policy = deps.policies.policy_for(command.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        _, flow = _flow(uow, deps, command.institution_code, command.handle)
        flow.ensure_can_move_to(FlowStep.MEDIUM_VERIFIED, now)
        if deps.vault.digest(DocumentType.KR_RESIDENT_REGISTRATION, number) != flow.person_digest:
            raise RuleViolation(Code.F3_IDENTITY_MISMATCH)
        customer = customer_of(uow, flow.customer_id)
        try:
            phone = normalize_phone(command.mobile, policy.phone_region)
        except RuleViolation:
            raise RuleViolation(Code.F3_MOBILE_MISMATCH) from None
        if phone != customer.mobile:
            raise RuleViolation(Code.F3_MOBILE_MISMATCH)
        flow.move_to(FlowStep.MEDIUM_VERIFIED, now)
        uow.commit()
        return _flow_view(command.handle, flow, with_challenge=False)


def registration_certificates(
    deps: Deps, actor: Visitor, institution_code: str, handle: str
) -> list[CertificateView]:
    """F3 step 4a: the certificates the person may choose from (the one live one, if valid)."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        _, flow = _flow(uow, deps, institution_code, handle)
        flow.ensure_can_move_to(FlowStep.REGISTERED, now)
        certificate = uow.fincert.live_certificate_of(flow.person_digest)
        if (
            certificate is None
            or certificate.status is not CertificateStatus.VALID
            or now >= certificate.not_after
        ):
            return []
        return [view_of(uow, certificate, masked_number_of(uow, flow.customer_id))]


def complete_registration(deps: Deps, actor: Visitor, command: CompleteRegistration) -> CertificateView:
    """F3 step 4b: the chosen certificate and its PIN; registered, and an SMS notice is sent."""
    institution_code = command.institution_code
    policy = deps.policies.policy_for(institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        inst, flow = _flow(uow, deps, command.institution_code, command.handle)
        flow.ensure_can_move_to(FlowStep.REGISTERED, now)
        certificate = uow.fincert.live_certificate_of(flow.person_digest, for_update=True)
        if certificate is None or certificate.serial != command.serial.lower():
            raise NotFound(Code.F3_NO_CERTIFICATE)
        if uow.fincert.active_registration(id_of(certificate), id_of(inst)) is not None:
            raise Conflict(Code.F3_ALREADY_REGISTERED)
        check_pin(deps, uow, certificate, command.pin, policy, now, institution_code)
        customer = customer_of(uow, flow.customer_id)
        register(deps, uow, certificate, customer, policy, now)
        flow.move_to(FlowStep.REGISTERED, now)
        flow.certificate_id = id_of(certificate)
        holder = f"customer:{institution_code}/{id_of(customer)}"
        audit(uow, institution_code, now, holder, "registered", certificate)
        uow.commit()
        return view_of(uow, certificate, masked_number_of(uow, id_of(customer)))


def _flow(
    uow: UnitOfWork, deps: Deps, institution_code: str, handle: str
) -> tuple[Institution, RegistrationFlow]:
    """The institution and its flow of ``handle``, locked for update; a flow of another
    institution is not found."""
    inst = institution_by_code(uow, institution_code)
    flow = uow.fincert.flow_by_handle(deps.tokens.digest(handle), for_update=True)
    if flow is None or flow.institution_id != inst.id:
        raise NotFound(Code.F3_FLOW_NOT_FOUND)
    return inst, flow


def _flow_view(handle: str, flow: RegistrationFlow, *, with_challenge: bool = True) -> FlowView:
    return FlowView(
        handle=handle,
        step=flow.step.value,
        expires_at=flow.expires_at,
        challenge_id=flow.challenge_id if with_challenge else None,
    )
