"""The ASGI application: API under /api/v1, OpenAPI at /openapi.json, docs at /docs (assets
served locally), a landing page at /, health and Prometheus metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import netbank
from netbank.bootstrap import App, bootstrap, make_sender, retry_policy
from netbank.entrypoints.api import errors
from netbank.entrypoints.api.routers import customer, fincert, fincert_devices, pki, public, teller
from netbank.entrypoints.web import pages
from netbank.services.outbox import run_dispatcher

DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def create_app(app_state: App | None = None) -> FastAPI:
    state = app_state or bootstrap()
    api = FastAPI(
        lifespan=_lifespan(state),
        title="netbank",
        version=netbank.__version__,
        description="Personal e-banking channel platform: enrolment, authentication, counter "
        "transactions. Every refusal carries a stable code naming the SPEC rule.",
        docs_url=None,
        redoc_url=None,
    )
    api.state.netbank = state
    errors.install(api, html_error_page=pages.http_error_page)
    api.include_router(public.router)
    api.include_router(customer.router)
    api.include_router(teller.router)
    api.include_router(pki.public_router)
    api.include_router(pki.customer_router)
    api.include_router(fincert.router)
    api.include_router(fincert_devices.router)
    api.include_router(pages.router)
    api.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    api.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    _install_observability(api)

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="netbank API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @api.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        with state.deps.uow(readonly=True) as uow:
            uow.institutions.list()
        return PlainTextResponse("ok")

    return api


def _lifespan(state: App) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Runs the outbox dispatcher beside the server when configured to (the default for
    ``make run``); several workers share the work through message leases."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        worker: threading.Thread | None = None
        if state.settings.outbox_in_process:
            sender = make_sender(state.settings)
            worker = threading.Thread(
                target=run_dispatcher,
                args=(state.deps, sender, stop),
                kwargs={"retry": retry_policy(state.settings)},
                name="outbox-dispatcher",
                daemon=True,
            )
            worker.start()
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=5)

    return lifespan


#: Security headers on every response (a handler's own value wins); the Swagger page at
#: /docs runs its own inline start-up script, so it goes without the Content-Security-Policy.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class HeadersAndMetrics:
    """Pure ASGI middleware: the security headers, ``Cache-Control: no-store`` on the API, and
    the request count and latency per route template and status. Written against ASGI rather
    than with ``@app.middleware("http")``, whose request/response streaming costs a task and
    memory streams per request."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped every handler

        def route_path() -> str:
            return str(getattr(scope.get("route"), "path", "unmatched"))

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                if route_path() != "/docs":
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                if scope["path"].startswith("/api/"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            path = route_path()
            self.requests.labels(scope["method"], path, str(status)).inc()
            self.latency.labels(path).observe(time.perf_counter() - started)


def _install_observability(api: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "netbank_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram("netbank_http_request_seconds", "HTTP request latency", ["route"], registry=registry)
    api.add_middleware(HeadersAndMetrics, requests=requests, latency=latency)

    @api.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
