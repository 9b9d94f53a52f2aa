"""Strong authentication (K2, F3): TOTP enrolment and verification, SMS / ARS / one-time code
challenges delivered through the outbox, step-up of a session's level, rate limits.

Failures are counted and committed before the refusal is raised; everything else that
refuses changes nothing."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from netbank.domain.enrolment import Contract, Version
from netbank.domain.errors import Code, Locked, NotFound, RuleViolation, StepUpRequired, refusal
from netbank.domain.otp import (
    Challenge,
    ChallengeChannel,
    ChallengePurpose,
    FactorRejected,
    OTPAlgorithm,
    RateLimited,
    TOTPCredential,
    TOTPParameters,
)
from netbank.domain.outbox import MessageKind, OutboxMessage
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, OTPEnrolment, id_of
from netbank.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class StepUpResult:
    level: AuthLevel
    until: datetime


def totp_parameters(policy: Policy) -> TOTPParameters:
    return TOTPParameters(
        digits=policy.otp.digits,
        step_seconds=policy.otp.step_seconds,
        drift_steps=policy.otp.drift_steps,
        algorithm=OTPAlgorithm(policy.otp.algorithm),
    )


def _seed_purpose(contract_id: int) -> str:
    return f"totp-seed:{contract_id}"


def provision_totp(
    deps: Deps, uow: UnitOfWork, contract: Contract, account_label: str, policy: Policy, now: datetime
) -> OTPEnrolment:
    """K2: a fresh 160-bit seed for the contract, sealed at rest; any earlier seed is retired.
    Runs inside the counter transaction that enrols or re-provisions (819101, reseed)."""
    retire_totp(uow, id_of(contract))
    params = totp_parameters(policy)
    seed = deps.tokens.new_seed(20)  # 160 bits, as RFC 4226 recommends
    uow.otp.add_credential(
        TOTPCredential(
            contract_id=id_of(contract),
            institution_id=contract.institution_id,
            seed_sealed=deps.secrets.seal(seed, _seed_purpose(id_of(contract))),
            algorithm=params.algorithm,
            digits=params.digits,
            step_seconds=params.step_seconds,
            created_at=now,
        )
    )
    uri = deps.otp.provisioning_uri(seed, params, account=account_label, issuer=policy.otp.issuer)
    return OTPEnrolment(
        otpauth_uri=uri,
        qr_svg=deps.otp.qr_svg(uri),
        qr_png_base64=base64.b64encode(deps.otp.qr_png(uri)).decode(),
    )


def retire_totp(uow: UnitOfWork, contract_id: int) -> None:
    old = uow.otp.active_credential(contract_id, for_update=True)
    if old is not None:
        old.active = False
        uow.flush()


def _rate_limit(deps: Deps, policy: Policy, factor: str, customer_id: int, client: str | None) -> None:
    wait = count_attempt(deps, policy, factor, f"customer:{customer_id}", client)
    if wait is not None:
        raise RateLimited(Code.K2_RATE_LIMITED, retry_after_seconds=wait)


def count_attempt(deps: Deps, policy: Policy, scope: str, subject: str, client: str | None) -> int | None:
    """Count one attempt at ``scope`` for its subject (a customer, a person) and for the client
    address, in its own transaction so that refused attempts count too. Past the policy's
    limits in the window: the seconds to wait (the caller refuses), else None."""
    now = deps.clock.now()
    limits = policy.rate_limit
    with deps.uow() as uow:
        per_subject = uow.rate_limits.hit(f"{scope}:{subject}", now, limits.window_seconds)
        per_address = uow.rate_limits.hit(f"{scope}:address:{client or '-'}", now, limits.window_seconds)
        uow.commit()
    if per_subject > limits.per_customer or per_address > limits.per_address:
        return limits.window_seconds
    return None


def elevate(
    uow: UnitOfWork,
    actor: CustomerActor,
    level: AuthLevel,
    policy: Policy,
    now: datetime,
    factor: dict[str, Any],
) -> StepUpResult:
    """Raise the session to ``level`` for the policy's step-up time, audited with the factor
    that proved it; in the caller's transaction."""
    session = uow.sessions.get(actor.session_id)
    if session is None:
        raise NotFound(Code.SESSION_NOT_FOUND)
    until = now + timedelta(minutes=policy.step_up.valid_minutes)
    session.raise_level(level, until)
    uow.audit.append(
        chain=actor.institution_code,
        at=now,
        actor=actor.label,
        event="security.step_up",
        subject=actor.label,
        details=factor,
    )
    return StepUpResult(session.effective_level(now), until)


