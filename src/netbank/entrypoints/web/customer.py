"""The customer portal: sign-in (login password, or a card / passbook and its PIN), the home
page with accounts and today's limits, the statement with its CSV export, and transfers with a
step-up (``step_up.py``) when the session's level is too low for the amount (K2, L1-L3).

Each route calls the service function the matching route of ``api/routers/customer.py`` (or
``public.py``) calls; nothing here decides a business rule."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from netbank.domain.errors import Code, InvalidRequest
from netbank.domain.ledger import PostingKind
from netbank.entrypoints.api import statements as st
from netbank.entrypoints.api.deps import DepsDep, VisitorDep
from netbank.entrypoints.api.schemas import CardLoginIn, InstitutionCode, LoginIn, TransferIn
from netbank.entrypoints.web import step_up
from netbank.entrypoints.web.common import (
    SESSION_COOKIE,
    CSRFChecked,
    PageRoute,
    WebCustomer,
    end_session,
    redirect,
    render,
    start_session,
)
from netbank.entrypoints.web.forms import (
    Refusal,
    amount_in_minor_units,
    form_model,
    new_idempotency_key,
    typed,
    typed_form,
    validated,
)
from netbank.entrypoints.web.submit import run
from netbank.services import auth, payments, queries, statements
from netbank.services import limits as limit_rules
from netbank.services.common import CustomerActor
from netbank.services.ports import Deps

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: Lines per statement page (the "older" link reads the next).
PAGE_SIZE = 20


def institution_choices(deps: Deps) -> list[tuple[str, str]]:
    with deps.uow(readonly=True) as uow:
        return [(i.code, i.name) for i in uow.institutions.list()]


# --- sign-in / sign-out -------------------------------------------------------------------


def _sign_in_page(
    request: Request, deps: Deps, *, refusal: Refusal | None = None, mode: str = "password", status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "customer_sign_in.html",
        status_code=status,
        institutions=institution_choices(deps),
        refusal=refusal,
        mode=mode,
        chosen=request.query_params.get("institution", "edb"),
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, deps: DepsDep) -> HTMLResponse:
    return _sign_in_page(request, deps)


def _signed_in(request: Request, issued: auth.IssuedSession) -> Response:
    response = redirect("/home")
    start_session(response, request, issued.token, preferred_locale=issued.preferred_locale)
    return response


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    institution: Annotated[InstitutionCode, Form()],
    body: Annotated[LoginIn, Depends(form_model(LoginIn))],
) -> Response:
    """E13: ``POST /api/v1/institutions/{code}/login``: the registration account number and
    the customer-level login password."""
    return run(
        request,
        lambda: auth.login_with_password(deps, visitor, body.command(institution_code=institution)),
        done=lambda issued: _signed_in(request, issued),
        again=partial(_sign_in_page, request, deps),
    )


@router.post("/sign-in/card", response_class=HTMLResponse)
def sign_in_card(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    institution: Annotated[InstitutionCode, Form()],
    body: Annotated[CardLoginIn, Depends(form_model(CardLoginIn))],
) -> Response:
    """E1: ``POST /api/v1/institutions/{code}/card-login``: one account and its PIN, query only."""
    return run(
        request,
        lambda: auth.login_with_card(deps, visitor, body.command(institution_code=institution)),
        done=lambda issued: _signed_in(request, issued),
        again=lambda refusal, status: _sign_in_page(
            request, deps, refusal=refusal, mode="card", status=status
        ),
    )


@router.post("/sign-out")
def sign_out(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    then: Annotated[str, Form()] = "customer",
) -> Response:
    """Ends the session on the server (as ``POST /api/v1/logout``) and forgets the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.logout(deps, visitor, auth.Logout(token))
    response = redirect("/teller/sign-in" if then == "teller" else "/sign-in")
    end_session(response)
    return response


# --- home ---------------------------------------------------------------------------------


