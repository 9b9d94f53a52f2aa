"""The outbox delivers every committed message once, whatever happens to the sender: a
dispatcher process that is not running at commit time, killed with SIGKILL in the middle of
a send, or killed after the gateway accepted but before it recorded the send. The code that
arrives then completes the challenge. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from netbank.adapters.db.migrate import upgrade
from netbank.bootstrap import App, bootstrap
from netbank.config import Settings
from netbank.entrypoints.api.app import create_app
from tests.builders import Api, otp_customer, setup_institutions
from tests.e2e.gateway import Gateway
from tests.e2e.serverproc import REPO, DispatcherProcess, netbank_env
from tests.pgserver import PgServer

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'netbank.sqlite3'}"
        upgrade(url)
        yield url
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with server.scratch_database("outbox", template="netbank_template") as url:
        yield url


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    g = Gateway().start()
    yield g
    g.stop()


@pytest.fixture
def world(
    shared_database: str, tmp_path: Path, gateway: Gateway
) -> Iterator[tuple[App, Api, dict[str, str]]]:
    env = netbank_env(
        shared_database,
        tmp_path,
        NETBANK_OUTBOX_SENDER="webhook",
        NETBANK_OUTBOX_WEBHOOK_URL=gateway.url,
        NETBANK_OUTBOX_LEASE_SECONDS="1",
        NETBANK_OUTBOX_FIRST_BACKOFF_SECONDS="0.2",
    )
    settings = Settings(
        database_url=shared_database,
        data_dir=tmp_path,
        policy_dir=REPO / "policies",
        identity_seal_key=env["NETBANK_IDENTITY_SEAL_KEY"],
        identity_lookup_key=env["NETBANK_IDENTITY_LOOKUP_KEY"],
        secrets_key=env["NETBANK_SECRETS_KEY"],
        outbox_in_process=False,
    )
    state = bootstrap(settings)
    setup_institutions(state.deps, "edb")
    with TestClient(create_app(state)) as client:
        yield state, Api(client, state.engine), env
    state.close()


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def start_challenge(api: Api, state: App) -> tuple[str, int]:
    _, card, _ = otp_customer(api, state.deps)
    token = api.customer_token("edb", card)
    r = api.post("/api/v1/me/challenges", token, channel="sms")
    assert r.status_code == 201, r.text
    return token, int(r.json()["id"])


def complete(api: Api, token: str, challenge_id: int, text: str) -> None:
    code = re.search(r"\b(\d{6})\b", text)
    assert code, text
    r = api.post(f"/api/v1/me/challenges/{challenge_id}/verify", token, code=code.group(1))
    assert r.status_code == 200, r.text


@pytest.mark.rule("K2", kind="allow")
def test_a_message_committed_while_no_sender_runs_is_delivered_once_it_starts(
    world: tuple[App, Api, dict[str, str]], gateway: Gateway, tmp_path: Path
) -> None:
    state, api, env = world
    token, challenge_id = start_challenge(api, state)  # committed; nobody is sending
    time.sleep(0.3)
    assert gateway.requests == []
    dispatcher = DispatcherProcess(env, tmp_path / "dispatcher.log")
    try:
        wait_for(lambda: len(gateway.delivered) == 1)
        time.sleep(0.5)  # nothing more arrives
    finally:
        dispatcher.stop()
    assert len(gateway.requests) == 1
    (message,) = gateway.delivered.values()
    assert message["kind"] == "sms" and message["to"] == "13912345678"
    complete(api, token, challenge_id, message["text"])


@pytest.mark.rule("K2", kind="allow")
def test_a_sender_killed_in_the_middle_of_a_send_is_replaced_and_the_code_arrives_once(
    world: tuple[App, Api, dict[str, str]], gateway: Gateway, tmp_path: Path
) -> None:
    state, api, env = world
    gateway.hang_before_accept = True
    token, challenge_id = start_challenge(api, state)
    first = DispatcherProcess(env, tmp_path / "dispatcher1.log")
    assert gateway.hanging.wait(20)
    first.kill()  # kill -9 between the commit and a completed send
    gateway.release.set()
    assert gateway.delivered == {}
    second = DispatcherProcess(env, tmp_path / "dispatcher2.log")
    try:
        wait_for(lambda: len(gateway.delivered) == 1)
        time.sleep(0.5)
    finally:
        second.stop()
    assert len(gateway.delivered) == 1
    keys = {r["key"] for r in gateway.requests}
    assert len(keys) == 1  # the retry carried the same idempotency key
    complete(api, token, challenge_id, next(iter(gateway.delivered.values()))["text"])


@pytest.mark.rule("K2", kind="allow")
def test_a_sender_killed_after_the_gateway_accepted_resends_with_the_same_key(
    world: tuple[App, Api, dict[str, str]], gateway: Gateway, tmp_path: Path
) -> None:
    state, api, env = world
    gateway.hang_after_accept = True
    token, challenge_id = start_challenge(api, state)
    first = DispatcherProcess(env, tmp_path / "dispatcher1.log")
    assert gateway.hanging.wait(20)
    first.kill()  # accepted by the gateway, never recorded as sent by us
    gateway.release.set()
    second = DispatcherProcess(env, tmp_path / "dispatcher2.log")
    try:
        wait_for(lambda: len(gateway.requests) >= 2)
        time.sleep(0.5)
    finally:
        second.stop()
    assert len(gateway.requests) == 2 and len({r["key"] for r in gateway.requests}) == 1
    assert len(gateway.delivered) == 1  # at least once from us, once at the gateway
    complete(api, token, challenge_id, next(iter(gateway.delivered.values()))["text"])


def test_a_failing_gateway_is_retried_with_back_off(
    world: tuple[App, Api, dict[str, str]], gateway: Gateway, tmp_path: Path
) -> None:
    state, api, env = world
    gateway.fail_first = 2
    token, challenge_id = start_challenge(api, state)
    dispatcher = DispatcherProcess(env, tmp_path / "dispatcher.log")
    try:
        wait_for(lambda: len(gateway.delivered) == 1)
    finally:
        dispatcher.stop()
    assert len(gateway.requests) == 3
    complete(api, token, challenge_id, next(iter(gateway.delivered.values()))["text"])
