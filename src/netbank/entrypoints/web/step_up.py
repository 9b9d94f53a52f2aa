"""Step-up in the web (K1, K2, F7): when a service answers ``K2_STEP_UP_REQUIRED``, the customer
proves a stronger factor and goes back to what they were doing.

The page offers the methods of the step-up factors (``services/factors``) the refusal names
(or, reached directly, every method this customer can use): one form per factor, from
``templates/step_up/{factor}.html``, posting to the same factor's ``start`` and ``verify`` the
API calls. The UKEY's form shows the client helper's command for its challenge (``netbank ukey
sign-challenge``, run where the UKEY is plugged in; it asks for the UKEY PIN itself) and takes
the JSON it prints, pasted. A code itself is never shown on a page, only delivered to the phone.

What the customer was doing travels with the step-up forms as hidden fields (:class:`Resume`):
a transfer or bill payment form as typed (its idempotency key included, so the resubmission
never pays twice), or a page of this site to return to."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from netbank.domain.certificate import LOGIN_CHALLENGE_VALIDITY
from netbank.domain.customer import mask_phone
from netbank.domain.errors import Code, DomainError, NotFound, RuleViolation, StepUpRequired
from netbank.domain.otp import ChallengeChannel
from netbank.entrypoints.api.deps import DepsDep
from netbank.entrypoints.api.errors import status_of
from netbank.entrypoints.api.routers.pki import CertificateLoginIn
from netbank.entrypoints.api.schemas import ChallengeIn, ChallengeVerifyIn, TOTPIn
from netbank.entrypoints.web.common import (
    CSRF_FIELD,
    CSRFChecked,
    PageRoute,
    WebCustomer,
    local_path,
    redirect,
    render,
    session_token,
)
from netbank.entrypoints.web.forms import Refusal, form_model, refusal_of
from netbank.services import auth, factors, ukey
from netbank.services.common import CustomerActor
from netbank.services.factors.base import NothingToStart
from netbank.services.factors.fincert import StepUpWithFinCert
from netbank.services.factors.ukey import FinishCertificateLogin
from netbank.services.ports import Deps

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: Fields of the step-up forms themselves; everything else in the form is what to resume.
_OWN_FIELDS: Final = frozenset(
    {CSRF_FIELD, "resume", "code", "pin", "channel", "challenge_id", "methods", "nonce", "to_sign", "answer"}
)
_MAX_FIELDS: Final = 16
_MAX_VALUE: Final = 200


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


def usable_ukey(deps: Deps, actor: CustomerActor) -> ukey.UKEYCertificateView | None:
    """The customer's UKEY certificate that can answer a certificate login (K1: valid, not
    expired), if they hold one; the service checks it again when the answer comes."""
    return next(
        (u for u in ukey.my_ukey_certificates(deps, actor) if u.status == "valid" and not u.expired), None
    )


#: The client helper (src/netbank/client/ukey.py) as the customer runs it.
HELPER: Final = ("netbank", "ukey", "sign-challenge")
#: What a login challenge looks like in the step-up forms' hidden fields.
NONCE_PATTERN: Final = r"^[0-9a-f]{64}$"
TO_SIGN_PATTERN: Final = r"^[A-Za-z0-9+/=]{4,400}$"
#: The pasted answer: the helper prints one line of about 1 KB (certificate and signature).
MAX_ANSWER: Final = 16_384


@dataclass(frozen=True)
class UKEYChallenge:
    """A certificate login challenge (K1) as the step-up page shows it: the command that
    answers it on the UKEY ``token_label``; the helper asks for the PIN itself, so the PIN
    never appears on a command line or in a shell's history."""

    nonce: str
    to_sign: str
    token_label: str

    @property
    def command(self) -> str:
        return shlex.join(
            [*HELPER, "--token", self.token_label, "--nonce", self.nonce, "--to-sign", self.to_sign]
        )

    @property
    def minutes(self) -> int:
        return int(LOGIN_CHALLENGE_VALIDITY.total_seconds() // 60)


def login_answer_of(text: str) -> FinishCertificateLogin:
    """The client helper's JSON (the body of ``POST /api/v1/me/step-up/certificate``, read
    with the API's own schema) as the factor's command."""
    try:
        body = CertificateLoginIn.model_validate_json(text.strip())
    except (ValidationError, ValueError) as exc:
        raise RuleViolation(Code.K1_LOGIN_ANSWER_MALFORMED) from exc
    try:
        return body.command()
    except RuleViolation as exc:  # K1_INSTRUCTION_MALFORMED: not base64
        raise RuleViolation(Code.K1_LOGIN_ANSWER_MALFORMED) from exc


def step_up_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    resume: Resume,
    *,
    methods: list[str] | None = None,
    refusal: Refusal | None = None,
    challenge: dict[str, object] | None = None,
    ukey_challenge: UKEYChallenge | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The step-up page: one form per factor of ``methods`` (default: every method the
    customer can use now), in the registry's order."""
    offered = deps.factors.methods(deps, actor) if methods is None else methods
    return render(
        request,
        "customer_step_up.html",
        status_code=status,
        signed_in="customer",
        resume=resume,
        factors=deps.factors.grouped(offered),
        ukey_challenge=ukey_challenge,
        refusal=refusal,
        challenge=challenge,
    )


def step_up_required(
    request: Request, deps: Deps, actor: CustomerActor, exc: StepUpRequired, resume: Resume
) -> HTMLResponse:
    """The step-up page for a refusal: the methods it names reach the level needed."""
    methods = exc.params.get("methods")
    return step_up_page(
        request,
        deps,
        actor,
        resume,
        methods=[str(m) for m in methods] if isinstance(methods, list) else None,
        refusal=refusal_of(request, exc),
        status=status_of(exc),
    )


def _refused(
    request: Request, deps: Deps, actor: CustomerActor, resume: Resume, exc: DomainError
) -> HTMLResponse:
    return step_up_page(request, deps, actor, resume, refusal=refusal_of(request, exc), status=status_of(exc))


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
    _csrf: CSRFChecked,
    resume: ResumeDep,
    body: Annotated[TOTPIn, Depends(form_model(TOTPIn))],
) -> Response:
    """K2: ``POST /api/v1/me/step-up/totp``, then back to the form."""
    try:
        factors.TOTP.verify(deps, actor, body.command())
    except DomainError as exc:
        return _refused(request, deps, actor, resume, exc)
    return _resume(request, deps, resume)


