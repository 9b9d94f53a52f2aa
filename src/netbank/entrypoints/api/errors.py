"""The one place where refusals become HTTP answers.

Every refusal is ``{"error": {"code", "rule", "message", "params"}}`` with the message in the
language the client asked for (Accept-Language: ko / zh / en)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from netbank.adapters.i18n import catalogs, negotiate
from netbank.domain.errors import Code, DomainError, Family

log = logging.getLogger("netbank.api")

#: The one HTTP status of each family of refusals (so of each code: a code has one family).
STATUS: dict[Family, int] = {
    Family.VALIDATION: 422,
    Family.RULE: 422,
    Family.NOT_FOUND: 404,
    Family.CONFLICT: 409,
    Family.AUTHENTICATION: 401,
    Family.PERMISSION: 403,
    # RFC 9470: insufficient_user_authentication is a 401 with a WWW-Authenticate challenge.
    Family.STEP_UP: 401,
    Family.FACTOR: 401,
    Family.LOCKED: 423,
    Family.RATE_LIMITED: 429,
    Family.UNAVAILABLE: 503,
    Family.UNSUPPORTED: 405,
}

_RULE = re.compile(r"^([A-Z]\d+)_")


def rule_of(code: str) -> str | None:
    m = _RULE.match(code)
    return m.group(1) if m else None


def error_body(request: Request, code: str, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    locale = negotiate(request.headers.get("accept-language"))
    return {
        "error": {
            "code": code,
            "rule": rule_of(code),
            "message": catalogs().message(
                locale,
                code,
                **{k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in params.items()},
            ),
            "params": params,
            **extra,
        }
    }


def status_of_code(code: Code) -> int:
    """The HTTP status of a code: its family's."""
    return STATUS[code.family]


def status_of(exc: DomainError) -> int:
    return status_of_code(exc.code)


#: Renders an HTTP error (404, 405) as a page for a browser, or None to answer in JSON.
HTMLErrorPage = Callable[[Request, int], Response | None]


def install(app: FastAPI, html_error_page: HTMLErrorPage | None = None) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status = status_of(exc)
        family = exc.code.family
        headers: dict[str, str] | None = None
        if family is Family.STEP_UP:
            # RFC 9470: the client steps up and retries.
            headers = {
                "WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
                f'acr_values="{exc.params.get("required_level", "")}"'
            }
        elif status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        elif family is Family.RATE_LIMITED:
            headers = {"Retry-After": str(exc.params.get("retry_after_seconds", 60))}
        return JSONResponse(
            error_body(request, exc.code.value, exc.params), status_code=status, headers=headers
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A database constraint caught what the services' locks should have: a concurrent
        # request won. Nothing was written (the unit of work rolled back); the client retries.
        log.warning("integrity error mapped to 409: %s", type(exc.orig).__name__)
        return JSONResponse(
            error_body(request, Code.CONCURRENT_UPDATE.value, {}),
            status_code=status_of_code(Code.CONCURRENT_UPDATE),
        )

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        # Lock timeouts, serialization failures, "database is locked": retryable.
        log.warning("operational error mapped to 503: %s", type(exc.orig).__name__)
        return JSONResponse(
            error_body(request, Code.SERVICE_BUSY.value, {}),
            status_code=status_of_code(Code.SERVICE_BUSY),
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e.get("type", "")}
            for e in exc.errors()
        ]
        field = problems[0]["field"] if problems else ""
        body = error_body(request, Code.REQUEST_VALIDATION.value, {"field": field}, problems=problems)
        return JSONResponse(body, status_code=status_of_code(Code.REQUEST_VALIDATION))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if html_error_page is not None and not request.url.path.startswith("/api/"):
            page = html_error_page(request, exc.status_code)
            if page is not None:
                return page
        code = {404: Code.NOT_FOUND, 405: Code.METHOD_NOT_ALLOWED}.get(
            exc.status_code, Code.REQUEST_VALIDATION
        )
        return JSONResponse(
            error_body(request, code.value, {}),
            status_code=status_of_code(code),
            headers=getattr(exc, "headers", None),
        )
