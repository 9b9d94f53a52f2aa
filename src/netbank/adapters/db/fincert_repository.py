"""Storage of the cloud financial certificate service (F1-F5): its CA certificates (public
parts; keys on the HSM), the certificates it holds, their registrations at institutions and the
F3 registration flows. Certificates, registrations and flows are mapped domain objects (see
``tables.map_domain``); ``for_update`` takes the row lock (``SELECT ... FOR UPDATE``) that
keeps the PIN counter and the one-certificate-per-person rule safe under concurrency."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    bindparam,
    exists,
    insert,
    literal,
    null,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import Session as OrmSession

from netbank.adapters.db import tables as t
from netbank.adapters.db.types import UTCDateTime
from netbank.domain.fincert import (
    CertificateStatus,
    FinancialCertificate,
    Registration,
    RegistrationFlow,
    RegistrationStatus,
    RevocationReason,
    SerialRecord,
    SupersededCertificate,
)
from netbank.services.ports import FinCertAuthority


@functools.cache
def _signing_certificate_statement() -> Select[FinancialCertificate, bool]:
    """Built once (building it cost more than running it): the live certificate of the person
    of ``customer_id``, locked for update, with whether it is registered at ``institution_id``."""
    c, d, r = t.fincert_certificates.c, t.identity_documents.c, t.fincert_registrations.c
    person = select(d.number_digest).where(d.customer_id == bindparam("customer_id")).scalar_subquery()
    registered = exists().where(
        r.certificate_id == c.id,
        r.institution_id == bindparam("institution_id"),
        r.status == RegistrationStatus.ACTIVE.value,
    )
    return (
        select(FinancialCertificate, registered)
        .where(c.person_digest == person, c.status != CertificateStatus.REVOKED.value)
        .with_for_update(of=t.fincert_certificates)
        .execution_options(populate_existing=True)
    )


def _serial_records(
    certificates_where: ColumnElement[bool], superseded_where: ColumnElement[bool]
) -> CompoundSelect[tuple[str, str, datetime | None, str | None, datetime | None, datetime | None]]:
    """The status columns of the certificates and of the superseded serials that match, in one
    statement (``SerialRecord``'s fields, in order)."""
    c, sup = t.fincert_certificates.c, t.fincert_superseded.c
    return union_all(
        select(
            c.serial,
            c.status,
            c.revoked_at,
            c.revocation_reason,
            c.suspended_at,
            type_coerce(null(), UTCDateTime).label("superseded_at"),
        ).where(certificates_where),
        select(
            sup.serial,
            literal(CertificateStatus.REVOKED.value, c.status.type),
            null(),
            null(),
            null(),
            sup.superseded_at,
        ).where(superseded_where),
    )


def _serial_record(row: Row[Any]) -> SerialRecord:
    return SerialRecord(
        serial=row.serial,
        status=CertificateStatus(row.status),
        revoked_at=row.revoked_at,
        revocation_reason=None if row.revocation_reason is None else RevocationReason(row.revocation_reason),
        suspended_at=row.suspended_at,
        superseded_at=row.superseded_at,
    )


class SqlFinCert:
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    # -- the service CA -----------------------------------------------------------------------

    def add_authority(self, authority: FinCertAuthority, at: datetime) -> None:
        c = t.fincert_authorities.c
        self.s.execute(
            update(t.fincert_authorities)
            .where(c.role == authority.role, c.active.is_(True))
            .values(active=False)
        )
        self.s.execute(
            insert(t.fincert_authorities).values(
                role=authority.role,
                serial=authority.serial,
                subject=authority.subject,
                key_label=authority.key_label,
                not_before=authority.not_before,
                not_after=authority.not_after,
                created_at=at,
                active=True,
                der=authority.der,
            )
        )

    def active_authority(self, role: str) -> FinCertAuthority | None:
        c = t.fincert_authorities.c
        row = self.s.execute(select(t.fincert_authorities).where(c.role == role, c.active.is_(True))).first()
        if row is None:
            return None
        return FinCertAuthority(
            role=row.role,
            serial=row.serial,
            subject=row.subject,
            key_label=row.key_label,
            not_before=row.not_before,
            not_after=row.not_after,
            der=bytes(row.der),
        )

    # -- certificates -------------------------------------------------------------------------

    def add_certificate(self, certificate: FinancialCertificate) -> None:
        self.s.add(certificate)
        self.s.flush()

    def certificate(self, certificate_id: int, *, for_update: bool = False) -> FinancialCertificate | None:
        stmt = select(FinancialCertificate).where(t.fincert_certificates.c.id == certificate_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.s.scalars(stmt).first()

    def serial_record(self, serial: str) -> SerialRecord | None:
        """What is kept about ``serial``: the certificate carrying it or the serial a renewal
        replaced; one statement, each branch a unique-index lookup."""
        c, sup = t.fincert_certificates.c, t.fincert_superseded.c
        row = self.s.execute(_serial_records(c.serial == serial, sup.serial == serial)).first()
        return None if row is None else _serial_record(row)

    def unexpired_not_valid(self, now: datetime) -> list[SerialRecord]:
        """Serials revoked, suspended or superseded (by an issue, a re-issue or a renewal) whose
        certificate has not expired yet: a CRL's entries (an expired certificate may leave the
        CRL, RFC 5280 3.3), in serial order."""
        c, sup = t.fincert_certificates.c, t.fincert_superseded.c
        stmt = _serial_records(
            (c.status != CertificateStatus.VALID.value) & (c.not_after > now), sup.not_after > now
        ).order_by("serial")
        return [_serial_record(row) for row in self.s.execute(stmt)]

    def add_superseded(self, superseded: SupersededCertificate) -> None:
        self.s.add(superseded)
        self.s.flush()

    def live_certificate_of(
        self, person_digest: str, *, for_update: bool = False
    ) -> FinancialCertificate | None:
        c = t.fincert_certificates.c
        stmt = select(FinancialCertificate).where(
            c.person_digest == person_digest, c.status != CertificateStatus.REVOKED.value
        )
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.s.scalars(stmt).first()

    def signing_certificate(
        self, customer_id: int, institution_id: int
    ) -> tuple[FinancialCertificate, bool] | None:
        """F7 in one statement: the customer's live certificate, locked for update, and whether
        it is registered at ``institution_id``."""
        row = self.s.execute(
            _signing_certificate_statement(), {"customer_id": customer_id, "institution_id": institution_id}
        ).first()
        return None if row is None else (row[0], bool(row[1]))

    # -- registrations ------------------------------------------------------------------------

    def add_registration(self, registration: Registration) -> None:
        self.s.add(registration)
        self.s.flush()

    def active_registration(
        self, certificate_id: int, institution_id: int, *, for_update: bool = False
    ) -> Registration | None:
        c = t.fincert_registrations.c
        stmt = select(Registration).where(
            c.certificate_id == certificate_id,
            c.institution_id == institution_id,
            c.status == RegistrationStatus.ACTIVE.value,
        )
        if for_update:
            stmt = stmt.with_for_update()
        return self.s.scalars(stmt).first()

    def active_registrations(self, certificate_id: int) -> list[Registration]:
        c = t.fincert_registrations.c
        stmt = (
            select(Registration)
            .where(c.certificate_id == certificate_id, c.status == RegistrationStatus.ACTIVE.value)
            .order_by(c.id)
        )
        return list(self.s.scalars(stmt))

    # -- F3 flows -----------------------------------------------------------------------------

    def add_flow(self, flow: RegistrationFlow) -> None:
        self.s.add(flow)
        self.s.flush()

    def flow_by_handle(self, handle_digest: str, *, for_update: bool = False) -> RegistrationFlow | None:
        stmt = select(RegistrationFlow).where(t.fincert_flows.c.handle_digest == handle_digest)
        if for_update:
            stmt = stmt.with_for_update()
        return self.s.scalars(stmt).first()
