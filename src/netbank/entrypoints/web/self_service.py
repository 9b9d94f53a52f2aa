"""The customer's own services in the portal: bill payments under the limits left today (L1-L2,
K2 step-up), their own lower limits (L1), their sessions, the login password (E13), the linked
accounts with those still waiting for the counter (E6, E10), and online self-registration of the
ordinary version (E2-E5).

Each route calls the same service function as the matching route of ``api/routers/customer.py``
or ``public.py``; the rules (limits, eligibility, registration account kinds, password policy)
are the services' and the domain's, and their refusals are shown with their code and message."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from netbank.domain.errors import Code, DomainError, RuleViolation
from netbank.domain.identity import DocumentType
from netbank.domain.ledger import TransferKind
from netbank.entrypoints.api.deps import ClientDep, DepsDep
from netbank.entrypoints.web import step_up
from netbank.entrypoints.web.common import (
    CSRFChecked,
    PageRoute,
    WebCustomer,
    end_session,
    parse_amount,
    redirect,
    render,
)
from netbank.entrypoints.web.customer import new_idempotency_key
from netbank.entrypoints.web.step_up import Refusal, refusal_of, text_of
from netbank.services import auth, enrolment, ledger, queries, strong_auth
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

    idempotency_key: str
    from_account: str = ""
    payee_code: str = ""
    bill_reference: str = ""
    amount: str = ""

    def fields(self) -> dict[str, str]:
        return asdict(self)


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
        limits=ledger.limits_view(deps, actor),
        form=form,
        refusal=refusal,
        notice=notice,
    )


@router.get("/bills", response_class=HTMLResponse)
def bill_form(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    return _bill_page(request, deps, actor, BillForm(idempotency_key=new_idempotency_key()))


@router.post("/bills", response_class=HTMLResponse)
def pay_bill(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    idempotency_key: Annotated[str, Form(min_length=8, max_length=64)],
    from_account: Annotated[str, Form(max_length=32)],
    payee_code: Annotated[str, Form(max_length=32)],
    amount: Annotated[str, Form(max_length=24)],
    bill_reference: Annotated[str, Form(max_length=140)] = "",
) -> HTMLResponse:
    """``POST /api/v1/me/bill-payments`` as a form; a step-up answer keeps what was typed."""
    form = BillForm(idempotency_key, from_account, payee_code, bill_reference, amount)
    try:
        amount_minor = parse_amount(form.amount, _currency(deps, actor))
        if amount_minor is None:
            raise RuleViolation(Code.REQUEST_VALIDATION, field="amount")
        result = ledger.book_transfer(
            deps,
            actor,
            ledger.TransferRequest(
                idempotency_key=form.idempotency_key,
                kind=TransferKind.BILL,
                from_account=form.from_account,
                payee_code=form.payee_code,
                amount_minor=amount_minor,
                reference=form.bill_reference,
            ),
        )
    except strong_auth.StepUpRequired as exc:
        return step_up.step_up_required(request, deps, actor, exc, step_up.Resume("bill", form.fields()))
    except DomainError as exc:
        return _bill_page(request, deps, actor, form, refusal=refusal_of(request, exc), status=422)
    return render(
        request,
        "customer_bill_done.html",
        signed_in="customer",
        transfer=result.transfer,
        replayed=result.replayed,
        form=form,
        balance_minor=result.payer_balance_minor,
        limits=ledger.limits_view(deps, actor),
    )


def _resume_bill(request: Request, deps: Deps, actor: CustomerActor, resume: step_up.Resume) -> HTMLResponse:
    f = resume.fields
    form = BillForm(
        idempotency_key=f.get("idempotency_key") or new_idempotency_key(),
        from_account=f.get("from_account", ""),
        payee_code=f.get("payee_code", ""),
        bill_reference=f.get("bill_reference", ""),
        amount=f.get("amount", ""),
    )
    return _bill_page(request, deps, actor, form, notice="web.step_up.done_form")


step_up.register_resumer("bill", _resume_bill)


# --- settings -----------------------------------------------------------------------------


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, actor: WebCustomer) -> HTMLResponse:
    """The customer's own settings: limits, sessions, password, linked accounts."""
    return render(
        request, "customer_settings.html", signed_in="customer", enrolled=actor.contract_id is not None
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
    view = ledger.limits_view(deps, actor)
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
) -> HTMLResponse:
    """``PUT /api/v1/me/limits``: blank restores the version's limit (L1 keeps them within)."""
    currency = _currency(deps, actor)
    try:
        amounts: list[int | None] = []
        for name, text in (("per_transaction", per_transaction), ("daily", daily)):
            if not text.strip():
                amounts.append(None)
                continue
            minor = parse_amount(text, currency)
            if minor is None:
                raise RuleViolation(Code.REQUEST_VALIDATION, field=name)
            amounts.append(minor)
        ledger.set_own_limits(deps, actor, amounts[0], amounts[1])
    except DomainError as exc:
        return _limits_page(
            request,
            deps,
            actor,
            refusal=refusal_of(request, exc),
            typed=(per_transaction, daily),
            status=422,
        )
    return _limits_page(request, deps, actor, notice="web.own_limits.saved")


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
    auth.revoke_session(deps, actor, session_id)
    if session_id == actor.session_id:
        response = redirect("/sign-in")
        end_session(response)
        return response
    return redirect("/sessions?revoked=1")


