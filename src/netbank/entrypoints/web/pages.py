"""The landing page. The full customer portal and teller console grow here on the same
service layer as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from netbank.adapters.i18n import catalogs, negotiate
from netbank.entrypoints.api.deps import DepsDep

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, deps: DepsDep) -> HTMLResponse:
    locale = negotiate(request.query_params.get("lang") or request.headers.get("accept-language"))
    with deps.uow(readonly=True) as uow:
        institutions = uow.institutions.list()
    text = catalogs()
    html = templates.get_template("landing.html").render(
        lang=locale,
        institutions=institutions,
        t=lambda msgid: text.message(locale, msgid),
    )
    return HTMLResponse(html)