@router.get("/home", response_class=HTMLResponse)
def home(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    """The accounts under the contract (or the one card of a card login) and, for an enrolled
    customer, what the limits leave today at this session's level."""
    overview = queries.customer_overview(deps, actor)
    limits = limit_rules.limits_view(deps, actor) if actor.contract_id is not None else None
    return render(
        request,
        "customer_home.html",
        signed_in="customer",
        customer=overview,
        limits=limits,
        level=int(actor.level),
    )


# --- statement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementQuery:
    """The statement form's fields as typed (blank means "any")."""

    account: str = ""
    from_date: str = ""
    to_date: str = ""
    kind: str = ""

    def filter(self) -> statements.StatementFilter:
        try:
            kinds = [PostingKind(self.kind)] if self.kind else None
            first = date.fromisoformat(self.from_date) if self.from_date else None
            last = date.fromisoformat(self.to_date) if self.to_date else None
        except ValueError:
            raise InvalidRequest(Code.REQUEST_VALIDATION, field="from" if self.from_date else "to") from None
        return st.statement_filter(self.account or None, first, last, kinds)

    def query_string(self, **extra: object) -> str:
        pairs = {"account": self.account, "from": self.from_date, "to": self.to_date, "kind": self.kind}
        pairs.update({k: str(v) for k, v in extra.items()})
        return urlencode({k: v for k, v in pairs.items() if v})


def statement_query(request: Request) -> StatementQuery:
    q = request.query_params
    return StatementQuery(
        account=q.get("account", "").strip()[:32],
        from_date=q.get("from", "").strip()[:10],
        to_date=q.get("to", "").strip()[:10],
        kind=q.get("kind", "").strip()[:32],
    )


def int_param(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.query_params.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidRequest(Code.REQUEST_VALIDATION, field=name)
    return int(raw)


@router.get("/statement", response_class=HTMLResponse)
def statement(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    """Newest first, a page at a time: "older" reads the next page (htmx appends it in place;
    without JavaScript it is an ordinary link)."""
    query = statement_query(request)
    limit = int_param(request, "limit", PAGE_SIZE, 1, statements.MAX_PAGE) or PAGE_SIZE
    cursor = int_param(request, "cursor", None, 1, 2**62)
    page = statements.customer_statement(deps, actor, query.filter(), cursor=cursor, limit=limit)
    overview = queries.customer_overview(deps, actor)
    return render(
        request,
        "customer_statement.html",
        signed_in="customer",
        accounts=overview.accounts,
        query=query,
        page=page,
        kinds=[k.value for k in PostingKind],
        older=f"/statement?{query.query_string(cursor=page.next_cursor, limit=limit)}"
        if page.next_cursor
        else None,
        csv_url=f"/statement.csv?{query.query_string()}",
    )


@router.get("/statement.csv")
def statement_csv(request: Request, actor: WebCustomer, deps: DepsDep) -> Response:
    """The same CSV as ``GET /api/v1/me/statement.csv``, every page of it."""
    filt = statement_query(request).filter()

    def read(cursor: int | None) -> statements.StatementPage:
        return statements.customer_statement(deps, actor, filt, cursor=cursor, limit=statements.MAX_PAGE)

    return Response(
        st.csv_text(read(None), read),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="statement.csv"'},
    )


# --- transfers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferForm:
    """The transfer form as typed; the idempotency key is minted once per rendered form, so a
    double click or a resubmitted page never moves money twice."""

    idempotency_key: str = field(default_factory=new_idempotency_key)
    from_account: str = ""
    target: str = "own"
    own_account: str = ""
    other_account: str = ""
    amount: str = ""
    reference: str = ""

    @property
    def to_account(self) -> str:
        """The payee account: one of the customer's, or another customer's (the service tells
        which from the account it locks; the choice here only picks the field)."""
        return self.other_account.strip() if self.target == "other" else self.own_account

    def fields(self) -> dict[str, str]:
        """The form as typed, carried through a step-up."""
        return asdict(self)

    def command(self, currency: str) -> payments.MakeTransfer:
        """The API's ``TransferIn``, the amount typed in major units of ``currency``."""
        body = validated(
            TransferIn,
            {
                "idempotency_key": self.idempotency_key,
                "from_account": self.from_account,
                "to_account": self.to_account,
                "amount_minor": amount_in_minor_units(self.amount, currency),
                "reference": self.reference,
            },
        )
        return body.command()


def _transfer_page(
    request: Request,
    deps: Deps,
    actor: CustomerActor,
    form: TransferForm,
    *,
    refusal: Refusal | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    overview = queries.customer_overview(deps, actor)
    return render(
        request,
        "customer_transfer.html",
        status_code=status,
        signed_in="customer",
        accounts=overview.accounts,
        form=form,
        refusal=refusal,
        notice=notice,
    )


@router.get("/transfer", response_class=HTMLResponse)
def transfer_form(request: Request, actor: WebCustomer, deps: DepsDep) -> HTMLResponse:
    return _transfer_page(request, deps, actor, TransferForm())


@router.post("/transfer", response_class=HTMLResponse)
def transfer(
    request: Request,
    actor: WebCustomer,
    deps: DepsDep,
    _csrf: CSRFChecked,
    form: Annotated[TransferForm, Depends(typed_form(TransferForm))],
) -> Response:
    """``POST /api/v1/me/transfers`` as a form. A step-up answer shows the step-up page, which
    keeps what was typed (and the idempotency key) for the resubmission."""
    return _book(request, deps, actor, form)


def _book(request: Request, deps: Deps, actor: CustomerActor, form: TransferForm) -> Response:
    """Nothing moves on a refusal; the same form (and key) can be corrected and sent again."""
    currency = deps.policies.policy_for(actor.institution_code).currency
    return run(
        request,
        lambda: payments.make_transfer(deps, actor, form.command(currency)),
        done=lambda result: render(
            request,
            "customer_transfer_done.html",
            signed_in="customer",
            transfer=result.transfer,
            replayed=result.replayed,
            from_account=form.from_account,
            to_account=form.to_account,
            balance_minor=result.payer_balance_minor,
        ),
        again=lambda refusal, status: _transfer_page(
            request, deps, actor, form, refusal=refusal, status=status
        ),
        step_up=(deps, actor, step_up.Resume("transfer", form.fields())),
    )


def _resume_transfer(
    request: Request, deps: Deps, actor: CustomerActor, resume: step_up.Resume
) -> HTMLResponse:
    """After a step-up: the transfer form again, filled in (same idempotency key), for the
    customer to confirm."""
    form = typed(TransferForm, resume.fields)
    return _transfer_page(request, deps, actor, form, notice="web.step_up.done")


step_up.register_resumer("transfer", _resume_transfer)
