"""What an institution admin and an auditor read: the policy in force (limits, fees, lock-outs:
the institution's TOML file as the services apply it) and the institution's audit trail, a page
at a time, newest first. Neither changes anything; the checks of the audit chain and of the
ledger are ``audit.verify_audit`` and ``ledger.verify_ledger``."""

from __future__ import annotations

from dataclasses import dataclass

from netbank.domain.audit import AuditEntry
from netbank.domain.policy import Policy
from netbank.services.common import TellerActor
from netbank.services.ports import Deps

#: Audit entries per page, and the most a page may ask for.
AUDIT_PAGE = 25
AUDIT_PAGE_MAX = 200


def policy_in_force(deps: Deps, actor: TellerActor) -> Policy:
    """The policy the services apply to the staff member's own institution."""
    return deps.policies.policy_for(actor.institution_code)


@dataclass(frozen=True)
class AuditPage:
    chain: str
    entries: list[AuditEntry]
    #: the ``before`` of the next (older) page; None on the last page
    next_before: int | None


def audit_trail(
    deps: Deps, actor: TellerActor, *, before_seq: int | None = None, limit: int = AUDIT_PAGE
) -> AuditPage:
    """The staff member's institution's chain, newest first, below ``before_seq``."""
    limit = max(1, min(limit, AUDIT_PAGE_MAX))
    with deps.uow(readonly=True) as uow:
        entries = uow.audit.page(actor.institution_code, before_seq=before_seq, limit=limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    return AuditPage(
        chain=actor.institution_code,
        entries=entries,
        next_before=entries[-1].chain_seq if more and entries else None,
    )
