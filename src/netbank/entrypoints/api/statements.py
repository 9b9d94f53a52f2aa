"""What the customer's statement and the teller's postings view share: the query parameters,
the JSON page and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import Query

from netbank.domain.ledger import PostingKind
from netbank.entrypoints.api import schemas as s
from netbank.services.statements import MAX_PAGE, StatementFilter, StatementLine, StatementPage

FromDate = Annotated[date | None, Query(alias="from", description="First business day (inclusive)")]
ToDate = Annotated[date | None, Query(alias="to", description="Last business day (inclusive)")]
Kinds = Annotated[list[PostingKind] | None, Query(alias="kind", description="Only these kinds of posting")]
Cursor = Annotated[s.RowId | None, Query(description="``next_cursor`` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]

#: The CSV export reads the history a page at a time up to this many lines; past it, narrow
#: the dates.
CSV_MAX_LINES = 50_000
CSV_COLUMNS = (
    "business_date",
    "created_at",
    "account_number",
    "kind",
    "description",
    "reference",
    "counterparty",
    "amount_minor",
    "currency",
    "balance_after_minor",
    "entry_id",
)


def statement_filter(
    account: str | None, from_date: date | None, to_date: date | None, kinds: list[PostingKind] | None
) -> StatementFilter:
    return StatementFilter(account, from_date, to_date, tuple(kinds or ()))


def page_out(page: StatementPage) -> s.StatementPageOut:
    return s.StatementPageOut(
        lines=[s.StatementLineOut.model_validate(line) for line in page.lines], next_cursor=page.next_cursor
    )


def _cell(value: object) -> str:
    """A spreadsheet must not read a reference the customer typed as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(first: StatementPage, next_page: Callable[[int], StatementPage]) -> str:
    """The header, then every line of every page (``next_page(cursor)`` reads the next one),
    with a byte-order mark so that spreadsheets read Chinese and Korean text right."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    page, written = first, 0
    while True:
        for line in page.lines:
            writer.writerow(_line_cells(line))
            written += 1
        if page.next_cursor is None or written >= CSV_MAX_LINES:
            return buffer.getvalue()
        page = next_page(page.next_cursor)


def _line_cells(line: StatementLine) -> list[str]:
    return [
        line.business_date.isoformat(),
        line.created_at.isoformat(),
        line.account_number,
        line.kind.value,
        _cell(line.description),
        _cell(line.reference),
        _cell(line.counterparty),
        str(line.amount_minor),
        line.currency,
        str(line.balance_after_minor),
        str(line.entry_id),
    ]