@router.post("/step-up/challenge", response_class=HTMLResponse)
def send_challenge(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    resume: ResumeDep,
    body: Annotated[ChallengeIn, Depends(form_model(ChallengeIn))],
) -> Response:
    """K2: ``POST /api/v1/me/challenges``: a code by SMS, ARS or to the app, through the outbox;
    the page then asks for it (and never shows it)."""
    try:
        challenge = factors.CODES.start(deps, actor, body.command())
    except DomainError as exc:
        return _refused(request, deps, actor, resume, exc)
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
    _csrf: CSRFChecked,
    resume: ResumeDep,
    challenge_id: Annotated[int, Form(ge=1, le=2**62)],
    body: Annotated[ChallengeVerifyIn, Depends(form_model(ChallengeVerifyIn))],
    channel: Annotated[ChallengeChannel, Form()] = ChallengeChannel.SMS,
) -> Response:
    """K2: ``POST /api/v1/me/challenges/{id}/verify``; a wrong code keeps the code form."""
    try:
        factors.CODES.verify(deps, actor, body.command(challenge_id=challenge_id))
    except DomainError as exc:
        return step_up_page(
            request,
            deps,
            actor,
            resume,
            refusal=refusal_of(request, exc),
            challenge={"id": challenge_id, "channel": channel.value, "phone_masked": None},
            status=status_of(exc),
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
        factors.FINCERT.verify(deps, actor, StepUpWithFinCert(pin=pin))
    except DomainError as exc:
        return _refused(request, deps, actor, resume, exc)
    return _resume(request, deps, resume)


#: After these the challenge cannot be answered any more: the page offers a new one.
_SPENT: Final = frozenset(
    {Code.K1_LOGIN_CHALLENGE_EXPIRED, Code.K1_LOGIN_CHALLENGE_USED, Code.K1_LOGIN_CHALLENGE_NOT_FOUND}
)


@router.post("/step-up/certificate/challenge", response_class=HTMLResponse)
def start_ukey_step_up(
    request: Request, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked, resume: ResumeDep
) -> Response:
    """K1: ``POST /api/v1/me/step-up/certificate/challenge``; the page shows the client
    helper's command for this challenge and a box for what it prints."""
    try:
        held = usable_ukey(deps, actor)
        if held is None:
            raise NotFound(Code.K1_NO_VALID_CERTIFICATE)
        challenge = factors.UKEY.start(deps, actor, NothingToStart())
    except DomainError as exc:
        return _refused(request, deps, actor, resume, exc)
    return step_up_page(
        request,
        deps,
        actor,
        resume,
        ukey_challenge=UKEYChallenge(challenge.nonce, challenge.to_sign_b64, held.token_label),
    )


@router.post("/step-up/certificate", response_class=HTMLResponse)
def finish_ukey_step_up(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    resume: ResumeDep,
    nonce: Annotated[str, Form(pattern=NONCE_PATTERN)],
    to_sign: Annotated[str, Form(pattern=TO_SIGN_PATTERN)],
    answer: Annotated[str, Form(max_length=MAX_ANSWER)] = "",
) -> Response:
    """K1: ``POST /api/v1/me/step-up/certificate`` with the helper's pasted JSON: the signed
    nonce raises the session to the certificate level, then back to the form. A paste that is
    not the answer keeps the same challenge on the page to try again."""
    try:
        factors.UKEY.verify(deps, actor, login_answer_of(answer))
    except DomainError as exc:
        held = None if exc.code in _SPENT else usable_ukey(deps, actor)
        return step_up_page(
            request,
            deps,
            actor,
            resume,
            refusal=refusal_of(request, exc),
            ukey_challenge=UKEYChallenge(nonce, to_sign, held.token_label) if held else None,
            status=status_of(exc),
        )
    return _resume(request, deps, resume)
