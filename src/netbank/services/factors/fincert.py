"""F7: step-up with the cloud financial certificate. The service signs a fresh server nonce
with the customer's key after the 6-digit PIN (F5), the institution verifies the signature as
any relying party would, and the session rises to the certificate level."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from netbank.domain.errors import Code, RuleViolation
from netbank.domain.fincert import SignaturePurpose
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services import fincert
from netbank.services.common import CustomerActor, id_of
from netbank.services.factors.base import FactorContext, NothingToStart, StepUpFactor
from netbank.services.ports import Deps
from netbank.services.strong_auth import StepUpResult, elevate


@dataclass(frozen=True)
class StepUpWithFinCert:
    """The financial certificate's PIN, typed by the customer."""

    pin: str = field(repr=False)


class FinCertFactor(StepUpFactor[NothingToStart, StepUpWithFinCert]):
    """F7 login (purpose 01) with a financial certificate registered at this institution."""

    name: ClassVar[str] = "fincert"
    methods: ClassVar[tuple[str, ...]] = ("fincert",)

    def level(self, policy: Policy) -> AuthLevel:
        return AuthLevel.CERTIFICATE

    def usable(self, ctx: FactorContext) -> tuple[str, ...]:
        """The service is configured and the customer's certificate is usable (valid, not
        expired, its PIN not locked) and registered here (F3/F4)."""
        if ctx.deps.fincert is None:
            return ()
        digest = ctx.uow.customers.document_of(ctx.actor.customer_id).number_digest
        certificate = ctx.uow.fincert.live_certificate_of(digest)
        if certificate is None or not certificate.is_usable(ctx.deps.clock.now()):
            return ()
        registered = ctx.uow.fincert.active_registration(id_of(certificate), ctx.actor.institution_id)
        return self.methods if registered is not None else ()

    def verify(self, deps: Deps, actor: CustomerActor, command: StepUpWithFinCert) -> StepUpResult:
        nonce = deps.tokens.new_key()
        message = f"login:{actor.institution_code}:{actor.session_id}:{nonce}".encode()
        sign = fincert.SignMessage(pin=command.pin, message=message, purpose=SignaturePurpose.LOGIN)
        signed = fincert.sign_message(deps, actor, sign)
        verified = fincert.verify_signed_message(deps, signed.cms_der)
        if verified.purpose is not SignaturePurpose.LOGIN or verified.message != message:
            raise RuleViolation(Code.F7_SIGNATURE_INVALID)
        policy = deps.policies.policy_for(actor.institution_code)
        now = deps.clock.now()
        with deps.uow() as uow:
            result = elevate(
                uow, actor, self.level(policy), policy, now, {"factor": "fincert", "serial": signed.serial}
            )
            uow.commit()
            return result
