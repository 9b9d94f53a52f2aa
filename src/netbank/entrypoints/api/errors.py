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
from netbank.domain.errors import (
    AuthenticationFailed,
    Code,
    Conflict,
    DomainError,
    Locked,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from netbank.domain.fincert import PINRejected
from netbank.domain.otp import FactorRejected, RateLimited
from netbank.services.strong_auth import StepUpRequired

log = logging.getLogger("netbank.api")

STATUS: dict[type[DomainError], int] = {
    RuleViolation: 422,
    NotFound: 404,
    Conflict: 409,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    Locked: 423,
    FactorRejected: 401,
    RateLimited: 429,
    StepUpRequired: 401,
    PINRejected: 401,
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


def status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


#: Renders an HTTP error (404, 405) as a page for a browser, or None to answer in JSON.
HTMLErrorPage = Callable[[Request, int], Response | None]


def install(app: FastAPI, html_error_page: HTMLErrorPage | None = None) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status = status_of(exc)
        headers: dict[str, str] | None = None
        if isinstance(exc, StepUpRequired):
            # RFC 9470: the client steps up and retries.
            headers = {
                "WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
                f'acr_values="{exc.params.get("required_level", "")}"'
            }
        elif status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.params.get("retry_after_seconds", 60))}
        return JSONResponse(
            error_body(request, exc.code.value, exc.params), status_code=status, headers=headers
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A database constraint caught what the services' locks should have: a concurrent
        # request won. Nothing was written (the unit of work rolled back); the client retries.
        log.warning("integrity error mapped to 409: %s", type(exc.orig).__name__)
        return JSONResponse(error_body(request, Code.CONCURRENT_UPDATE.value, {}), status_code=409)

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        # Lock timeouts, serialization failures, "database is locked": retryable.
        log.warning("operational error mapped to 503: %s", type(exc.orig).__name__)
        return JSONResponse(
            error_body(request, Code.SERVICE_BUSY.value, {}), status_code=503, headers={"Retry-After": "1"}
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e.get("type", "")}
            for e in exc.errors()
        ]
        field = problems[0]["field"] if problems else ""
        body = error_body(request, Code.REQUEST_VALIDATION.value, {"field": field}, problems=problems)
        return JSONResponse(body, status_code=422)

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
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
