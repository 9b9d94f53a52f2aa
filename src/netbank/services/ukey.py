"""Certificate-version maintenance at the counter with its fees (K1, G1-G2): selling a UKEY
(generation 1 or 2) and renewing its certificate. The fee is debited from the account the
customer chooses and credited to GL 5111201's sub-account in the same database transaction
as the counter transaction. Key generation on the token and certificate issuance join these
same transactions (PKI): when the customer's UKEY is presented (``ukey``: token label and
the PIN the customer types), the key pair is generated on it, certified by the institution's
issuing CA and the certificate written back to it (K1); the previous certificate, if any, is
revoked with a reason and the CRL re-published, all before the commit. Without ``ukey`` only
the sale / fee is recorded (a UKEY initialised later)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netbank.domain.certificate import RevocationReason
from netbank.domain.counter import TransactionCode
from netbank.domain.enrolment import Version
from netbank.domain.errors import Code, DomainError, NotFound, RuleViolation
from netbank.domain.ledger import FeeKind
from netbank.domain.policy import Policy
from netbank.services import pki
from netbank.services.common import CustomerActor, Receipt, TellerActor, customers_account, id_of, journal
from netbank.services.enrolment import RegistrationCounter, with_registration_account
from netbank.services.ledger import charge_fee
from netbank.services.ports import Deps, UKEYAccess, UnitOfWork

log = logging.getLogger(__name__)


def _certificate_contract(w: RegistrationCounter) -> None:
    if w.contract.version is not Version.CERTIFICATE:
        raise RuleViolation(Code.K1_NOT_CERTIFICATE_VERSION, version=w.contract.version.value)


def _charge(
    deps: Deps,
    uow: UnitOfWork,
    policy: Policy,
    w: RegistrationCounter,
    fee_account_number: str,
    kind: FeeKind,
    reference: str,
    now: datetime,
) -> tuple[int, str]:
    """The certificate-version check (K1) and the G1 fee from the account the customer chose,
    in the counter transaction: (amount charged, the fee account masked for the receipt)."""
    _certificate_contract(w)
    fee_account = customers_account(uow, w.customer, fee_account_number)
    amount, _ = charge_fee(
        deps,
        uow,
        policy=policy,
        account=fee_account,
        kind=kind,
        now=now,
        reference=reference,
        contract_id=w.contract.id,
    )
    return amount, fee_account.masked_number


def _reissue(
    deps: Deps,
    uow: UnitOfWork,
    actor: TellerActor,
    w: RegistrationCounter,
    ukey: UKEYAccess,
    generation: int,
    replaced_because: RevocationReason,
    now: datetime,
) -> tuple[str, dict[str, Any]]:
    """K1: revoke the customer's valid certificate (one at a time: the database holds that too)
    and put a new one on ``ukey``. Returns the new key's label and the receipt details."""
    institution = uow.institutions.get(actor.institution_id)
    if institution is None:
        raise NotFound(Code.INSTITUTION_NOT_FOUND)
    previous = uow.pki.valid_certificate_of(id_of(w.customer), for_update=True)
    if previous is not None:
        pki.revoke_in(deps, uow, institution, previous, replaced_because)
    uow.flush()
    issued = pki.issue_to_ukey(
        deps,
        uow,
        institution=institution,
        customer=w.customer,
        contract=w.contract,
        ukey=ukey,
        generation=generation,
        now=now,
    )
    return issued.key_label, {
        "certificate_serial": issued.serial,
        "not_after": issued.not_after.isoformat(),
        "token_serial": issued.token_serial,
        "revoked_serial": previous.serial if previous else None,
    }


def _tidy_ukey(deps: Deps, ukey: UKEYAccess | None, key_label: str | None) -> None:
    """After the commit: superseded keys leave the UKEY. If the UKEY is pulled out first they
    stay (harmless: their certificates are revoked) until its next initialisation tidies it."""
    if ukey is None or key_label is None:
        return
    try:
        pki.authority(deps).keep_only_key(ukey, key_label)
    except DomainError:
        log.warning("superseded keys stay on UKEY %s until its next initialisation", ukey.label)


