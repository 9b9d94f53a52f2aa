"""Staff oversight: reversing a transfer, and the proofs of the ledger and the audit trail."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from netbank.entrypoints.api.schemas.base import PRINTABLE, CommandModel, Out
from netbank.services import payments


class ReversalIn(CommandModel[payments.ReverseTransfer]):
    """Why the transfer the path names is reversed."""

    command_type = payments.ReverseTransfer
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=PRINTABLE)]


class LedgerReportOut(Out):
    ok: bool
    postings: int
    entries: int
    unbalanced: list[tuple[int, str, int]]
    short_postings: list[int]
    account_mismatches: list[tuple[str, int, int]]
    gl_mismatches: list[tuple[str, int, int]]


class ChainBreakOut(Out):
    chain: str
    chain_seq: int
    reason: str


class AuditReportOut(Out):
    ok: bool
    chains: dict[str, int]
    breaks: list[ChainBreakOut]
