"""The certificate centre (인증센터), with the menus of the Korean source document (seed 000):

- 금융인증서 발급/재발급: issue and re-issue the cloud financial certificate, at banks only
  (F2, F5); at a securities-finance company the page says where to go instead.
- 타기관 금융인증서 관리: 금융인증서 등록/재등록 (registration at this institution, F3, in
  ``cert_registration.py``), 해제 (release here), 관리 (the registrations).
- 인증서 폐기 (revoke, at the issuing bank), 비밀번호 변경 (change the PIN), 정지/해제 (F4).
- The UKEY certificate of the certificate version (K1), read-only.
- 기기 연결 관리: the devices that keep an auto-connect token to the cloud (F8), each one
  disconnected here.

Every form is read with the input model of the matching route of ``api/routers/fincert.py``
and runs its command through ``submit.run``: the refusal on the form again at its family's
HTTP status, or the step-up page where the session is too weak (K2). These pages are the
signed-in customer's own. When the deployment runs no certificate service the centre says
so."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from netbank.domain import fincert as fc
from netbank.domain.errors import Code, DomainError, PermissionDenied
from netbank.domain.institution import Institution
from netbank.entrypoints.api.deps import DepsDep
from netbank.entrypoints.api.schemas import FinCertIssueIn, FinCertPIN, FinCertPINChangeIn, FinCertReissueIn
from netbank.entrypoints.web import step_up
from netbank.entrypoints.web.common import CSRFChecked, PageRoute, WebCustomer, redirect, render
from netbank.entrypoints.web.forms import Refusal, form_model, read_form, text_of
from netbank.entrypoints.web.submit import run
from netbank.services import fincert, ukey
from netbank.services.common import CustomerActor
from netbank.services.fincert import CertificateView
from netbank.services.ports import Deps

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PIN = Annotated[FinCertPIN, Form()]
T = TypeVar("T")


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


def _notice_after_step_up(request: Request) -> str | None:
    return "web.step_up.done_form" if request.query_params.get("stepped_up") == "1" else None


def _mismatch(request: Request) -> Refusal:
    """The two PINs typed differ (checked here: the API takes the PIN once)."""
    return Refusal("REQUEST_VALIDATION", text_of(request, "web.cert.pin_mismatch"))


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


@router.get("/certificates", response_class=HTMLResponse)
def centre(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    notice = {"released": "web.cert.released", "revoked": "web.cert.revoked"}.get(
        request.query_params.get("done", "")
    )
    return render(
        request,
        "cert_centre.html",
        signed_in="customer",
        **_issuing_context(deps, actor),
        ukeys=ukey.my_ukey_certificates(deps, actor),
        refusal=None,
        notice=notice,
    )


# --- issue / re-issue (F2, F5) --------------------------------------------------------------


def _issue_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    *,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The issue form; after F5_CERTIFICATE_EXISTS_ELSEWHERE it asks the customer to confirm
    revoking the other bank's certificate."""
    return render(
        request,
        "cert_issue.html",
        status_code=status,
        signed_in="customer",
        **_issuing_context(deps, actor),
        refusal=refusal,
        ask_confirm=refusal is not None and refusal.code == Code.F5_CERTIFICATE_EXISTS_ELSEWHERE.value,
        notice=_notice_after_step_up(request),
    )