def verify_totp(deps: Deps, actor: CustomerActor, code: str, client: str | None) -> StepUpResult:
    """K2: a TOTP code within ±drift, never one already used (also across server processes:
    the credential row is locked and its last used step compared), raises the session to the
    one-time-code level for the policy's step-up time. Wrong codes count towards the lock."""
    contract_id = actor.ensure_enrolled()
    policy = deps.policies.policy_for(actor.institution_code)
    _rate_limit(deps, policy, "totp", actor.customer_id, client)
    now = deps.clock.now()
    with deps.uow() as uow:
        credential = uow.otp.active_credential(contract_id, for_update=True)
        if credential is None:
            raise RuleViolation(Code.K2_OTP_NOT_ENROLLED)
        credential.ensure_usable()
        seed = deps.secrets.open(credential.seed_sealed, _seed_purpose(contract_id))
        params = TOTPParameters(
            digits=credential.digits,
            step_seconds=credential.step_seconds,
            drift_steps=policy.otp.drift_steps,
            algorithm=credential.algorithm,
        )
        step = deps.otp.matching_step(seed, params, code, now)
        if step is None or step <= credential.last_used_step:
            reason = Code.K2_OTP_WRONG if step is None else Code.K2_OTP_REPLAYED
            locked = credential.record_failure(policy.otp.max_failures)
            uow.audit.append(
                chain=actor.institution_code,
                at=now,
                actor=actor.label,
                event="security.otp_locked" if locked else "security.otp_failed",
                subject=actor.label,
                details={"reason": reason.value, "failures": credential.failures},
            )
            uow.commit()
            if locked:
                raise Locked(Code.K2_OTP_LOCKED)
            raise refusal(reason)
        credential.record_success(step, params.step_at(now.timestamp()))
        result = elevate(
            uow,
            actor,
            AuthLevel.ONE_TIME_CODE,
            policy,
            now,
            {"factor": "totp", "drift_steps": credential.drift_steps},
        )
        uow.commit()
        return result


# --- SMS / ARS / one-time code challenges ------------------------------------------------

_KIND = {
    ChallengeChannel.SMS: MessageKind.SMS,
    ChallengeChannel.ARS: MessageKind.VOICE,
    ChallengeChannel.ONE_TIME_CODE: MessageKind.APP,
}


def _code_purpose(challenge: Challenge) -> str:
    return f"challenge-code:{id_of(challenge)}"


