"""Pages that do not exist: a browser gets a page in its language with the security headers; an
API client keeps the JSON refusal."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

HTML = "text/html,application/xhtml+xml"


@pytest.mark.parametrize(
    ("language", "words"),
    [("ko", "존재하지 않습니다"), ("zh", "不存在"), ("en", "does not exist")],
)
def test_a_browser_gets_a_not_found_page_in_its_language(
    client: TestClient, language: str, words: str
) -> None:
    answer = client.get("/no-such-page", headers={"accept": HTML, "accept-language": language})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "NOT_FOUND" in answer.text
    assert words.lower() in answer.text.lower()
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"


def test_a_wrong_method_on_a_page_is_a_page_too(client: TestClient) -> None:
    answer = client.delete("/sign-in", headers={"accept": HTML})
    assert answer.status_code == 405
    assert answer.headers["content-type"].startswith("text/html")
    assert "METHOD_NOT_ALLOWED" in answer.text


def test_api_paths_and_api_clients_keep_the_json_refusal(client: TestClient) -> None:
    under_api = client.get("/api/v1/no-such-thing", headers={"accept": HTML})
    assert under_api.status_code == 404
    assert under_api.json()["error"]["code"] == "NOT_FOUND"
    no_html = client.get("/no-such-page", headers={"accept": "application/json"})
    assert no_html.status_code == 404
    assert no_html.json()["error"]["code"] == "NOT_FOUND"
