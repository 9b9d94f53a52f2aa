"""Step-up in the web (K2, F7): when a service answers ``K2_STEP_UP_REQUIRED``, the customer
proves a stronger factor and goes back to what they were doing.

The factors are those of the API: a TOTP code (``POST /api/v1/me/step-up/totp``), an SMS / ARS /
one-time code sent through the outbox (``/me/challenges`` and ``/challenges/{id}/verify``), and
the cloud financial certificate with its PIN (``/me/fincert/step-up``) when the customer has one
registered at this institution. Which factors the customer may use comes from the refusal itself
(``methods``); the code itself is never shown on a page, only delivered to the phone.

What the customer was doing travels with the step-up forms as hidden fields (:class:`Resume`):
a transfer or bill payment form as typed (its idempotency key included, so the resubmission
never pays twice), or a page of this site to return to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from netbank.adapters.i18n import catalogs
from netbank.domain.customer import mask_phone
from netbank.domain.errors import DomainError
from netbank.domain.otp import ChallengeChannel, ChallengePurpose
from netbank.entrypoints.api.deps import ClientDep, DepsDep
from netbank.entrypoints.web.common import (
    CSRF_FIELD,
    CSRFChecked,
    PageRoute,
    WebCustomer,
    local_path,
    locale_of,
    message_of,
    redirect,
    render,
    session_token,
)
from netbank.services import auth, fincert, strong_auth
from netbank.services.common import CustomerActor
from netbank.services.ports import Deps

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: Fields of the step-up forms themselves; everything else in the form is what to resume.
_OWN_FIELDS: Final = frozenset({CSRF_FIELD, "resume", "code", "pin", "channel", "challenge_id", "methods"})
_MAX_FIELDS: Final = 16
_MAX_VALUE: Final = 200


@dataclass(frozen=True)
class Refusal:
    """A refusal to show above a form: its code and localized message."""

    code: str
    message: str


def refusal_of(request: Request, exc: DomainError) -> Refusal:
    return Refusal(exc.code.value, message_of(locale_of(request), exc))


def text_of(request: Request, msgid: str) -> str:
    """A ``web.`` word in the visitor's language (for a message built by a route)."""
    return catalogs().message(locale_of(request), msgid)


@dataclass(frozen=True)
class Resume:
    """What to go back to: ``kind`` names a registered form ("transfer", "bill") or is "page",
    whose ``next`` field is a path of this site; ``fields`` are the form's values as typed."""

    kind: str = "page"
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def next_path(self) -> str:
        return local_path(self.fields.get("next"), "/home")


async def resume_of(request: Request) -> Resume:
    """The resume fields of a posted step-up form (bounded in number and length)."""
    form = await request.form()
    kind = form.get("resume")
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if name in _OWN_FIELDS or not isinstance(value, str) or len(fields) >= _MAX_FIELDS:
            continue
        fields[name[:40]] = value[:_MAX_VALUE]
    return Resume(kind if isinstance(kind, str) and kind in _RESUMERS else "page", fields)


ResumeDep = Annotated[Resume, Depends(resume_of)]

#: kind -> renders the form again, filled in, with a notice (registered by the form's module).
Resumer = Callable[[Request, Deps, CustomerActor, Resume], HTMLResponse]
_RESUMERS: dict[str, Resumer] = {}


def register_resumer(kind: str, resumer: Resumer) -> None:
    _RESUMERS[kind] = resumer


def page_resume(next_path: str) -> Resume:
    return Resume("page", {"next": next_path})


def fincert_step_up_available(deps: Deps, actor: CustomerActor) -> bool:
    """Whether the customer holds a financial certificate registered at this institution (the
    service refuses the step-up otherwise, F4_NOT_REGISTERED)."""
    if deps.fincert is None:
        return False
    try:
        view = fincert.my_certificate(deps, actor)
    except DomainError:
        return False
    return view.status == "valid" and any(
        r.institution_code == actor.institution_code for r in view.registrations
    )