def create_challenge(
    deps: Deps,
    uow: UnitOfWork,
    *,
    policy: Policy,
    institution_id: int,
    phone: str,
    channel: ChallengeChannel,
    purpose: ChallengePurpose,
    customer_id: int | None,
    session_id: int | None,
) -> Challenge:
    """A one-time code for ``purpose``, queued for delivery in the same transaction (outbox).
    Only a keyed digest of the code is stored; the queued message is sealed."""
    now = deps.clock.now()
    settings = policy.challenge
    code = deps.tokens.new_code(settings.code_digits)
    challenge = Challenge(
        institution_id=institution_id,
        purpose=purpose,
        channel=channel,
        phone=phone,
        code_digest="",
        created_at=now,
        expires_at=now + timedelta(seconds=settings.ttl_seconds),
        max_attempts=settings.max_attempts,
        customer_id=customer_id,
        session_id=session_id,
    )
    uow.otp.add_challenge(challenge)  # flushed: the digest is bound to its id
    challenge.code_digest = deps.secrets.digest(code, _code_purpose(challenge))
    payload = {
        "template": "challenge_code",
        "code": code,
        "purpose": purpose.value,
        "channel": channel.value,
        "institution": policy.institution_code,
        "institution_name": policy.name,
        "minutes": max(settings.ttl_seconds // 60, 1),
        "language": policy.language,
        "challenge_id": id_of(challenge),
    }
    dedup_key = deps.tokens.new_key()
    uow.outbox.add(
        OutboxMessage(
            institution_id=institution_id,
            kind=_KIND[channel],
            recipient=phone,
            body_sealed=deps.secrets.seal(_json(payload), f"outbox:{dedup_key}"),
            dedup_key=dedup_key,
            created_at=now,
            next_attempt_at=now,
        )
    )
    return challenge


def _json(payload: Mapping[str, object]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def check_challenge_code(deps: Deps, uow: UnitOfWork, challenge: Challenge, code: str, now: datetime) -> bool:
    """Verify ``code`` against an open challenge; records the attempt. The caller commits
    (also on failure, so attempts count) and raises on False."""
    challenge.ensure_open(now)
    expected = challenge.code_digest
    if (
        code.isascii()
        and code.isdigit()
        and hmac.compare_digest(deps.secrets.digest(code, _code_purpose(challenge)), expected)
    ):
        challenge.record_verified(now)
        return True
    challenge.record_wrong_code()
    return False


def step_up_phone(uow: UnitOfWork, actor: CustomerActor) -> str:
    """Where step-up codes go: the OTP phone of an OTP-version contract, else the mobile on
    file (C1)."""
    contract = uow.contracts.get(actor.ensure_enrolled())
    if contract is not None and contract.version is Version.OTP and contract.otp_phone:
        return contract.otp_phone
    customer = uow.customers.get(actor.customer_id)
    if customer is None or not customer.mobile:
        raise FactorRejected(Code.K2_NO_PHONE_FOR_CHALLENGE)
    return customer.mobile


def start_step_up_challenge(
    deps: Deps, actor: CustomerActor, channel: ChallengeChannel, purpose: ChallengePurpose, client: str | None
) -> Challenge:
    policy = deps.policies.policy_for(actor.institution_code)
    _rate_limit(deps, policy, "challenge-start", actor.customer_id, client)
    with deps.uow() as uow:
        phone = step_up_phone(uow, actor)
        challenge = create_challenge(
            deps,
            uow,
            policy=policy,
            institution_id=actor.institution_id,
            phone=phone,
            channel=channel,
            purpose=purpose,
            customer_id=actor.customer_id,
            session_id=actor.session_id,
        )
        uow.audit.append(
            chain=actor.institution_code,
            at=challenge.created_at,
            actor=actor.label,
            event="security.challenge_sent",
            subject=actor.label,
            details={"challenge": id_of(challenge), "channel": channel.value, "purpose": purpose.value},
        )
        uow.commit()
        return challenge


def verify_step_up_challenge(
    deps: Deps, actor: CustomerActor, challenge_id: int, code: str, client: str | None
) -> StepUpResult:
    """Complete an SMS / ARS / one-time code challenge of this session: raises its level."""
    policy = deps.policies.policy_for(actor.institution_code)
    _rate_limit(deps, policy, "challenge", actor.customer_id, client)
    now = deps.clock.now()
    with deps.uow() as uow:
        challenge = uow.otp.challenge(challenge_id, for_update=True)
        if challenge is None or challenge.session_id != actor.session_id:
            raise NotFound(Code.K2_CHALLENGE_NOT_FOUND)
        if not check_challenge_code(deps, uow, challenge, code, now):
            uow.audit.append(
                chain=actor.institution_code,
                at=now,
                actor=actor.label,
                event="security.challenge_failed",
                subject=actor.label,
                details={"challenge": challenge_id, "attempts": challenge.attempts},
            )
            uow.commit()
            challenge.ensure_open(now)  # raises K2_CHALLENGE_LOCKED once the attempts are used up
            raise FactorRejected(
                Code.K2_CHALLENGE_WRONG, attempts_left=challenge.max_attempts - challenge.attempts
            )
        result = elevate(
            uow,
            actor,
            AuthLevel.ONE_TIME_CODE,
            policy,
            now,
            {"factor": challenge.channel.value, "challenge": challenge_id},
        )
        uow.commit()
        return result


def step_up_methods(deps: Deps, actor: CustomerActor) -> list[str]:
    with deps.uow(readonly=True) as uow:
        contract = uow.contracts.get(actor.contract_id) if actor.contract_id else None
        methods = [c.value for c in ChallengeChannel]
        if contract is not None and contract.version is Version.OTP:
            methods.insert(0, "totp")
        return methods


def require_level(deps: Deps, actor: CustomerActor, level: AuthLevel) -> None:
    """Refuse with a machine-readable step-up answer when the session is below ``level``."""
    if actor.level >= level:
        return
    raise StepUpRequired(
        Code.K2_STEP_UP_REQUIRED,
        required_level=int(level),
        current_level=int(actor.level),
        methods=step_up_methods(deps, actor),
    )


def current_totp_code(deps: Deps, institution_code: str, customer_number: str) -> str:
    """Development and demos only (``netbank otp code``): the code a customer's authenticator
    shows now. The CLI refuses it in production."""
    with deps.uow(readonly=True) as uow:
        inst = uow.institutions.get_by_code(institution_code)
        customer = uow.customers.get_by_number(id_of(inst), customer_number) if inst else None
        contract = uow.contracts.active_for_customer(id_of(customer)) if customer else None
        credential = uow.otp.active_credential(id_of(contract)) if contract else None
        if credential is None or contract is None:
            raise RuleViolation(Code.K2_OTP_NOT_ENROLLED)
        seed = deps.secrets.open(credential.seed_sealed, _seed_purpose(id_of(contract)))
        return deps.otp.code_at(seed, credential.parameters, deps.clock.now())
