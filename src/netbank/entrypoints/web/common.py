"""What every server-rendered page shares: the language, the cookies, CSRF protection, the
security headers and the mapping of refusals to pages.

The web pages are a second front on the same service layer as the API: a route reads the form,
calls the same service function as the matching API router, and renders the answer. A refusal
is the same domain error with the same code and the same localized message as the API's; here
it becomes a message on the page (or a redirect to sign-in when the session is gone).

Cookies (all ``SameSite=Strict`` and ``HttpOnly`` except the language):

- ``netbank_web_session``: the session token the auth services issue (the same kind the API
  takes as a bearer token). It has its own name on purpose: the API also reads a cookie called
  ``netbank_session``, and its JSON endpoints do not check CSRF tokens.
- ``netbank_csrf``: a random secret set on the first page. Every POST form carries
  ``HMAC-SHA256(secret, session token)`` (signed double submit): a form rendered for one
  session does not work for another, and another site can neither read the secret nor the token.
- ``netbank_lang``: ``ko`` / ``zh`` / ``en`` once the visitor chose one; otherwise the browser's
  Accept-Language decides. A signed-in customer's or staff member's choice is also kept on their
  record, and signing in sets this cookie to it (``services/preferences.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import IntegrityError, OperationalError

from netbank.adapters.i18n import SUPPORTED, catalogs, negotiate
from netbank.domain.errors import AuthenticationFailed, Code, DomainError, NotFound, PermissionDenied
from netbank.domain.institution import StaffRole
from netbank.domain.money import exponent_of, format_minor
from netbank.entrypoints.api.deps import DepsDep
from netbank.entrypoints.api.errors import rule_of, status_of
from netbank.services import auth
from netbank.services.common import CustomerActor, TellerActor
from netbank.services.ports import Deps

HERE: Final = Path(__file__).parent
STATIC: Final = HERE / "static"

SESSION_COOKIE: Final = "netbank_web_session"
CSRF_COOKIE: Final = "netbank_csrf"
LANG_COOKIE: Final = "netbank_lang"
CSRF_FIELD: Final = "csrf_token"

#: The Content-Security-Policy of every page: nothing inline, nothing from elsewhere.
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Pages show balances and names: never kept by the browser or a proxy.
    "Cache-Control": "no-store",
}

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(), auto_reload=False
)


class CSRFRejected(Exception):
    """A POST without the form token of this browser's session."""


# --- language -----------------------------------------------------------------------------


def locale_of(request: Request) -> str:
    """``?lang=`` for one page, else the remembered choice, else Accept-Language."""
    for choice in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if choice in SUPPORTED:
            return choice
    return negotiate(request.headers.get("accept-language"))


def remember_locale(response: Response, locale: str) -> None:
    response.set_cookie(
        LANG_COOKIE, locale, max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=False
    )


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site is a valid place to go back to (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def message_of(locale: str, exc: DomainError) -> str:
    """The refusal's message, exactly as the API words it (list params joined)."""
    params = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in exc.params.items()}
    return catalogs().message(locale, exc.code.value, **params)


# --- CSRF ---------------------------------------------------------------------------------


def _csrf_secret(request: Request) -> str:
    """This browser's CSRF secret; a new one (set on the response by :func:`render`) when it has
    none yet."""
    secret = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_secret", None)
    if not secret:
        secret = secrets.token_urlsafe(32)
        request.state.new_csrf_secret = secret
    return str(secret)


