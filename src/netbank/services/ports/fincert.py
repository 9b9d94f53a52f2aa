"""F: the ports of the cloud financial certificate service (its CA, key store and PIN
digests), its repository and that of its devices (F8)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from netbank.domain.fincert import FinancialCertificate, RegistrationFlow, SignaturePurpose
from netbank.domain.fincert import PublishedStatus as FinCertPublishedStatus
from netbank.domain.fincert import Registration as FinCertRegistration
from netbank.domain.fincert import SerialRecord as FinCertSerialRecord
from netbank.domain.fincert import SupersededCertificate as FinCertSuperseded
from netbank.domain.fincert_devices import ConnectAttempt, DevicePolicy, DeviceToken

# --- F: the cloud financial certificate service -----------------------------------------------


@dataclass(frozen=True)
class FinCertAuthority:
    """A CA certificate of the financial certificate service (role ``root`` or ``issuing``);
    its key lives on the HSM token under ``key_label``."""

    role: str
    serial: str
    subject: str
    key_label: str
    not_before: datetime
    not_after: datetime
    der: bytes


@dataclass(frozen=True)
class GeneratedKey:
    """A customer key pair made by the key store: its public half (DER SubjectPublicKeyInfo)
    and, for the embedded store, the private half sealed under the key-encryption key."""

    public_key_der: bytes
    sealed: bytes | None


@dataclass(frozen=True)
class VerifiedSignedData:
    """F7: what the institution learnt from a CMS SignedData that verified."""

    serial: str
    purpose: SignaturePurpose
    message: bytes
    signed_by: str


class FinCertCA(Protocol):
    """The service CA (keys on the HSM) and the verification of what it certified."""

    def create_hierarchy(self, now: datetime) -> list[FinCertAuthority]: ...
    def issue(
        self,
        issuing: FinCertAuthority,
        public_key_der: bytes,
        *,
        holder_name: str,
        not_before: datetime,
        not_after: datetime,
    ) -> tuple[str, bytes]: ...
    def verify_signed_data(
        self,
        cms_der: bytes,
        issuing: FinCertAuthority,
        root: FinCertAuthority,
        *,
        status_of: Callable[[str], FinCertPublishedStatus],
        at: datetime,
    ) -> VerifiedSignedData: ...
    def ensure_ocsp_signer(self, issuing: FinCertAuthority, now: datetime) -> tuple[FinCertAuthority, bool]:
        """The issuing CA's delegated OCSP signer (role ``ocsp``), created when missing
        (True) or found (False); kept with the CA keys, not in the database."""
        ...

    def build_crl(
        self,
        authority: FinCertAuthority,
        revoked: list[tuple[str, FinCertPublishedStatus]],
        this_update: datetime,
        next_update: datetime,
        crl_number: int,
    ) -> bytes: ...
    def respond_ocsp(
        self,
        request_der: bytes,
        issuing: FinCertAuthority,
        status_of: Callable[[str], FinCertPublishedStatus],
        now: datetime,
    ) -> bytes:
        """DER RFC 6960 response about certificates of ``issuing`` (status by hex serial)."""
        ...

    def public_key_of(self, certificate_der: bytes) -> bytes:
        """The DER SubjectPublicKeyInfo a certificate certifies (renewal keeps the key)."""
        ...


class FinCertKeyStore(Protocol):
    """Where customers' private keys are generated and kept (F1); it signs only when the
    service asks, after the PIN checked out."""

    def generate(self, key_ref: str) -> GeneratedKey: ...
    def sign_cms(
        self,
        key_ref: str,
        sealed: bytes | None,
        certificate_der: bytes,
        *,
        message: bytes,
        purpose: SignaturePurpose,
    ) -> bytes: ...
    def discard(self, key_ref: str) -> None:
        """F8: destroy a purged person's key; a key already gone is fine."""
        ...


class PINDigester(Protocol):
    """F5: a keyed hash of a certificate PIN; the key lives outside the database, so the
    digests cannot be brute-forced offline."""

    def digest(self, key_ref: str, pin: str) -> str: ...
    def matches(self, digest: str, key_ref: str, pin: str) -> bool: ...


