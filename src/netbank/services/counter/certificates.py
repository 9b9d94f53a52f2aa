"""Certificate-version maintenance at the counter with its fees (K1, G1-G2): selling a UKEY
(generation 1 or 2, a first one or the replacement of a lost one), renewing its certificate and
revoking it. Each needs the registration account presented (E7) free of C3 flags (E11).

The fee is debited from the account the customer chooses and credited to GL 5111201's
sub-account in the same database transaction as the counter transaction. When the customer's
UKEY is presented (``ukey``: token label and the PIN the customer types), the key pair is
generated on it, certified by the institution's issuing CA and the certificate written back to
it (K1); the previous certificate, if any, is revoked with a reason and the CRL re-published,
all before the commit. Without ``ukey`` only the sale and its fee are recorded (the UKEY is
initialised later)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from netbank.domain.certificate import RevocationReason
from netbank.domain.counter import TransactionCode
from netbank.domain.enrolment import Contract, Version
from netbank.domain.errors import Code, DomainError, NotFound, RuleViolation
from netbank.domain.institution import Institution
from netbank.domain.ledger import FeeKind
from netbank.domain.policy import Policy
from netbank.services import pki
from netbank.services.common import Receipt, TellerActor, customers_account, id_of
from netbank.services.counter.desk import Desk, Done, WithRegistrationAccount, at_the_counter
from netbank.services.ledger import charge_fee
from netbank.services.ports import Deps, UKEYAccess

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class CertificateMaintenance(WithRegistrationAccount):
    """K1: maintenance of a certificate-version contract's UKEY."""

    def check_contract(self, contract: Contract) -> None:
        if contract.version is not Version.CERTIFICATE:
            raise RuleViolation(Code.K1_NOT_CERTIFICATE_VERSION, version=contract.version.value)


@dataclass(frozen=True, kw_only=True)
class WithFee(CertificateMaintenance):
    """G1: the fee is debited from ``fee_account_number``, an account of the customer's."""

    fee_account_number: str
    #: K1: the UKEY presented, to put a new key pair and certificate on (None: later).
    ukey: UKEYAccess | None = None


def _charge(desk: Desk, cmd: WithFee, kind: FeeKind, reference: str) -> dict[str, Any]:
    """The G1 fee from the account the customer chose, in the counter transaction: what the
    receipt says of it."""
    fee_account = customers_account(desk.uow, desk.customer, cmd.fee_account_number)
    amount, _ = charge_fee(
        desk.deps,
        desk.uow,
        policy=desk.policy,
        account=fee_account,
        kind=kind,
        now=desk.now,
        reference=reference,
        contract_id=desk.contract.id,
    )
    return {"fee_minor": amount, "fee_account": fee_account.masked_number}


def _institution(desk: Desk) -> Institution:
    institution = desk.uow.institutions.get(desk.actor.institution_id)
    if institution is None:
        raise NotFound(Code.INSTITUTION_NOT_FOUND)
    return institution


def _reissue(desk: Desk, ukey: UKEYAccess, generation: int, reason: RevocationReason) -> Done:
    """K1: revoke the customer's valid certificate (one at a time: the database holds that too)
    and put a new one on ``ukey``; the superseded keys leave the UKEY after the commit."""
    institution = _institution(desk)
    previous = desk.uow.pki.valid_certificate_of(id_of(desk.customer), for_update=True)
    if previous is not None:
        pki.revoke_in(desk.deps, desk.uow, institution, previous, reason)
    desk.uow.flush()
    issued = pki.issue_to_ukey(
        desk.deps,
        desk.uow,
        institution=institution,
        customer=desk.customer,
        contract=desk.contract,
        ukey=ukey,
        generation=generation,
        now=desk.now,
    )
    details = {
        "certificate_serial": issued.serial,
        "not_after": issued.not_after.isoformat(),
        "token_serial": issued.token_serial,
        "revoked_serial": previous.serial if previous else None,
    }
    return Done("", details, after_commit=lambda: _tidy_ukey(desk.deps, ukey, issued.key_label))


def _tidy_ukey(deps: Deps, ukey: UKEYAccess, key_label: str) -> None:
    """After the commit: superseded keys leave the UKEY. If the UKEY is pulled out first they
    stay (harmless: their certificates are revoked) until its next initialisation tidies it."""
    try:
        pki.authority(deps).keep_only_key(ukey, key_label)
    except DomainError:
        log.warning("superseded keys stay on UKEY %s until its next initialisation", ukey.label)


