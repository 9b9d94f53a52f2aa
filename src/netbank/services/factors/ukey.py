"""K1: certificate login with the UKEY of the certificate version. The server issues a nonce
for this session; the customer's client helper signs its ``NBAUTH1`` bytes on the UKEY (the
PIN never leaves the customer's machine); the signed answer, verified against the institution's
PKI and the database's revocation state, raises the session to the certificate level."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from netbank.domain.certificate import LOGIN_CHALLENGE_VALIDITY, LOGIN_FORMAT, canonical_login_bytes
from netbank.domain.enrolment import Version
from netbank.domain.errors import Code, NotFound, RuleViolation
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services import pki
from netbank.services.common import CustomerActor
from netbank.services.factors.base import FactorContext, NothingToStart, StepUpFactor
from netbank.services.ports import Deps
from netbank.services.strong_auth import StepUpResult, elevate


@dataclass(frozen=True)
class LoginChallenge:
    """A nonce for this session and the bytes to sign with the UKEY."""

    nonce: str
    to_sign: bytes
    expires_at: datetime

    @property
    def to_sign_b64(self) -> str:
        return base64.b64encode(self.to_sign).decode("ascii")


@dataclass(frozen=True)
class FinishCertificateLogin:
    """The client helper's answer: the nonce, the UKEY certificate (DER) and the signature."""

    nonce: str
    certificate: bytes
    signature: bytes


class UKEYFactor(StepUpFactor[NothingToStart, FinishCertificateLogin]):
    """K1: the signed nonce (once, within minutes, for this session) raises the session to the
    certificate level for the policy's step-up time."""

    name: ClassVar[str] = "ukey"
    methods: ClassVar[tuple[str, ...]] = ("ukey",)

    def level(self, policy: Policy) -> AuthLevel:
        return AuthLevel.CERTIFICATE

    def usable(self, ctx: FactorContext) -> tuple[str, ...]:
        """A certificate-version customer holding a valid, unexpired UKEY certificate of this
        institution, where the institution PKI is configured."""
        if ctx.deps.pki is None or ctx.contract.version is not Version.CERTIFICATE:
            return ()
        held = ctx.uow.pki.valid_certificate_of(ctx.actor.customer_id)
        now = ctx.deps.clock.now()
        if held is None or held.institution_id != ctx.actor.institution_id or now > held.not_after:
            return ()
        return self.methods

    def start(self, deps: Deps, actor: CustomerActor, command: NothingToStart) -> LoginChallenge:
        """A fresh server nonce for this session; the customer signs ``NBAUTH1`` bytes."""
        now = deps.clock.now()
        nonce = deps.tokens.new_seed(32).hex()
        expires_at = now + LOGIN_CHALLENGE_VALIDITY
        with deps.uow() as uow:
            pki.certificate_contract(uow, actor)
            customer = uow.customers.get(actor.customer_id)
            if customer is None:
                raise NotFound(Code.CUSTOMER_NOT_FOUND)
            uow.pki.add_challenge(actor.session_id, nonce, now, expires_at)
            uow.commit()
        return LoginChallenge(
            nonce=nonce,
            to_sign=canonical_login_bytes(actor.institution_code, customer.customer_number, nonce),
            expires_at=expires_at,
        )

    def verify(self, deps: Deps, actor: CustomerActor, command: FinishCertificateLogin) -> StepUpResult:
        policy = deps.policies.policy_for(actor.institution_code)
        now = deps.clock.now()
        with deps.uow() as uow:
            challenge = uow.pki.challenge(command.nonce, for_update=True)
            if challenge is None or challenge.session_id != actor.session_id:
                raise NotFound(Code.K1_LOGIN_CHALLENGE_NOT_FOUND)
            if challenge.used_at is not None:
                raise RuleViolation(Code.K1_LOGIN_CHALLENGE_USED)
            if now >= challenge.expires_at:
                raise RuleViolation(Code.K1_LOGIN_CHALLENGE_EXPIRED)
            customer = uow.customers.get(actor.customer_id)
            if customer is None:
                raise NotFound(Code.CUSTOMER_NOT_FOUND)
            data = canonical_login_bytes(actor.institution_code, customer.customer_number, command.nonce)
            certificate = pki.verify_signed(
                deps, uow, actor, command.certificate, data, command.signature, now
            )
            uow.pki.use_challenge(command.nonce, now)
            result = elevate(
                uow,
                actor,
                self.level(policy),
                policy,
                now,
                {"factor": "certificate", "format": LOGIN_FORMAT, "serial": certificate.serial},
            )
            uow.commit()
            return result
