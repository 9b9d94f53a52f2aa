"""The certificate version's use cases (SPEC K1): the institution PKI, revocation status
(CRL and OCSP), server-side verification of what a customer signs with the UKEY, signed
transfers at the certificate level and certificate login (step-up to level 40).

The counter transactions that put a certificate on a UKEY (sale, renewal, revocation,
replacement) are in ``services/ukey.py``; they use :func:`issue_to_ukey` and
:func:`revoke_in` from here."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from netbank.domain.certificate import (
    CERTIFICATE_VALIDITY,
    CRL_VALIDITY,
    LOGIN_CHALLENGE_VALIDITY,
    LOGIN_FORMAT,
    TRANSFER_FORMAT,
    UKEY_KEY_LABEL_PREFIX,
    UKEY_PIN_MAX_FAILURES,
    CARecord,
    CARole,
    CustomerCertificate,
    RevocationReason,
    RevocationState,
    TransferInstruction,
    canonical_login_bytes,
    canonical_transfer_bytes,
    check_certificate_of_customer,
    check_certificate_usable,
    check_instruction_time,
    check_revocable,
)
from netbank.domain.customer import Customer
from netbank.domain.enrolment import Contract, Version
from netbank.domain.errors import Code, Conflict, Locked, NotFound, RuleViolation
from netbank.domain.institution import Institution
from netbank.domain.ledger import Transfer, TransferKind
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, id_of
from netbank.services.ledger import TransferRequest, TransferResult, book_transfer
from netbank.services.ports import CertificateAuthority, Deps, UKEYAccess, UnitOfWork
from netbank.services.strong_auth import StepUpResult, elevate

BILL_PAYEE_PREFIX = "payee-code:"
SYSTEM_ACTOR = "system:pki"


def authority(deps: Deps) -> CertificateAuthority:
    """The HSM-backed CA, or the refusal when this deployment has none configured."""
    if deps.pki is None:
        raise NotFound(Code.K1_PKI_NOT_INITIALISED)
    return deps.pki


def _institution(uow: UnitOfWork, code: str) -> Institution:
    institution = uow.institutions.get_by_code(code)
    if institution is None:
        raise NotFound(Code.INSTITUTION_NOT_FOUND)
    return institution


def active_ca(uow: UnitOfWork, institution_id: int, role: CARole) -> CARecord:
    record = uow.pki.active_ca(institution_id, role)
    if record is None:
        raise NotFound(Code.K1_PKI_NOT_INITIALISED)
    return record


# --- the institution PKI ------------------------------------------------------------------------


def init_pki(deps: Deps, institution_code: str, *, replace: bool = False) -> list[CARecord]:
    """K1: a root CA, an issuing CA and a delegated OCSP signer for the institution, keys on
    the HSM token; their certificates are stored and the first CRLs published. A second
    initialisation is refused unless ``replace`` (new CAs; certificates of the old ones stop
    verifying)."""
    ca = authority(deps)
    now = deps.clock.now()
    with deps.uow() as uow:
        institution = _institution(uow, institution_code)
        if uow.pki.active_ca(id_of(institution), CARole.ISSUING) is not None and not replace:
            raise Conflict(Code.K1_PKI_ALREADY_INITIALISED)
        made = ca.create_hierarchy(institution.code, institution.name, now)
        records = [uow.pki.add_ca(id_of(institution), m, now) for m in made]
        for record in records:
            if record.role is not CARole.OCSP:
                _publish(uow, ca, record, now)
        uow.audit.append(
            chain=institution.code,
            at=now,
            actor=SYSTEM_ACTOR,
            event="pki.initialised",
            subject=institution.code,
            details={r.role.value: r.serial for r in records},
        )
        uow.commit()
        return records


def _publish(uow: UnitOfWork, ca: CertificateAuthority, issuer: CARecord, now: datetime) -> int:
    """Sign and store the next CRL of ``issuer`` (every revoked certificate it issued)."""
    number = uow.pki.next_crl_number(issuer.id)
    revoked = uow.pki.revoked_by(issuer.id) if issuer.role is CARole.ISSUING else []
    next_update = now + CRL_VALIDITY
    der = ca.build_crl(issuer, revoked, now, next_update, number)
    uow.pki.add_crl(issuer.id, number, now, next_update, der)
    return number


def publish_crl(deps: Deps, institution_code: str) -> dict[str, int]:
    """Re-publish the CRLs of the institution's root and issuing CA (schedule: ``netbank pki
    publish-crl`` from cron, well within ``CRL_VALIDITY``). Returns the new CRL numbers."""
    ca = authority(deps)
    now = deps.clock.now()
    with deps.uow() as uow:
        institution = _institution(uow, institution_code)
        numbers = {
            role.value: _publish(uow, ca, active_ca(uow, id_of(institution), role), now)
            for role in (CARole.ROOT, CARole.ISSUING)
        }
        uow.commit()
        return numbers


def _ca_of_name(ca_name: str) -> tuple[str, CARole]:
    """``edb`` is edb's issuing CA, ``edb-root`` its root (the CRL DP URLs of ``adapters/ca``)."""
    if ca_name.endswith("-root"):
        return ca_name.removesuffix("-root"), CARole.ROOT
    return ca_name, CARole.ISSUING


