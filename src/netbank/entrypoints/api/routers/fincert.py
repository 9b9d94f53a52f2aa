"""The cloud financial certificate (SPEC F1-F5, F7).

* ``/api/v1/me/fincert/...``: the holder, signed in at an institution: issue and re-issue
  (banks only, strong session), renew, view, release, revoke, suspend, restore, change the
  PIN, sign, and step up the session with a signature.
* ``/api/v1/institutions/{institution}/fincert/registrations/...``: F3 registration at an
  institution, four steps with server-side state between them, addressed by the handle the
  first step returns.
* ``/api/v1/fincert/ca``: the service CA certificates institutions trust (PEM).
* ``POST /api/v1/fincert/ocsp`` (body: DER request) and ``GET /api/v1/fincert/ocsp/{b64}``:
  the service's RFC 6960 OCSP responder, public, ``application/ocsp-response``; the URL is in
  the Authority Information Access of every certificate the service issues.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, StringConstraints

from netbank.adapters import pki as x509_pki
from netbank.domain.fincert import SignaturePurpose
from netbank.domain.otp import ChallengeChannel
from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import ClientDep, CustomerDep, DepsDep
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import factors, fincert
from netbank.services.factors.fincert import StepUpWithFinCert
from netbank.services.fincert import CertificateView, FlowView

router = APIRouter(prefix="/api/v1", tags=["financial certificate"], responses=REFUSALS)

#: Checked by the domain (F5_PIN_FORMAT) so that the refusal names the rule.
PINText = Annotated[str, StringConstraints(min_length=1, max_length=16)]
Handle = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
ResidentNumber = Annotated[str, StringConstraints(min_length=1, max_length=20)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueIn(In):
    pin: PINText
    #: F5: revoke the live certificate another bank issued (the customer confirms it).
    confirm_revoke_other: bool = False


class PINIn(In):
    pin: PINText


class PINChangeIn(In):
    old_pin: PINText
    new_pin: PINText


class SignIn(In):
    pin: PINText
    purpose: Literal["01", "02", "99"]
    message_base64: Annotated[str, StringConstraints(max_length=65536)]


class VerifyIn(In):
    cms_base64: Annotated[str, StringConstraints(max_length=131072)]


class StartIn(In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    resident_number: ResidentNumber


class CodeSendIn(In):
    channel: ChallengeChannel


class CodeIn(In):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,10}$")]


class MediumIn(In):
    resident_number: ResidentNumber
    mobile: Annotated[str, StringConstraints(min_length=1, max_length=24)]


class CompleteIn(In):
    serial: Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f]{1,40}$")]
    pin: PINText


class RegistrationOut(BaseModel):
    institution: str
    institution_name: str
    registered_at: datetime


class CertificateOut(BaseModel):
    serial: str
    status: str
    holder_name: str
    resident_number_masked: str
    issuing_institution: str
    not_before: datetime
    not_after: datetime
    pin_locked: bool
    registrations: list[RegistrationOut]
    certificate_pem: str


class FlowOut(BaseModel):
    handle: str
    step: str
    expires_at: datetime
    challenge_id: int | None = None


class SignedOut(BaseModel):
    serial: str
    purpose: str
    cms_base64: str


class VerifiedOut(BaseModel):
    serial: str
    purpose: str
    message_base64: str
    signed_by: str


def _pem(der: bytes) -> str:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _out(view: CertificateView) -> CertificateOut:
    return CertificateOut(
        serial=view.serial,
        status=view.status,
        holder_name=view.holder_name,
        resident_number_masked=view.resident_number_masked,
        issuing_institution=view.issuing_institution,
        not_before=view.not_before,
        not_after=view.not_after,
        pin_locked=view.pin_locked,
        registrations=[
            RegistrationOut(
                institution=r.institution_code,
                institution_name=r.institution_name,
                registered_at=r.registered_at,
            )
            for r in view.registrations
        ],
        certificate_pem=_pem(view.der),
    )


def _flow(view: FlowView) -> FlowOut:
    return FlowOut(
        handle=view.handle, step=view.step, expires_at=view.expires_at, challenge_id=view.challenge_id
    )


# --- the holder ------------------------------------------------------------------------------


@router.post("/me/fincert", response_model=CertificateOut, status_code=201)
def issue(body: IssueIn, actor: CustomerDep, deps: DepsDep) -> CertificateOut:
    """F2/F5: issue at a bank, in a session raised to a one-time code or a certificate."""
    return _out(
        fincert.issue_certificate(deps, actor, body.pin, confirm_revoke_other=body.confirm_revoke_other)
    )


@router.post("/me/fincert/reissue", response_model=CertificateOut, status_code=201)
def reissue(body: PINIn, actor: CustomerDep, deps: DepsDep) -> CertificateOut:
    """F5: a new key and certificate, same expiry; the previous one is revoked everywhere."""
    return _out(fincert.reissue_certificate(deps, actor, body.pin))


@router.post("/me/fincert/renew", response_model=CertificateOut)
def renew(body: PINIn, actor: CustomerDep, deps: DepsDep) -> CertificateOut:
    """F5: at the issuing bank, in the last days before expiry."""
    return _out(fincert.renew_certificate(deps, actor, body.pin))


@router.get("/me/fincert", response_model=CertificateOut)
def view(actor: CustomerDep, deps: DepsDep) -> CertificateOut:
    """F4: the certificate and the institutions where it is registered."""
    return _out(fincert.my_certificate(deps, actor))


@router.delete("/me/fincert/registration", status_code=204)
def release(actor: CustomerDep, deps: DepsDep) -> Response:
    """F4 해제: remove the registration at this institution only."""
    fincert.release_registration(deps, actor)
    return Response(status_code=204)


@router.post("/me/fincert/revoke", status_code=204)
def revoke(actor: CustomerDep, deps: DepsDep) -> Response:
    """F4 폐기: at the issuing bank; the certificate dies everywhere."""
    fincert.revoke_certificate(deps, actor)
    return Response(status_code=204)


@router.post("/me/fincert/suspend", status_code=204)
def suspend(actor: CustomerDep, deps: DepsDep) -> Response:
    fincert.suspend_certificate(deps, actor)
    return Response(status_code=204)


@router.post("/me/fincert/restore", status_code=204)
def restore(actor: CustomerDep, deps: DepsDep) -> Response:
    fincert.restore_certificate(deps, actor)
    return Response(status_code=204)


@router.post("/me/fincert/pin", status_code=204)
def change_pin(body: PINChangeIn, actor: CustomerDep, deps: DepsDep) -> Response:
    fincert.change_pin(deps, actor, body.old_pin, body.new_pin)
    return Response(status_code=204)


@router.post("/me/fincert/sign", response_model=SignedOut)
def sign(body: SignIn, actor: CustomerDep, deps: DepsDep) -> SignedOut:
    """F7: CMS SignedData (RSA-2048, SHA-256) with a purpose code, after the right PIN."""
    try:
        message = base64.b64decode(body.message_base64, validate=True)
    except ValueError:
        message = body.message_base64.encode()
    signed = fincert.sign_message(deps, actor, body.pin, message, SignaturePurpose(body.purpose))
    return SignedOut(
        serial=signed.serial,
        purpose=signed.purpose.value,
        cms_base64=base64.b64encode(signed.cms_der).decode(),
    )


@router.post("/me/fincert/step-up", response_model=s.StepUpOut)
def step_up(body: PINIn, actor: CustomerDep, deps: DepsDep) -> s.StepUpOut:
    """F7 login (purpose 01): raises the session to the certificate level (40)."""
    result = factors.FINCERT.verify(deps, actor, StepUpWithFinCert(pin=body.pin))
    return s.StepUpOut(level=int(result.level), until=result.until)


# --- institutions ------------------------------------------------------------------------------


@router.post("/fincert/verify", response_model=VerifiedOut)
def verify(body: VerifyIn, deps: DepsDep) -> VerifiedOut:
    """F7, an institution's check: chain to the service CA, validity, revocation."""
    try:
        cms = base64.b64decode(body.cms_base64, validate=True)
    except ValueError:
        cms = b""
    verified = fincert.verify_signed_message(deps, cms)
    return VerifiedOut(
        serial=verified.serial,
        purpose=verified.purpose.value,
        message_base64=base64.b64encode(verified.message).decode(),
        signed_by=verified.signed_by,
    )


