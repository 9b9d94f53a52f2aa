"""The PKI's refusals (SPEC K1): every refusal of a certificate, a request or a signature is its
own :class:`PKIError` subclass with a stable ``code`` (expired, not yet valid, revoked, wrong
issuer, key usage, tampered message, ...), never a boolean. ``adapters/pki/refusals.py`` says
which domain code each one becomes."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from cryptography import x509


class PKIError(Exception):
    """Base of the PKI refusals; ``code`` is stable and carries the SPEC rule (K1)."""

    code: ClassVar[str] = "K1_PKI_ERROR"


class CertificateRequestInvalid(PKIError):
    """A CSR is not signed by the key it carries (or cannot be parsed)."""

    code: ClassVar[str] = "K1_CSR_INVALID"


class CertificateRejected(PKIError):
    """Base of the refusals of :func:`verify_chain` and :func:`verify_signature`.

    ``certificate`` is the certificate refused (the leaf, an intermediate or the root).
    """

    code: ClassVar[str] = "K1_CERTIFICATE_REJECTED"

    def __init__(self, message: str, certificate: x509.Certificate | None = None) -> None:
        super().__init__(message)
        self.certificate = certificate


class CertificateExpired(CertificateRejected):
    code: ClassVar[str] = "K1_CERTIFICATE_EXPIRED"


class CertificateNotYetValid(CertificateRejected):
    code: ClassVar[str] = "K1_CERTIFICATE_NOT_YET_VALID"


class CertificateRevoked(CertificateRejected):
    code: ClassVar[str] = "K1_CERTIFICATE_REVOKED"

    def __init__(
        self,
        message: str,
        certificate: x509.Certificate | None = None,
        *,
        revoked_at: datetime | None = None,
        reason: x509.ReasonFlags = x509.ReasonFlags.unspecified,
    ) -> None:
        super().__init__(message, certificate)
        self.revoked_at = revoked_at
        self.reason = reason


class RevocationStatusUnknown(CertificateRejected):
    """No usable revocation status (unknown serial, stale or foreign CRL): refused (K1)."""

    code: ClassVar[str] = "K1_REVOCATION_STATUS_UNKNOWN"


class WrongIssuer(CertificateRejected):
    """No certificate of the chain issued it: issuer name or signature does not match."""

    code: ClassVar[str] = "K1_WRONG_ISSUER"


class KeyUsageNotAllowed(CertificateRejected):
    """The certificate's key usage, extended key usage or CA flag forbids this use."""

    code: ClassVar[str] = "K1_KEY_USAGE_NOT_ALLOWED"


class SignatureInvalid(CertificateRejected):
    """The signature does not match the message and the certificate (tampered message)."""

    code: ClassVar[str] = "K1_SIGNATURE_INVALID"