def current_crl(deps: Deps, ca_name: str) -> bytes:
    """The latest CRL of a CA, re-published first when it has run out (so a CRL fetched here
    is always current)."""
    code, role = _ca_of_name(ca_name)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        issuer = active_ca(uow, id_of(_institution(uow, code)), role)
        latest = uow.pki.latest_crl(issuer.id)
        if latest is not None and latest[1] <= now < latest[2]:
            return latest[3]
    ca = authority(deps)
    with deps.uow() as uow:
        _publish(uow, ca, issuer, now)
        latest = uow.pki.latest_crl(issuer.id)
        uow.commit()
    if latest is None:  # pragma: no cover - just published
        raise RuntimeError("CRL vanished")
    return latest[3]


def ocsp_response(deps: Deps, institution_code: str, request_der: bytes) -> bytes:
    """RFC 6960 answer for certificates of the institution's issuing CA, signed by its
    delegated OCSP signer, from the database's revocation state."""
    ca = authority(deps)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        institution_id = id_of(_institution(uow, institution_code))
        issuing = active_ca(uow, institution_id, CARole.ISSUING)
        responder = active_ca(uow, institution_id, CARole.OCSP)

        def lookup(serial: str) -> RevocationState:
            record = uow.pki.certificate_by_serial(institution_id, serial)
            if record is None or record.issuer_id != issuing.id:
                return RevocationState(known=False)
            return RevocationState(known=True, revoked_at=record.revoked_at, reason=record.revocation_reason)

        return ca.respond_ocsp(request_der, issuing, responder, lookup, now)


def ca_certificates(deps: Deps, institution_code: str) -> dict[str, bytes]:
    """The DER of the institution's active root, issuing and OCSP certificates."""
    with deps.uow(readonly=True) as uow:
        institution_id = id_of(_institution(uow, institution_code))
        return {role.value: active_ca(uow, institution_id, role).der for role in CARole}


# --- UKEY certificates (used by the counter transactions of services/ukey.py) ----------------


def issue_to_ukey(
    deps: Deps,
    uow: UnitOfWork,
    *,
    institution: Institution,
    customer: Customer,
    contract: Contract,
    ukey: UKEYAccess,
    generation: int,
    now: datetime,
) -> CustomerCertificate:
    """K1: generate the key pair on the UKEY, have the issuing CA certify it, write the
    certificate back to the UKEY and record it (the caller revoked any previous one)."""
    ca = authority(deps)
    issuing = active_ca(uow, id_of(institution), CARole.ISSUING)
    not_after = now + CERTIFICATE_VALIDITY
    if now < issuing.not_before or not_after > issuing.not_after:
        # A certificate must lie within its issuing CA's validity (RFC 5280): past that, the
        # institution rolls its PKI over (init_pki with replace) before selling more UKEYs.
        raise RuleViolation(Code.K1_CA_VALIDITY_EXCEEDED, ca_not_after=issuing.not_after.date().isoformat())
    failures = uow.pki.pin_failures(id_of(institution), ukey.label)
    if failures >= UKEY_PIN_MAX_FAILURES:
        raise Locked(Code.K1_TOKEN_PIN_LOCKED)
    suffix = deps.tokens.new_seed(4).hex()
    key_label = f"{UKEY_KEY_LABEL_PREFIX}{institution.code}-{customer.customer_number}-{suffix}"
    issued = ca.issue_ukey_certificate(
        issuing,
        ukey,
        key_label=key_label,
        generation=generation,
        subject_name=customer.name,
        subject_serial=f"{institution.code}:{customer.customer_number}",
        not_before=now,
        not_after=not_after,
    )
    if failures:
        uow.pki.set_pin_failures(id_of(institution), ukey.label, 0, now)
    return uow.pki.add_customer_certificate(
        institution_id=id_of(institution),
        contract_id=id_of(contract),
        customer_id=id_of(customer),
        issuer_id=issuing.id,
        generation=generation,
        token_label=ukey.label,
        issued=issued,
        at=now,
    )


