"""The hash-chained audit trail (SPEC §8, E12): counter work is recorded, and any change made to
the trail behind the application's back (an edited, removed or rewritten entry) is reported by
``verify_audit`` and by ``netbank audit verify``."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from typer.testing import CliRunner

from netbank.adapters.db.tables import audit_entries
from netbank.bootstrap import App
from netbank.domain.audit import ChainBreak, entry_hash
from netbank.entrypoints.cli import app as cli
from netbank.services.audit import verify_audit
from netbank.services.ports import Deps
from tests.builders import LOGIN_PASSWORD, Api, Person, make_account, make_customer

ADD = "/api/v1/teller/transactions/819101/add"


@pytest.fixture
def worked(api: Api, deps: Deps) -> tuple[Person, dict[str, Any]]:
    """A teller of edb logs in at branch B2, checks a customer's identity document and opens
    the OTP version with 819101 add."""
    person = make_customer(deps)
    card = make_account(deps, person, label="card")
    token = api.teller_token(branch="B2")
    check = api.check(token, person)
    r = api.post(
        ADD,
        token,
        customer_number=person.number,
        identity_check_id=check,
        version="otp",
        registration_account_number=card,
        login_password=LOGIN_PASSWORD,
        otp_phone="13912345678",
    )
    assert r.status_code == 201, r.text
    return person, r.json()


def _edb_rows(app_state: App) -> list[Any]:
    with app_state.engine.connect() as conn:
        return list(
            conn.execute(
                select(audit_entries)
                .where(audit_entries.c.chain == "edb")
                .order_by(audit_entries.c.chain_seq)
            )
        )


def _seq_of(app_state: App, event: str) -> int:
    return int(next(r.chain_seq for r in _edb_rows(app_state) if r.event == event))


def _execute(app_state: App, statement: Any) -> None:
    with app_state.engine.begin() as conn:
        assert conn.execute(statement).rowcount == 1


def _entry(app_state: App, seq: int) -> Any:
    return next(r for r in _edb_rows(app_state) if r.chain_seq == seq)


@pytest.mark.rule("E12", kind="allow")
def test_counter_work_is_recorded_in_an_intact_audit_trail_with_teller_branch_and_document(
    app_state: App, deps: Deps, worked: tuple[Person, dict[str, Any]]
) -> None:
    person, receipt = worked
    report = verify_audit(deps)
    assert report.ok, report.breaks
    rows = _edb_rows(app_state)
    assert report.chains["edb"] == len(rows) == rows[-1].chain_seq
    by_event = {r.event: r for r in rows}
    check = by_event["counter.identity_check"]
    assert check.actor == "teller:edb/T001"
    assert check.subject == f"customer:{person.number}"
    assert check.details["branch"] == "B2"
    assert check.details["document_type"] == "cn_resident_id"
    assert check.details["document"].endswith(person.doc_number[-4:]) and "*" in check.details["document"]
    add = by_event["counter.819101.add"]
    assert add.actor == "teller:edb/T001"
    assert add.subject == f"customer:{person.number}"
    assert add.details["transaction_id"] == receipt["transaction_id"]
    assert add.details["branch"] == "B2"
    assert add.details["identity_check"] == check.details["identity_check"]
    assert add.chain_seq > check.chain_seq
    # Every entry commits to the one before it.
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


@pytest.mark.parametrize("column", ["details", "actor"])
def test_an_edited_audit_entry_is_reported_at_its_sequence_number(
    app_state: App, deps: Deps, worked: tuple[Person, dict[str, Any]], column: str
) -> None:
    seq = _seq_of(app_state, "counter.identity_check")
    entry = _entry(app_state, seq)
    value: Any = {**entry.details, "branch": "B1"} if column == "details" else "teller:edb/T002"
    _execute(
        app_state,
        update(audit_entries)
        .where(audit_entries.c.chain == "edb", audit_entries.c.chain_seq == seq)
        .values({column: value}),
    )
    report = verify_audit(deps)
    assert not report.ok
    assert report.breaks == [ChainBreak("edb", seq, "entry content changed")]


def test_an_edited_entry_whose_hash_was_recomputed_breaks_the_link_to_the_next_entry(
    app_state: App, deps: Deps, worked: tuple[Person, dict[str, Any]]
) -> None:
    seq = _seq_of(app_state, "counter.identity_check")
    entry = _entry(app_state, seq)
    forged_details = {**entry.details, "branch": "B1"}
    forged_hash = entry_hash(
        chain=entry.chain,
        chain_seq=entry.chain_seq,
        at=entry.at,
        actor=entry.actor,
        event=entry.event,
        subject=entry.subject,
        details=forged_details,
        prev_hash=entry.prev_hash,
    )
    _execute(
        app_state,
        update(audit_entries)
        .where(audit_entries.c.id == entry.id)
        .values(details=forged_details, hash=forged_hash),
    )
    report = verify_audit(deps)
    assert report.breaks == [ChainBreak("edb", seq + 1, "previous hash does not match")]


def test_deleting_the_newest_audit_entry_is_reported_as_a_chain_tip_mismatch(
    app_state: App, deps: Deps, worked: tuple[Person, dict[str, Any]]
) -> None:
    with app_state.engine.connect() as conn:
        newest = conn.execute(
            select(func.max(audit_entries.c.chain_seq)).where(audit_entries.c.chain == "edb")
        ).scalar_one()
    _execute(
        app_state,
        delete(audit_entries).where(audit_entries.c.chain == "edb", audit_entries.c.chain_seq == newest),
    )
    report = verify_audit(deps)
    assert len(report.breaks) == 1
    assert report.breaks[0].chain == "edb"
    assert report.breaks[0].chain_seq == newest
    assert "chain tip" in report.breaks[0].reason


def test_deleting_an_audit_entry_in_the_middle_is_reported(
    app_state: App, deps: Deps, worked: tuple[Person, dict[str, Any]]
) -> None:
    seq = _seq_of(app_state, "counter.identity_check")
    assert seq < len(_edb_rows(app_state))  # something follows it
    _execute(
        app_state,
        delete(audit_entries).where(audit_entries.c.chain == "edb", audit_entries.c.chain_seq == seq),
    )
    report = verify_audit(deps)
    assert ChainBreak("edb", seq, "missing entry") in report.breaks
    assert ChainBreak("edb", seq + 1, "previous hash does not match") in report.breaks
    assert {b.chain for b in report.breaks} == {"edb"}


def test_other_chains_stay_intact_when_one_chain_is_tampered_with(
    api: Api, app_state: App, deps: Deps, worked: tuple[Person, dict[str, Any]]
) -> None:
    api.teller_token("kb")  # a login writes to the kb chain
    seq = _seq_of(app_state, "counter.819101.add")
    _execute(
        app_state,
        update(audit_entries)
        .where(audit_entries.c.chain == "edb", audit_entries.c.chain_seq == seq)
        .values(subject="customer:SOMEONE-ELSE"),
    )
    report = verify_audit(deps)
    assert report.chains["kb"] >= 1
    assert report.breaks == [ChainBreak("edb", seq, "entry content changed")]


# --- the command line --------------------------------------------------------------------


def _cli_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The same keys as conftest's ``make_settings``."""
    return {
        "NETBANK_DATABASE_URL": database_url,
        "NETBANK_DATA_DIR": str(data_dir),
        "NETBANK_IDENTITY_SEAL_KEY": base64.b64encode(b"s" * 32).decode(),
        "NETBANK_IDENTITY_LOOKUP_KEY": base64.b64encode(b"l" * 32).decode(),
        "NETBANK_SECRETS_KEY": base64.b64encode(b"k" * 32).decode(),
    }


def test_the_audit_verify_command_exits_0_on_an_intact_trail_and_1_on_a_tampered_one(
    app_state: App, database_url: str, tmp_path: Path, worked: tuple[Person, dict[str, Any]]
) -> None:
    runner = CliRunner()
    env = _cli_env(database_url, tmp_path)
    intact = runner.invoke(cli, ["audit", "verify"], env=env)
    assert intact.exit_code == 0, intact.output
    assert "audit trail intact" in intact.output
    assert "edb" in intact.output

    seq = _seq_of(app_state, "counter.819101.add")
    entry = _entry(app_state, seq)
    _execute(
        app_state,
        update(audit_entries)
        .where(audit_entries.c.id == entry.id)
        .values(details={**entry.details, "action": "delete"}),
    )
    tampered = runner.invoke(cli, ["audit", "verify"], env=env)
    assert tampered.exit_code == 1, tampered.output
    assert f"chain edb at {seq}: entry content changed" in tampered.output
    assert "audit trail intact" not in tampered.output
