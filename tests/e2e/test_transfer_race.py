"""L2/L4 under a real race: 64 clients at once, each with its own idempotency key, transfer
from one account whose daily limit is 10,000 through two running ``netbank serve`` processes
sharing one database, while another customer pays the same payee. Every payout of a contract
on a business day is serialised on the row lock of that day's usage row, so the accepted
total never passes the limit, every refusal is ``L2_DAILY_LIMIT_EXCEEDED`` (never a 5xx, never
a "busy, retry"), the balances are exact and ``netbank ledger verify`` passes. On PostgreSQL
and on SQLite."""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

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

pytestmark = [pytest.mark.slow]

CLIENTS = 64
#: Meanwhile another customer pays the same payee: the payee's balance row is shared by two
#: contracts' payouts, which the usage row lock does not serialise (only the account lock).
BYSTANDER_CLIENTS = 16
BYSTANDER_AMOUNT_MINOR = 50
DAILY_LIMIT_MINOR = 10_000
OPENING_MINOR = 100_000


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new database on the PostgreSQL test server
    (not cloned from the template: ``netbank migrate`` builds it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'netbank.sqlite3'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with server.scratch_database("transfer_race") as url:
        yield url


@pytest.mark.rule("L2", "L4", kind="refuse")
def test_racing_transfers_never_pass_the_daily_limit_together(fresh_database: str, tmp_path: Path) -> None:
    env = netbank_env(fresh_database, tmp_path)
    world = build_world(fresh_database, tmp_path, env, payers=2, balance_minor=OPENING_MINOR)
    payer, bystander = world.payers
    servers = [ServerProcess(env, tmp_path / f"server{i}.log").wait_ready() for i in range(2)]
    try:
        token = sign_in_with_step_up(servers[0].url, payer)
        auth = {"Authorization": f"Bearer {token}"}
        bystander_auth = {"Authorization": f"Bearer {sign_in_with_step_up(servers[1].url, bystander)}"}
        # L1: the customer lowers their own daily limit (the OTP version's is 1,000,000).
        r = httpx.put(
            f"{servers[0].url}/api/v1/me/limits", json={"daily_minor": DAILY_LIMIT_MINOR}, headers=auth
        )
        assert r.status_code == 200, r.text
        assert r.json()["in_force"]["daily_minor"] == DAILY_LIMIT_MINOR
        assert r.json()["left_today_minor"] == DAILY_LIMIT_MINOR

        # 64 amounts worth about three times the limit, so most requests race for what is left.
        rng = random.Random(4)
        amounts = [rng.randrange(100, 900) for _ in range(CLIENTS)]
        answers: list[tuple[int, int, dict[str, object]]] = [(0, 0, {})] * CLIENTS
        bystander_answers: list[tuple[int, dict[str, object]]] = [(0, {})] * BYSTANDER_CLIENTS
        barrier = threading.Barrier(CLIENTS + BYSTANDER_CLIENTS)

        def send(i: int, headers: dict[str, str], card: str, amount: int) -> httpx.Response:
            server = servers[i % len(servers)]
            with httpx.Client(base_url=server.url, timeout=60) as client:
                barrier.wait()
                return client.post(
                    "/api/v1/me/transfers",
                    headers=headers,
                    json={
                        "idempotency_key": f"race-{i}-{uuid.uuid4().hex[:8]}",
                        "from_account": card,
                        "to_account": world.payee_account,
                        "amount_minor": amount,
                    },
                )

        def pay(i: int) -> None:
            r = send(i, auth, payer.card, amounts[i])
            answers[i] = (r.status_code, amounts[i], r.json())

        def pay_alongside(i: int) -> None:
            r = send(i, bystander_auth, bystander.card, BYSTANDER_AMOUNT_MINOR)
            bystander_answers[i] = (r.status_code, r.json())

        threads = [threading.Thread(target=pay, args=(i,)) for i in range(CLIENTS)] + [
            threading.Thread(target=pay_alongside, args=(i,)) for i in range(BYSTANDER_CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for server in servers:
            server.stop()

    accepted = [(amount, body) for status, amount, body in answers if status == 201]
    refused = [(status, amount, body) for status, amount, body in answers if status != 201]
    logs = "\n".join(s.output() for s in servers)
    assert all(status < 500 for status, _, _ in answers), (answers, logs)
    for status, _, body in refused:
        error = body["error"]
        assert isinstance(error, dict)
        # Not 409 CONCURRENT_UPDATE nor 503 SERVICE_BUSY: contention is the server's to
        # serialise, not the client's to retry.
        assert (status, error["code"]) == (422, "L2_DAILY_LIMIT_EXCEEDED"), (status, body)
    assert accepted and refused
    assert [status for status, _ in bystander_answers] == [201] * BYSTANDER_CLIENTS, bystander_answers

    # L4: per business day (a run across midnight in Shanghai splits them), never past the limit.
    per_day: dict[object, int] = defaultdict(int)
    for amount, body in accepted:
        per_day[body["business_date"]] += amount
    assert all(total <= DAILY_LIMIT_MINOR for total in per_day.values()), per_day
    total = sum(amount for amount, _ in accepted)
    if len(per_day) == 1:
        # The refusals were real: what is left is less than every amount that was refused.
        left = DAILY_LIMIT_MINOR - total
        assert left < min(amount for _, amount, _ in refused), (left, refused)

    # Exact balances (no lost update on the shared payee), one transfer and one two-entry
    # posting per accepted request.
    alongside = BYSTANDER_CLIENTS * BYSTANDER_AMOUNT_MINOR
    assert balance_of(fresh_database, payer.card) == OPENING_MINOR - total
    assert balance_of(fresh_database, bystander.card) == OPENING_MINOR - alongside
    assert balance_of(fresh_database, world.payee_account) == PAYEE_OPENING_MINOR + total + alongside
    by_key, postings, entries = transfer_rows(fresh_database)
    booked = [*accepted, *((BYSTANDER_AMOUNT_MINOR, body) for _, body in bystander_answers)]
    assert sorted(amount for _, amount in by_key.values()) == sorted(amount for amount, _ in booked)
    assert {int(str(body["id"])) for _, body in booked} == {tid for tid, _ in by_key.values()}
    assert (postings, entries) == (len(booked), 2 * len(booked))
    ledger_verify(env)
