"""금융인증서 등록/재등록 in the certificate centre: the F3 registration of the person's financial
certificate at this institution, in the seed's four steps with a progress indicator (본인 확인,
추가 인증, 보안매체 미소지고객 인증, 금융인증서 등록).

Each step's form is read with the input model of the matching route of
``api/routers/fincert.py`` and runs its command through ``submit.run``: a refusal shows the
step again at its family's HTTP status, or step 1 when it ends the flow. The flow's state lives
on the server (``registration_flows``); the browser keeps only the flow's random handle, in an
HttpOnly cookie limited to the flow's pages. The flow needs no sign-in (the seed's app runs it
before login): whoever runs it is a visitor, known by their address."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from netbank.domain.errors import Code, DomainError, NotFound
from netbank.domain.otp import ChallengeChannel
from netbank.entrypoints.api.deps import DepsDep, VisitorDep
from netbank.entrypoints.api.schemas import (
    InstitutionCode,
    RegistrationCodeIn,
    RegistrationCodeSendIn,
    RegistrationCompleteIn,
    RegistrationMediumIn,
    RegistrationStartIn,
)
from netbank.entrypoints.web.common import CSRFChecked, PageRoute, render, session_token
from netbank.entrypoints.web.forms import Refusal, form_model
from netbank.entrypoints.web.submit import run
from netbank.services import auth, fincert
from netbank.services.common import CustomerActor, Visitor
from netbank.services.fincert import CertificateView, FlowView
from netbank.services.ports import Deps

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: The F3 flow's handle (and institution) in this browser, for the flow's pages only.
FLOW_COOKIE: Final = "netbank_fincert_flow"
FLOW_PATH: Final = "/certificates/register"
#: The seed's four steps, in order (their titles).
STEPS: Final = (
    "web.cert.step.identity",
    "web.cert.step.authentication",
    "web.cert.step.medium",
    "web.cert.step.certificate",
)
#: Where a flow runs when the page does not say (the securities-finance company, which only
#: registers: F2).
DEFAULT_INSTITUTION: Final = "ksfc"
#: Refusals that end a flow: the customer starts again at step 1.
FLOW_OVER: Final = frozenset(
    c.value
    for c in (Code.F3_FLOW_NOT_FOUND, Code.F3_FLOW_EXPIRED, Code.F3_FLOW_FINISHED, Code.F3_STEP_OUT_OF_ORDER)
)


@dataclass(frozen=True)
class BrowserFlow:
    """This browser's F3 flow, from its cookie: the institution it runs at and its handle
    (``None``: this browser has no flow)."""

    institution: str
    handle: str | None

    def step(self) -> dict[str, str]:
        """What a later step's command takes besides its form; F3_FLOW_NOT_FOUND without a
        flow."""
        if self.handle is None:
            raise NotFound(Code.F3_FLOW_NOT_FOUND)
        return {"institution_code": self.institution, "handle": self.handle}


def browser_flow(request: Request) -> BrowserFlow:
    raw = request.cookies.get(FLOW_COOKIE, "")
    institution, _, handle = raw.partition(":")
    if not institution or not handle:
        return BrowserFlow(request.query_params.get("institution", DEFAULT_INSTITUTION), None)
    return BrowserFlow(institution, handle)


BrowserFlowDep = Annotated[BrowserFlow, Depends(browser_flow)]


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


def _optional_customer(request: Request, deps: Deps) -> CustomerActor | None:
    """The signed-in customer, if any (the flow's pages work without one)."""
    try:
        return auth.authenticate_customer(deps, session_token(request))
    except DomainError:
        return None


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


def _refused(
    request: Request,
    deps: Deps,
    step: int,
    institution: str,
    *,
    refusal: Refusal,
    status: int,
    channel: str | None = None,
    certificates: list[CertificateView] | None = None,
) -> HTMLResponse:
    """Step ``step`` again with the refusal, or step 1 (and the flow forgotten) when the
    refusal ends the flow."""
    if refusal.code in FLOW_OVER:
        return _start_again(request, deps, institution, refusal=refusal, status=status)
    return _step_page(
        request,
        deps,
        step,
        institution=institution,
        refusal=refusal,
        channel=channel,
        certificates=certificates,
        status=status,
    )


def _start_again(
    request: Request, deps: Deps, institution: str, *, refusal: Refusal, status: int
) -> HTMLResponse:
    """Step 1 with the refusal that ended the flow, which this browser forgets."""
    response = _step_page(request, deps, 1, institution=institution, refusal=refusal, status=status)
    _forget_flow(response)
    return response


@router.get(FLOW_PATH, response_class=HTMLResponse)
def register_start(request: Request, deps: DepsDep) -> HTMLResponse:
    """Step 1 (본인 확인): name and resident registration number, at the institution chosen
    (the signed-in customer's by default)."""
    actor = _optional_customer(request, deps)
    default = actor.institution_code if actor else DEFAULT_INSTITUTION
    return _step_page(request, deps, 1, institution=request.query_params.get("institution") or default)


@router.post(FLOW_PATH + "/identity", response_class=HTMLResponse)
def register_identity(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    institution: Annotated[InstitutionCode, Form()],
    body: Annotated[RegistrationStartIn, Depends(form_model(RegistrationStartIn))],
) -> Response:
    """F3 step 1: ``POST .../fincert/registrations``."""

    def started(flow: FlowView) -> Response:
        response = _step_page(request, deps, 2, institution=institution, flow=flow)
        _keep_flow(response, request, institution, flow.handle)
        return response

    return run(
        request,
        lambda: fincert.start_registration(deps, visitor, body.command(institution_code=institution)),
        done=started,
        again=partial(_refused, request, deps, 1, institution),
    )


@router.post(FLOW_PATH + "/code", response_class=HTMLResponse)
def register_send_code(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    flow: BrowserFlowDep,
    body: Annotated[RegistrationCodeSendIn, Depends(form_model(RegistrationCodeSendIn))],
) -> Response:
    """F3 step 2a (추가 인증): SMS, ARS or a one-time code, the customer's choice."""
    return run(
        request,
        lambda: fincert.send_registration_code(deps, visitor, body.command(**flow.step())),
        done=lambda sent: _step_page(
            request, deps, 2, institution=flow.institution, flow=sent, channel=body.channel.value
        ),
        again=partial(_refused, request, deps, 2, flow.institution),
    )


@router.post(FLOW_PATH + "/code/verify", response_class=HTMLResponse)
def register_verify_code(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    flow: BrowserFlowDep,
    body: Annotated[RegistrationCodeIn, Depends(form_model(RegistrationCodeIn))],
    channel: Annotated[ChallengeChannel, Form()] = ChallengeChannel.SMS,
) -> Response:
    """F3 step 2b: the code that was sent; wrong codes count towards the challenge's limit."""
    return run(
        request,
        lambda: fincert.verify_registration_code(deps, visitor, body.command(**flow.step())),
        done=lambda verified: _step_page(request, deps, 3, institution=flow.institution, flow=verified),
        again=partial(_refused, request, deps, 2, flow.institution, channel=channel.value),
    )


@router.post(FLOW_PATH + "/medium", response_class=HTMLResponse)
def register_medium(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    flow: BrowserFlowDep,
    body: Annotated[RegistrationMediumIn, Depends(form_model(RegistrationMediumIn))],
) -> Response:
    """F3 step 3 (보안매체 미소지고객 인증): resident number and mobile number on file; then the
    certificates to choose from (step 4)."""

    def verify() -> tuple[FlowView, list[CertificateView]]:
        verified = fincert.verify_without_medium(deps, visitor, body.command(**flow.step()))
        return verified, _certificates(deps, visitor, flow)

    return run(
        request,
        verify,
        done=lambda found: _step_page(
            request, deps, 4, institution=flow.institution, flow=found[0], certificates=found[1]
        ),
        again=partial(_refused, request, deps, 3, flow.institution),
    )


def _certificates(deps: Deps, visitor: Visitor, flow: BrowserFlow) -> list[CertificateView]:
    """F3 step 4a: ``GET .../{handle}/certificates``."""
    step = flow.step()
    return fincert.registration_certificates(deps, visitor, step["institution_code"], step["handle"])


@router.post(FLOW_PATH + "/complete", response_class=HTMLResponse)
def register_complete(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    flow: BrowserFlowDep,
    body: Annotated[RegistrationCompleteIn, Depends(form_model(RegistrationCompleteIn))],
) -> Response:
    """F3 step 4 (금융인증서 등록): the chosen certificate and its 6-digit PIN."""
    return run(
        request,
        lambda: fincert.complete_registration(deps, visitor, body.command(**flow.step())),
        done=partial(_registered, request, deps, flow.institution),
        again=partial(_complete_refused, request, deps, visitor, flow),
    )


def _complete_refused(
    request: Request, deps: Deps, visitor: Visitor, flow: BrowserFlow, *, refusal: Refusal, status: int
) -> Response:
    """Step 4 again with the certificates to choose from; step 1 when the flow is over (or
    they cannot be listed any more)."""
    certificates = None
    if refusal.code not in FLOW_OVER:
        try:
            certificates = _certificates(deps, visitor, flow)
        except DomainError:
            certificates = None
    if certificates is None:
        return _start_again(request, deps, flow.institution, refusal=refusal, status=status)
    return _refused(
        request, deps, 4, flow.institution, refusal=refusal, status=status, certificates=certificates
    )


def _registered(request: Request, deps: Deps, institution: str, view: CertificateView) -> Response:
    """Registered: the certificate with its registrations; the flow is forgotten."""
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
