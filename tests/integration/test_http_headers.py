"""Every response carries the security headers; the API's are never cached; the metrics count
requests per route template and status (the ASGI middleware in ``entrypoints/api/app.py``)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Api


def _count(metrics: str, method: str, route: str, status: int) -> float:
    pattern = (
        rf'^netbank_http_requests_total\{{method="{method}",route="{re.escape(route)}",'
        rf'status="{status}"\}} (\S+)$'
    )
    found = re.search(pattern, metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_api_pages_and_errors_carry_the_security_headers(api: Api, client: TestClient) -> None:
    for response in (
        client.get("/api/v1/institutions"),
        client.get("/"),
        client.get("/api/v1/me"),  # 401: refusals carry them too
        client.get("/no/such/page"),  # 404, no route
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert client.get("/api/v1/institutions").headers["Cache-Control"] == "no-store"


def test_the_swagger_page_goes_without_the_policy_it_cannot_meet(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


def test_metrics_count_each_request_by_route_template_and_status(api: Api, client: TestClient) -> None:
    before = client.get("/metrics").text
    client.get("/api/v1/institutions")
    client.get("/api/v1/institutions")
    client.get("/api/v1/me")
    client.get("/no/such/page")
    after = client.get("/metrics").text
    assert (
        _count(after, "GET", "/api/v1/institutions", 200)
        == _count(before, "GET", "/api/v1/institutions", 200) + 2
    )
    assert _count(after, "GET", "/api/v1/me", 401) == _count(before, "GET", "/api/v1/me", 401) + 1
    assert _count(after, "GET", "unmatched", 404) == _count(before, "GET", "unmatched", 404) + 1
    assert "netbank_http_request_seconds_bucket" in after
