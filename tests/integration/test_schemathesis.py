"""Property: over the whole OpenAPI document, with the demo data loaded, the API never answers
5xx and every answer conforms to the schema it publishes. Three passes: no token, a customer's
bearer token, a teller's bearer token; on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from netbank import demo
from netbank.adapters.clock import SettableClock
from netbank.adapters.policies import StaticPolicyBook
from netbank.bootstrap import bootstrap
from netbank.entrypoints.api.app import create_app
from tests.conftest import BACKENDS, T0, make_settings
from tests.pgserver import PgServer

pytestmark = pytest.mark.slow

#: Never 5xx, and every answer matches the published schema and media type. (Undocumented status
#: codes such as 400 for a body that is not JSON at all are not counted as failures.)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    database=None,
)
CUSTOMER_LOGIN = {"login_id": "6222020000000011", "password": demo.LOGIN_PASSWORD}
DEMO_PATH_VALUES = {
    "institution": ["edb", "kb", "ksfc"],
    "customer_number": ["100001", "100002", "100003", "100004", "100009", "K0001"],
}
Operation = APIOperation[Any, Any, Any, Any]
TELLER_LOGIN = {"institution_code": "edb", "teller_number": "T001", "password": demo.STAFF_PASSWORD}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Module-scoped here (the conftest one is per test) so the demo data loads once per backend;
    the name keeps the harness's ``postgres`` marker."""
    return str(request.param)


@pytest.fixture(scope="module")
def demo_app(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    policies: StaticPolicyBook,
) -> Iterator[FastAPI]:
    """Its own freshly migrated database with the demo data loaded, shared by the module."""
    data_dir = tmp_path_factory.mktemp(f"schemathesis-{backend}")
    server: PgServer | None = None
    name = ""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = data_dir / "netbank.sqlite3"
        shutil.copyfile(template, target)
        url = f"sqlite:///{target}"
    else:
        server = request.getfixturevalue("pg_server")
        name = f"st_{uuid.uuid4().hex[:16]}"
        server.admin(f"CREATE DATABASE {name} TEMPLATE netbank_template")
        url = server.url(name)
    state = bootstrap(make_settings(url, data_dir), clock=SettableClock(T0), policies=policies)
    try:
        demo.load(state.deps)
        yield create_app(state)
    finally:
        state.close()
        if server is not None:
            server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def api_schema(demo_app: FastAPI) -> BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", demo_app)


@pytest.fixture(scope="module")
def login(demo_app: FastAPI) -> Callable[[str, dict[str, str]], dict[str, str]]:
    """A fresh bearer token for each generated case: a case may log out or revoke a session."""
    client = TestClient(demo_app)

    def token(path: str, body: dict[str, str]) -> dict[str, str]:
        r = client.post(path, json=body)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    return token


def _with_demo_path_values(operation: Operation) -> list[st.SearchStrategy[Case[Any]]]:
    """Random path values almost never hit a demo row; also try the ones that do."""
    names = [n for n in re.findall(r"{(\w+)}", operation.path) if n in DEMO_PATH_VALUES]
    if not names:
        return []
    fixed = st.fixed_dictionaries({n: st.sampled_from(DEMO_PATH_VALUES[n]) for n in names})
    return [fixed.flatmap(lambda values: operation.as_strategy(path_parameters=values))]


def fuzz_every_operation(schema: BaseSchema, headers: Callable[[], dict[str, str]]) -> int:
    """Valid and invalid cases for each operation in turn; every failing operation is reported,
    not only the first. Returns how many operations were exercised."""
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"invalid schema: {result.err()}")
            continue
        operation: Operation = result.ok()
        operations += 1
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
            *_with_demo_path_values(operation),
        )

        @FUZZ
        @given(case=strategy)
        def exercise(case: Case[Any]) -> None:
            case.call_and_validate(headers=headers(), checks=CHECKS)

        try:
            exercise()
        except (Exception, FailureGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    return operations


#: The published API has more operations than this; fewer means the schema lost routes.
EXPECTED_MINIMUM_OPERATIONS = 20


def test_without_a_token_the_api_never_fails_and_answers_as_documented(api_schema: BaseSchema) -> None:
    assert fuzz_every_operation(api_schema, dict) >= EXPECTED_MINIMUM_OPERATIONS


def test_with_a_customer_token_the_api_never_fails_and_answers_as_documented(
    api_schema: BaseSchema, login: Callable[[str, dict[str, str]], dict[str, str]]
) -> None:
    operations = fuzz_every_operation(
        api_schema, lambda: login("/api/v1/institutions/edb/login", CUSTOMER_LOGIN)
    )
    assert operations >= EXPECTED_MINIMUM_OPERATIONS


def test_with_a_teller_token_the_api_never_fails_and_answers_as_documented(
    api_schema: BaseSchema, login: Callable[[str, dict[str, str]], dict[str, str]]
) -> None:
    operations = fuzz_every_operation(api_schema, lambda: login("/api/v1/teller/login", TELLER_LOGIN))
    assert operations >= EXPECTED_MINIMUM_OPERATIONS