@dataclass(frozen=True)
class FinCertAdapters:
    ca: FinCertCA
    keys: FinCertKeyStore
    pins: PINDigester
    #: F8: device connections and the purge of people who stopped using the cloud.
    devices: DevicePolicy = field(default_factory=DevicePolicy)


class FinCertRepository(Protocol):
    def add_authority(self, authority: FinCertAuthority, at: datetime) -> None: ...
    def active_authority(self, role: str) -> FinCertAuthority | None: ...
    def add_certificate(self, certificate: FinancialCertificate) -> None: ...
    def certificate(
        self, certificate_id: int, *, for_update: bool = False
    ) -> FinancialCertificate | None: ...
    def serial_record(self, serial: str) -> FinCertSerialRecord | None:
        """F4/F5: what is kept about a serial (its certificate, or that a renewal replaced
        it), in one indexed query: the OCSP responder's source."""
        ...

    def unexpired_not_valid(self, now: datetime) -> builtins.list[FinCertSerialRecord]: ...
    def add_superseded(self, superseded: FinCertSuperseded) -> None: ...
    def live_certificate_of(
        self, person_digest: str, *, for_update: bool = False
    ) -> FinancialCertificate | None: ...
    def signing_certificate(
        self, customer_id: int, institution_id: int
    ) -> tuple[FinancialCertificate, bool] | None: ...
    def add_registration(self, registration: FinCertRegistration) -> None: ...
    def active_registration(
        self, certificate_id: int, institution_id: int, *, for_update: bool = False
    ) -> FinCertRegistration | None: ...
    def active_registrations(self, certificate_id: int) -> builtins.list[FinCertRegistration]: ...
    def add_flow(self, flow: RegistrationFlow) -> None: ...
    def flow_by_handle(self, handle_digest: str, *, for_update: bool = False) -> RegistrationFlow | None: ...


@dataclass(frozen=True)
class PersonMatch:
    """F8: the certificate holder a device connection names, and where to send the code."""

    person_digest: str
    institution_id: int
    mobile: str


@dataclass(frozen=True)
class UnusedCounts:
    """F8: what a purge would delete: people, their live certificates and active devices."""

    people: int
    certificates: int
    devices: int


class FinCertDeviceRepository(Protocol):
    """F8: connection attempts, auto-connect tokens, each person's last use of the cloud
    (``record_activity`` keeps the latest time), and what the purge deletes:
    ``claim_unused_person`` deletes the activity row if still unused since ``cutoff`` and
    returns its last use (None: used meanwhile, or another purge took it);
    ``delete_person_data`` deletes the registrations of the given certificates and the
    person's F3 flows, connection attempts and devices, returning (registrations, devices)."""

    def find_person(self, name: str, birth_date: date, mobile: str) -> PersonMatch | None: ...
    def add_attempt(self, attempt: ConnectAttempt) -> None: ...
    def attempt_by_handle(self, handle_digest: str, *, for_update: bool = False) -> ConnectAttempt | None: ...
    def add_device(self, device: DeviceToken) -> None: ...
    def device(self, device_id: int, *, for_update: bool = False) -> DeviceToken | None: ...
    def device_by_token(self, token_digest: str, *, for_update: bool = False) -> DeviceToken | None: ...
    def active_devices(self, person_digest: str) -> builtins.list[DeviceToken]: ...
    def record_activity(self, person_digest: str, at: datetime) -> None: ...
    def last_activity(self, person_digest: str) -> datetime | None: ...
    def unused_people(self, cutoff: datetime) -> builtins.list[str]: ...
    def count_unused(self, cutoff: datetime) -> UnusedCounts: ...
    def claim_unused_person(self, person_digest: str, cutoff: datetime) -> datetime | None: ...
    def certificates_of(
        self, person_digest: str, *, for_update: bool = False
    ) -> builtins.list[FinancialCertificate]: ...
    def delete_person_data(self, person_digest: str, certificate_ids: Sequence[int]) -> tuple[int, int]: ...
    def delete_expired_attempts(self, before: datetime) -> int: ...
