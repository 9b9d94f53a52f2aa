"""The web front: the landing page, the language switch, and the customer portal and teller
console (``customer.py``, ``teller.py``), all on the same service layer as the API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from netbank.adapters.i18n import catalogs
from netbank.domain.errors import Code
from netbank.entrypoints.api.deps import DepsDep, VisitorDep
from netbank.entrypoints.web import (
    cert_registration,
    certificates,
    counter,
    customer,
    self_service,
    staff,
    step_up,
    teller,
)
from netbank.entrypoints.web.common import (
    SECURITY_HEADERS,
    SESSION_COOKIE,
    STATIC,
    PageRoute,
    local_path,
    locale_of,
    redirect,
    remember_locale,
    render,
)
from netbank.services import preferences

__all__ = ["STATIC", "http_error_page", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, deps: DepsDep) -> HTMLResponse:
    with deps.uow(readonly=True) as uow:
        institutions = uow.institutions.list()
    return render(request, "landing.html", institutions=institutions)


@router.get("/language/{locale}")
def choose_language(locale: str, request: Request, deps: DepsDep, visitor: VisitorDep) -> Response:
    """The language switch: remembered in a cookie for every later page and, when a customer
    or a member of staff is signed in, on their record, so that their next sign-in shows it in
    any browser; then back to the page the visitor was on. A language netbank does not speak
    is refused (``LOCALE_UNSUPPORTED``, 422).

    A GET that writes: the session cookie is ``SameSite=Strict``, so a link from another site
    arrives without it and changes no record (only this browser's language cookie, as before).
    """
    preferences.choose_locale(
        deps, visitor, preferences.ChooseLocale(locale, token=request.cookies.get(SESSION_COOKIE))
    )
    response = redirect(local_path(request.query_params.get("next")))
    remember_locale(response, locale)
    return response


router.include_router(customer.router)
router.include_router(step_up.router)
router.include_router(self_service.router)
router.include_router(certificates.router)
router.include_router(cert_registration.router)
router.include_router(teller.router)
router.include_router(counter.router)
router.include_router(staff.router)


def http_error_page(request: Request, status_code: int) -> Response | None:
    """A browser asking for a page that does not exist (or with the wrong method) gets a page
    in its language, not the API's JSON; API clients and other errors keep the JSON answer."""
    if status_code not in (404, 405) or "text/html" not in request.headers.get("accept", ""):
        return None
    code = Code.NOT_FOUND if status_code == 404 else Code.METHOD_NOT_ALLOWED
    response = render(
        request,
        "refusal.html",
        status_code=status_code,
        title_id="web.refusal.not_found" if status_code == 404 else "web.refusal.title",
        message=catalogs().message(locale_of(request), code.value),
        code=code.value,
        rule=None,
    )
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response
