"""Bulk import of core customers (and optionally one account each) from CSV.

Each row is its own transaction: a good row is imported whole, a bad row leaves nothing and is
reported with its line number and the rule it broke."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from netbank.domain.account import AccountKind
from netbank.domain.customer import CustomerKind
from netbank.domain.errors import DomainError
from netbank.domain.identity import DocumentType
from netbank.services.common import Operator
from netbank.services.customers import OpenAccount, RegisterCustomer, add_account, add_customer
from netbank.services.ports import Deps

REQUIRED = (
    "institution",
    "customer_number",
    "name",
    "birth_date",
    "mobile",
    "document_type",
    "document_number",
)
OPTIONAL = (
    "document_expires_on",
    "own_income",
    "kind",
    "account_number",
    "account_kind",
    "account_pin",
    "balance_minor",
)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportResult:
    imported: int
    errors: list[RowError]


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("", "0", "false", "no", "n"):
        return False
    if value in ("1", "true", "yes", "y"):
        return True
    raise ValueError(f"not a yes/no value: {text!r}")


def _row_commands(row: dict[str, str]) -> tuple[RegisterCustomer, OpenAccount | None]:
    missing = [k for k in REQUIRED if not (row.get(k) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    expires = (row.get("document_expires_on") or "").strip()
    customer = RegisterCustomer(
        institution_code=row["institution"].strip(),
        customer_number=row["customer_number"].strip(),
        name=row["name"].strip(),
        birth_date=date.fromisoformat(row["birth_date"].strip()),
        mobile=row["mobile"].strip(),
        document_type=DocumentType(row["document_type"].strip()),
        document_number=row["document_number"].strip(),
        document_expires_on=date.fromisoformat(expires) if expires else None,
        own_income=_bool(row.get("own_income") or ""),
        kind=CustomerKind((row.get("kind") or "personal").strip()),
    )
    account = None
    if (row.get("account_number") or "").strip():
        account = OpenAccount(
            institution_code=customer.institution_code,
            customer_number=customer.customer_number,
            number=row["account_number"].strip(),
            kind=AccountKind((row.get("account_kind") or "debit_main_card").strip()),
            pin=(row.get("account_pin") or "").strip() or None,
            balance_minor=int((row.get("balance_minor") or "0").strip()),
        )
    return customer, account


def count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return max(sum(1 for _ in fh) - 1, 0)


def import_customers(
    deps: Deps,
    actor: Operator,
    rows: Iterable[tuple[int, dict[str, str]]],
    progress: Callable[[], None] | None = None,
) -> ImportResult:
    """C1/C2: each row's RegisterCustomer (and OpenAccount) commands in one transaction of its
    own; a bad row is reported with its line and reason and leaves nothing behind."""
    imported = 0
    errors: list[RowError] = []
    for line, row in rows:
        try:
            customer_cmd, account_cmd = _row_commands(row)
            with deps.uow() as uow:
                add_customer(deps, uow, customer_cmd)
                if account_cmd is not None:
                    uow.flush()
                    add_account(deps, uow, account_cmd)
                uow.commit()
            imported += 1
        except DomainError as exc:
            errors.append(RowError(line, exc.code.value))
        except (ValueError, KeyError) as exc:
            errors.append(RowError(line, f"invalid value: {exc}"))
        if progress:
            progress()
    return ImportResult(imported, errors)


def read_csv(path: Path) -> Iterable[tuple[int, dict[str, str]]]:
    """Rows with their line numbers in the file (the header is line 1)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        unknown = set(reader.fieldnames or ()) - set(REQUIRED) - set(OPTIONAL)
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(sorted(unknown))}")
        missing = set(REQUIRED) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"missing columns: {', '.join(sorted(missing))}")
        for row in reader:
            yield reader.line_num, row
