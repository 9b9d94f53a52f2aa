"""The web front: the landing page, the language switch, and the customer portal and teller
console (``customer.py``, ``teller.py``), all on the same service layer as the API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from netbank.adapters.i18n import SUPPORTED
from netbank.entrypoints.api.deps import DepsDep
from netbank.entrypoints.web import customer, teller
from netbank.entrypoints.web.common import STATIC, PageRoute, local_path, redirect, remember_locale, render

__all__ = ["STATIC", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, deps: DepsDep) -> HTMLResponse:
    with deps.uow(readonly=True) as uow:
        institutions = uow.institutions.list()
    return render(request, "landing.html", institutions=institutions)


@router.get("/language/{locale}")
def choose_language(locale: str, request: Request) -> Response:
    """The language switch: remembered in a cookie for every later page, then back to the
    page the visitor was on."""
    response = redirect(local_path(request.query_params.get("next")))
    if locale in SUPPORTED:
        remember_locale(response, locale)
    return response


router.include_router(customer.router)
router.include_router(teller.router)
