"""F8: people who stop using the cloud for 12 months are deleted with their certificates, by a
daily run of the operator's (``netbank fincert purge``). A use is any issue, registration,
right PIN, connection or auto-connection (``record_activity``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from netbank.domain import fincert_devices as fd
from netbank.domain.fincert import CertificateStatus, RevocationReason
from netbank.services.common import Operator, id_of
from netbank.services.fincert.shared import audit_person, service
from netbank.services.ports import Deps, FinCertAdapters


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    people: int
    certificates: int
    registrations: int
    devices: int


@dataclass(frozen=True, kw_only=True)
class PurgeUnused:
    """F8: delete the people unused for ``unused_months``; ``dry_run`` only counts them."""

    dry_run: bool = False


def purge_unused(deps: Deps, actor: Operator, command: PurgeUnused) -> PurgeReport:
    """F8: delete every person who has not used the cloud for ``unused_months`` (12), with
    their certificates: revoked (OCSP answers revoked, cessationOfOperation), keys destroyed,
    registrations, F3 flows, connection attempts and device tokens deleted; each person audited
    by digest prefix, never by resident number. Meant to run daily; running it twice, or twice
    at once, deletes nobody twice. ``dry_run`` only counts (people, live certificates, active
    devices). Connection attempts that expired before the cutoff go too."""
    adapters = service(deps)
    now = deps.clock.now()
    cutoff = fd.months_before(now, adapters.devices.unused_months)
    if command.dry_run:
        with deps.uow(readonly=True) as uow:
            counts = uow.fincert_devices.count_unused(cutoff)
        return PurgeReport(
            cutoff=cutoff,
            dry_run=True,
            people=counts.people,
            certificates=counts.certificates,
            registrations=0,
            devices=counts.devices,
        )
    with deps.uow(readonly=True) as uow:
        people = uow.fincert_devices.unused_people(cutoff)
    totals = [0, 0, 0, 0]
    for person in people:
        done = _purge_person(deps, actor, adapters, person, cutoff, now)
        if done is not None:
            for i, n in enumerate((done.people, done.certificates, done.registrations, done.devices)):
                totals[i] += n
    with deps.uow() as uow:
        uow.fincert_devices.delete_expired_attempts(cutoff)
        uow.commit()
    return PurgeReport(
        cutoff=cutoff,
        dry_run=False,
        people=totals[0],
        certificates=totals[1],
        registrations=totals[2],
        devices=totals[3],
    )


def _purge_person(
    deps: Deps, actor: Operator, adapters: FinCertAdapters, person: str, cutoff: datetime, now: datetime
) -> PurgeReport | None:
    """One person in one transaction: their certificates locked, then the claim (the activity
    row deleted only if still unused, so a use in between or another purge wins), then
    revocation, keys, registrations, flows, attempts and devices. The keys are destroyed before
    the commit: if the commit fails the next run finds the person again, and a key already gone
    is fine."""
    with deps.uow() as uow:
        certificates = uow.fincert_devices.certificates_of(person, for_update=True)
        last_active_at = uow.fincert_devices.claim_unused_person(person, cutoff)
        if last_active_at is None:
            return None
        revoked = []
        for certificate in certificates:
            if certificate.status is not CertificateStatus.REVOKED:
                certificate.revoke(RevocationReason.ACCOUNT_DELETED, now)
                revoked.append(certificate.serial)
            adapters.keys.discard(certificate.key_ref)
            certificate.key_sealed = None
        registrations, devices = uow.fincert_devices.delete_person_data(
            person, [id_of(c) for c in certificates]
        )
        audit_person(
            uow,
            now,
            actor.label,
            "person_purged",
            person,
            last_active_at=last_active_at.isoformat(),
            revoked=revoked,
            certificates=len(certificates),
            registrations=registrations,
            devices=devices,
        )
        uow.commit()
        return PurgeReport(
            cutoff=cutoff,
            dry_run=False,
            people=1,
            certificates=len(revoked),
            registrations=registrations,
            devices=devices,
        )
