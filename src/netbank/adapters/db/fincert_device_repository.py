"""Storage of F8 device connections to the cloud financial certificate service: connection
attempts and auto-connect tokens (mapped domain objects, see ``tables.map_domain``), each
person's last use of the cloud, and the deletions of the 12-month purge.

Lock order, shared with the certificate use cases: a person's certificates (``FOR UPDATE``)
first, then their activity row and devices; the purge claims a person by deleting the activity
row in one statement, so two purges never do the same person twice."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Insert, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from netbank.adapters.db import tables as t
from netbank.domain.fincert import CertificateStatus, FinancialCertificate
from netbank.domain.fincert_devices import ConnectAttempt, DeviceToken
from netbank.domain.identity import DocumentType
from netbank.services.ports import PersonMatch, UnusedCounts


@functools.cache
def _activity_upsert(dialect: str) -> Insert:
    """Built once per dialect (every signature records a use, F8)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    people = t.fincert_people
    stmt = insert(people).values(
        person_digest=bindparam("person_digest"), last_active_at=bindparam("last_active_at")
    )
    return stmt.on_conflict_do_update(
        index_elements=[people.c.person_digest],
        set_={"last_active_at": stmt.excluded.last_active_at},
        where=people.c.last_active_at < stmt.excluded.last_active_at,
    )


class SqlFinCertDevices:
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def _delete(self, stmt: Delete) -> int:
        """Run a DELETE; how many rows it deleted."""
        return int(cast(CursorResult[Any], self.s.execute(stmt)).rowcount)

    # -- who connects -------------------------------------------------------------------------

    def find_person(self, name: str, birth_date: date, mobile: str) -> PersonMatch | None:
        """F8: a customer record at any member institution with this name, birth date and
        mobile phone whose resident registration number is the person of a live (not revoked)
        financial certificate. The birth date is the customer record's, which enrolment checks
        against the resident number (C1), so the sealed number is never opened."""
        c, d, fc = t.customers.c, t.identity_documents.c, t.fincert_certificates.c
        stmt = (
            select(fc.person_digest, c.institution_id, c.mobile)
            .select_from(
                t.customers.join(t.identity_documents, d.customer_id == c.id).join(
                    t.fincert_certificates, fc.person_digest == d.number_digest
                )
            )
            .where(
                c.name == name,
                c.birth_date == birth_date,
                c.mobile == mobile,
                d.doc_type == DocumentType.KR_RESIDENT_REGISTRATION.value,
                fc.status != CertificateStatus.REVOKED.value,
            )
            .order_by(c.id)
            .limit(1)
        )
        row = self.s.execute(stmt).first()
        if row is None:
            return None
        return PersonMatch(
            person_digest=row.person_digest, institution_id=row.institution_id, mobile=row.mobile
        )

    # -- connection attempts ------------------------------------------------------------------

    def add_attempt(self, attempt: ConnectAttempt) -> None:
        self.s.add(attempt)
        self.s.flush()

    def attempt_by_handle(self, handle_digest: str, *, for_update: bool = False) -> ConnectAttempt | None:
        stmt = select(ConnectAttempt).where(t.fincert_connect_attempts.c.handle_digest == handle_digest)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.s.scalars(stmt).first()

    def delete_expired_attempts(self, before: datetime) -> int:
        a = t.fincert_connect_attempts.c
        return self._delete(delete(t.fincert_connect_attempts).where(a.expires_at < before))

    # -- auto-connect tokens ------------------------------------------------------------------

    def add_device(self, device: DeviceToken) -> None:
        self.s.add(device)
        self.s.flush()

    def device(self, device_id: int, *, for_update: bool = False) -> DeviceToken | None:
        stmt = select(DeviceToken).where(t.fincert_devices.c.id == device_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.s.scalars(stmt).first()

    def device_by_token(self, token_digest: str, *, for_update: bool = False) -> DeviceToken | None:
        stmt = select(DeviceToken).where(t.fincert_devices.c.token_digest == token_digest)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.s.scalars(stmt).first()

    def active_devices(self, person_digest: str) -> list[DeviceToken]:
        c = t.fincert_devices.c
        stmt = (
            select(DeviceToken)
            .where(c.person_digest == person_digest, c.revoked_at.is_(None))
            .order_by(c.created_at, c.id)
        )
        return list(self.s.scalars(stmt))

    # -- activity -----------------------------------------------------------------------------

    def record_activity(self, person_digest: str, at: datetime) -> None:
        """One upsert; an earlier time never overwrites a later one."""
        connection = self.s.connection()  # Core: nothing here is an ORM object
        connection.execute(
            _activity_upsert(connection.dialect.name), {"person_digest": person_digest, "last_active_at": at}
        )

    def last_activity(self, person_digest: str) -> datetime | None:
        p = t.fincert_people.c
        value: datetime | None = self.s.execute(
            select(p.last_active_at).where(p.person_digest == person_digest)
        ).scalar_one_or_none()
        return value

    # -- the purge ----------------------------------------------------------------------------

    def unused_people(self, cutoff: datetime) -> list[str]:
        p = t.fincert_people.c
        stmt = select(p.person_digest).where(p.last_active_at <= cutoff).order_by(p.last_active_at)
        return list(self.s.scalars(stmt))

    def count_unused(self, cutoff: datetime) -> UnusedCounts:
        p, fc, dv = t.fincert_people.c, t.fincert_certificates.c, t.fincert_devices.c
        unused = select(p.person_digest).where(p.last_active_at <= cutoff).scalar_subquery()
        people = self.s.execute(select(func.count()).where(p.last_active_at <= cutoff)).scalar_one()
        certificates = self.s.execute(
            select(func.count()).where(
                fc.person_digest.in_(unused), fc.status != CertificateStatus.REVOKED.value
            )
        ).scalar_one()
        devices = self.s.execute(
            select(func.count()).where(dv.person_digest.in_(unused), dv.revoked_at.is_(None))
        ).scalar_one()
        return UnusedCounts(people=int(people), certificates=int(certificates), devices=int(devices))

    def claim_unused_person(self, person_digest: str, cutoff: datetime) -> datetime | None:
        p = t.fincert_people.c
        stmt = (
            delete(t.fincert_people)
            .where(p.person_digest == person_digest, p.last_active_at <= cutoff)
            .returning(p.last_active_at)
        )
        value: datetime | None = self.s.execute(stmt).scalar_one_or_none()
        return value

    def certificates_of(self, person_digest: str, *, for_update: bool = False) -> list[FinancialCertificate]:
        c = t.fincert_certificates.c
        stmt = select(FinancialCertificate).where(c.person_digest == person_digest).order_by(c.id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return list(self.s.scalars(stmt))

    def delete_person_data(self, person_digest: str, certificate_ids: Sequence[int]) -> tuple[int, int]:
        self.s.flush()
        registrations = 0
        if certificate_ids:
            r = t.fincert_registrations.c
            registrations = self._delete(
                delete(t.fincert_registrations).where(r.certificate_id.in_(list(certificate_ids)))
            )
        self.s.execute(delete(t.fincert_flows).where(t.fincert_flows.c.person_digest == person_digest))
        a = t.fincert_connect_attempts.c
        self.s.execute(delete(t.fincert_connect_attempts).where(a.person_digest == person_digest))
        dv = t.fincert_devices.c
        devices = self._delete(delete(t.fincert_devices).where(dv.person_digest == person_digest))
        return registrations, devices
