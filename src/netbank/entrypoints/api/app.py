"""The ASGI application: API under /api/v1, OpenAPI at /openapi.json, docs at /docs (assets
served locally), a landing page at /, health and Prometheus metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

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
    api.include_router(pki.teller_router)
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


def _install_observability(api: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "netbank_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram("netbank_http_request_seconds", "HTTP request latency", ["route"], registry=registry)

    @api.middleware("http")
    async def _headers_and_metrics(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        requests.labels(request.method, path, str(response.status_code)).inc()
        latency.labels(path).observe(time.perf_counter() - started)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if path != "/docs":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            )
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @api.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