@contextmanager
def counting_pin_failures(deps: Deps, institution_id: int, ukey: UKEYAccess | None) -> Iterator[None]:
    """K1: count a wrong UKEY PIN (after the counter transaction rolled back, in a transaction
    of its own); the ``UKEY_PIN_MAX_FAILURES``-th locks the UKEY at every counter."""
    try:
        yield
    except RuleViolation as exc:
        if ukey is None or exc.code is not Code.K1_TOKEN_PIN_WRONG:
            raise
        now = deps.clock.now()
        with deps.uow() as uow:
            failures = uow.pki.pin_failures(institution_id, ukey.label) + 1
            uow.pki.set_pin_failures(institution_id, ukey.label, failures, now)
            uow.commit()
        if failures >= UKEY_PIN_MAX_FAILURES:
            raise Locked(Code.K1_TOKEN_PIN_LOCKED) from exc
        raise


def revoke_in(
    deps: Deps,
    uow: UnitOfWork,
    institution: Institution,
    certificate: CustomerCertificate,
    reason: RevocationReason,
) -> None:
    """K1: revoke ``certificate`` and re-publish its issuer's CRL in the same transaction."""
    check_revocable(certificate)
    now = deps.clock.now()
    uow.pki.revoke_certificate(certificate.id, reason, now)
    issuer = uow.pki.ca_by_id(certificate.issuer_id)
    if issuer is not None:
        _publish(uow, authority(deps), issuer, now)


# --- verification of what a customer signed -------------------------------------------------


def _certificate_contract(uow: UnitOfWork, actor: CustomerActor) -> Contract:
    contract = uow.contracts.get(actor.ensure_enrolled())
    if contract is None:
        raise NotFound(Code.E3_NOT_ENROLLED)
    if contract.version is not Version.CERTIFICATE:
        raise RuleViolation(Code.K1_NOT_CERTIFICATE_VERSION, version=contract.version.value)
    return contract


def verify_signed(
    deps: Deps,
    uow: UnitOfWork,
    actor: CustomerActor,
    certificate_der: bytes,
    data: bytes,
    signature: bytes,
    now: datetime,
) -> CustomerCertificate:
    """K1, server side: the certificate chains to the institution's root and is within its
    validity (chain checked once, then remembered), carries the signing key usage, is one this
    institution issued and has not revoked (database state), belongs to this customer, and the
    signature over ``data`` verifies."""
    ca = authority(deps)
    issuing = active_ca(uow, actor.institution_id, CARole.ISSUING)
    root = active_ca(uow, actor.institution_id, CARole.ROOT)
    verified = ca.verify_certificate(certificate_der, issuing, root, now)
    record = uow.pki.certificate_by_serial(actor.institution_id, verified.serial)
    if record is None or record.der != certificate_der:
        raise RuleViolation(Code.K1_CERTIFICATE_UNKNOWN)
    check_certificate_usable(record, now)
    check_certificate_of_customer(record, actor.customer_id)
    ca.verify_signature(certificate_der, data, signature)
    return record


@dataclass(frozen=True)
class SignedTransferRequest:
    """A transfer instruction as the client signed it (``NBTX1``, see domain/certificate.py)."""

    payer: str
    payee: str
    amount_minor: int
    currency: str
    idempotency_key: str
    created_at: datetime
    certificate_der: bytes
    signature: bytes
    reference: str = ""


@dataclass(frozen=True)
class SignedTransferResult:
    result: TransferResult
    certificate_serial: str
    canonical: bytes


