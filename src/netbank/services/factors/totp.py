"""K2: the OTP version's dynamic password, a TOTP code (RFC 6238) from the customer's
authenticator, provisioned at the counter (``services/strong_auth.provision_totp``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from netbank.domain.enrolment import Version
from netbank.domain.errors import Code, Locked, RuleViolation, refusal
from netbank.domain.otp import TOTPParameters
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, id_of
from netbank.services.factors.base import FactorContext, NothingToStart, StepUpFactor
from netbank.services.ports import Deps
from netbank.services.strong_auth import StepUpResult, elevate, rate_limit, seed_purpose


@dataclass(frozen=True)
class VerifyTOTP:
    """The code the customer's authenticator shows now."""

    code: str = field(repr=False)


class TOTPFactor(StepUpFactor[NothingToStart, VerifyTOTP]):
    """K2: a code within ±drift steps, never one already used, raises the session to the
    one-time-code level; wrong codes count towards the lock-out."""

    name: ClassVar[str] = "totp"
    methods: ClassVar[tuple[str, ...]] = ("totp",)

    def level(self, policy: Policy) -> AuthLevel:
        return AuthLevel.ONE_TIME_CODE

    def usable(self, ctx: FactorContext) -> tuple[str, ...]:
        if ctx.contract.version is not Version.OTP:
            return ()
        return self.methods if ctx.uow.otp.active_credential(id_of(ctx.contract)) is not None else ()

    def verify(self, deps: Deps, actor: CustomerActor, command: VerifyTOTP) -> StepUpResult:
        """Also across server processes, a code is used once: the credential row is locked and
        its last used step compared."""
        contract_id = actor.ensure_enrolled()
        policy = deps.policies.policy_for(actor.institution_code)
        rate_limit(deps, policy, "totp", actor)
        now = deps.clock.now()
        with deps.uow() as uow:
            credential = uow.otp.active_credential(contract_id, for_update=True)
            if credential is None:
                raise RuleViolation(Code.K2_OTP_NOT_ENROLLED)
            credential.ensure_usable()
            seed = deps.secrets.open(credential.seed_sealed, seed_purpose(contract_id))
            params = TOTPParameters(
                digits=credential.digits,
                step_seconds=credential.step_seconds,
                drift_steps=policy.otp.drift_steps,
                algorithm=credential.algorithm,
            )
            step = deps.otp.matching_step(seed, params, command.code, now)
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
                self.level(policy),
                policy,
                now,
                {"factor": "totp", "drift_steps": credential.drift_steps},
            )
            uow.commit()
            return result
