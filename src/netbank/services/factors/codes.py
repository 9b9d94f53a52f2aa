"""K2 / F3: a one-time code sent through the outbox by SMS, by ARS (an automated voice call)
or to the banking app, to the OTP phone of an OTP-version contract or else the mobile on file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from netbank.domain.errors import Code, FactorRejected, NotFound
from netbank.domain.otp import Challenge, ChallengeChannel, ChallengePurpose
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, id_of
from netbank.services.factors.base import FactorContext, StepUpFactor
from netbank.services.ports import Deps
from netbank.services.strong_auth import (
    StepUpResult,
    check_challenge_code,
    create_challenge,
    elevate,
    rate_limit,
    step_up_phone,
)


@dataclass(frozen=True)
class StartChallenge:
    """Send a code by ``channel``; ``purpose`` says what it will prove (a step-up, a
    transfer)."""

    channel: ChallengeChannel
    purpose: ChallengePurpose = ChallengePurpose.STEP_UP


@dataclass(frozen=True)
class VerifyChallenge:
    """The code the customer received for challenge ``challenge_id`` of this session."""

    challenge_id: int
    code: str = field(repr=False)


class CodeFactor(StepUpFactor[StartChallenge, VerifyChallenge]):
    """One code per challenge, valid for the policy's minutes and attempts; only a keyed
    digest of it is stored and the queued message is sealed."""

    name: ClassVar[str] = "codes"
    methods: ClassVar[tuple[str, ...]] = tuple(c.value for c in ChallengeChannel)

    def level(self, policy: Policy) -> AuthLevel:
        return AuthLevel.ONE_TIME_CODE

    def usable(self, ctx: FactorContext) -> tuple[str, ...]:
        try:
            step_up_phone(ctx.uow, ctx.actor)
        except FactorRejected:  # K2_NO_PHONE_FOR_CHALLENGE: nowhere to send a code
            return ()
        return self.methods

    def start(self, deps: Deps, actor: CustomerActor, command: StartChallenge) -> Challenge:
        policy = deps.policies.policy_for(actor.institution_code)
        rate_limit(deps, policy, "challenge-start", actor)
        with deps.uow() as uow:
            challenge = create_challenge(
                deps,
                uow,
                policy=policy,
                institution_id=actor.institution_id,
                phone=step_up_phone(uow, actor),
                channel=command.channel,
                purpose=command.purpose,
                customer_id=actor.customer_id,
                session_id=actor.session_id,
            )
            uow.audit.append(
                chain=actor.institution_code,
                at=challenge.created_at,
                actor=actor.label,
                event="security.challenge_sent",
                subject=actor.label,
                details={
                    "challenge": id_of(challenge),
                    "channel": command.channel.value,
                    "purpose": command.purpose.value,
                },
            )
            uow.commit()
            return challenge

    def verify(self, deps: Deps, actor: CustomerActor, command: VerifyChallenge) -> StepUpResult:
        """A wrong code counts (committed before the refusal); the last attempt locks it."""
        policy = deps.policies.policy_for(actor.institution_code)
        rate_limit(deps, policy, "challenge", actor)
        now = deps.clock.now()
        with deps.uow() as uow:
            challenge = uow.otp.challenge(command.challenge_id, for_update=True)
            if challenge is None or challenge.session_id != actor.session_id:
                raise NotFound(Code.K2_CHALLENGE_NOT_FOUND)
            if not check_challenge_code(deps, uow, challenge, command.code, now):
                uow.audit.append(
                    chain=actor.institution_code,
                    at=now,
                    actor=actor.label,
                    event="security.challenge_failed",
                    subject=actor.label,
                    details={"challenge": command.challenge_id, "attempts": challenge.attempts},
                )
                uow.commit()
                challenge.ensure_open(now)  # raises K2_CHALLENGE_LOCKED once the attempts are used up
                raise FactorRejected(
                    Code.K2_CHALLENGE_WRONG, attempts_left=challenge.max_attempts - challenge.attempts
                )
            result = elevate(
                uow,
                actor,
                self.level(policy),
                policy,
                now,
                {"factor": challenge.channel.value, "challenge": command.challenge_id},
            )
            uow.commit()
            return result
