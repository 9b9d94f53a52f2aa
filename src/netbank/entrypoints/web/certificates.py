"""The certificate centre (인증센터), with the menus of the Korean source document (seed 000):

- 금융인증서 발급/재발급: issue and re-issue the cloud financial certificate, at banks only
  (F2, F5); at a securities-finance company the page says where to go instead.
- 타기관 금융인증서 관리: 금융인증서 등록/재등록 (registration at this institution, F3, the
  seed's four steps with a progress indicator), 해제 (release here), 관리 (the registrations).
- 인증서 폐기 (revoke, at the issuing bank), 비밀번호 변경 (change the PIN), 정지/해제 (F4).
- The UKEY certificate of the certificate version (K1), read-only.
- 기기 연결 관리: the devices that keep an auto-connect token to the cloud (F8), each one
  disconnected here.

Every action calls the service function the matching route of ``api/routers/fincert.py`` calls.
The F3 flow's state lives on the server (``registration_flows``); the browser keeps only the
flow's random handle, in an HttpOnly cookie limited to the flow's pages. The flow needs no
sign-in (the seed's app runs it before login); the other pages are the signed-in customer's
own. When the deployment runs no certificate service the centre says so."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from netbank.domain import fincert as fc
from netbank.domain.errors import Code, DomainError, NotFound, PermissionDenied, StepUpRequired
from netbank.domain.institution import Institution
from netbank.domain.otp import ChallengeChannel
from netbank.entrypoints.api.deps import DepsDep, VisitorDep
from netbank.entrypoints.api.errors import status_of
from netbank.entrypoints.web import step_up
from netbank.entrypoints.web.common import (
    CSRFChecked,
    PageRoute,
    WebCustomer,
    redirect,
    render,
    session_token,
)
from netbank.entrypoints.web.forms import Refusal, refusal_of, text_of
from netbank.services import auth, fincert, ukey
from netbank.services.common import CustomerActor, Visitor
from netbank.services.fincert import CertificateView, FlowView
from netbank.services.ports import Deps

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: The F3 flow's handle (and institution) in this browser, for the flow's pages only.
FLOW_COOKIE: Final = "netbank_fincert_flow"
FLOW_PATH: Final = "/certificates/register"
#: The seed's four steps, in order: (flow steps that show it as current, its title).
STEPS: Final = (
    "web.cert.step.identity",
    "web.cert.step.authentication",
    "web.cert.step.medium",
    "web.cert.step.certificate",
)

PIN = Annotated[str, Form(max_length=16)]


def _institution(deps: Deps, code: str) -> Institution | None:
    with deps.uow(readonly=True) as uow:
        return next((i for i in uow.institutions.list() if i.code == code), None)


def _issues_here(institution: Institution | None) -> bool:
    """F2, as the domain decides it: only a bank issues the financial certificate."""
    if institution is None:
        return False
    try:
        fc.ensure_issuer_is_bank(institution)
    except PermissionDenied:
        return False
    return True


def _issuing_banks(deps: Deps) -> list[Institution]:
    with deps.uow(readonly=True) as uow:
        return [i for i in uow.institutions.list() if _issues_here(i)]


def _my_certificate(deps: Deps, actor: CustomerActor) -> CertificateView | None:
    try:
        return fincert.my_certificate(deps, actor)
    except DomainError:
        return None


def _optional_customer(request: Request, deps: Deps) -> CustomerActor | None:
    """The signed-in customer, if any (the F3 flow's pages work without one)."""
    try:
        return auth.authenticate_customer(deps, session_token(request))
    except DomainError:
        return None


def _notice_after_step_up(request: Request) -> str | None:
    return "web.step_up.done_form" if request.query_params.get("stepped_up") == "1" else None


# --- the centre -----------------------------------------------------------------------------


def _issuing_context(deps: Deps, actor: CustomerActor) -> dict[str, Any]:
    """What the centre and the issue page both show: whether the service runs, whether this
    institution issues (F2) or only registers, the banks that issue, and the customer's
    certificate."""
    here = _institution(deps, actor.institution_code)
    return {
        "service_on": deps.fincert is not None,
        "issues_here": _issues_here(here),
        "institution": here,
        "banks": _issuing_banks(deps),
        "certificate": _my_certificate(deps, actor),
    }


def _centre_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    *,
    refusal: Refusal | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "cert_centre.html",
        status_code=status,
        signed_in="customer",
        **_issuing_context(deps, actor),
        ukeys=ukey.my_ukey_certificates(deps, actor),
        refusal=refusal,
        notice=notice,
    )