_MAX_OCSP_REQUEST = 64 * 1024
_OCSP_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {x509_pki.OCSP_RESPONSE_CONTENT_TYPE: {}}, "description": "OCSP"}
}


def _ocsp(body: bytes) -> Response:
    return Response(body, media_type=x509_pki.OCSP_RESPONSE_CONTENT_TYPE)


@router.post("/fincert/ocsp", response_class=Response, responses=_OCSP_ANSWER)
async def ocsp_post(request: Request, deps: DepsDep) -> Response:
    """F4/F5: the status of a financial certificate, RFC 6960 over POST (body: DER
    ``OCSPRequest``); good, revoked (with time and reason; suspended is certificateHold) or
    unknown, signed by the service's delegated OCSP signer."""
    body = await request.body()
    if len(body) > _MAX_OCSP_REQUEST:
        body = b""  # answered malformedRequest
    # The HSM signature and the database look-up block: off the event loop, as sync routes run.
    return _ocsp(await run_in_threadpool(fincert.ocsp_response, deps, body))


@router.get("/fincert/ocsp/{encoded:path}", response_class=Response, responses=_OCSP_ANSWER)
def ocsp_get(encoded: str, deps: DepsDep) -> Response:
    """F4/F5: the same over GET (RFC 6960 Appendix A.1: URL-encoded base64 of the request)."""
    try:
        request_der = x509_pki.decode_ocsp_get_request(encoded)
    except ValueError:
        return _ocsp(x509_pki.ocsp_error_response(x509_pki.OCSPResponseStatus.MALFORMED_REQUEST))
    return _ocsp(fincert.ocsp_response(deps, request_der))


