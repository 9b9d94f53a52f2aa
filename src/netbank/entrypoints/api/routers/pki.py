"""The certificate version over HTTP (SPEC K1).

Public, unauthenticated (relying parties and ``openssl`` fetch them):

* ``GET /pki/{ca}/crl`` — the CA's current CRL, DER, ``application/pkix-crl``; ``{ca}`` is the
  institution code (its issuing CA, the CRL distribution point of customer certificates) or
  ``{code}-root`` (the root's CRL, the distribution point in the issuing CA certificate).
* ``POST /pki/{institution}/ocsp`` (body: DER request) and ``GET /pki/{institution}/ocsp/{b64}``
  — RFC 6960 answers signed by the delegated OCSP signer, ``application/ocsp-response``.
* ``GET /pki/{institution}/ca/{role}`` — the DER certificate of the root, issuing CA or OCSP
  signer (``application/pkix-cert``), for clients building trust stores.

Customer: signed transfers and certificate login (challenge, then the signed answer). The
counter's certificate maintenance (revocation, a lost UKEY's replacement) is with the other
counter transactions, in ``teller.py``."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field, StringConstraints

from netbank.adapters import pki as x509_pki
from netbank.domain.certificate import CARole
from netbank.domain.errors import Code, RuleViolation
from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import CustomerDep, DepsDep
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import factors, fincert, pki, signed_transfers
from netbank.services.factors.base import NothingToStart
from netbank.services.factors.ukey import FinishCertificateLogin
from netbank.services.signed_transfers import SubmitSignedTransfer

CAName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")]

public_router = APIRouter(prefix="/pki", tags=["pki"])
customer_router = APIRouter(prefix="/api/v1/me", tags=["customer"], responses=REFUSALS)

_MAX_OCSP_REQUEST = 64 * 1024


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RuleViolation(Code.K1_INSTRUCTION_MALFORMED, field=field) from exc


# --- public: CRL, OCSP, CA certificates ---------------------------------------------------------


@public_router.get(
    "/{ca_name}/crl",
    response_class=Response,
    responses={200: {"content": {x509_pki.CRL_CONTENT_TYPE: {}}, "description": "DER CRL"}},
)
def crl(ca_name: CAName, deps: DepsDep) -> Response:
    """K1: the current CRL of a CA (re-published on every revocation and when it runs out);
    ``fincert`` and the service root's label: the financial certificate service's CRLs (F4)."""
    der = fincert.current_crl(deps, ca_name) if fincert.is_service_crl(deps, ca_name) else None
    return Response(
        der or pki.current_crl(deps, ca_name),
        media_type=x509_pki.CRL_CONTENT_TYPE,
        headers={"Cache-Control": "max-age=60"},
    )


def _ocsp(deps: Any, institution: str, request_der: bytes) -> Response:
    return Response(
        pki.ocsp_response(deps, institution, request_der),
        media_type=x509_pki.OCSP_RESPONSE_CONTENT_TYPE,
    )


@public_router.post(
    "/{institution}/ocsp",
    response_class=Response,
    responses={200: {"content": {x509_pki.OCSP_RESPONSE_CONTENT_TYPE: {}}, "description": "OCSP"}},
)
async def ocsp_post(institution: s.InstitutionCode, request: Request, deps: DepsDep) -> Response:
    """K1: RFC 6960 OCSP over POST (body: DER ``OCSPRequest``)."""
    body = await request.body()
    if len(body) > _MAX_OCSP_REQUEST:
        body = b""  # answered malformedRequest
    return _ocsp(deps, institution, body)


@public_router.get(
    "/{institution}/ocsp/{encoded:path}",
    response_class=Response,
    responses={200: {"content": {x509_pki.OCSP_RESPONSE_CONTENT_TYPE: {}}, "description": "OCSP"}},
)
def ocsp_get(institution: s.InstitutionCode, encoded: str, deps: DepsDep) -> Response:
    """K1: RFC 6960 Appendix A.1 OCSP over GET (URL-encoded base64 of the DER request)."""
    try:
        request_der = x509_pki.decode_ocsp_get_request(encoded)
    except ValueError:
        return Response(
            x509_pki.ocsp_error_response(x509_pki.OCSPResponseStatus.MALFORMED_REQUEST),
            media_type=x509_pki.OCSP_RESPONSE_CONTENT_TYPE,
        )
    return _ocsp(deps, institution, request_der)


@public_router.get(
    "/{institution}/ca/{role}",
    response_class=Response,
    responses={200: {"content": {"application/pkix-cert": {}}, "description": "DER certificate"}},
)
def ca_certificate(institution: s.InstitutionCode, role: CARole, deps: DepsDep) -> Response:
    """The institution's root, issuing CA or OCSP signer certificate (DER)."""
    return Response(pki.ca_certificates(deps, institution)[role.value], media_type="application/pkix-cert")


