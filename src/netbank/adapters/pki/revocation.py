"""Revocation status (SPEC K1, F4, F5): what a CA says about one certificate, and netbank's own
revocation check in chain verification.

The statuses come from netbank's database (the CA adapters turn their records into them with
:func:`revocation_status`), from a CRL (``crl.revocation_from_crl``), or from a set of revoked
serial numbers. ``cryptography``'s path validation knows no revocation at all, so
:func:`check_revocation` stays netbank's, run by ``verify.verify_chain`` on the path the library
built.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final, NamedTuple, Protocol, TypeAlias

from cryptography import x509

from netbank.adapters.pki.errors import CertificateRevoked, RevocationStatusUnknown
from netbank.adapters.pki.validity import utc


class RevokedCertificate(NamedTuple):
    """One entry of a CRL: ``(serial, revocation time, reason)``."""

    serial_number: int
    revoked_at: datetime
    reason: x509.ReasonFlags = x509.ReasonFlags.unspecified


@dataclass(frozen=True, slots=True)
class StatusGood:
    """Not revoked."""


@dataclass(frozen=True, slots=True)
class StatusRevoked:
    revoked_at: datetime
    reason: x509.ReasonFlags = x509.ReasonFlags.unspecified


@dataclass(frozen=True, slots=True)
class StatusUnknown:
    """Not issued by this CA, or not known to it."""


RevocationStatus: TypeAlias = StatusGood | StatusRevoked | StatusUnknown
GOOD: Final = StatusGood()
UNKNOWN: Final = StatusUnknown()
#: The OCSP responder's view: serial number -> status.
SerialStatusLookup: TypeAlias = Callable[[int], RevocationStatus]
#: verify_chain's view: certificate -> status.
CertificateStatusLookup: TypeAlias = Callable[[x509.Certificate], RevocationStatus]


class StatusRecord(Protocol):
    """What netbank's database says about one serial (``domain.certificate.RevocationState``,
    ``domain.fincert.PublishedStatus``): unknown to the CA, good, or revoked since
    ``revoked_at`` for ``reason``, an enum whose values are ``x509.ReasonFlags`` names."""

    @property
    def known(self) -> bool: ...

    @property
    def revoked_at(self) -> datetime | None: ...

    @property
    def reason(self) -> Enum | None: ...


def revocation_status(record: StatusRecord, at: datetime) -> RevocationStatus:
    """The PKI's view of ``record`` at ``at``: a revocation dated later does not count yet."""
    if not record.known:
        return UNKNOWN
    if record.revoked_at is None or record.revoked_at > at:
        return GOOD
    reason = x509.ReasonFlags.unspecified if record.reason is None else x509.ReasonFlags[record.reason.value]
    return StatusRevoked(revoked_at=record.revoked_at, reason=reason)


def check_revocation(
    certificate: x509.Certificate,
    revocation: Collection[int] | CertificateStatusLookup,
    moment: datetime,
) -> None:
    """K1: refuse ``certificate`` when it is revoked at ``moment``, or when ``revocation`` (a
    status lookup) does not know it. A collection of revoked serial numbers knows every other
    certificate as good."""
    if not callable(revocation):
        if certificate.serial_number in revocation:
            raise CertificateRevoked(f"certificate {certificate.serial_number:x} is revoked", certificate)
        return
    status = revocation(certificate)
    if isinstance(status, StatusRevoked):
        if utc(status.revoked_at, "revoked_at") <= moment:
            raise CertificateRevoked(
                f"certificate {certificate.serial_number:x} is revoked",
                certificate,
                revoked_at=status.revoked_at,
                reason=status.reason,
            )
    elif isinstance(status, StatusUnknown):
        raise RevocationStatusUnknown(
            f"no revocation status for certificate {certificate.serial_number:x}", certificate
        )