@router.get("/fincert/ca", response_model=dict[str, str])
def ca(deps: DepsDep) -> dict[str, str]:
    root, issuing = fincert.service_ca_certificates(deps)
    return {"root_pem": _pem(root.der), "issuing_pem": _pem(issuing.der)}


_FLOW = "/institutions/{institution}/fincert/registrations"


@router.post(_FLOW, response_model=FlowOut, status_code=201)
def start(institution: s.InstitutionCode, body: StartIn, deps: DepsDep, client: ClientDep) -> FlowOut:
    """F3 step 1: name and resident registration number."""
    return _flow(fincert.start_registration(deps, institution, body.name, body.resident_number, client))


@router.post(_FLOW + "/{handle}/challenge", response_model=FlowOut)
def send_code(
    institution: s.InstitutionCode, handle: Handle, body: CodeSendIn, deps: DepsDep, client: ClientDep
) -> FlowOut:
    """F3 step 2: SMS, ARS or a one-time code, the customer's choice."""
    return _flow(fincert.send_registration_code(deps, institution, handle, body.channel, client))


@router.post(_FLOW + "/{handle}/challenge/verify", response_model=FlowOut)
def verify_code(institution: s.InstitutionCode, handle: Handle, body: CodeIn, deps: DepsDep) -> FlowOut:
    return _flow(fincert.verify_registration_code(deps, institution, handle, body.code))


@router.post(_FLOW + "/{handle}/customer-check", response_model=FlowOut)
def customer_check(institution: s.InstitutionCode, handle: Handle, body: MediumIn, deps: DepsDep) -> FlowOut:
    """F3 step 3: 보안매체 미보유 고객 확인, resident number + mobile number."""
    return _flow(fincert.verify_without_medium(deps, institution, handle, body.resident_number, body.mobile))


@router.get(_FLOW + "/{handle}/certificates", response_model=list[CertificateOut])
def certificates(institution: s.InstitutionCode, handle: Handle, deps: DepsDep) -> list[CertificateOut]:
    """F3 step 4a: the certificate to choose."""
    return [_out(v) for v in fincert.registration_certificates(deps, institution, handle)]


@router.post(_FLOW + "/{handle}/complete", response_model=CertificateOut, status_code=201)
def complete(
    institution: s.InstitutionCode, handle: Handle, body: CompleteIn, deps: DepsDep
) -> CertificateOut:
    """F3 step 4b: the chosen certificate and its 6-digit PIN."""
    return _out(fincert.complete_registration(deps, institution, handle, body.serial, body.pin))