# --- customer: signed transfers and certificate login -------------------------------------------


class SignedTransferIn(s.Model):
    """A transfer instruction signed with the UKEY over its ``NBTX1`` bytes (the server
    rebuilds them from these fields and the session's institution and customer number);
    ``payee`` is an account number, or ``payee-code:`` and a payee's code for a bill."""

    payer: s.AccountNumber
    payee: Annotated[str, StringConstraints(pattern=r"^([0-9]{6,32}|payee-code:[A-Za-z0-9_-]{1,32})$")]
    amount_minor: s.Amount
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    idempotency_key: s.IdempotencyKey
    created_at: datetime
    reference: s.Reference = ""
    certificate: s.Base64 = Field(description="base64 of the DER UKEY certificate")
    signature: s.Base64 = Field(description="base64 of the signature over the NBTX1 bytes")

    def command(self) -> SubmitSignedTransfer:
        fields = dict(self)
        fields["certificate"] = _b64(self.certificate, "certificate")
        fields["signature"] = _b64(self.signature, "signature")
        return SubmitSignedTransfer(**fields)


class SignedTransferOut(s.Out):
    transfer_id: int
    replayed: bool
    amount_minor: int
    currency: str
    auth_level: int
    certificate_serial: str
    payer_balance_minor: int | None


class CertificateChallengeOut(s.Out):
    nonce: str
    to_sign: str = Field(description="base64 of the NBAUTH1 bytes to sign with the UKEY")
    expires_at: datetime


class CertificateLoginIn(s.Model):
    """The client helper's answer to a certificate login challenge."""

    nonce: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    certificate: s.Base64
    signature: s.Base64

    def command(self) -> FinishCertificateLogin:
        return FinishCertificateLogin(
            nonce=self.nonce,
            certificate=_b64(self.certificate, "certificate"),
            signature=_b64(self.signature, "signature"),
        )


@customer_router.post("/signed-transfers", response_model=SignedTransferOut, status_code=201)
def signed_transfer(body: SignedTransferIn, actor: CustomerDep, deps: DepsDep) -> SignedTransferOut:
    """K1: a transfer signed with the UKEY, booked at the certificate version's limits (L2);
    the signature and certificate are kept with it."""
    done = signed_transfers.submit_signed_transfer(deps, actor, body.command())
    t = done.result.transfer
    return SignedTransferOut(
        transfer_id=int(t.id or 0),
        replayed=done.result.replayed,
        amount_minor=t.amount_minor,
        currency=t.currency,
        auth_level=t.auth_level,
        certificate_serial=done.certificate_serial,
        payer_balance_minor=done.result.payer_balance_minor,
    )


@customer_router.post(
    "/step-up/certificate/challenge", response_model=CertificateChallengeOut, status_code=201
)
def certificate_challenge(actor: CustomerDep, deps: DepsDep) -> CertificateChallengeOut:
    """K1: a server nonce for this session; sign ``to_sign`` with the UKEY."""
    challenge = factors.UKEY.start(deps, actor, NothingToStart())
    return CertificateChallengeOut(
        nonce=challenge.nonce, to_sign=challenge.to_sign_b64, expires_at=challenge.expires_at
    )


@customer_router.post("/step-up/certificate", response_model=s.StepUpOut)
def certificate_login(body: CertificateLoginIn, actor: CustomerDep, deps: DepsDep) -> s.StepUpOut:
    """K1: the signed nonce raises the session to the certificate level (40)."""
    result = factors.UKEY.verify(deps, actor, body.command())
    return s.StepUpOut(level=int(result.level), until=result.until)
