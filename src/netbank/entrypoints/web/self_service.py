"""The customer's own services in the portal: bill payments under the limits left today (L1-L2,
K2 step-up), their own lower limits (L1), their sessions, the login password (E13), the linked
accounts with those still waiting for the counter (E6, E10), and online self-registration of the
ordinary version (E2-E5).

Each route reads its form with the API's input model and calls the same service function as the
matching route of ``api/routers/customer.py`` or ``public.py``; the rules (limits, eligibility,
registration account kinds, password policy) are the services' and the domain's, and their
refusals are shown with their code and message."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from netbank.domain.identity import DocumentType
from netbank.entrypoints.api.deps import DepsDep, VisitorDep
from netbank.entrypoints.api.schemas import (
    BillPaymentIn,
    InstitutionCode,
    LimitsSetIn,
    LinkOnlineIn,
    PasswordChangeIn,
    SelfRegistrationIn,
)
from netbank.entrypoints.web import step_up
from netbank.entrypoints.web.common import (
    CSRFChecked,
    PageRoute,
    WebCustomer,
    end_session,
    redirect,
    render,
)
from netbank.entrypoints.web.forms import (
    Refusal,
    amount_in_minor_units,
    form_model,
    new_idempotency_key,
    text_of,
    typed,
    typed_form,
    validated,
)
from netbank.entrypoints.web.submit import run
from netbank.services import auth, enrolment, payments, queries
from netbank.services import limits as limit_rules
from netbank.services.common import CustomerActor
from netbank.services.ports import Deps

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _stepped_up(request: Request) -> str | None:
    """The notice after a step-up that came back to a page (``?stepped_up=1``)."""
    return "web.step_up.done_form" if request.query_params.get("stepped_up") == "1" else None


def _currency(deps: Deps, actor: CustomerActor) -> str:
    return deps.policies.policy_for(actor.institution_code).currency


# --- bill payments ------------------------------------------------------------------------


@dataclass(frozen=True)
class BillForm:
    """The bill form as typed; the idempotency key is minted once per rendered form."""

    idempotency_key: str = field(default_factory=new_idempotency_key)
    from_account: str = ""
    payee_code: str = ""
    bill_reference: str = ""
    amount: str = ""

    def fields(self) -> dict[str, str]:
        return asdict(self)

    def command(self, currency: str) -> payments.PayBill:
        """The API's ``BillPaymentIn``, the amount typed in major units of ``currency``."""
        body = validated(
            BillPaymentIn,
            {
                "idempotency_key": self.idempotency_key,
                "from_account": self.from_account,
                "payee_code": self.payee_code,
                "amount_minor": amount_in_minor_units(self.amount, currency),
                "bill_reference": self.bill_reference,
            },
        )
        return body.command()


def _bill_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    form: BillForm,
    *,
    refusal: Refusal | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The form, the payees (as ``GET /api/v1/me/payees``) and what the limits leave today at
    this session's level (``GET /api/v1/me/limits``)."""
    overview = queries.customer_overview(deps, actor)
    with deps.uow(readonly=True) as uow:
        payees = uow.payees.list(actor.institution_id)
    return render(
        request,
        "customer_bills.html",
        status_code=status,
        signed_in="customer",
        accounts=overview.accounts,
        payees=payees,
        limits=limit_rules.limits_view(deps, actor),
        form=form,
        refusal=refusal,
        notice=notice,
    )


