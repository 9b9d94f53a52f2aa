"""What netbank's two certificate authorities share (SPEC K1, F1, F4).

The institution CAs (``adapters/ca.py``, the services' ``CertificateAuthority`` port) and the
financial certificate service's CA (``adapters/fincert.py``, the ``FinCertCA`` port) keep their
keys on a PKCS#11 token and do the same things with them, over different database records:
create a root and an issuing CA, sign CRLs, answer OCSP, read the CA certificates the database
keeps. The one implementation of each is here, parameterised by what differs (names, validity,
endpoints, which statuses a CRL lists); the adapters turn their records into its arguments and
its refusals into their codes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, TypedDict

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from netbank.adapters import hsm
from netbank.adapters.pki.certificates import (
    CAEndpoints,
    IssuerKey,
    OCSPSigner,
    create_issuing_ca,
    create_root_ca,
    serial_hex,
)
from netbank.adapters.pki.crl import build_crl
from netbank.adapters.pki.ocsp import respond
from netbank.adapters.pki.refusals import token_errors
from netbank.adapters.pki.revocation import RevokedCertificate, SerialStatusLookup

#: Parsed certificates kept per cache before it starts again (customer certificates pass too).
_CACHE_LIMIT: Final = 50_000


class CertificateCache:
    """Certificates from the database (or presented by customers), parsed once per process."""

    def __init__(self, limit: int = _CACHE_LIMIT) -> None:
        self._limit = limit
        self._parsed: dict[bytes, x509.Certificate] = {}
        self._lock = threading.Lock()

    def get(self, der: bytes) -> x509.Certificate:
        """The certificate of ``der`` (raises ``ValueError`` when it is not one)."""
        certificate = self._parsed.get(der)
        if certificate is None:
            certificate = x509.load_der_x509_certificate(der)
            with self._lock:
                if len(self._parsed) > self._limit:
                    self._parsed.clear()
                self._parsed[der] = certificate
        return certificate


class CertificateFields(TypedDict):
    """What the database keeps of a CA certificate besides its role and key label."""

    serial: str
    subject: str
    not_before: datetime
    not_after: datetime
    der: bytes


def certificate_fields(certificate: x509.Certificate) -> CertificateFields:
    return CertificateFields(
        serial=serial_hex(certificate),
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        der=certificate.public_bytes(serialization.Encoding.DER),
    )


@dataclass(frozen=True, slots=True)
class CASpec:
    """One CA of a hierarchy to create: its key label on the token, its subject and validity,
    and where it publishes when that is not under its label (``{base}/pki/{label}/...``)."""

    label: str
    subject: x509.Name
    validity: timedelta
    endpoints: CAEndpoints | None = None


class CAToken(hsm.KeptToken):
    """The PKCS#11 token that holds a CA's keys (K1, F1): kept open by the process
    (:class:`netbank.adapters.hsm.KeptToken`: give each one a token of its own, or share the
    object), with the delegated OCSP signers read from it. Whoever signs holds :attr:`lock`;
    token failures leave as netbank's K1 refusals (``refusals.token_errors``)."""

    def __init__(
        self, token_label: str, pin: str, *, module_path: str, lock: threading.RLock | None = None
    ) -> None:
        super().__init__(token_label, pin, module_path=module_path, lock=lock)
        self._signers: dict[str, OCSPSigner] = {}

    def _opened(self) -> None:
        self._signers.clear()

    def token(self) -> hsm.Token:
        with token_errors():
            return super().token()

    def key(self, label: str) -> hsm.TokenKey:
        """The CA key labelled ``label``, looked up on the token once."""
        with token_errors():
            return super().key(label)

    def stored_signer(self, label: str) -> OCSPSigner:
        """The delegated OCSP signer whose key and certificate are stored under ``label``, read
        from the token once. Raises ``hsm.TokenObjectNotFound`` (left to the caller) when either
        is missing or the certificate is not the key's."""
        with self.lock:
            signer = self._signers.get(label)
            if signer is None:
                token = self.token()
                certificate = token.read_certificate(label)
                key = token.get_key(label)
                if certificate.public_key() != key.public_key():
                    raise hsm.TokenObjectNotFound(f"certificate {label!r} does not match its key")
                signer = OCSPSigner(certificate=certificate, key=key)
                self._signers[label] = signer
            return signer

    def remember_signer(self, label: str, signer: OCSPSigner) -> None:
        """A signer just created on the token under ``label``."""
        with self.lock:
            self._signers[label] = signer

    def create_hierarchy(
        self, root: CASpec, issuing: CASpec, start: datetime, *, base_url: str
    ) -> tuple[IssuerKey, IssuerKey]:
        """A root CA and an issuing CA certified by it, keys generated on the token and the
        certificates stored next to them (K1, F1). Both are valid from ``start``."""
        with self.lock, token_errors():
            token = self.token()
            root_ca = create_root_ca(token, root.label, root.subject, start, root.validity, base_url=base_url)
            if root.endpoints is not None:
                root_ca = replace(root_ca, endpoints=root.endpoints)
            issuing_ca = create_issuing_ca(
                root_ca, token, issuing.label, issuing.subject, start, issuing.validity, base_url=base_url
            )
            if issuing.endpoints is not None:
                issuing_ca = replace(issuing_ca, endpoints=issuing.endpoints)
        return root_ca, issuing_ca

    def build_crl(
        self,
        issuer: x509.Certificate,
        key_label: str,
        revoked: Iterable[RevokedCertificate],
        this_update: datetime,
        next_update: datetime,
        number: int,
    ) -> bytes:
        """The CRL of ``issuer`` (number ``number``), signed on the token by its key."""
        with self.lock, token_errors():
            ca = IssuerKey(certificate=issuer, key=self.key(key_label))
            return build_crl(ca, revoked, this_update, next_update, number)

    def respond_ocsp(
        self,
        request_der: bytes,
        issuer: x509.Certificate,
        signer: OCSPSigner,
        status_of: SerialStatusLookup,
        now: datetime,
    ) -> bytes:
        """The OCSP answer about certificates of ``issuer``, signed on the token by ``signer``
        (a malformed request gets a malformedRequest response, see ``ocsp.respond``)."""
        with self.lock, token_errors():
            return respond(request_der, status_of, signer.certificate, signer.key, now, issuer=issuer)
