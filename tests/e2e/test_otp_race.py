"""K2 across server processes: the same TOTP code sent at once to two running servers
sharing one database is accepted exactly once (the credential row is locked and its last
used step compared), on PostgreSQL and on SQLite."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest

from netbank.bootstrap import bootstrap
from netbank.config import Settings
from netbank.domain.enrolment import Version
from netbank.services import auth
from netbank.services.counter import contract
from tests.builders import (
    LOGIN_PASSWORD,
    VISITOR,
    check_identity,
    make_account,
    make_customer,
    setup_institutions,
    teller,
)
from tests.e2e.serverproc import REPO, ServerProcess, netbank_env
from tests.pgserver import PgServer

pytestmark = pytest.mark.slow
CUSTOMERS = 3
REQUESTS_PER_SERVER = 4  # per customer: 8 in all, under the per-customer rate limit of 10


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'netbank.sqlite3'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with server.scratch_database("otp_race", template="netbank_template") as url:
        yield url


def _otp_customers(database_url: str, data_dir: Path, env: dict[str, str]) -> list[tuple[str, pyotp.TOTP]]:
    from netbank.adapters.db.migrate import upgrade

    upgrade(database_url)
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        policy_dir=REPO / "policies",
        identity_seal_key=env["NETBANK_IDENTITY_SEAL_KEY"],
        identity_lookup_key=env["NETBANK_IDENTITY_LOOKUP_KEY"],
        secrets_key=env["NETBANK_SECRETS_KEY"],
    )
    state = bootstrap(settings)
    try:
        deps = state.deps
        setup_institutions(deps, "edb")
        actor = teller(deps)
        out = []
        for _ in range(CUSTOMERS):
            person = make_customer(deps)
            card = make_account(deps, person)
            receipt = contract.add_contract(
                deps,
                actor,
                contract.AddContract(
                    customer_number=person.number,
                    identity_check_id=check_identity(deps, actor, person),
                    version=Version.OTP,
                    registration_account_number=card,
                    login_password=LOGIN_PASSWORD,
                    otp_phone="13912345678",
                ),
            )
            assert receipt.otp_enrolment is not None
            session = auth.login_with_password(
                deps,
                VISITOR,
                auth.PasswordLogin(institution_code="edb", login_id=card, password=LOGIN_PASSWORD),
            )
            totp = pyotp.parse_uri(receipt.otp_enrolment.otpauth_uri)
            assert isinstance(totp, pyotp.TOTP)
            out.append((session.token, totp))
        return out
    finally:
        state.close()


@pytest.mark.rule("K2", kind="refuse")
def test_a_code_raced_through_two_server_processes_is_accepted_once(
    shared_database: str, tmp_path: Path
) -> None:
    env = netbank_env(shared_database, tmp_path)
    customers = _otp_customers(shared_database, tmp_path, env)
    servers = [ServerProcess(env, tmp_path / f"server{i}.log").wait_ready() for i in range(2)]
    try:
        results: dict[str, list[int | str]] = {token: [] for token, _ in customers}
        barrier = threading.Barrier(CUSTOMERS * 2 * REQUESTS_PER_SERVER)
        codes = {token: totp.now() for token, totp in customers}

        def fire(server: ServerProcess, token: str) -> None:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                barrier.wait()
                r = client.post(
                    "/api/v1/me/step-up/totp",
                    json={"code": codes[token]},
                    headers={"Authorization": f"Bearer {token}"},
                )
            results[token].append(r.status_code if r.status_code == 200 else r.json()["error"]["code"])

        threads = [
            threading.Thread(target=fire, args=(server, token))
            for token, _ in customers
            for server in servers
            for _ in range(REQUESTS_PER_SERVER)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for statuses in results.values():
            assert len(statuses) == 2 * REQUESTS_PER_SERVER
            assert statuses.count(200) == 1, statuses
            # Every other copy is refused as a replay; replays count as failures, so after
            # five of them the factor locks (a stolen code is being tried).
            refused = [s for s in statuses if s != 200]
            assert set(refused) <= {"K2_OTP_REPLAYED", "K2_OTP_LOCKED"}, statuses
            assert refused.count("K2_OTP_REPLAYED") >= 4, statuses
    finally:
        for server in servers:
            server.stop()
