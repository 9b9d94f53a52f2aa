"""K1: the ports of the institution PKI (CAs on the HSM, customers' UKEYs) and its repository."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from netbank.domain.certificate import (
    CARecord,
    CARole,
    CustomerCertificate,
    RevocationReason,
    RevocationState,
)

# --- K1: the institution PKI ------------------------------------------------------------------


@dataclass(frozen=True)
class UKEYAccess:
    """A UKEY presented at the counter (or by the client library): the PKCS#11 token label and
    the PIN the customer types. The PIN is never stored or logged."""

    label: str
    pin: str = field(repr=False)


@dataclass(frozen=True)
class NewCACertificate:
    role: CARole
    serial: str
    subject: str
    key_label: str
    not_before: datetime
    not_after: datetime
    der: bytes


@dataclass(frozen=True)
class IssuedUKEYCertificate:
    """What initialising a UKEY produced: the certificate (also written to the token) and
    where its key lives."""

    serial: str
    not_before: datetime
    not_after: datetime
    der: bytes
    token_serial: str
    key_label: str


@dataclass(frozen=True)
class VerifiedCertificate:
    """A customer certificate whose chain to the institution root checked out."""

    serial: str
    not_before: datetime
    not_after: datetime


class CertificateAuthority(Protocol):
    """The institution CAs (keys on the HSM token), the UKEYs (customer tokens) and the
    verification of what customers sign (K1). Raises domain errors (K1_* codes)."""

    def create_hierarchy(
        self, institution_code: str, institution_name: str, now: datetime
    ) -> list[NewCACertificate]: ...
    def issue_ukey_certificate(
        self,
        issuing: CARecord,
        ukey: UKEYAccess,
        *,
        key_label: str,
        generation: int,
        subject_name: str,
        subject_serial: str,
        not_before: datetime,
        not_after: datetime,
    ) -> IssuedUKEYCertificate: ...
    def keep_only_key(self, ukey: UKEYAccess, key_label: str) -> None: ...
    def build_crl(
        self,
        issuer: CARecord,
        revoked: Sequence[tuple[str, datetime, RevocationReason]],
        this_update: datetime,
        next_update: datetime,
        number: int,
    ) -> bytes: ...
    def respond_ocsp(
        self,
        request_der: bytes,
        issuer: CARecord,
        responder: CARecord,
        lookup: Callable[[str], RevocationState],
        now: datetime,
    ) -> bytes: ...
    def verify_certificate(
        self, leaf_der: bytes, issuing: CARecord, root: CARecord, at: datetime
    ) -> VerifiedCertificate: ...
    def verify_signature(self, leaf_der: bytes, data: bytes, signature: bytes) -> None: ...


@dataclass(frozen=True)
class PublishedCRL:
    """A CRL as published: its number, its validity and its DER."""

    number: int
    this_update: datetime
    next_update: datetime
    der: bytes

    def current_at(self, at: datetime) -> bool:
        return self.this_update <= at < self.next_update


@dataclass(frozen=True)
class SignedTransferEvidence:
    """K1: what is kept with a signed transfer for non-repudiation."""

    transfer_id: int
    certificate_id: int
    format_tag: str
    canonical: bytes
    signature: bytes
    certificate_der: bytes
    verified_at: datetime


@dataclass(frozen=True)
class LoginChallengeRecord:
    """K1: a certificate login nonce issued to a session, once usable, within minutes."""

    session_id: int
    nonce: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class PKIRepository(Protocol):
    def add_ca(self, institution_id: int, ca: NewCACertificate, at: datetime) -> CARecord: ...
    def active_ca(self, institution_id: int, role: CARole) -> CARecord | None: ...
    def ca_by_id(self, ca_id: int) -> CARecord | None: ...
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
    ) -> CustomerCertificate: ...
    def certificate_by_serial(self, institution_id: int, serial: str) -> CustomerCertificate | None: ...
    def valid_certificate_of(
        self, customer_id: int, *, for_update: bool = False
    ) -> CustomerCertificate | None: ...
    def certificates_of(self, customer_id: int) -> list[CustomerCertificate]: ...
    def revoke_certificate(self, certificate_id: int, reason: RevocationReason, at: datetime) -> None: ...
    def revoked_by(self, issuer_id: int) -> list[tuple[str, datetime, RevocationReason]]: ...
    def next_crl_number(self, issuer_id: int) -> int: ...
    def add_crl(
        self, issuer_id: int, number: int, this_update: datetime, next_update: datetime, der: bytes
    ) -> None: ...
    def latest_crl(self, issuer_id: int) -> PublishedCRL | None: ...
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
    ) -> None: ...
    def signed_transfer(self, transfer_id: int) -> SignedTransferEvidence | None: ...
    def add_challenge(self, session_id: int, nonce: str, at: datetime, expires_at: datetime) -> None: ...
    def challenge(self, nonce: str, *, for_update: bool = False) -> LoginChallengeRecord | None: ...
    def use_challenge(self, nonce: str, at: datetime) -> None: ...
    def pin_failures(self, institution_id: int, token_label: str) -> int: ...
    def set_pin_failures(
        self, institution_id: int, token_label: str, failures: int, at: datetime
    ) -> None: ...