def _csrf_token(secret: str, session_token: str) -> str:
    return hmac.new(secret.encode(), session_token.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    return _csrf_token(_csrf_secret(request), request.cookies.get(SESSION_COOKIE, ""))


async def check_csrf(request: Request) -> None:
    """Every POST route depends on this: the form's token must be the one for this browser's
    secret and session cookie."""
    secret = request.cookies.get(CSRF_COOKIE)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not secret or not isinstance(sent, str):
        raise CSRFRejected
    expected = _csrf_token(secret, request.cookies.get(SESSION_COOKIE, ""))
    if not hmac.compare_digest(expected, sent):
        raise CSRFRejected


CSRFChecked = Annotated[None, Depends(check_csrf)]


# --- who is signed in ---------------------------------------------------------------------


def session_token(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthenticationFailed(Code.SESSION_INVALID)
    return token


def web_customer(request: Request, deps: DepsDep) -> CustomerActor:
    client = request.client.host if request.client else None
    return signed_in_at(request, deps, auth.authenticate_customer(deps, session_token(request), client))


def web_teller(request: Request, deps: DepsDep) -> TellerActor:
    return signed_in_at(
        request, deps, auth.authenticate_teller(deps, session_token(request), StaffRole.TELLER)
    )


_Actor = TypeVar("_Actor", CustomerActor, TellerActor)


def signed_in_at(request: Request, deps: Deps, actor: _Actor) -> _Actor:
    """Remember the signed-in person's institution for :func:`render`, which shows times in
    its time zone."""
    request.state.timezone = deps.policies.policy_for(actor.institution_code).timezone
    return actor


def _in_zone(at: datetime, timezone: str | None) -> datetime:
    return at.astimezone(ZoneInfo(timezone) if timezone else UTC)


def local_day(at: datetime, timezone: str | None) -> str:
    """The date of an instant in ``timezone`` (UTC where no institution applies): a validity
    ending at 16:00 UTC ends on the next day in Seoul."""
    return _in_zone(at, timezone).strftime("%Y-%m-%d")


def local_time(at: datetime, timezone: str | None, *, seconds: bool = False) -> str:
    """An instant as wall-clock time in ``timezone`` (the institution's) with the zone's
    abbreviation, ``2026-11-24 21:03 KST``; in UTC where no institution applies."""
    return _in_zone(at, timezone).strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


WebCustomer = Annotated[CustomerActor, Depends(web_customer)]
WebTeller = Annotated[TellerActor, Depends(web_teller)]


def start_session(
    response: Response, request: Request, token: str, *, preferred_locale: str | None = None
) -> None:
    """The session cookie; and when the person who signed in prefers a language (kept on their
    record, ``services/preferences.py``), the language cookie too, so that the pages after
    sign-in are in it even in a browser that never chose one."""
    if preferred_locale in SUPPORTED:
        remember_locale(response, preferred_locale)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


# --- rendering ----------------------------------------------------------------------------


def money(amount_minor: int, currency: str) -> str:
    return format_minor(amount_minor, currency)


def parse_amount(text: str, currency: str) -> int | None:
    """``"100.5"`` in CNY -> 10050 minor units; None when it is not an amount in that
    currency's minor units (a sign, letters, too many decimals). Whether it is positive and
    within the limits is the services' question."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None
    minor = value.scaleb(exponent_of(currency))
    if not value.is_finite() or minor != minor.to_integral_value() or abs(minor) >= 10**15:
        return None
    return int(minor)


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    signed_in: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the visitor's language with a CSRF token for its forms. ``signed_in`` is
    ``"customer"`` or ``"teller"`` for the navigation."""
    locale = locale_of(request)
    text = catalogs()
    # Where the language switch comes back to: this page, less a one-off ``lang``.
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    here = request.url.path + (f"?{query}" if query else "")
    timezone = getattr(request.state, "timezone", None)
    html = templates.get_template(template).render(
        lang=locale,
        t=lambda msgid, **params: text.message(locale, msgid, **params),
        money=money,
        when=lambda at, seconds=False: local_time(at, timezone, seconds=seconds),
        day=lambda at: local_day(at, timezone),
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
        signed_in=signed_in,
        here=here,
        languages=(("ko", "한국어"), ("zh", "中文"), ("en", "English")),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    new_secret = getattr(request.state, "new_csrf_secret", None)
    if new_secret:
        response.set_cookie(
            CSRF_COOKIE,
            new_secret,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def redirect(url: str) -> RedirectResponse:
    """After a POST, or to sign-in: 303 so that the browser follows with a GET."""
    return RedirectResponse(url, status_code=303)


def refusal_page(request: Request, exc: DomainError, *, signed_in: str | None = None) -> HTMLResponse:
    locale = locale_of(request)
    return render(
        request,
        "refusal.html",
        status_code=status_of(exc),
        signed_in=signed_in,
        title_id=_title_of(exc),
        message=message_of(locale, exc),
        code=exc.code.value,
        rule=rule_of(exc.code.value),
    )


def _title_of(exc: DomainError) -> str:
    if isinstance(exc, PermissionDenied):
        return "web.refusal.forbidden"
    if isinstance(exc, NotFound):
        return "web.refusal.not_found"
    return "web.refusal.title"


def _sign_in_of(path: str) -> str:
    return "/teller/sign-in" if path.startswith("/teller") else "/sign-in"


class PageRoute(APIRoute):
    """The web's counterpart of the API's error handlers: what a route leaves unhandled becomes
    a page. No session (or an expired one) goes to the sign-in page; a refusal is shown with
    its code and localized message; a forged or stale form gets the CSRF page. Every answer
    carries the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except AuthenticationFailed as exc:
                if exc.code is Code.SESSION_INVALID:
                    response = redirect(_sign_in_of(request.url.path))
                    end_session(response)
                else:
                    response = refusal_page(request, exc)
            except DomainError as exc:
                response = refusal_page(request, exc)
            except CSRFRejected:
                response = render(
                    request,
                    "refusal.html",
                    status_code=403,
                    title_id="web.refusal.forbidden",
                    message=catalogs().message(locale_of(request), "web.csrf.rejected"),
                    code=None,
                    rule=None,
                )
            except RequestValidationError as exc:
                problems = exc.errors()
                field = (
                    ".".join(str(p) for p in problems[0].get("loc", ()) if p != "body") if problems else ""
                )
                response = render(
                    request,
                    "refusal.html",
                    status_code=422,
                    title_id="web.refusal.title",
                    message=catalogs().message(
                        locale_of(request), Code.REQUEST_VALIDATION.value, field=field
                    ),
                    code=Code.REQUEST_VALIDATION.value,
                    rule=None,
                )
            except (IntegrityError, OperationalError) as exc:
                # As in the API: a concurrent request won, or the database is busy; nothing
                # was written, the customer tries again.
                code = Code.CONCURRENT_UPDATE if isinstance(exc, IntegrityError) else Code.SERVICE_BUSY
                response = render(
                    request,
                    "refusal.html",
                    status_code=409 if isinstance(exc, IntegrityError) else 503,
                    title_id="web.refusal.title",
                    message=catalogs().message(locale_of(request), code.value),
                    code=code.value,
                    rule=None,
                )
            for name, value in SECURITY_HEADERS.items():
                response.headers[name] = value
            return response

        return page_handler
