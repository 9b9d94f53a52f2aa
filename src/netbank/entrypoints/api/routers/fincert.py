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
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from netbank.adapters import pki as x509_pki
from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import CustomerDep, DepsDep, VisitorDep
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import factors, fincert
from netbank.services.fincert import CertificateView

router = APIRouter(prefix="/api/v1", tags=["financial certificate"], responses=REFUSALS)


def _pem(der: bytes) -> str:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _out(view: CertificateView) -> s.FinCertOut:
    return s.FinCertOut(
        serial=view.serial,
        status=view.status,
        holder_name=view.holder_name,
        resident_number_masked=view.resident_number_masked,
        issuing_institution=view.issuing_institution,
        not_before=view.not_before,
        not_after=view.not_after,
        pin_locked=view.pin_locked,
        registrations=[
            s.FinCertRegistrationOut(
                institution=r.institution_code,
                institution_name=r.institution_name,
                registered_at=r.registered_at,
            )
            for r in view.registrations
        ],
        certificate_pem=_pem(view.der),
    )


def _flow(view: fincert.FlowView) -> s.RegistrationFlowOut:
    return s.RegistrationFlowOut.model_validate(view)


# --- the holder ------------------------------------------------------------------------------


@router.post("/me/fincert", response_model=s.FinCertOut, status_code=201)
def issue(body: s.FinCertIssueIn, actor: CustomerDep, deps: DepsDep) -> s.FinCertOut:
    """F2/F5: issue at a bank, in a session raised to a one-time code or a certificate."""
    return _out(fincert.issue_certificate(deps, actor, body.command()))


@router.post("/me/fincert/reissue", response_model=s.FinCertOut, status_code=201)
def reissue(body: s.FinCertReissueIn, actor: CustomerDep, deps: DepsDep) -> s.FinCertOut:
    """F5: a new key and certificate, same expiry; the previous one is revoked everywhere."""
    return _out(fincert.reissue_certificate(deps, actor, body.command()))


@router.post("/me/fincert/renew", response_model=s.FinCertOut)
def renew(body: s.FinCertRenewIn, actor: CustomerDep, deps: DepsDep) -> s.FinCertOut:
    """F5: at the issuing bank, in the last days before expiry."""
    return _out(fincert.renew_certificate(deps, actor, body.command()))


@router.get("/me/fincert", response_model=s.FinCertOut)
def view(actor: CustomerDep, deps: DepsDep) -> s.FinCertOut:
    """F4: the certificate and the institutions where it is registered."""
    return _out(fincert.my_certificate(deps, actor))


@router.delete("/me/fincert/registration", status_code=204)
def release(actor: CustomerDep, deps: DepsDep) -> Response:
    """F4 해제: remove the registration at this institution only."""
    fincert.release_registration(deps, actor, fincert.ReleaseRegistration())
    return Response(status_code=204)


@router.post("/me/fincert/revoke", status_code=204)
def revoke(actor: CustomerDep, deps: DepsDep) -> Response:
    """F4 폐기: at the issuing bank; the certificate dies everywhere."""
    fincert.revoke_certificate(deps, actor, fincert.RevokeCertificate())
    return Response(status_code=204)


@router.post("/me/fincert/suspend", status_code=204)
def suspend(actor: CustomerDep, deps: DepsDep) -> Response:
    fincert.suspend_certificate(deps, actor, fincert.SuspendCertificate())
    return Response(status_code=204)


@router.post("/me/fincert/restore", status_code=204)
def restore(actor: CustomerDep, deps: DepsDep) -> Response:
    fincert.restore_certificate(deps, actor, fincert.RestoreCertificate())
    return Response(status_code=204)


@router.post("/me/fincert/pin", status_code=204)
def change_pin(body: s.FinCertPINChangeIn, actor: CustomerDep, deps: DepsDep) -> Response:
    fincert.change_pin(deps, actor, body.command())
    return Response(status_code=204)


@router.post("/me/fincert/sign", response_model=s.SignedMessageOut)
def sign(body: s.FinCertSignIn, actor: CustomerDep, deps: DepsDep) -> s.SignedMessageOut:
    """F7: CMS SignedData (RSA-2048, SHA-256) with a purpose code, after the right PIN."""
    signed = fincert.sign_message(deps, actor, body.command())
    return s.SignedMessageOut(
        serial=signed.serial,
        purpose=signed.purpose.value,
        cms_base64=base64.b64encode(signed.cms_der).decode(),
    )