@router.get("/bills", response_class=HTMLResponse)
def bill_form(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    return _bill_page(request, deps, actor, BillForm())


@router.post("/bills", response_class=HTMLResponse)
def pay_bill(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    form: Annotated[BillForm, Depends(typed_form(BillForm))],
) -> Response:
    """``POST /api/v1/me/bill-payments`` as a form; a step-up answer keeps what was typed."""
    return run(
        request,
        lambda: payments.pay_bill(deps, actor, form.command(_currency(deps, actor))),
        done=lambda result: render(
            request,
            "customer_bill_done.html",
            signed_in="customer",
            transfer=result.transfer,
            replayed=result.replayed,
            form=form,
            balance_minor=result.payer_balance_minor,
            limits=limit_rules.limits_view(deps, actor),
        ),
        again=partial(_bill_page, request, deps, actor, form),
        step_up=(deps, actor, step_up.Resume("bill", form.fields())),
    )


def _resume_bill(request: Request, deps: Deps, actor: CustomerActor, resume: step_up.Resume) -> HTMLResponse:
    form = typed(BillForm, resume.fields)
    return _bill_page(request, deps, actor, form, notice="web.step_up.done_form")


step_up.register_resumer("bill", _resume_bill)


# --- settings -----------------------------------------------------------------------------


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    """The customer's own settings: limits, sessions, password, linked accounts, and the
    step-up methods with the level each gives and whether it is set up for them (the same
    registry a step-up answer draws on, ``GET /api/v1/me/step-up/methods``)."""
    enrolled = actor.contract_id is not None
    return render(
        request,
        "customer_settings.html",
        signed_in="customer",
        enrolled=enrolled,
        methods=deps.factors.catalogue(deps, actor) if enrolled else [],
    )


# --- own limits (L1) ----------------------------------------------------------------------


def _limits_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    *,
    refusal: Refusal | None = None,
    notice: str | None = None,
    typed: tuple[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = limit_rules.limits_view(deps, actor)
    return render(
        request,
        "customer_limits.html",
        status_code=status,
        signed_in="customer",
        limits=view,
        refusal=refusal,
        notice=notice,
        typed=typed,
    )


@router.get("/limits", response_class=HTMLResponse)
def limits_page(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    return _limits_page(request, deps, actor)


@router.post("/limits", response_class=HTMLResponse)
def set_limits(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    per_transaction: Annotated[str, Form(max_length=24)] = "",
    daily: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    """``PUT /api/v1/me/limits``: blank restores the version's limit (L1 keeps them within)."""
    currency = _currency(deps, actor)

    def minor(text: str, field: str) -> int | None:
        return amount_in_minor_units(text, currency, field) if text.strip() else None

    def save() -> limit_rules.LimitsView:
        body = validated(
            LimitsSetIn,
            {
                "per_transaction_minor": minor(per_transaction, "per_transaction"),
                "daily_minor": minor(daily, "daily"),
            },
        )
        return limit_rules.set_own_limits(deps, actor, body.command())

    return run(
        request,
        save,
        done=lambda _: _limits_page(request, deps, actor, notice="web.own_limits.saved"),
        again=partial(_limits_page, request, deps, actor, typed=(per_transaction, daily)),
    )


# --- sessions -----------------------------------------------------------------------------


@router.get("/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    """``GET /api/v1/me/sessions``: this customer's live sessions, this one marked."""
    return render(
        request,
        "customer_sessions.html",
        signed_in="customer",
        sessions=auth.list_sessions(deps, actor),
        current=actor.session_id,
        notice="web.sessions.revoked" if request.query_params.get("revoked") == "1" else None,
    )


@router.post("/sessions/{session_id}/revoke")
def revoke_session(
    request: Request, actor: WebCustomer, deps: DepsDep, _csrf: CSRFChecked, session_id: int
) -> Response:
    """``DELETE /api/v1/me/sessions/{id}``; only the customer's own (else SESSION_NOT_FOUND)."""
    auth.revoke_session(deps, actor, auth.RevokeSession(session_id))
    if session_id == actor.session_id:
        response = redirect("/sign-in")
        end_session(response)
        return response
    return redirect("/sessions?revoked=1")


# --- login password (E13) -----------------------------------------------------------------


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, actor: WebCustomer) -> HTMLResponse:
    return _password_page(request, notice=_stepped_up(request))


def _password_page(
    request: Request, *, refusal: Refusal | None = None, notice: str | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "customer_password.html",
        status_code=status,
        signed_in="customer",
        refusal=refusal,
        notice=notice,
    )


@router.post("/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    body: Annotated[PasswordChangeIn, Depends(form_model(PasswordChangeIn))],
    new_password_again: Annotated[str, Form(max_length=128)],
) -> Response:
    """``POST /api/v1/me/password``; OTP and certificate customers step up first (K2)."""
    if body.new_password != new_password_again:
        mismatch = Refusal("REQUEST_VALIDATION", text_of(request, "web.password.mismatch"))
        return _password_page(request, refusal=mismatch, status=422)
    return run(
        request,
        lambda: enrolment.change_login_password(deps, actor, body.command()),
        done=lambda _: _password_page(request, notice="web.password.changed"),
        again=partial(_password_page, request),
        step_up=(deps, actor, step_up.page_resume("/password")),
    )


# --- linked accounts (E6, E10) ------------------------------------------------------------


def _linked_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    *,
    refusal: Refusal | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    overview = queries.customer_overview(deps, actor)
    return render(
        request,
        "customer_linked.html",
        status_code=status,
        signed_in="customer",
        customer=overview,
        refusal=refusal,
        notice=notice,
    )


@router.get("/accounts/linked", response_class=HTMLResponse)
def linked_accounts(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    """The accounts under the contract: the registration account, those linked at the counter
    (819102) and those linked online that cannot pay out until re-added there (E10)."""
    actor.ensure_enrolled()
    return _linked_page(request, deps, actor)


@router.post("/accounts/linked", response_class=HTMLResponse)
def link_account(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    body: Annotated[LinkOnlineIn, Depends(form_model(LinkOnlineIn))],
) -> Response:
    """``POST /api/v1/me/linked-accounts`` (E10): link one of your accounts with its PIN."""
    return run(
        request,
        lambda: enrolment.link_account_online(deps, actor, body.command()),
        done=lambda _: _linked_page(request, deps, actor, notice="web.linked.done"),
        again=partial(_linked_page, request, deps, actor),
    )


# --- self-registration of the ordinary version (E2-E5) ------------------------------------


def _institutions(deps: Deps) -> list[tuple[str, str]]:
    with deps.uow(readonly=True) as uow:
        return [(i.code, i.name) for i in uow.institutions.list()]


def _register_page(
    request: Request,
    deps: Deps,
    *,
    typed: dict[str, str] | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "customer_register.html",
        status_code=status,
        institutions=_institutions(deps),
        document_types=[d.value for d in DocumentType],
        typed=typed or {"institution": request.query_params.get("institution", "edb")},
        refusal=refusal,
    )


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, deps: DepsDep) -> HTMLResponse:
    return _register_page(request, deps)


@router.post("/register", response_class=HTMLResponse)
def register(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    institution: Annotated[InstitutionCode, Form()],
    body: Annotated[SelfRegistrationIn, Depends(form_model(SelfRegistrationIn))],
    login_password_again: Annotated[str, Form(max_length=128)],
) -> Response:
    """``POST /api/v1/institutions/{code}/self-registration`` (E4/E5): the ordinary version with
    a debit main card and its PIN; E2 eligibility, E3 and E5 refusals are shown in words."""
    typed = {
        "institution": institution,
        "card_number": body.card_number,
        "name": body.name,
        "document_type": body.document_type.value,
    }
    again = partial(_register_page, request, deps, typed=typed)
    if body.login_password != login_password_again:
        return again(
            refusal=Refusal("REQUEST_VALIDATION", text_of(request, "web.password.mismatch")), status=422
        )
    return run(
        request,
        lambda: enrolment.self_register(deps, visitor, body.command(institution_code=institution)),
        done=lambda contract: render(
            request,
            "customer_registered.html",
            contract=contract,
            institution=institution,
            login_id=body.card_number,
        ),
        again=again,
    )