# --- login password (E13) -----------------------------------------------------------------


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, actor: WebCustomer) -> HTMLResponse:
    return render(
        request, "customer_password.html", signed_in="customer", refusal=None, notice=_stepped_up(request)
    )


@router.post("/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    old_password: Annotated[str, Form(max_length=128)],
    new_password: Annotated[str, Form(max_length=128)],
    new_password_again: Annotated[str, Form(max_length=128)],
) -> HTMLResponse:
    """``POST /api/v1/me/password``; OTP and certificate customers step up first (K2)."""
    if new_password != new_password_again:
        return render(
            request,
            "customer_password.html",
            status_code=422,
            signed_in="customer",
            refusal=Refusal("REQUEST_VALIDATION", text_of(request, "web.password.mismatch")),
            notice=None,
        )
    try:
        enrolment.change_login_password(deps, actor, old_password, new_password)
    except strong_auth.StepUpRequired as exc:
        return step_up.step_up_required(request, deps, actor, exc, step_up.page_resume("/password"))
    except DomainError as exc:
        return render(
            request,
            "customer_password.html",
            status_code=422,
            signed_in="customer",
            refusal=refusal_of(request, exc),
            notice=None,
        )
    return render(
        request, "customer_password.html", signed_in="customer", refusal=None, notice="web.password.changed"
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
    account_number: Annotated[str, Form(max_length=32)],
    account_pin: Annotated[str, Form(max_length=12)],
) -> HTMLResponse:
    """``POST /api/v1/me/linked-accounts`` (E10): link one of your accounts with its PIN."""
    try:
        enrolment.link_account_online(deps, actor, account_number.strip(), account_pin)
    except DomainError as exc:
        return _linked_page(request, deps, actor, refusal=refusal_of(request, exc), status=422)
    return _linked_page(request, deps, actor, notice="web.linked.done")


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
    client: ClientDep,
    _csrf: CSRFChecked,
    institution: Annotated[str, Form(max_length=16)],
    card_number: Annotated[str, Form(max_length=32)],
    account_pin: Annotated[str, Form(max_length=12)],
    name: Annotated[str, Form(max_length=100)],
    document_type: Annotated[DocumentType, Form()],
    document_number: Annotated[str, Form(max_length=32)],
    login_password: Annotated[str, Form(max_length=128)],
    login_password_again: Annotated[str, Form(max_length=128)],
) -> HTMLResponse:
    """``POST /api/v1/institutions/{code}/self-registration`` (E4/E5): the ordinary version with
    a debit main card and its PIN; E2 eligibility, E3 and E5 refusals are shown in words."""
    typed = {
        "institution": institution,
        "card_number": card_number,
        "name": name,
        "document_type": document_type.value,
    }
    if login_password != login_password_again:
        refusal = Refusal("REQUEST_VALIDATION", text_of(request, "web.password.mismatch"))
        return _register_page(request, deps, typed=typed, refusal=refusal, status=422)
    try:
        contract = enrolment.self_register(
            deps,
            enrolment.SelfRegistration(
                institution_code=institution,
                card_number=card_number.strip(),
                account_pin=account_pin,
                name=name,
                document_type=document_type,
                document_number=document_number.strip(),
                login_password=login_password,
            ),
            client,
        )
    except DomainError as exc:
        return _register_page(request, deps, typed=typed, refusal=refusal_of(request, exc), status=422)
    return render(
        request,
        "customer_registered.html",
        contract=contract,
        institution=institution,
        login_id=card_number.strip(),
    )
