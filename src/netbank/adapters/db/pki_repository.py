"""Storage of the institution PKI (K1): CA certificates, customer UKEY certificates, CRLs,
signed-transfer evidence and certificate login challenges. Public parts only.

SQLAlchemy Core over the unit of work's session (same transaction as everything else); rows
come back as the frozen domain records of ``netbank.domain.certificate``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from netbank.adapters.db import tables as t
from netbank.domain.certificate import (
    CARecord,
    CARole,
    CertificateStatus,
    CustomerCertificate,
    RevocationReason,
)
from netbank.services.ports import IssuedUKEYCertificate, NewCACertificate
from netbank.services.ports.pki import LoginChallengeRecord, PublishedCRL, SignedTransferEvidence


def _ca(row: Row[Any]) -> CARecord:
    return CARecord(
        id=row.id,
        institution_id=row.institution_id,
        role=CARole(row.role),
        serial=row.serial,
        subject=row.subject,
        key_label=row.key_label,
        not_before=row.not_before,
        not_after=row.not_after,
        der=bytes(row.der),
    )


def _certificate(row: Row[Any]) -> CustomerCertificate:
    return CustomerCertificate(
        id=row.id,
        institution_id=row.institution_id,
        contract_id=row.contract_id,
        customer_id=row.customer_id,
        issuer_id=row.issuer_id,
        serial=row.serial,
        token_serial=row.token_serial,
        token_label=row.token_label,
        key_label=row.key_label,
        generation=row.generation,
        status=CertificateStatus(row.status),
        not_before=row.not_before,
        not_after=row.not_after,
        der=bytes(row.der),
        revocation_reason=RevocationReason(row.revocation_reason) if row.revocation_reason else None,
        revoked_at=row.revoked_at,
    )


class SqlPKI:
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    # -- CAs ------------------------------------------------------------------------------------

    def add_ca(self, institution_id: int, ca: NewCACertificate, at: datetime) -> CARecord:
        c = t.ca_certificates.c
        self.s.execute(
            update(t.ca_certificates)
            .where(c.institution_id == institution_id, c.role == ca.role.value, c.active.is_(True))
            .values(active=False)
        )
        new_id = self.s.execute(
            insert(t.ca_certificates)
            .values(
                institution_id=institution_id,
                role=ca.role,
                serial=ca.serial,
                subject=ca.subject,
                key_label=ca.key_label,
                not_before=ca.not_before,
                not_after=ca.not_after,
                created_at=at,
                active=True,
                der=ca.der,
            )
            .returning(c.id)
        ).scalar_one()
        record = self.ca_by_id(int(new_id))
        if record is None:  # pragma: no cover - just inserted
            raise RuntimeError("CA certificate vanished")
        return record

    def active_ca(self, institution_id: int, role: CARole) -> CARecord | None:
        c = t.ca_certificates.c
        row = self.s.execute(
            select(t.ca_certificates).where(
                c.institution_id == institution_id, c.role == role.value, c.active.is_(True)
            )
        ).first()
        return _ca(row) if row else None

    def ca_by_id(self, ca_id: int) -> CARecord | None:
        row = self.s.execute(select(t.ca_certificates).where(t.ca_certificates.c.id == ca_id)).first()
        return _ca(row) if row else None

    # -- customer certificates -----------------------------------------------------------------

    def add_customer_certificate(
        self,
        *,
        institution_id: int,
        contract_id: int,
        customer_id: int,
        issuer_id: int,
        generation: int,
        token_label: str,
        issued: IssuedUKEYCertificate,
        at: datetime,
    ) -> CustomerCertificate:
        new_id = self.s.execute(
            insert(t.customer_certificates)
            .values(
                institution_id=institution_id,
                contract_id=contract_id,
                customer_id=customer_id,
                issuer_id=issuer_id,
                serial=issued.serial,
                token_serial=issued.token_serial,
                token_label=token_label,
                key_label=issued.key_label,
                generation=generation,
                status=CertificateStatus.VALID,
                not_before=issued.not_before,
                not_after=issued.not_after,
                issued_at=at,
                der=issued.der,
            )
            .returning(t.customer_certificates.c.id)
        ).scalar_one()
        row = self.s.execute(
            select(t.customer_certificates).where(t.customer_certificates.c.id == new_id)
        ).one()
        return _certificate(row)

    def certificate_by_serial(self, institution_id: int, serial: str) -> CustomerCertificate | None:
        c = t.customer_certificates.c
        row = self.s.execute(
            select(t.customer_certificates).where(c.institution_id == institution_id, c.serial == serial)
        ).first()
        return _certificate(row) if row else None

    def valid_certificate_of(
        self, customer_id: int, *, for_update: bool = False
    ) -> CustomerCertificate | None:
        c = t.customer_certificates.c
        stmt = select(t.customer_certificates).where(
            c.customer_id == customer_id, c.status == CertificateStatus.VALID.value
        )
        if for_update:
            stmt = stmt.with_for_update()
        row = self.s.execute(stmt).first()
        return _certificate(row) if row else None

    def certificates_of(self, customer_id: int) -> list[CustomerCertificate]:
        c = t.customer_certificates.c
        rows = self.s.execute(
            select(t.customer_certificates).where(c.customer_id == customer_id).order_by(c.id)
        )
        return [_certificate(r) for r in rows]

    def revoke_certificate(self, certificate_id: int, reason: RevocationReason, at: datetime) -> None:
        c = t.customer_certificates.c
        self.s.execute(
            update(t.customer_certificates)
            .where(c.id == certificate_id, c.status == CertificateStatus.VALID.value)
            .values(status=CertificateStatus.REVOKED, revocation_reason=reason, revoked_at=at)
        )

    def revoked_by(self, issuer_id: int) -> list[tuple[str, datetime, RevocationReason]]:
        c = t.customer_certificates.c
        rows = self.s.execute(
            select(c.serial, c.revoked_at, c.revocation_reason)
            .where(c.issuer_id == issuer_id, c.status == CertificateStatus.REVOKED.value)
            .order_by(c.id)
        )
        return [(r.serial, r.revoked_at, RevocationReason(r.revocation_reason)) for r in rows]

    # -- CRLs -------------------------------------------------------------------------------------

    def next_crl_number(self, issuer_id: int) -> int:
        current = self.s.execute(
            select(func.max(t.crls.c.crl_number)).where(t.crls.c.issuer_id == issuer_id)
        ).scalar_one()
        return int(current or 0) + 1

    def add_crl(
        self, issuer_id: int, number: int, this_update: datetime, next_update: datetime, der: bytes
    ) -> None:
        self.s.execute(
            insert(t.crls).values(
                issuer_id=issuer_id,
                crl_number=number,
                this_update=this_update,
                next_update=next_update,
                der=der,
            )
        )

    def latest_crl(self, issuer_id: int) -> PublishedCRL | None:
        c = t.crls.c
        row = self.s.execute(
            select(c.crl_number, c.this_update, c.next_update, c.der)
            .where(c.issuer_id == issuer_id)
            .order_by(c.crl_number.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return PublishedCRL(int(row.crl_number), row.this_update, row.next_update, bytes(row.der))

    # -- signed transfers and login challenges -----------------------------------------------------

    def add_signed_transfer(
        self,
        *,
        transfer_id: int,
        certificate_id: int,
        format_tag: str,
        canonical: bytes,
        signature: bytes,
        certificate_der: bytes,
        at: datetime,
    ) -> None:
        self.s.execute(
            insert(t.signed_transfers).values(
                transfer_id=transfer_id,
                certificate_id=certificate_id,
                format=format_tag,
                canonical=canonical,
                signature=signature,
                certificate_der=certificate_der,
                verified_at=at,
            )
        )

    def signed_transfer(self, transfer_id: int) -> SignedTransferEvidence | None:
        c = t.signed_transfers.c
        row = self.s.execute(select(t.signed_transfers).where(c.transfer_id == transfer_id)).first()
        if row is None:
            return None
        return SignedTransferEvidence(
            transfer_id=row.transfer_id,
            certificate_id=row.certificate_id,
            format_tag=row.format,
            canonical=bytes(row.canonical),
            signature=bytes(row.signature),
            certificate_der=bytes(row.certificate_der),
            verified_at=row.verified_at,
        )

    def add_challenge(self, session_id: int, nonce: str, at: datetime, expires_at: datetime) -> None:
        self.s.execute(
            insert(t.certificate_challenges).values(
                session_id=session_id, nonce=nonce, created_at=at, expires_at=expires_at
            )
        )

    def challenge(self, nonce: str, *, for_update: bool = False) -> LoginChallengeRecord | None:
        c = t.certificate_challenges.c
        stmt = select(c.session_id, c.nonce, c.created_at, c.expires_at, c.used_at).where(c.nonce == nonce)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.s.execute(stmt).first()
        if row is None:
            return None
        return LoginChallengeRecord(row.session_id, row.nonce, row.created_at, row.expires_at, row.used_at)

    def use_challenge(self, nonce: str, at: datetime) -> None:
        c = t.certificate_challenges.c
        self.s.execute(update(t.certificate_challenges).where(c.nonce == nonce).values(used_at=at))

    # -- UKEY PIN failures -------------------------------------------------------------------------

    def pin_failures(self, institution_id: int, token_label: str) -> int:
        c = t.ukey_pin_failures.c
        value = self.s.execute(
            select(c.failures).where(c.institution_id == institution_id, c.token_label == token_label)
        ).scalar_one_or_none()
        return int(value or 0)

    def set_pin_failures(self, institution_id: int, token_label: str, failures: int, at: datetime) -> None:
        c = t.ukey_pin_failures.c
        updated = self.s.execute(
            update(t.ukey_pin_failures)
            .where(c.institution_id == institution_id, c.token_label == token_label)
            .values(failures=failures, updated_at=at)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            self.s.execute(
                insert(t.ukey_pin_failures).values(
                    institution_id=institution_id, token_label=token_label, failures=failures, updated_at=at
                )
            )