@router.post("/me/fincert/step-up", response_model=s.StepUpOut)
def step_up(body: s.FinCertStepUpIn, actor: CustomerDep, deps: DepsDep) -> s.StepUpOut:
    """F7 login (purpose 01): raises the session to the certificate level (40)."""
    result = factors.FINCERT.verify(deps, actor, body.command())
    return s.StepUpOut(level=int(result.level), until=result.until)


# --- institutions ------------------------------------------------------------------------------


@router.post("/fincert/verify", response_model=s.VerifiedMessageOut)
def verify(body: s.FinCertVerifyIn, deps: DepsDep) -> s.VerifiedMessageOut:
    """F7, an institution's check: chain to the service CA, validity, revocation."""
    try:
        cms = base64.b64decode(body.cms_base64, validate=True)
    except ValueError:
        cms = b""
    verified = fincert.verify_signed_message(deps, cms)
    return s.VerifiedMessageOut(
        serial=verified.serial,
        purpose=verified.purpose.value,
        message=base64.b64encode(verified.message).decode(),
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


# --- F3: registration at an institution, by someone not signed in there ----------------------

_FLOW = "/institutions/{institution}/fincert/registrations"


@router.post(_FLOW, response_model=s.RegistrationFlowOut, status_code=201)
def start(
    institution: s.InstitutionCode, body: s.RegistrationStartIn, deps: DepsDep, visitor: VisitorDep
) -> s.RegistrationFlowOut:
    """F3 step 1: name and resident registration number."""
    command = body.command(institution_code=institution)
    return _flow(fincert.start_registration(deps, visitor, command))


@router.post(_FLOW + "/{handle}/challenge", response_model=s.RegistrationFlowOut)
def send_code(
    institution: s.InstitutionCode,
    handle: s.FlowHandle,
    body: s.RegistrationCodeSendIn,
    deps: DepsDep,
    visitor: VisitorDep,
) -> s.RegistrationFlowOut:
    """F3 step 2: SMS, ARS or a one-time code, the customer's choice."""
    command = body.command(institution_code=institution, handle=handle)
    return _flow(fincert.send_registration_code(deps, visitor, command))


@router.post(_FLOW + "/{handle}/challenge/verify", response_model=s.RegistrationFlowOut)
def verify_code(
    institution: s.InstitutionCode,
    handle: s.FlowHandle,
    body: s.RegistrationCodeIn,
    deps: DepsDep,
    visitor: VisitorDep,
) -> s.RegistrationFlowOut:
    command = body.command(institution_code=institution, handle=handle)
    return _flow(fincert.verify_registration_code(deps, visitor, command))


@router.post(_FLOW + "/{handle}/customer-check", response_model=s.RegistrationFlowOut)
def customer_check(
    institution: s.InstitutionCode,
    handle: s.FlowHandle,
    body: s.RegistrationMediumIn,
    deps: DepsDep,
    visitor: VisitorDep,
) -> s.RegistrationFlowOut:
    """F3 step 3: 보안매체 미보유 고객 확인, resident number + mobile number."""
    command = body.command(institution_code=institution, handle=handle)
    return _flow(fincert.verify_without_medium(deps, visitor, command))


@router.get(_FLOW + "/{handle}/certificates", response_model=list[s.FinCertOut])
def certificates(
    institution: s.InstitutionCode, handle: s.FlowHandle, deps: DepsDep, visitor: VisitorDep
) -> list[s.FinCertOut]:
    """F3 step 4a: the certificate to choose."""
    return [_out(v) for v in fincert.registration_certificates(deps, visitor, institution, handle)]


@router.post(_FLOW + "/{handle}/complete", response_model=s.FinCertOut, status_code=201)
def complete(
    institution: s.InstitutionCode,
    handle: s.FlowHandle,
    body: s.RegistrationCompleteIn,
    deps: DepsDep,
    visitor: VisitorDep,
) -> s.FinCertOut:
    """F3 step 4b: the chosen certificate and its 6-digit PIN."""
    command = body.command(institution_code=institution, handle=handle)
    return _out(fincert.complete_registration(deps, visitor, command))
