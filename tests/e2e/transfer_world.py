"""Customers who pay, for the end-to-end transfer tests: a database migrated with the CLI, an
institution with its staff, OTP-version customers enrolled at the counter (service layer, on
the same database the server uses), then signed in and stepped up through a running server's
API, as a customer's browser would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
from sqlalchemy import create_engine, func, select

from netbank.adapters.db import tables as t
from netbank.bootstrap import bootstrap
from netbank.config import Settings
from netbank.domain.enrolment import Version
from netbank.services.counter import contract
from tests.builders import (
    LOGIN_PASSWORD,
    check_identity,
    make_account,
    make_customer,
    setup_institutions,
    teller,
)
from tests.e2e.serverproc import REPO, cli


@dataclass(frozen=True)
class Payer:
    card: str
    totp: pyotp.TOTP


@dataclass(frozen=True)
class World:
    payers: list[Payer]
    payee_account: str


def settings_for(database_url: str, data_dir: Path, env: Mapping[str, str]) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        policy_dir=REPO / "policies",
        identity_seal_key=env["NETBANK_IDENTITY_SEAL_KEY"],
        identity_lookup_key=env["NETBANK_IDENTITY_LOOKUP_KEY"],
        secrets_key=env["NETBANK_SECRETS_KEY"],
        outbox_in_process=False,
    )


def build_world(
    database_url: str, data_dir: Path, env: Mapping[str, str], *, payers: int, balance_minor: int
) -> World:
    """Migrate with ``netbank migrate``, then enrol ``payers`` OTP-version customers (each a
    card holding ``balance_minor``) and one customer of another name to pay to."""
    cli(env, "migrate")
    state = bootstrap(settings_for(database_url, data_dir, env))
    try:
        deps = state.deps
        setup_institutions(deps, "edb")
        actor = teller(deps)
        out = []
        for _ in range(payers):
            person = make_customer(deps)
            card = make_account(deps, person, balance_minor=balance_minor)
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
            totp = pyotp.parse_uri(receipt.otp_enrolment.otpauth_uri)
            assert isinstance(totp, pyotp.TOTP)
            out.append(Payer(card, totp))
        payee = make_customer(deps, name="收款客户")
        payee_account = make_account(deps, payee, balance_minor=PAYEE_OPENING_MINOR)
        return World(out, payee_account)
    finally:
        state.close()


PAYEE_OPENING_MINOR = 5_000


def sign_in_with_step_up(base_url: str, payer: Payer) -> str:
    """Log in with the password (level 20) and step up with the authenticator's TOTP code
    (level 30, where the OTP version's limits apply): the session token."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        r = client.post(
            "/api/v1/institutions/edb/login", json={"login_id": payer.card, "password": LOGIN_PASSWORD}
        )
        assert r.status_code == 200, r.text
        token = str(r.json()["token"])
        r = client.post(
            "/api/v1/me/step-up/totp",
            json={"code": payer.totp.now()},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["level"] == 30
    return token


def ledger_verify(env: Mapping[str, str]) -> str:
    """``netbank ledger verify`` must exit 0; its output otherwise names what is wrong."""
    done = subprocess.run(
        [sys.executable, "-m", "netbank.entrypoints.cli", "ledger", "verify"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ledger balanced" in done.stdout, done.stdout
    return done.stdout


def balance_of(database_url: str, number: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(t.accounts.c.balance_minor).where(t.accounts.c.number == number)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def transfer_rows(database_url: str) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Every transfer by idempotency key (id, amount), the number of transfer postings and
    the number of their entries, straight from the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.transfers.c.idempotency_key, t.transfers.c.id, t.transfers.c.amount_minor)
            ).all()
            postings = conn.execute(
                select(func.count()).select_from(t.postings).where(t.postings.c.kind == "transfer")
            ).scalar_one()
            entries = conn.execute(
                select(func.count())
                .select_from(t.entries.join(t.postings, t.postings.c.id == t.entries.c.posting_id))
                .where(t.postings.c.kind == "transfer")
            ).scalar_one()
    finally:
        engine.dispose()
    by_key: dict[str, tuple[int, int]] = {}
    for key, transfer_id, amount in rows:
        assert key not in by_key, f"idempotency key {key} booked twice"
        by_key[key] = (int(transfer_id), int(amount))
    assert len(by_key) == len(rows)
    return by_key, int(postings), int(entries)
