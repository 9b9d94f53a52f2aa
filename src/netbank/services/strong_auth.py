"""Strong authentication's machinery (K2, F3): TOTP provisioning, one-time code challenges
delivered through the outbox, raising a session's level, rate limits. The step-up factors that
use it, one class each, are ``services/factors``.

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
from netbank.domain.errors import Code, NotFound, RuleViolation
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


def seed_purpose(contract_id: int) -> str:
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
            seed_sealed=deps.secrets.seal(seed, seed_purpose(id_of(contract))),
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


def rate_limit(deps: Deps, policy: Policy, scope: str, actor: CustomerActor) -> None:
    """K2: count an attempt at ``scope`` for the customer and their address; refuse past the
    policy's limits (the attempt counts even then)."""
    wait = count_attempt(deps, policy, scope, f"customer:{actor.customer_id}", actor.client)
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


def require_level(deps: Deps, actor: CustomerActor, level: AuthLevel) -> None:
    """K2: refuse with the machine-readable step-up answer (the level and the methods of the
    deployment's factors that reach it, ``Deps.factors``) when the session is below ``level``."""
    if actor.level < level:
        raise deps.factors.step_up_required(deps, actor, level)


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
        seed = deps.secrets.open(credential.seed_sealed, seed_purpose(id_of(contract)))
        return deps.otp.code_at(seed, credential.parameters, deps.clock.now())