@router.get("/certificates/issue", response_class=HTMLResponse)
def issue_form(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    return _issue_page(request, deps, actor)


IssueCommand = fincert.IssueCertificate | fincert.ReissueCertificate


async def issue_command_of(request: Request) -> IssueCommand:
    """The issue form read with the API's model of the mode chosen: ``FinCertIssueIn``
    (``POST /api/v1/me/fincert``) or ``FinCertReissueIn`` (``/reissue``)."""
    mode = (await request.form()).get("mode")
    if mode == "reissue":
        return (await read_form(request, FinCertReissueIn)).command()
    return (await read_form(request, FinCertIssueIn)).command()


def _issue_or_reissue(deps: Deps, actor: CustomerActor, command: IssueCommand) -> CertificateView:
    if isinstance(command, fincert.ReissueCertificate):
        return fincert.reissue_certificate(deps, actor, command)
    return fincert.issue_certificate(deps, actor, command)


@router.post("/certificates/issue", response_class=HTMLResponse)
def issue(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    command: Annotated[IssueCommand, Depends(issue_command_of)],
    pin_again: PIN,
    mode: Annotated[Literal["issue", "reissue"], Form()] = "issue",
) -> Response:
    """``POST /api/v1/me/fincert`` (or ``/reissue``): in a session raised to a one-time code
    (the step-up page comes first when it is not); a live certificate of another bank is
    revoked only when the customer ticks the confirmation (F5)."""
    again = partial(_issue_page, request, deps, actor)
    if command.pin != pin_again:
        return again(refusal=_mismatch(request), status=422)
    return run(
        request,
        lambda: _issue_or_reissue(deps, actor, command),
        done=lambda view: render(
            request,
            "cert_done.html",
            signed_in="customer",
            certificate=view,
            heading="web.cert.issued" if mode == "issue" else "web.cert.reissued",
            text_id="web.cert.issued_text" if mode == "issue" else "web.cert.reissued_text",
            institution=actor.institution_code,
            institution_name=actor.institution_code,
        ),
        again=again,
        step_up=(deps, actor, step_up.page_resume("/certificates/issue")),
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


def _on_manage_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    action: Callable[[], T],
    done: Callable[[T], Response],
    *,
    strong: bool = False,
) -> Response:
    """Run a management command; its refusal on the management page (with ``strong``, a
    step-up answer goes to the step-up page, which comes back here)."""
    return run(
        request,
        action,
        done=done,
        again=partial(_manage_page, request, deps, actor),
        step_up=(deps, actor, step_up.page_resume("/certificates/manage")) if strong else None,
    )


@router.post("/certificates/devices/{device_id}/disconnect", response_class=HTMLResponse)
def disconnect_device(
    request: Request, device_id: int, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked
) -> Response:
    """F8: ``DELETE /api/v1/me/fincert/devices/{id}``: the device's token is cleared and its
    connection ends."""
    return _on_manage_page(
        request,
        deps,
        actor,
        lambda: fincert.revoke_my_device(deps, actor, fincert.RevokeMyDevice(device_id)),
        lambda _: redirect("/certificates/manage?done=device"),
    )


@router.post("/certificates/release", response_class=HTMLResponse)
def release(request: Request, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked) -> Response:
    """F4 해제: ``DELETE /api/v1/me/fincert/registration``: here only; valid elsewhere."""
    return _on_manage_page(
        request,
        deps,
        actor,
        lambda: fincert.release_registration(deps, actor, fincert.ReleaseRegistration()),
        lambda _: redirect("/certificates?done=released"),
    )


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
    return _on_manage_page(
        request,
        deps,
        actor,
        lambda: fincert.revoke_certificate(deps, actor, fincert.RevokeCertificate()),
        lambda _: redirect("/certificates?done=revoked"),
        strong=True,
    )


@router.post("/certificates/suspend", response_class=HTMLResponse)
def suspend(request: Request, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked) -> Response:
    """F4 정지: ``POST /api/v1/me/fincert/suspend``."""
    return _on_manage_page(
        request,
        deps,
        actor,
        lambda: fincert.suspend_certificate(deps, actor, fincert.SuspendCertificate()),
        lambda _: _manage_page(request, deps, actor, notice="web.cert.suspended"),
    )


@router.post("/certificates/restore", response_class=HTMLResponse)
def restore(request: Request, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked) -> Response:
    """F4 정지 해제: ``POST /api/v1/me/fincert/restore``, in a strong session."""
    return _on_manage_page(
        request,
        deps,
        actor,
        lambda: fincert.restore_certificate(deps, actor, fincert.RestoreCertificate()),
        lambda _: _manage_page(request, deps, actor, notice="web.cert.restored"),
        strong=True,
    )


# --- the PIN (F4, F5) -------------------------------------------------------------------------


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
    body: Annotated[FinCertPINChangeIn, Depends(form_model(FinCertPINChangeIn))],
    new_pin_again: PIN,
) -> Response:
    """F4/F5 비밀번호 변경: ``POST /api/v1/me/fincert/pin``; a wrong old PIN counts (F5)."""
    again = partial(_pin_page, request, deps, actor)
    if body.new_pin != new_pin_again:
        return again(refusal=_mismatch(request), status=422)
    return run(
        request,
        lambda: fincert.change_pin(deps, actor, body.command()),
        done=lambda _: _pin_page(request, deps, actor, notice="web.cert.pin_changed"),
        again=again,
    )
