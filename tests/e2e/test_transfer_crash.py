"""Transfers survive a crash: client threads keep paying through a running server when it is
killed with SIGKILL and its PostgreSQL crashes with it (``pg_ctl -m immediate``: shared
memory lost, WAL replayed at restart). PostgreSQL runs with its durable settings here (fsync
and synchronous_commit on), never the test suite's fast ones. After both restart:

* ``netbank ledger verify`` passes: no half-written posting, every balance equals its entries;
* every transfer a client got a 2xx for is there exactly once, and re-sending it with the same
  idempotency key answers the first result (replayed) without moving money again;
* a transfer whose answer was lost may or may not be there, but never twice: re-sending it
  either replays it or books it now, once."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.serverproc import ServerProcess, netbank_env
from tests.e2e.transfer_world import (
    PAYEE_OPENING_MINOR,
    balance_of,
    build_world,
    ledger_verify,
    sign_in_with_step_up,
    transfer_rows,
)
from tests.pgserver import PgServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PAYERS = 4
THREADS_PER_PAYER = 2
OPENING_MINOR = 1_000_000
#: Kill once this many transfers were acknowledged (the burst goes on meanwhile).
KILL_AFTER_ACKNOWLEDGED = 60


@pytest.fixture(scope="module")
def durable_pg() -> Iterator[PgServer]:
    """A PostgreSQL server of its own, with durable settings (the shared test server runs
    with fsync off and would lose acknowledged commits in a crash by design)."""
    server = PgServer(durable=True).start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Burst:
    """What the clients saw: the body they sent per key, the answers they got."""

    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    lost: set[str] = field(default_factory=set)  # sent, no answer (the server died)
    unexpected: list[str] = field(default_factory=list)  # any answer but 201 Created
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)


def _pay_until_the_server_dies(url: str, token: str, body_of: Any, burst: Burst, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            key = f"crash-{uuid.uuid4().hex}"
            body = body_of(key, rng.randrange(1, 500))
            with burst.lock:
                burst.sent[key] = body
            try:
                r = client.post("/api/v1/me/transfers", json=body)
            except httpx.HTTPError:
                with burst.lock:
                    burst.lost.add(key)
                return
            if r.status_code != 201:
                with burst.lock:
                    burst.unexpected.append(f"{r.status_code} {r.text}")
                return
            with burst.lock:
                burst.acknowledged[key] = r.json()
                if len(burst.acknowledged) >= KILL_AFTER_ACKNOWLEDGED:
                    burst.enough.set()


def test_acknowledged_transfers_survive_a_crash_exactly_once(durable_pg: PgServer, tmp_path: Path) -> None:
    name = f"transfer_crash_{uuid.uuid4().hex[:12]}"
    durable_pg.admin(f"CREATE DATABASE {name}")
    database_url = durable_pg.url(name)
    env = netbank_env(database_url, tmp_path)
    world = build_world(database_url, tmp_path, env, payers=PAYERS, balance_minor=OPENING_MINOR)
    server = ServerProcess(env, tmp_path / "server1.log").wait_ready()
    burst = Burst()
    try:
        tokens = [sign_in_with_step_up(server.url, payer) for payer in world.payers]

        def body_of(card: str) -> Any:
            return lambda key, amount: {
                "idempotency_key": key,
                "from_account": card,
                "to_account": world.payee_account,
                "amount_minor": amount,
            }

        threads = [
            threading.Thread(
                target=_pay_until_the_server_dies,
                args=(server.url, tokens[p], body_of(payer.card), burst, p * 10 + n),
            )
            for p, payer in enumerate(world.payers)
            for n in range(THREADS_PER_PAYER)
        ]
        for thread in threads:
            thread.start()
        assert burst.enough.wait(40), server.output()
        server.kill()  # kill -9 in the middle of the burst
        durable_pg.crash()  # and the database with it
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        server.kill()
    assert burst.unexpected == []
    # Every thread was cut off mid-request: the crash really hit in-flight transfers.
    assert len(burst.lost) == len(threads)
    assert set(burst.acknowledged) | burst.lost == set(burst.sent)

    durable_pg.restart()
    ledger_verify(env)
    by_key, postings, entries = transfer_rows(database_url)
    for key, answer in burst.acknowledged.items():
        assert by_key.get(key) == (answer["id"], answer["amount_minor"]), key
    assert set(by_key) <= set(burst.sent)
    assert (postings, entries) == (len(by_key), 2 * len(by_key))
    cards = [payer.card for payer in world.payers]
    balances = {number: balance_of(database_url, number) for number in [*cards, world.payee_account]}
    moved = sum(body["amount_minor"] for key, body in burst.sent.items() if key in by_key)
    assert sum(OPENING_MINOR - balances[card] for card in cards) == moved
    assert balances[world.payee_account] == PAYEE_OPENING_MINOR + moved

    server = ServerProcess(env, tmp_path / "server2.log").wait_ready()
    try:
        auth = dict(zip(cards, tokens, strict=True))
        with httpx.Client(base_url=server.url, timeout=30) as client:

            def resend(key: str) -> httpx.Response:
                body = burst.sent[key]
                headers = {"Authorization": f"Bearer {auth[body['from_account']]}"}
                return client.post("/api/v1/me/transfers", json=body, headers=headers)

            # Acknowledged: the first result again, replayed; no money moves.
            for key, answer in burst.acknowledged.items():
                r = resend(key)
                assert r.status_code == 200, r.text
                assert r.headers["Idempotent-Replayed"] == "true"
                assert r.json()["replayed"] is True
                assert r.json()["id"] == answer["id"]
            assert {n: balance_of(database_url, n) for n in balances} == balances
            # Lost answers: replayed if they committed before the crash, booked now if not.
            late = 0
            for key in burst.lost:
                r = resend(key)
                assert r.status_code == (200 if key in by_key else 201), r.text
                late += r.json()["amount_minor"] if r.status_code == 201 else 0
    finally:
        server.stop()
    after, postings, entries = transfer_rows(database_url)
    assert set(after) == set(by_key) | burst.lost  # each key exactly once (keys are unique)
    assert (postings, entries) == (len(after), 2 * len(after))
    assert balance_of(database_url, world.payee_account) == balances[world.payee_account] + late
    ledger_verify(env)