def step_up_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    resume: Resume,
    *,
    methods: list[str] | None = None,
    refusal: Refusal | None = None,
    challenge: dict[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The step-up page: one form per factor the customer can use."""
    if methods is None:
        methods = strong_auth.step_up_methods(deps, actor)
    return render(
        request,
        "customer_step_up.html",
        status_code=status,
        signed_in="customer",
        resume=resume,
        totp="totp" in methods,
        channels=[c.value for c in ChallengeChannel if c.value in methods],
        fincert=fincert_step_up_available(deps, actor),
        refusal=refusal,
        challenge=challenge,
    )


def step_up_required(
    request: Request, deps: Deps, actor: CustomerActor, exc: strong_auth.StepUpRequired, resume: Resume
) -> HTMLResponse:
    methods = exc.params.get("methods")
    return step_up_page(
        request,
        deps,
        actor,
        resume,
        methods=[str(m) for m in methods] if isinstance(methods, list) else None,
        refusal=refusal_of(request, exc),
    )


def _resume(request: Request, deps: Deps, resume: Resume) -> Response:
    resumer = _RESUMERS.get(resume.kind)
    if resumer is not None:
        # The session was raised during this request: read it again for the page's limits.
        return resumer(request, deps, auth.authenticate_customer(deps, session_token(request)), resume)
    path = resume.next_path
    return redirect(path + ("&" if "?" in path else "?") + "stepped_up=1")


@router.post("/step-up/totp", response_class=HTMLResponse)
def step_up_totp(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    client: ClientDep,
    _csrf: CSRFChecked,
    resume: ResumeDep,
    code: Annotated[str, Form(max_length=10)],
) -> Response:
    """K2: ``POST /api/v1/me/step-up/totp``, then back to the form."""
    try:
        strong_auth.verify_totp(deps, actor, code.strip(), client)
    except DomainError as exc:
        return step_up_page(request, deps, actor, resume, refusal=refusal_of(request, exc), status=422)
    return _resume(request, deps, resume)


@router.post("/step-up/challenge", response_class=HTMLResponse)
def send_challenge(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    client: ClientDep,
    _csrf: CSRFChecked,
    resume: ResumeDep,
    channel: Annotated[ChallengeChannel, Form()],
) -> Response:
    """K2: ``POST /api/v1/me/challenges``: a code by SMS, ARS or to the app, through the outbox;
    the page then asks for it (and never shows it)."""
    try:
        challenge = strong_auth.start_step_up_challenge(
            deps, actor, channel, ChallengePurpose.STEP_UP, client
        )
    except DomainError as exc:
        return step_up_page(request, deps, actor, resume, refusal=refusal_of(request, exc), status=422)
    return step_up_page(
        request,
        deps,
        actor,
        resume,
        challenge={
            "id": challenge.id or 0,
            "channel": challenge.channel.value,
            "phone_masked": mask_phone(challenge.phone),
        },
    )


@router.post("/step-up/challenge/verify", response_class=HTMLResponse)
def verify_challenge(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    client: ClientDep,
    _csrf: CSRFChecked,
    resume: ResumeDep,
    challenge_id: Annotated[int, Form(ge=1, le=2**62)],
    code: Annotated[str, Form(max_length=10)],
    channel: Annotated[ChallengeChannel, Form()] = ChallengeChannel.SMS,
) -> Response:
    """K2: ``POST /api/v1/me/challenges/{id}/verify``; a wrong code keeps the code form."""
    try:
        strong_auth.verify_step_up_challenge(deps, actor, challenge_id, code.strip(), client)
    except DomainError as exc:
        return step_up_page(
            request,
            deps,
            actor,
            resume,
            refusal=refusal_of(request, exc),
            challenge={"id": challenge_id, "channel": channel.value, "phone_masked": None},
            status=422,
        )
    return _resume(request, deps, resume)


@router.post("/step-up/fincert", response_class=HTMLResponse)
def step_up_fincert(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    resume: ResumeDep,
    pin: Annotated[str, Form(max_length=16)],
) -> Response:
    """F7: ``POST /api/v1/me/fincert/step-up``: the financial certificate signs a login nonce
    after its PIN; the session rises to the certificate level."""
    try:
        fincert.step_up_with_certificate(deps, actor, pin)
    except DomainError as exc:
        return step_up_page(request, deps, actor, resume, refusal=refusal_of(request, exc), status=422)
    return _resume(request, deps, resume)
