"""``netbank import customers FILE.csv``: each row is its own transaction; a bad row is reported
with its line number and the code of the rule it broke and leaves nothing behind (not even the
customer of a row whose account failed); good rows are imported."""

from __future__ import annotations

import base64
import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from netbank.adapters.db.tables import accounts, customers, institutions
from netbank.bootstrap import App
from netbank.demo import cn_id, kr_rrn
from netbank.entrypoints.cli import app as cli
from netbank.services.institutions import sync_institutions
from netbank.services.ports import Deps
from tests.builders import OPERATOR

HEADER = [
    "institution",
    "customer_number",
    "name",
    "birth_date",
    "mobile",
    "document_type",
    "document_number",
    "document_expires_on",
    "account_number",
    "account_kind",
    "account_pin",
    "balance_minor",
]
BIRTH = date(1988, 4, 1)


def cn(seq: int) -> str:
    return cn_id(BIRTH, seq, region="110101")


def bad_check_char(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def edb(
    number: str, document: str, account: str = "", kind: str = "", birth: str = "1988-04-01"
) -> list[str]:
    pin, balance = ("123456", "5000") if account else ("", "")
    customer = ["edb", number, "导入客户", birth, "13900002222", "cn_resident_id", document, "2035-01-01"]
    return [*customer, account, kind, pin, balance]


def korean(institution: str, number: str, document: str) -> list[str]:
    """The customer columns of a Korean row (the account columns follow)."""
    return [institution, number, "김한국", "1988-04-01", "01000003333", "kr_rrn", document, ""]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(database_url: str, tmp_path: Path, csv_file: Path) -> Result:
    env = {
        "NETBANK_DATABASE_URL": database_url,
        "NETBANK_DATA_DIR": str(tmp_path),
        "NETBANK_IDENTITY_SEAL_KEY": base64.b64encode(b"s" * 32).decode(),
        "NETBANK_IDENTITY_LOOKUP_KEY": base64.b64encode(b"l" * 32).decode(),
        "NETBANK_SECRETS_KEY": base64.b64encode(b"k" * 32).decode(),
        "COLUMNS": "200",  # keep each reported line on one line
    }
    return CliRunner().invoke(cli, ["import", "customers", str(csv_file)], env=env)


def stored(app_state: App) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(institution, customer number) and (institution, account number) pairs in the database."""
    with app_state.engine.connect() as conn:
        people = conn.execute(
            select(institutions.c.code, customers.c.customer_number).join(
                institutions, institutions.c.id == customers.c.institution_id
            )
        )
        cards = conn.execute(
            select(institutions.c.code, accounts.c.number).join(
                institutions, institutions.c.id == accounts.c.institution_id
            )
        )
        return {(r[0], r[1]) for r in people}, {(r[0], r[1]) for r in cards}


@pytest.fixture
def synced(deps: Deps) -> Deps:
    sync_institutions(deps, OPERATOR)
    return deps


def reported(result: Result) -> dict[int, str]:
    out: dict[int, str] = {}
    for line in result.output.splitlines():
        text = line.strip()
        if text.startswith("line "):
            number, reason = text.removeprefix("line ").split(":", 1)
            out[int(number)] = reason.strip()
    return out


@pytest.mark.rule("C1", kind="refuse")
@pytest.mark.rule("C2", kind="refuse")
def test_bad_rows_are_reported_by_line_and_code_and_leave_nothing_while_good_rows_are_imported(
    synced: Deps, app_state: App, database_url: str, tmp_path: Path
) -> None:
    rows = [
        edb("I0001", cn(1), "6222031000000001", "debit_main_card"),  # line 2: good
        edb("I0002", bad_check_char(cn(2))),  # line 3: ID check character wrong
        edb("I0001", cn(3)),  # line 4: customer number already taken (line 2)
        ["nobank", *edb("I0004", cn(4))[1:]],  # line 5: no such institution
        edb("I0005", cn(5), birth="1988-02-30"),  # line 6: no such date
        # line 7: the securities-finance company does not issue merchant cards
        [
            *korean("ksfc", "I0006", kr_rrn(BIRTH, True, "300001")),
            "7700990000000001",
            "merchant_card",
            "123456",
            "0",
        ],
        edb("I0007", cn(7), "6222031000000001", "debit_main_card"),  # line 8: account number taken
        [*korean("kb", "I0008", kr_rrn(BIRTH, False, "400002")), "", "", "", ""],  # line 9: good
    ]
    result = run_import(database_url, tmp_path, write_csv(tmp_path / "customers.csv", rows))

    assert result.exit_code == 1, result.output
    errors = reported(result)
    assert errors.keys() == {3, 4, 5, 6, 7, 8}, result.output
    assert errors[3] == "C1_IDENTITY_DOCUMENT_INVALID"
    assert errors[4] == "C1_CUSTOMER_NUMBER_TAKEN"
    assert errors[5] == "INSTITUTION_NOT_FOUND"
    assert errors[6].startswith("invalid value")
    assert errors[7] == "C2_ACCOUNT_KIND_NOT_ISSUED"
    assert errors[8] == "C2_ACCOUNT_NUMBER_TAKEN"
    assert "imported 2 row(s), refused 6" in result.output

    people, cards = stored(app_state)
    assert people == {("edb", "I0001"), ("kb", "I0008")}
    assert cards == {("edb", "6222031000000001")}


def test_a_file_without_a_required_column_is_refused_whole_with_exit_code_2(
    synced: Deps, app_state: App, database_url: str, tmp_path: Path
) -> None:
    header = [c for c in HEADER if c != "mobile"]
    row = [v for c, v in zip(HEADER, edb("I0101", cn(101)), strict=True) if c != "mobile"]
    result = run_import(database_url, tmp_path, write_csv(tmp_path / "no-mobile.csv", [row], header))
    assert result.exit_code == 2, result.output
    assert "missing columns: mobile" in result.output
    assert stored(app_state) == (set(), set())


def test_a_file_with_an_unknown_column_is_refused_whole_with_exit_code_2(
    synced: Deps, app_state: App, database_url: str, tmp_path: Path
) -> None:
    header = [*HEADER, "nickname"]
    rows = [[*edb("I0201", cn(201)), "Wang"]]
    result = run_import(database_url, tmp_path, write_csv(tmp_path / "extra.csv", rows, header))
    assert result.exit_code == 2, result.output
    assert "unknown columns: nickname" in result.output
    assert stored(app_state) == (set(), set())


@pytest.mark.rule("C1", kind="allow")
@pytest.mark.rule("C2", kind="allow")
def test_a_file_of_good_rows_is_imported_whole_with_exit_code_0(
    synced: Deps, app_state: App, database_url: str, tmp_path: Path
) -> None:
    rows = [
        edb("I0301", cn(301), "6222031000000301", "debit_main_card"),
        edb("I0302", cn(302), "6222031000000302", "demand_passbook"),
        edb("I0303", cn(303)),
    ]
    result = run_import(database_url, tmp_path, write_csv(tmp_path / "good.csv", rows))
    assert result.exit_code == 0, result.output
    assert "imported 3 row(s), refused 0" in result.output
    assert reported(result) == {}
    people, cards = stored(app_state)
    assert people == {("edb", "I0301"), ("edb", "I0302"), ("edb", "I0303")}
    assert cards == {("edb", "6222031000000301"), ("edb", "6222031000000302")}
