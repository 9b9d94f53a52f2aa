"""F1: the service CA, created once per deployment on the HSM, and what it publishes: the CA
certificates institutions trust, its CRLs, its OCSP answers, and the status of every serial
(F4/F5) from the database. Also the relying party's side of F7: an institution verifying a
signature made with a financial certificate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from netbank.domain import fincert as fc
from netbank.domain.errors import Code, Conflict, NotFound
from netbank.services.common import Operator
from netbank.services.fincert.shared import authorities, service
from netbank.services.ports import Deps, FinCertAuthority, UnitOfWork, VerifiedSignedData

#: The CRL distribution point of the service's customer certificates: ``/pki/fincert/crl``
#: (the issuing CA certificate names the root's, ``/pki/{root key label}/crl``).
CRL_NAME = "fincert"
CRL_VALIDITY = timedelta(days=1)


@dataclass(frozen=True)
class InitServiceCA:
    """F1: create the service CA (root, issuing CA and the delegated OCSP signer)."""


def init_service_ca(deps: Deps, actor: Operator, command: InitServiceCA) -> list[FinCertAuthority]:
    """F1: create the service's root and issuing CA and the issuing CA's delegated OCSP signer
    on the HSM (once per deployment). Where the CAs exist but the signer does not (a deployment
    older than the responder), only the signer is created; with both there, it is refused."""
    adapters = service(deps)
    now = deps.clock.now()
    with deps.uow() as uow:
        issuing = uow.fincert.active_authority("issuing")
        if issuing is None:
            made = adapters.ca.create_hierarchy(now)
            for authority in made:
                uow.fincert.add_authority(authority, now)
            issuing = next(a for a in made if a.role == "issuing")
        else:
            made = []
        signer, created = adapters.ca.ensure_ocsp_signer(issuing, now)
        if not made and not created:
            raise Conflict(Code.F1_CA_ALREADY_INITIALISED)
        made.append(signer)
        uow.audit.append(
            chain="fincert",
            at=now,
            actor=actor.label,
            event="fincert.ca_created",
            subject="fincert:ca",
            details={a.role: a.serial for a in made},
        )
        uow.commit()
        return made


def service_ca_certificates(deps: Deps) -> tuple[FinCertAuthority, FinCertAuthority]:
    """(root, issuing): what institutions trust."""
    with deps.uow(readonly=True) as uow:
        return authorities(uow)


def certificate_status(uow: UnitOfWork, serial: str, now: datetime) -> fc.PublishedStatus:
    """F4/F5: what the service publishes about a serial (hex, lower case), from the database.
    The one source of revocation status: the OCSP responder answers from it and institutions
    verifying a signature refuse on it."""
    return fc.published_status(uow.fincert.serial_record(serial), now)


def is_service_crl(deps: Deps, ca_name: str) -> bool:
    """Whether ``/pki/{ca_name}/crl`` is one of the service's CRLs rather than an institution's."""
    if deps.fincert is None or not (ca_name == CRL_NAME or ca_name.startswith("fincert-root-")):
        return False
    with deps.uow(readonly=True) as uow:
        root = uow.fincert.active_authority("root")
    return ca_name == CRL_NAME or (root is not None and ca_name == root.key_label)


def current_crl(deps: Deps, ca_name: str) -> bytes:
    """The service's CRLs, signed when asked: the issuing CA's lists every unexpired
    certificate revoked, superseded or on hold, from the status source of the OCSP responder;
    the root's lists nothing (it has issued only the issuing CA). The CRL number is the signing
    time in microseconds: it grows with every CRL, whichever process signs it."""
    adapters = service(deps)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        root, issuing = authorities(uow)
        if ca_name == CRL_NAME:
            authority = issuing
            revoked = [(r.serial, fc.published_status(r, now)) for r in uow.fincert.unexpired_not_valid(now)]
        elif ca_name == root.key_label:
            authority, revoked = root, []
        else:
            raise NotFound(Code.NOT_FOUND)
    return adapters.ca.build_crl(
        authority, revoked, now, now + CRL_VALIDITY, int(now.timestamp() * 1_000_000)
    )


def ocsp_response(deps: Deps, request_der: bytes) -> bytes:
    """RFC 6960 answer about certificates of the service's issuing CA, signed by its delegated
    OCSP signer; a request that does not parse is answered malformedRequest."""
    adapters = service(deps)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        _, issuing = authorities(uow)
        return adapters.ca.respond_ocsp(
            request_der, issuing, lambda serial: certificate_status(uow, serial, now), now
        )


def verify_signed_message(deps: Deps, cms_der: bytes) -> VerifiedSignedData:
    """F7, the institution's side: chain to the service CA, validity, and the signer's status
    as the service's OCSP responder publishes it (:func:`certificate_status`): a revoked
    certificate is refused F4_CERTIFICATE_REVOKED, a suspended one F4_CERTIFICATE_SUSPENDED."""
    adapters = service(deps)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        root, issuing = authorities(uow)
        return adapters.ca.verify_signed_data(
            cms_der, issuing, root, status_of=lambda serial: certificate_status(uow, serial, now), at=now
        )
