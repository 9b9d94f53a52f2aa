"""The certificate version's use cases (SPEC K1): the institution PKI, revocation status
(CRL and OCSP) and server-side verification of what a customer signs with the UKEY.

The counter transactions that put a certificate on a UKEY (sale, renewal, revocation,
replacement) are ``services/counter/certificates.py``, using :func:`issue_to_ukey` and
:func:`revoke_in` from here; signed transfers are ``services/signed_transfers.py`` and the
certificate login (step-up to level 40) ``services/factors/ukey.py``, both using
:func:`verify_signed`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from netbank.domain.certificate import (
    CERTIFICATE_VALIDITY,
    CRL_VALIDITY,
    UKEY_KEY_LABEL_PREFIX,
    UKEY_PIN_MAX_FAILURES,
    CARecord,
    CARole,
    CustomerCertificate,
    RevocationReason,
    RevocationState,
    check_certificate_of_customer,
    check_certificate_usable,
    check_revocable,
)
from netbank.domain.customer import Customer
from netbank.domain.enrolment import Contract, Version
from netbank.domain.errors import Code, Conflict, Locked, NotFound, RuleViolation
from netbank.domain.institution import Institution
from netbank.services.common import CustomerActor, Operator, id_of
from netbank.services.ports import CertificateAuthority, Deps, UKEYAccess, UnitOfWork

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


@dataclass(frozen=True, kw_only=True)
class InitPKI:
    """K1: the institution's CAs; ``replace`` makes new ones where they exist."""

    institution_code: str
    replace: bool = False


def init_pki(deps: Deps, actor: Operator, cmd: InitPKI) -> list[CARecord]:
    """K1: a root CA, an issuing CA and a delegated OCSP signer for the institution, keys on
    the HSM token; their certificates are stored and the first CRLs published. A second
    initialisation is refused unless ``replace`` (new CAs; certificates of the old ones stop
    verifying)."""
    institution_code, replace = cmd.institution_code, cmd.replace
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


@dataclass(frozen=True)
class PublishCRL:
    institution_code: str


def publish_crl(deps: Deps, actor: Operator, cmd: PublishCRL) -> dict[str, int]:
    """Re-publish the CRLs of the institution's root and issuing CA (schedule: ``netbank pki
    publish-crl`` from cron, well within ``CRL_VALIDITY``). Returns the new CRL numbers."""
    institution_code = cmd.institution_code
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
        if latest is not None and latest.current_at(now):
            return latest.der
    ca = authority(deps)
    with deps.uow() as uow:
        _publish(uow, ca, issuer, now)
        latest = uow.pki.latest_crl(issuer.id)
        uow.commit()
    if latest is None:  # pragma: no cover - just published
        raise RuntimeError("CRL vanished")
    return latest.der


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


def certificate_contract(uow: UnitOfWork, actor: CustomerActor) -> Contract:
    """K1: the signed-in customer's contract, of the certificate version."""
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