def submit_signed_transfer(
    deps: Deps, actor: CustomerActor, req: SignedTransferRequest
) -> SignedTransferResult:
    """K1: verify the UKEY signature over the canonical instruction, then book the transfer
    at the certificate level's limits (L2) and keep instruction, signature and certificate
    with it for non-repudiation — all in the booking's transaction."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        contract = _certificate_contract(uow, actor)
        customer = uow.customers.get(actor.customer_id)
        if customer is None:
            raise NotFound(Code.CUSTOMER_NOT_FOUND)
        instruction = TransferInstruction(
            institution=actor.institution_code,
            customer=customer.customer_number,
            payer=req.payer,
            payee=req.payee,
            amount_minor=req.amount_minor,
            currency=req.currency,
            idempotency_key=req.idempotency_key,
            created_at=req.created_at,
        )
        canonical = canonical_transfer_bytes(instruction)
        certificate = verify_signed(deps, uow, actor, req.certificate_der, canonical, req.signature, now)
        check_instruction_time(instruction, now)
        if req.payee.startswith(BILL_PAYEE_PREFIX):
            kind = TransferKind.BILL
        else:
            payee = uow.accounts.get_by_number(actor.institution_id, req.payee)
            kind = (
                TransferKind.OWN
                if payee is not None and payee.customer_id == actor.customer_id
                else (TransferKind.INTERNAL)
            )
        del contract

    def keep_evidence(uow: UnitOfWork, transfer: Transfer) -> None:
        if transfer.currency != instruction.currency:
            raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=instruction.currency)
        current = uow.pki.valid_certificate_of(actor.customer_id, for_update=True)
        if current is None or current.id != certificate.id:  # revoked meanwhile
            raise RuleViolation(Code.K1_CERTIFICATE_REVOKED)
        uow.flush()
        uow.pki.add_signed_transfer(
            transfer_id=id_of(transfer),
            certificate_id=certificate.id,
            format_tag=TRANSFER_FORMAT,
            canonical=canonical,
            signature=req.signature,
            certificate_der=req.certificate_der,
            at=now,
        )

    bill = kind is TransferKind.BILL
    result = book_transfer(
        deps,
        dataclasses.replace(actor, level=max(actor.level, AuthLevel.CERTIFICATE)),
        TransferRequest(
            idempotency_key=req.idempotency_key,
            kind=kind,
            from_account=req.payer,
            amount_minor=req.amount_minor,
            to_account=None if bill else req.payee,
            payee_code=req.payee.removeprefix(BILL_PAYEE_PREFIX) if bill else None,
            reference=req.reference,
        ),
        evidence=keep_evidence,
    )
    return SignedTransferResult(result=result, certificate_serial=certificate.serial, canonical=canonical)


# --- login with the certificate (step-up to level 40) -----------------------------------------


@dataclass(frozen=True)
class LoginChallenge:
    nonce: str
    to_sign: bytes
    expires_at: datetime

    @property
    def to_sign_b64(self) -> str:
        return base64.b64encode(self.to_sign).decode("ascii")


def start_certificate_login(deps: Deps, actor: CustomerActor) -> LoginChallenge:
    """K1: a fresh server nonce for this session; the customer signs ``NBAUTH1`` bytes."""
    now = deps.clock.now()
    nonce = deps.tokens.new_seed(32).hex()
    expires_at = now + LOGIN_CHALLENGE_VALIDITY
    with deps.uow() as uow:
        _certificate_contract(uow, actor)
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


def finish_certificate_login(
    deps: Deps, actor: CustomerActor, nonce: str, certificate_der: bytes, signature: bytes
) -> StepUpResult:
    """K1: the signed nonce (once, within minutes, for this session) raises the session to the
    certificate level for the policy's step-up time."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        challenge = uow.pki.challenge(nonce, for_update=True)
        if challenge is None or challenge["session_id"] != actor.session_id:
            raise NotFound(Code.K1_LOGIN_CHALLENGE_NOT_FOUND)
        if challenge["used_at"] is not None:
            raise RuleViolation(Code.K1_LOGIN_CHALLENGE_USED)
        if now >= challenge["expires_at"]:
            raise RuleViolation(Code.K1_LOGIN_CHALLENGE_EXPIRED)
        customer = uow.customers.get(actor.customer_id)
        if customer is None:
            raise NotFound(Code.CUSTOMER_NOT_FOUND)
        data = canonical_login_bytes(actor.institution_code, customer.customer_number, nonce)
        certificate = verify_signed(deps, uow, actor, certificate_der, data, signature, now)
        uow.pki.use_challenge(nonce, now)
        result = elevate(
            uow,
            actor,
            AuthLevel.CERTIFICATE,
            policy,
            now,
            {"factor": "certificate", "format": LOGIN_FORMAT, "serial": certificate.serial},
        )
        uow.commit()
        return result