def _with_ukey(desk: Desk, cmd: WithFee, generation: int, reason: RevocationReason) -> Done:
    if cmd.ukey is None:
        return Done("", {})
    return _reissue(desk, cmd.ukey, generation, reason)


# --- the UKEY sale ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SellUKEY(WithFee):
    """Sell a UKEY of ``ukey_generation`` to a certificate-version customer: 60 / 120 material
    cost (G1) less the policy's discount (G2); with ``ukey`` it is initialised (K1) and a
    previous certificate revoked as superseded."""

    code = TransactionCode.UKEY_SALE
    ukey_serial: str
    ukey_generation: int

    #: Why a previous certificate is revoked when the new UKEY is initialised.
    reason: RevocationReason = RevocationReason.SUPERSEDED

    def check_request(self, policy: Policy) -> None:
        if self.ukey_generation not in policy.ukey_generations:
            raise RuleViolation(Code.E4_UKEY_GENERATION_NOT_ALLOWED, generation=self.ukey_generation)


@dataclass(frozen=True, kw_only=True)
class ReplaceUKEY(SellUKEY):
    """A lost (or broken) UKEY: a new one is sold and initialised at once; the old certificate
    is revoked as ``key_compromise`` (lost) or ``superseded``."""

    ukey: UKEYAccess
    reason: RevocationReason = RevocationReason.KEY_COMPROMISE


def sell_ukey(deps: Deps, actor: TellerActor, command: SellUKEY) -> Receipt:
    guard = pki.counting_pin_failures(deps, actor.institution_id, command.ukey)
    return at_the_counter(deps, actor, command, _sell_ukey, guard=guard)


def _sell_ukey(desk: Desk, cmd: SellUKEY) -> Done:
    serial = cmd.ukey_serial.strip().upper()  # the serial as the contract keeps it
    fee = _charge(desk, cmd, FeeKind.for_ukey(cmd.ukey_generation), serial)
    certificate = _with_ukey(desk, cmd, cmd.ukey_generation, cmd.reason)
    contract = desk.contract
    previous = contract.ukey_serial
    contract.ukey_serial = serial
    contract.ukey_generation = cmd.ukey_generation
    details = {
        "ukey_serial": serial,
        "generation": cmd.ukey_generation,
        "replaces": previous,
        **fee,
        **certificate.details,
    }
    return Done("sell", details, after_commit=certificate.after_commit)


# --- renewal and revocation -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RenewCertificate(WithFee):
    """Renew the UKEY certificate: 20 certificate fee (G1) less the policy's discount (G2).
    With ``ukey``: a new key pair on the same UKEY and its certificate; the old certificate is
    revoked as superseded (K1)."""

    code = TransactionCode.CERTIFICATE_RENEWAL


def renew_certificate(deps: Deps, actor: TellerActor, command: RenewCertificate) -> Receipt:
    guard = pki.counting_pin_failures(deps, actor.institution_id, command.ukey)
    return at_the_counter(deps, actor, command, _renew_certificate, guard=guard)


def _renew_certificate(desk: Desk, cmd: RenewCertificate) -> Done:
    contract = desk.contract
    fee = _charge(desk, cmd, FeeKind.CERTIFICATE_RENEWAL, contract.ukey_serial or "")
    generation = contract.ukey_generation or 1
    certificate = _with_ukey(desk, cmd, generation, RevocationReason.SUPERSEDED)
    details = {"ukey_serial": contract.ukey_serial, **fee, **certificate.details}
    return Done("renew", details, after_commit=certificate.after_commit)


@dataclass(frozen=True, kw_only=True)
class RevokeCertificate(CertificateMaintenance):
    """K1: revoke the customer's valid UKEY certificate with ``reason``; the issuing CA's CRL is
    re-published and the OCSP responder answers ``revoked`` from this commit on. No fee."""

    code = TransactionCode.CERTIFICATE_REVOCATION
    reason: RevocationReason


def revoke_certificate(deps: Deps, actor: TellerActor, command: RevokeCertificate) -> Receipt:
    return at_the_counter(deps, actor, command, _revoke_certificate)


def _revoke_certificate(desk: Desk, cmd: RevokeCertificate) -> Done:
    certificate = desk.uow.pki.valid_certificate_of(id_of(desk.customer), for_update=True)
    if certificate is None:
        raise NotFound(Code.K1_NO_VALID_CERTIFICATE)
    pki.revoke_in(desk.deps, desk.uow, _institution(desk), certificate, cmd.reason)
    details = {
        "ukey_serial": desk.contract.ukey_serial,
        "certificate_serial": certificate.serial,
        "reason": cmd.reason.value,
    }
    return Done("revoke", details)