def sell_ukey(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
    fee_account_number: str,
    generation: int,
    serial: str,
    *,
    ukey: UKEYAccess | None = None,
    replaced_because: RevocationReason = RevocationReason.SUPERSEDED,
) -> Receipt:
    """Sell a UKEY of ``generation`` to a certificate-version customer (a first key or a
    replacement): 60 / 120 material cost (G1) less the policy's discount (G2). With ``ukey``
    the UKEY is initialised (K1); a previous certificate is revoked with ``replaced_because``
    (``key_compromise`` for a lost key)."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    if generation not in policy.ukey_generations:
        raise RuleViolation(Code.E4_UKEY_GENERATION_NOT_ALLOWED, generation=generation)
    with pki.counting_pin_failures(deps, actor.institution_id, ukey), deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        # the serial as the contract keeps it
        amount, fee_account = _charge(
            deps,
            uow,
            policy,
            w,
            fee_account_number,
            FeeKind.for_ukey(generation),
            serial.strip().upper(),
            now,
        )
        key_label, certificate = (
            _reissue(deps, uow, actor, w, ukey, generation, replaced_because, now)
            if ukey is not None
            else (None, {})
        )
        previous = w.contract.ukey_serial
        w.contract.ukey_serial = serial.strip().upper()
        w.contract.ukey_generation = generation
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.UKEY_SALE,
            action="sell",
            check=w.check,
            account=w.account,
            details={
                "ukey_serial": w.contract.ukey_serial,
                "generation": generation,
                "replaces": previous,
                "fee_minor": amount,
                "fee_account": fee_account,
                **certificate,
            },
            now=now,
        )
        uow.commit()
        _tidy_ukey(deps, ukey, key_label)
        return receipt


def renew_certificate(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
    fee_account_number: str,
    *,
    ukey: UKEYAccess | None = None,
) -> Receipt:
    """Renew the UKEY certificate: 20 certificate fee (G1) less the policy's discount (G2).
    With ``ukey``: a new key pair on the same UKEY and its certificate; the old certificate is
    revoked as superseded (K1)."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with pki.counting_pin_failures(deps, actor.institution_id, ukey), deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        amount, fee_account = _charge(
            deps,
            uow,
            policy,
            w,
            fee_account_number,
            FeeKind.CERTIFICATE_RENEWAL,
            w.contract.ukey_serial or "",
            now,
        )
        certificate: dict[str, Any] = {}
        key_label: str | None = None
        if ukey is not None:
            generation = w.contract.ukey_generation or 1
            key_label, certificate = _reissue(
                deps, uow, actor, w, ukey, generation, RevocationReason.SUPERSEDED, now
            )
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.CERTIFICATE_RENEWAL,
            action="renew",
            check=w.check,
            account=w.account,
            details={
                "ukey_serial": w.contract.ukey_serial,
                "fee_minor": amount,
                "fee_account": fee_account,
                **certificate,
            },
            now=now,
        )
        uow.commit()
        _tidy_ukey(deps, ukey, key_label)
        return receipt


def revoke_certificate(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
    reason: RevocationReason,
) -> Receipt:
    """K1 certificate maintenance at the counter (E7 registration account, E11 flags): revoke
    the customer's valid UKEY certificate with ``reason``; the issuing CA's CRL is re-published
    and the OCSP responder answers ``revoked`` from this commit on. No fee."""
    now = deps.clock.now()
    with deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        _certificate_contract(w)
        institution = uow.institutions.get(actor.institution_id)
        if institution is None:
            raise NotFound(Code.INSTITUTION_NOT_FOUND)
        certificate = uow.pki.valid_certificate_of(id_of(w.customer), for_update=True)
        if certificate is None:
            raise NotFound(Code.K1_NO_VALID_CERTIFICATE)
        pki.revoke_in(deps, uow, institution, certificate, reason)
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.CERTIFICATE_REVOCATION,
            action="revoke",
            check=w.check,
            account=w.account,
            details={
                "ukey_serial": w.contract.ukey_serial,
                "certificate_serial": certificate.serial,
                "reason": reason.value,
            },
            now=now,
        )
        uow.commit()
        return receipt


# --- the customer's view (read-only) -------------------------------------------------------


@dataclass(frozen=True)
class UKEYCertificateView:
    """A UKEY certificate as its holder sees it in the certificate centre (K1): public facts
    only; expiry is read from the dates, revocation from the database."""

    serial: str
    generation: int
    token_serial: str
    #: The PKCS#11 label of the UKEY it was written to (what the client helper's ``--token``
    #: names when the customer signs with it).
    token_label: str
    status: str
    not_before: datetime
    not_after: datetime
    expired: bool
    revocation_reason: str | None
    revoked_at: datetime | None


def my_ukey_certificates(deps: Deps, actor: CustomerActor) -> list[UKEYCertificateView]:
    """K1: the signed-in customer's UKEY certificates, newest first (none for other versions)."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        found = uow.pki.certificates_of(actor.customer_id)
    return [
        UKEYCertificateView(
            serial=c.serial,
            generation=c.generation,
            token_serial=c.token_serial,
            token_label=c.token_label,
            status=c.status.value,
            not_before=c.not_before,
            not_after=c.not_after,
            expired=now > c.not_after,
            revocation_reason=c.revocation_reason.value if c.revocation_reason else None,
            revoked_at=c.revoked_at,
        )
        for c in sorted(found, key=lambda c: c.not_before, reverse=True)
        if c.institution_id == actor.institution_id
    ]
