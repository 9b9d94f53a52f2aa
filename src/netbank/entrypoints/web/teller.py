"""The teller console (first part): sign-in, finding a customer of the teller's institution,
the customer's page with the in-person identity check (E12) and their accounts, and each
account's postings. The counter transactions on that page are in ``counter.py``; staff who are
not tellers (institution admin, auditor) go from the sign-in to their own pages (``staff.py``).

The routes call what ``api/routers/teller.py`` calls; the services keep a teller inside their
own institution (a customer or account of another one is "not found")."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from netbank.domain.counter import IdentityCheck
from netbank.domain.identity import DocumentType
from netbank.domain.institution import StaffRole
from netbank.entrypoints.api.deps import DepsDep, VisitorDep
from netbank.entrypoints.api.schemas import IdentityCheckIn, TellerLoginIn
from netbank.entrypoints.web.common import (
    CSRFChecked,
    PageRoute,
    WebTeller,
    redirect,
    render,
    start_session,
)
from netbank.entrypoints.web.counter_forms import counter_context
from netbank.entrypoints.web.customer import (
    PAGE_SIZE,
    institution_choices,
    int_param,
    statement_query,
)
from netbank.entrypoints.web.forms import Refusal, form_model
from netbank.entrypoints.web.submit import run
from netbank.services import auth, queries, statements
from netbank.services.common import TellerActor
from netbank.services.counter import accounts
from netbank.services.ports import Deps

router = APIRouter(prefix="/teller", route_class=PageRoute, include_in_schema=False)

#: Where each staff role starts after signing in.
STAFF_HOME = {
    StaffRole.TELLER: "/teller",
    StaffRole.ADMIN: "/teller/admin/policy",
    StaffRole.AUDITOR: "/teller/audit",
}


def _sign_in_page(
    request: Request, deps: Deps, *, refusal: Refusal | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "teller_sign_in.html",
        status_code=status,
        institutions=institution_choices(deps),
        refusal=refusal,
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, deps: DepsDep) -> HTMLResponse:
    return _sign_in_page(request, deps)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    deps: DepsDep,
    visitor: VisitorDep,
    _csrf: CSRFChecked,
    body: Annotated[TellerLoginIn, Depends(form_model(TellerLoginIn))],
) -> Response:
    """Staff sign-in at the teller's home branch (``POST /api/v1/teller/login``); a teller goes
    to the counter, an admin to the policy, an auditor to the audit trail."""

    def signed_in(issued: auth.IssuedSession) -> Response:
        role = auth.authenticate_teller(deps, issued.token, *StaffRole).role
        response = redirect(STAFF_HOME[role])
        start_session(response, request, issued.token, preferred_locale=issued.preferred_locale)
        return response

    return run(
        request,
        lambda: auth.login_teller(deps, visitor, body.command()),
        done=signed_in,
        again=partial(_sign_in_page, request, deps),
    )


@router.get("", response_class=HTMLResponse)
def find(request: Request, actor: WebTeller, deps: DepsDep) -> Response:
    """Find a customer by (part of) their name, or open one by customer number."""
    number = request.query_params.get("number", "").strip()[:32]
    if number:
        return redirect(f"/teller/customers/{quote(number, safe='')}")
    name = request.query_params.get("name", "").strip()[:64]
    found = queries.find_customers(deps, actor, name=name or None)
    return render(request, "teller_find.html", signed_in="teller", name=name, found=found, actor=actor)


def customer_page(
    request: Request,
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    *,
    check: IdentityCheck | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
    **counter: Any,
) -> HTMLResponse:
    """The customer's page; ``counter`` carries the counter forms' state (``counter.py``)."""
    view = queries.teller_customer_view(deps, actor, customer_number)
    return render(
        request,
        "teller_customer.html",
        status_code=status,
        signed_in="teller",
        customer=view,
        check=check,
        refusal=refusal,
        document_types=[d.value for d in DocumentType],
        **{**counter_context(check.id if check else None), **counter},
    )


@router.get("/customers/{customer_number}", response_class=HTMLResponse)
def customer(request: Request, customer_number: str, actor: WebTeller, deps: DepsDep) -> HTMLResponse:
    """``?check=`` names the identity check recorded for this customer (E12): while it is
    usable, the page offers the counter transactions."""
    number = customer_number[:32]
    check_id = int_param(request, "check", None, 1, 2**62)
    check = queries.identity_check_in_force(deps, actor, number, check_id)
    return customer_page(request, deps, actor, number, check=check)


@router.post("/customers/{customer_number}/identity-check", response_class=HTMLResponse)
def identity_check(
    request: Request,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    body: Annotated[IdentityCheckIn, Depends(form_model(IdentityCheckIn))],
) -> Response:
    """E12: ``POST /api/v1/teller/identity-checks``; the page then shows the check's number
    for the counter transactions that cite it."""
    number = body.customer_number
    return run(
        request,
        lambda: accounts.record_identity_check(deps, actor, body.command()),
        done=lambda check: customer_page(request, deps, actor, number, check=check),
        again=partial(customer_page, request, deps, actor, number),
    )


@router.get("/accounts/{account_number}/postings", response_class=HTMLResponse)
def postings(request: Request, account_number: str, actor: WebTeller, deps: DepsDep) -> HTMLResponse:
    """``GET /api/v1/teller/accounts/{number}/postings``: newest first, with the balance after
    each line; "older" reads the next page."""
    query = statement_query(request)
    limit = int_param(request, "limit", PAGE_SIZE, 1, statements.MAX_PAGE) or PAGE_SIZE
    cursor = int_param(request, "cursor", None, 1, 2**62)
    number = account_number[:32]
    page = statements.account_postings(deps, actor, number, query.filter(), cursor=cursor, limit=limit)
    base = f"/teller/accounts/{quote(number, safe='')}/postings"
    return render(
        request,
        "teller_postings.html",
        signed_in="teller",
        account_number=number,
        page=page,
        older=f"{base}?{query.query_string(cursor=page.next_cursor, limit=limit)}"
        if page.next_cursor
        else None,
    )
