"""The customer's view of their UKEY certificates in the certificate centre (K1). The counter's
side (sale, renewal, revocation) is ``services/counter/certificates.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from netbank.services.common import CustomerActor
from netbank.services.ports import Deps


@dataclass(frozen=True)
class UKEYCertificateView:
    """A UKEY certificate as its holder sees it in the certificate centre (K1): public facts
    only; expiry is read from the dates, revocation from the database."""

    serial: str
    generation: int
    token_serial: str
    #: The PKCS#11 label of the UKEY it was written to (what the client helper's ``--token``
    #: names when the customer signs with it).
    token_label: str
    status: str
    not_before: datetime
    not_after: datetime
    expired: bool
    revocation_reason: str | None
    revoked_at: datetime | None


def my_ukey_certificates(deps: Deps, actor: CustomerActor) -> list[UKEYCertificateView]:
    """K1: the signed-in customer's UKEY certificates, newest first (none for other versions)."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        found = uow.pki.certificates_of(actor.customer_id)
    return [
        UKEYCertificateView(
            serial=c.serial,
            generation=c.generation,
            token_serial=c.token_serial,
            token_label=c.token_label,
            status=c.status.value,
            not_before=c.not_before,
            not_after=c.not_after,
            expired=now > c.not_after,
            revocation_reason=c.revocation_reason.value if c.revocation_reason else None,
            revoked_at=c.revoked_at,
        )
        for c in sorted(found, key=lambda c: c.not_before, reverse=True)
        if c.institution_id == actor.institution_id
    ]
