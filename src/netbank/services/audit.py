"""Audit trail verification: every chain re-hashed from its genesis to its stored tip."""

from __future__ import annotations

from dataclasses import dataclass

from netbank.domain.audit import ChainBreak, verify_chain
from netbank.services.ports import Deps


@dataclass(frozen=True)
class AuditReport:
    chains: dict[str, int]
    breaks: list[ChainBreak]

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify_audit(deps: Deps) -> AuditReport:
    with deps.uow(readonly=True) as uow:
        heads = uow.audit.heads()
        breaks: list[ChainBreak] = []
        for chain, (seq, tip) in sorted(heads.items()):
            breaks.extend(verify_chain(chain, uow.audit.entries(chain), seq, tip))
        return AuditReport(chains={c: s for c, (s, _) in heads.items()}, breaks=breaks)