@router.get("/certificates", response_class=HTMLResponse)
def centre(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    notice = {"released": "web.cert.released", "revoked": "web.cert.revoked"}.get(
        request.query_params.get("done", "")
    )
    return _centre_page(request, deps, actor, notice=notice)


# --- issue / re-issue (F2, F5) --------------------------------------------------------------


def _issue_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    *,
    refusal: Refusal | None = None,
    ask_confirm: bool = False,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "cert_issue.html",
        status_code=status,
        signed_in="customer",
        **_issuing_context(deps, actor),
        refusal=refusal,
        ask_confirm=ask_confirm,
        notice=_notice_after_step_up(request),
    )


@router.get("/certificates/issue", response_class=HTMLResponse)
def issue_form(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    return _issue_page(request, deps, actor)


@router.post("/certificates/issue", response_class=HTMLResponse)
def issue(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    pin: PIN,
    pin_again: PIN,
    mode: Annotated[str, Form(pattern="^(issue|reissue)$")] = "issue",
    confirm_revoke_other: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """``POST /api/v1/me/fincert`` (or ``/reissue``): in a session raised to a one-time code
    (the step-up page comes first when it is not); a live certificate of another bank is
    revoked only when the customer ticks the confirmation (F5)."""
    if pin != pin_again:
        refusal = Refusal("REQUEST_VALIDATION", text_of(request, "web.cert.pin_mismatch"))
        return _issue_page(request, deps, actor, refusal=refusal, status=422)
    try:
        if mode == "reissue":
            view = fincert.reissue_certificate(deps, actor, fincert.ReissueCertificate(pin=pin))
        else:
            command = fincert.IssueCertificate(pin=pin, confirm_revoke_other=confirm_revoke_other)
            view = fincert.issue_certificate(deps, actor, command)
    except StepUpRequired as exc:
        return step_up.step_up_required(request, deps, actor, exc, step_up.page_resume("/certificates/issue"))
    except DomainError as exc:
        return _issue_page(
            request,
            deps,
            actor,
            refusal=refusal_of(request, exc),
            ask_confirm=exc.code is Code.F5_CERTIFICATE_EXISTS_ELSEWHERE,
            status=422,
        )
    return render(
        request,
        "cert_done.html",
        signed_in="customer",
        certificate=view,
        heading="web.cert.issued" if mode == "issue" else "web.cert.reissued",
        text_id="web.cert.issued_text" if mode == "issue" else "web.cert.reissued_text",
        institution=actor.institution_code,
        institution_name=actor.institution_code,
    )


# --- management (F4) ------------------------------------------------------------------------


def _manage_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    *,
    refusal: Refusal | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    certificate = _my_certificate(deps, actor)
    return render(
        request,
        "cert_manage.html",
        status_code=status,
        signed_in="customer",
        service_on=deps.fincert is not None,
        certificate=certificate,
        this_institution=actor.institution_code,
        registered_here=certificate is not None
        and any(r.institution_code == actor.institution_code for r in certificate.registrations),
        devices=fincert.my_devices(deps, actor) if deps.fincert is not None else [],
        refusal=refusal,
        notice=notice or _notice_after_step_up(request),
    )


@router.get("/certificates/manage", response_class=HTMLResponse)
def manage(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    """``GET /api/v1/me/fincert`` and ``/me/fincert/devices``: the certificate, where it is
    registered, and the devices connected to the cloud."""
    notice = "web.cert.device_disconnected" if request.query_params.get("done") == "device" else None
    return _manage_page(request, deps, actor, notice=notice)


@router.post("/certificates/devices/{device_id}/disconnect", response_class=HTMLResponse)
def disconnect_device(
    request: Request, device_id: int, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked
) -> Response:
    """F8: ``DELETE /api/v1/me/fincert/devices/{id}``: the device's token is cleared and its
    connection ends."""
    try:
        fincert.revoke_my_device(deps, actor, fincert.RevokeMyDevice(device_id))
    except DomainError as exc:
        return _manage_page(request, deps, actor, refusal=refusal_of(request, exc), status=status_of(exc))
    return redirect("/certificates/manage?done=device")


@router.post("/certificates/release", response_class=HTMLResponse)
def release(request: Request, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked) -> Response:
    """F4 해제: ``DELETE /api/v1/me/fincert/registration``: here only; valid elsewhere."""
    try:
        fincert.release_registration(deps, actor, fincert.ReleaseRegistration())
    except DomainError as exc:
        return _manage_page(request, deps, actor, refusal=refusal_of(request, exc), status=422)
    return redirect("/certificates?done=released")


@router.post("/certificates/revoke", response_class=HTMLResponse)
def revoke(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """F4 폐기: ``POST /api/v1/me/fincert/revoke``, at the issuing bank, everywhere. The page
    asks the customer to tick that they mean it."""
    if not confirm:
        refusal = Refusal("REQUEST_VALIDATION", text_of(request, "web.cert.revoke_confirm_missing"))
        return _manage_page(request, deps, actor, refusal=refusal, status=422)
    try:
        fincert.revoke_certificate(deps, actor, fincert.RevokeCertificate())
    except StepUpRequired as exc:
        return step_up.step_up_required(
            request, deps, actor, exc, step_up.page_resume("/certificates/manage")
        )
    except DomainError as exc:
        return _manage_page(request, deps, actor, refusal=refusal_of(request, exc), status=422)
    return redirect("/certificates?done=revoked")


@router.post("/certificates/suspend", response_class=HTMLResponse)
def suspend(request: Request, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked) -> HTMLResponse:
    """F4 정지: ``POST /api/v1/me/fincert/suspend``."""
    try:
        fincert.suspend_certificate(deps, actor, fincert.SuspendCertificate())
    except DomainError as exc:
        return _manage_page(request, deps, actor, refusal=refusal_of(request, exc), status=422)
    return _manage_page(request, deps, actor, notice="web.cert.suspended")


@router.post("/certificates/restore", response_class=HTMLResponse)
def restore(request: Request, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked) -> HTMLResponse:
    """F4 정지 해제: ``POST /api/v1/me/fincert/restore``, in a strong session."""
    try:
        fincert.restore_certificate(deps, actor, fincert.RestoreCertificate())
    except StepUpRequired as exc:
        return step_up.step_up_required(
            request, deps, actor, exc, step_up.page_resume("/certificates/manage")
        )
    except DomainError as exc:
        return _manage_page(request, deps, actor, refusal=refusal_of(request, exc), status=422)
    return _manage_page(request, deps, actor, notice="web.cert.restored")


def _pin_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    *,
    refusal: Refusal | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "cert_pin.html",
        status_code=status,
        signed_in="customer",
        service_on=deps.fincert is not None,
        certificate=_my_certificate(deps, actor),
        refusal=refusal,
        notice=notice,
    )


@router.get("/certificates/pin", response_class=HTMLResponse)
def pin_form(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    return _pin_page(request, deps, actor)


@router.post("/certificates/pin", response_class=HTMLResponse)
def change_pin(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    old_pin: PIN,
    new_pin: PIN,
    new_pin_again: PIN,
) -> HTMLResponse:
    """F4/F5 비밀번호 변경: ``POST /api/v1/me/fincert/pin``; a wrong old PIN counts (F5)."""
    if new_pin != new_pin_again:
        refusal = Refusal("REQUEST_VALIDATION", text_of(request, "web.cert.pin_mismatch"))
        return _pin_page(request, deps, actor, refusal=refusal, status=422)
    try:
        fincert.change_pin(deps, actor, fincert.ChangePIN(old_pin=old_pin, new_pin=new_pin))
    except DomainError as exc:
        return _pin_page(request, deps, actor, refusal=refusal_of(request, exc), status=422)
    return _pin_page(request, deps, actor, notice="web.cert.pin_changed")


# --- registration at this institution (F3), four steps -----------------------------------------


def _flow_of(request: Request) -> tuple[str, str] | None:
    """(institution, handle) of this browser's registration flow, if it has one."""
    raw = request.cookies.get(FLOW_COOKIE, "")
    institution, _, handle = raw.partition(":")
    if not institution or not handle:
        return None
    return institution, handle


def _keep_flow(response: Response, request: Request, institution: str, handle: str) -> None:
    response.set_cookie(
        FLOW_COOKIE,
        f"{institution}:{handle}",
        path=FLOW_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _forget_flow(response: Response) -> None:
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="strict")


def _step_page(
    request: Request,
    deps: Deps,
    step: int,
    *,
    institution: str,
    refusal: Refusal | None = None,
    flow: FlowView | None = None,
    certificates: list[CertificateView] | None = None,
    channel: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The flow's page for step ``step`` (1-4): its form under the progress indicator."""
    with deps.uow(readonly=True) as uow:
        institutions = [(i.code, i.name) for i in uow.institutions.list()]
    actor = _optional_customer(request, deps)
    if institution in dict(institutions):
        # Nobody need be signed in: dates are those of the institution the flow runs at.
        request.state.timezone = deps.policies.policy_for(institution).timezone
    return render(
        request,
        "cert_register.html",
        status_code=status,
        signed_in="customer" if actor else None,
        service_on=deps.fincert is not None,
        steps=STEPS,
        step=step,
        institutions=institutions,
        institution=institution,
        institution_name=dict(institutions).get(institution, institution),
        refusal=refusal,
        flow=flow,
        certificates=certificates or [],
        channel=channel,
        channels=[c.value for c in ChallengeChannel],
    )


#: Refusals that end a flow: the customer starts again at step 1.
_FLOW_OVER: Final = frozenset(
    {Code.F3_FLOW_NOT_FOUND, Code.F3_FLOW_EXPIRED, Code.F3_FLOW_FINISHED, Code.F3_STEP_OUT_OF_ORDER}
)


def _flow_refused(
    request: Request, deps: Deps, step: int, institution: str, exc: DomainError
) -> HTMLResponse:
    over = exc.code in _FLOW_OVER
    response = _step_page(
        request,
        deps,
        1 if over else step,
        institution=institution,
        refusal=refusal_of(request, exc),
        status=422,
    )
    if over:
        _forget_flow(response)
    return response


def _require_flow(request: Request, deps: Deps) -> tuple[str, str] | HTMLResponse:
    found = _flow_of(request)
    if found is None:
        exc = NotFound(Code.F3_FLOW_NOT_FOUND)
        return _flow_refused(request, deps, 1, request.query_params.get("institution", "ksfc"), exc)
    return found


@router.get(FLOW_PATH, response_class=HTMLResponse)
def register_start(request: Request, deps: DepsDep) -> HTMLResponse:
    """Step 1 (본인 확인): name and resident registration number, at the institution chosen
    (the signed-in customer's by default)."""
    actor = _optional_customer(request, deps)
    chosen = request.query_params.get("institution") or (actor.institution_code if actor else "ksfc")
    return _step_page(request, deps, 1, institution=chosen)


@router.post(FLOW_PATH + "/identity", response_class=HTMLResponse)
def register_identity(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    institution: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=100)],
    resident_number: Annotated[str, Form(max_length=20)],
) -> HTMLResponse:
    """F3 step 1: ``POST .../fincert/registrations``."""
    try:
        command = fincert.StartRegistration(
            institution_code=institution, name=name, resident_number=resident_number
        )
        flow = fincert.start_registration(deps, visitor, command)
    except DomainError as exc:
        return _flow_refused(request, deps, 1, institution, exc)
    response = _step_page(request, deps, 2, institution=institution, flow=flow)
    _keep_flow(response, request, institution, flow.handle)
    return response


@router.post(FLOW_PATH + "/code", response_class=HTMLResponse)
def register_send_code(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    channel: Annotated[ChallengeChannel, Form()],
) -> HTMLResponse:
    """F3 step 2a (추가 인증): SMS, ARS or a one-time code, the customer's choice."""
    found = _require_flow(request, deps)
    if isinstance(found, HTMLResponse):
        return found
    institution, handle = found
    try:
        command = fincert.SendRegistrationCode(institution_code=institution, handle=handle, channel=channel)
        flow = fincert.send_registration_code(deps, visitor, command)
    except DomainError as exc:
        return _flow_refused(request, deps, 2, institution, exc)
    return _step_page(request, deps, 2, institution=institution, flow=flow, channel=channel.value)


@router.post(FLOW_PATH + "/code/verify", response_class=HTMLResponse)
def register_verify_code(
    request: Request,
    deps: DepsDep,
    _csrf: CSRFChecked,
    code: Annotated[str, Form(max_length=10)],
    channel: Annotated[ChallengeChannel, Form()] = ChallengeChannel.SMS,
) -> HTMLResponse:
    """F3 step 2b: the code that was sent; wrong codes count towards the challenge's limit."""
    found = _require_flow(request, deps)
    if isinstance(found, HTMLResponse):
        return found
    institution, handle = found
    try:
        command = fincert.VerifyRegistrationCode(
            institution_code=institution, handle=handle, code=code.strip()
        )
        flow = fincert.verify_registration_code(deps, Visitor(), command)
    except DomainError as exc:
        over = exc.code in _FLOW_OVER
        response = _step_page(
            request,
            deps,
            1 if over else 2,
            institution=institution,
            refusal=refusal_of(request, exc),
            channel=None if over else channel.value,
            status=422,
        )
        if over:
            _forget_flow(response)
        return response
    return _step_page(request, deps, 3, institution=institution, flow=flow)


@router.post(FLOW_PATH + "/medium", response_class=HTMLResponse)
def register_medium(
    request: Request,
    deps: DepsDep,
    _csrf: CSRFChecked,
    resident_number: Annotated[str, Form(max_length=20)],
    mobile: Annotated[str, Form(max_length=24)],
) -> HTMLResponse:
    """F3 step 3 (보안매체 미소지고객 인증): resident number and mobile number on file; then the
    certificates to choose from (step 4)."""
    found = _require_flow(request, deps)
    if isinstance(found, HTMLResponse):
        return found
    institution, handle = found
    try:
        command = fincert.VerifyWithoutMedium(
            institution_code=institution, handle=handle, resident_number=resident_number, mobile=mobile
        )
        flow = fincert.verify_without_medium(deps, Visitor(), command)
        certificates = fincert.registration_certificates(deps, Visitor(), institution, handle)
    except DomainError as exc:
        return _flow_refused(request, deps, 3, institution, exc)
    return _step_page(request, deps, 4, institution=institution, flow=flow, certificates=certificates)


@router.post(FLOW_PATH + "/complete", response_class=HTMLResponse)
def register_complete(
    request: Request,
    deps: DepsDep,
    _csrf: CSRFChecked,
    serial: Annotated[str, Form(max_length=40)],
    pin: PIN,
) -> HTMLResponse:
    """F3 step 4 (금융인증서 등록): the chosen certificate and its 6-digit PIN."""
    found = _require_flow(request, deps)
    if isinstance(found, HTMLResponse):
        return found
    institution, handle = found
    try:
        command = fincert.CompleteRegistration(
            institution_code=institution, handle=handle, serial=serial, pin=pin
        )
        view = fincert.complete_registration(deps, Visitor(), command)
    except DomainError as exc:
        over = exc.code in _FLOW_OVER
        certificates: list[CertificateView] = []
        if not over:
            try:
                certificates = fincert.registration_certificates(deps, Visitor(), institution, handle)
            except DomainError:
                over = True
        response = _step_page(
            request,
            deps,
            1 if over else 4,
            institution=institution,
            refusal=refusal_of(request, exc),
            certificates=certificates,
            status=422,
        )
        if over:
            _forget_flow(response)
        return response
    actor = _optional_customer(request, deps)
    response = render(
        request,
        "cert_done.html",
        signed_in="customer" if actor else None,
        certificate=view,
        heading="web.cert.registered",
        text_id="web.cert.registered_text",
        institution=institution,
        institution_name=next(
            (r.institution_name for r in view.registrations if r.institution_code == institution), institution
        ),
    )
    _forget_flow(response)
    return response
