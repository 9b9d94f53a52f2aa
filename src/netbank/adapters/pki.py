"""The institution's PKI with token-held keys: CSRs, CAs, certificates, CRLs, OCSP and
verification (SPEC K1, F7).

K1: the customer's key pair is generated on a UKEY, the institution's CA issues an X.509
certificate for it, and the server verifies signed transfers (chain, validity, key usage,
revocation). CA and OCSP responder keys live in a PKCS#11 token too, so nothing here ever holds a
private key: every structure a key must sign (``CertificationRequestInfo``, ``TBSCertificate``,
``TBSCertList``, OCSP ``ResponseData``) is built with asn1crypto and signed through a
:class:`Signer` (a :class:`netbank.adapters.hsm.TokenKey` in practice); parsing and verification
use ``cryptography``.

Conventions, in the spirit of pyca/cryptography: the time is always passed in (aware
``datetime``), bad arguments raise :class:`ValueError`, and every refusal of a certificate or a
signature is its own :class:`PKIError` subclass with a stable ``code`` (expired, not yet valid,
revoked, wrong issuer, key usage, tampered message, ...), never a boolean.

Signature algorithms follow the signing key: sha256WithRSAEncryption (PKCS#1 v1.5, NULL
parameters, RFC 4055) for RSA keys, ecdsa-with-SHA256 for EC keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Final, NamedTuple, Protocol, TypeAlias

from asn1crypto import algos as asn1algos  # type: ignore[import-untyped]
from asn1crypto import core as asn1core
from asn1crypto import crl as asn1crl
from asn1crypto import csr as asn1csr
from asn1crypto import keys as asn1keys
from asn1crypto import ocsp as asn1ocsp
from asn1crypto import x509 as asn1x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from netbank.adapters.hsm import KeyAlgorithm, Token, TokenPublicKey

CRL_CONTENT_TYPE: Final = "application/pkix-crl"
OCSP_REQUEST_CONTENT_TYPE: Final = "application/ocsp-request"
#: OpenSSL 3 refuses an OCSP answer with any other Content-Type.
OCSP_RESPONSE_CONTENT_TYPE: Final = "application/ocsp-response"

#: RFC 5280 4.1.2.2: at most 20 octets; 159 random bits keep the DER INTEGER positive and short.
_SERIAL_BITS: Final = 159
_MAX_CHAIN_DEPTH: Final = 8
#: RFC 8954: a nonce longer than 128 octets must be refused as malformed.
_MAX_NONCE_OCTETS: Final = 128


# --- errors ------------------------------------------------------------------------------------


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


# --- keys and small types ----------------------------------------------------------------------


class Signer(Protocol):
    """A private key that signs with SHA-256 and never shows itself (K1): RSA signatures are
    PKCS#1 v1.5, ECDSA signatures DER ``ECDSA-Sig-Value``. :class:`netbank.adapters.hsm.TokenKey`
    is one."""

    def public_key(self) -> TokenPublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


class CertificateProfile(StrEnum):
    """End-entity profiles the CA issues."""

    #: A customer's UKEY / financial certificate: signs logins and transfers (K1, F7).
    CUSTOMER = "customer"
    #: The delegated OCSP responder of a CA (RFC 6960 4.2.2.2), with id-pkix-ocsp-nocheck.
    OCSP_RESPONDER = "ocsp-responder"


class RSAPadding(StrEnum):
    """RSA signature paddings accepted by :func:`verify_signature` (F7)."""

    PKCS1V15 = "pkcs1v15"
    PSS = "pss"


@dataclass(frozen=True, slots=True)
class CAEndpoints:
    """Where a CA publishes revocation status; written into every certificate it issues."""

    crl_url: str
    ocsp_url: str

    @classmethod
    def from_base_url(cls, base_url: str, ca_name: str) -> CAEndpoints:
        """``{base_url}/pki/{ca_name}/crl`` and ``{base_url}/pki/{ca_name}/ocsp``."""
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base URL must be an absolute http(s) URL: {base_url!r}")
        if not ca_name or urllib.parse.quote(ca_name, safe="-_.") != ca_name:
            raise ValueError(f"CA name must be URL-safe (letters, digits, - _ .): {ca_name!r}")
        root = base_url.rstrip("/")
        return cls(crl_url=f"{root}/pki/{ca_name}/crl", ocsp_url=f"{root}/pki/{ca_name}/ocsp")


@dataclass(frozen=True, slots=True)
class CertificateAuthority:
    """A CA: its certificate, its token-held key, and the endpoints it publishes."""

    certificate: x509.Certificate
    key: Signer
    endpoints: CAEndpoints

    @classmethod
    def load(cls, token: Token, label: str, endpoints: CAEndpoints) -> CertificateAuthority:
        """The CA whose key and certificate are stored on ``token`` under ``label``."""
        key = token.get_key(label)
        certificate = token.read_certificate(label)
        if certificate.public_key() != key.public_key():
            raise PKIError(f"certificate {label!r} on the token does not match key {label!r}")
        return cls(certificate=certificate, key=key, endpoints=endpoints)


@dataclass(frozen=True, slots=True)
class OCSPSigner:
    """A delegated OCSP responder: its certificate (EKU OCSPSigning) and token-held key."""

    certificate: x509.Certificate
    key: Signer


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


# --- helpers -----------------------------------------------------------------------------------


def _utc(moment: datetime, name: str) -> datetime:
    """An aware datetime in UTC, truncated to whole seconds (DER times carry no fraction)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def _x509_time(moment: datetime) -> Any:
    """RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050."""
    if moment.year < 2050:
        return asn1x509.Time(name="utc_time", value=moment)
    return asn1x509.Time(name="general_time", value=moment)


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _asn1_certificate(certificate: x509.Certificate) -> Any:
    return asn1x509.Certificate.load(_der(certificate))


def _public_key_info(public_key: TokenPublicKey) -> Any:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return asn1keys.PublicKeyInfo.load(der)


def _signature_algorithm(public_key: object) -> Any:
    if isinstance(public_key, rsa.RSAPublicKey):
        return asn1algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa", "parameters": asn1core.Null()})
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return asn1algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    raise ValueError(f"unsupported key type {type(public_key).__name__}: RSA or EC only")


def _random_serial() -> int:
    """A positive serial of at most 20 octets from the CSPRNG (RFC 5280 4.1.2.2, CA/B 7.1)."""
    while True:
        serial = int.from_bytes(secrets.token_bytes(20), "big") >> (160 - _SERIAL_BITS)
        if serial:
            return serial


def _key_identifier(public_key: TokenPublicKey) -> bytes:
    """RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING."""
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest


def _subject_key_identifier(certificate: x509.Certificate) -> bytes:
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return _key_identifier(_public_key(certificate))


def _public_key(certificate: x509.Certificate) -> TokenPublicKey:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError(f"unsupported key type in certificate: {type(key).__name__}")
    return key


def _extension(extn_id: str, value: Any, *, critical: bool) -> Any:
    return asn1x509.Extension({"extn_id": extn_id, "critical": critical, "extn_value": value})


def _uri(url: str) -> Any:
    return asn1x509.GeneralName(name="uniform_resource_identifier", value=url)


def _sign_structure(key: Signer, tbs: Any) -> bytes:
    return key.sign(tbs.dump())


# --- CSR ---------------------------------------------------------------------------------------


def build_csr(token_key: Signer, subject: x509.Name) -> x509.CertificateSigningRequest:
    """A PKCS#10 request for ``token_key``, signed on the token (K1: the key never leaves it).

    ``cryptography``'s CSR builder needs a software key, so the ``CertificationRequestInfo`` is
    built with asn1crypto and its DER signed by the token.
    """
    public_key = token_key.public_key()
    info = asn1csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": asn1x509.Name.load(subject.public_bytes()),
            "subject_pk_info": _public_key_info(public_key),
            "attributes": [],
        }
    )
    request = asn1csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": _signature_algorithm(public_key),
            "signature": _sign_structure(token_key, info),
        }
    )
    csr = x509.load_der_x509_csr(request.dump())
    if not csr.is_signature_valid:
        raise PKIError("the token's signature over the CSR does not verify")
    return csr


# --- certificates ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    ca: bool
    path_length: int | None
    key_usage: frozenset[str]
    extended_key_usage: tuple[str, ...]
    ocsp_no_check: bool


_END_ENTITY_PROFILES: Final = {
    CertificateProfile.CUSTOMER: _Profile(
        ca=False,
        path_length=None,
        key_usage=frozenset({"digital_signature", "non_repudiation"}),
        extended_key_usage=("client_auth",),
        ocsp_no_check=False,
    ),
    CertificateProfile.OCSP_RESPONDER: _Profile(
        ca=False,
        path_length=None,
        key_usage=frozenset({"digital_signature"}),
        extended_key_usage=("ocsp_signing",),
        ocsp_no_check=True,
    ),
}


def _ca_profile(path_length: int | None) -> _Profile:
    if path_length is not None and path_length < 0:
        raise ValueError("path_length must be >= 0")
    return _Profile(
        ca=True,
        path_length=path_length,
        key_usage=frozenset({"key_cert_sign", "crl_sign"}),
        extended_key_usage=(),
        ocsp_no_check=False,
    )


def _check_validity(
    not_before: datetime, not_after: datetime, issuer_certificate: x509.Certificate | None = None
) -> tuple[datetime, datetime]:
    """Aware, ordered, and (when an issuer is given) within the issuer's own validity."""
    start = _utc(not_before, "not_before")
    end = _utc(not_after, "not_after")
    if end <= start:
        raise ValueError("not_after must be later than not_before")
    if issuer_certificate is not None and (
        end > issuer_certificate.not_valid_after_utc or start < issuer_certificate.not_valid_before_utc
    ):
        raise ValueError("the validity period must lie within the issuing CA's")
    return start, end


def _build_certificate(
    *,
    issuer_certificate: x509.Certificate | None,
    issuer_key: Signer,
    issuer_endpoints: CAEndpoints | None,
    subject: x509.Name,
    public_key: TokenPublicKey,
    not_before: datetime,
    not_after: datetime,
    profile: _Profile,
) -> x509.Certificate:
    """Build, sign on the token and re-verify one X.509 v3 certificate.

    ``issuer_certificate`` None means self-signed (a root CA): issuer = subject, AKI = SKI.
    """
    start, end = _check_validity(not_before, not_after, issuer_certificate)
    subject_key_id = _key_identifier(public_key)
    if issuer_certificate is None:
        issuer_name = asn1x509.Name.load(subject.public_bytes())
        authority_key_id = subject_key_id
    else:
        issuer_name = _asn1_certificate(issuer_certificate).subject
        authority_key_id = _subject_key_identifier(issuer_certificate)

    basic_constraints: dict[str, Any] = {"ca": profile.ca}
    if profile.ca and profile.path_length is not None:
        basic_constraints["path_len_constraint"] = profile.path_length
    extensions = [
        _extension("basic_constraints", basic_constraints, critical=True),
        _extension("key_usage", set(profile.key_usage), critical=True),
        _extension("key_identifier", subject_key_id, critical=False),
        _extension("authority_key_identifier", {"key_identifier": authority_key_id}, critical=False),
    ]
    if profile.extended_key_usage:
        extensions.append(_extension("extended_key_usage", list(profile.extended_key_usage), critical=False))
    if profile.ocsp_no_check:
        extensions.append(_extension("ocsp_no_check", asn1core.Null(), critical=False))
    if issuer_endpoints is not None:
        extensions.append(
            _extension(
                "crl_distribution_points",
                [
                    {
                        "distribution_point": asn1x509.DistributionPointName(
                            name="full_name", value=[_uri(issuer_endpoints.crl_url)]
                        )
                    }
                ],
                critical=False,
            )
        )
        extensions.append(
            _extension(
                "authority_information_access",
                [{"access_method": "ocsp", "access_location": _uri(issuer_endpoints.ocsp_url)}],
                critical=False,
            )
        )

    signer_public_key = issuer_key.public_key()
    tbs = asn1x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": _random_serial(),
            "signature": _signature_algorithm(signer_public_key),
            "issuer": issuer_name,
            "validity": {"not_before": _x509_time(start), "not_after": _x509_time(end)},
            "subject": asn1x509.Name.load(subject.public_bytes()),
            "subject_public_key_info": _public_key_info(public_key),
            "extensions": extensions,
        }
    )
    signed = asn1x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": _signature_algorithm(signer_public_key),
            "signature_value": _sign_structure(issuer_key, tbs),
        }
    )
    certificate = x509.load_der_x509_certificate(signed.dump())
    try:
        certificate.verify_directly_issued_by(issuer_certificate or certificate)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise PKIError("the CA key on the token does not match the CA certificate") from exc
    return certificate


def create_root_ca(
    token: Token,
    label: str,
    subject: x509.Name,
    now: datetime,
    validity: timedelta,
    *,
    base_url: str,
    algorithm: KeyAlgorithm = KeyAlgorithm.RSA_2048,
    path_length: int | None = 1,
) -> CertificateAuthority:
    """Generate the root CA key on ``token`` and self-sign its certificate (K1).

    The key and certificate are stored on the token under ``label``; the root publishes its CRL
    and OCSP under ``CAEndpoints.from_base_url(base_url, label)``.
    """
    endpoints = CAEndpoints.from_base_url(base_url, label)
    profile = _ca_profile(path_length)
    _check_validity(now, now + validity)  # before a key is generated for nothing
    key = token.generate_key_pair(label, algorithm)
    certificate = _build_certificate(
        issuer_certificate=None,
        issuer_key=key,
        issuer_endpoints=None,
        subject=subject,
        public_key=key.public_key(),
        not_before=now,
        not_after=now + validity,
        profile=profile,
    )
    key.store_certificate(certificate)
    return CertificateAuthority(certificate=certificate, key=key, endpoints=endpoints)


def create_issuing_ca(
    root: CertificateAuthority,
    token: Token,
    label: str,
    subject: x509.Name,
    now: datetime,
    validity: timedelta,
    *,
    base_url: str,
    algorithm: KeyAlgorithm = KeyAlgorithm.RSA_2048,
    path_length: int | None = 0,
) -> CertificateAuthority:
    """Generate an issuing CA key on ``token`` and have ``root`` certify it (K1).

    Stored on the token under ``label``; it publishes under ``from_base_url(base_url, label)``.
    """
    endpoints = CAEndpoints.from_base_url(base_url, label)
    profile = _ca_profile(path_length)
    _check_validity(now, now + validity, root.certificate)
    key = token.generate_key_pair(label, algorithm)
    certificate = _build_certificate(
        issuer_certificate=root.certificate,
        issuer_key=root.key,
        issuer_endpoints=root.endpoints,
        subject=subject,
        public_key=key.public_key(),
        not_before=now,
        not_after=now + validity,
        profile=profile,
    )
    key.store_certificate(certificate)
    return CertificateAuthority(certificate=certificate, key=key, endpoints=endpoints)


def issue_certificate(
    ca: CertificateAuthority,
    public_key_or_csr: TokenPublicKey | x509.CertificateSigningRequest,
    subject: x509.Name,
    *,
    not_before: datetime,
    not_after: datetime,
    profile: CertificateProfile,
) -> x509.Certificate:
    """Issue an end-entity certificate signed by ``ca`` on its token (K1).

    The subject is the CA's decision (the customer binding), never the CSR's. A CSR must be
    signed by the key it carries (:class:`CertificateRequestInvalid`). The serial number is 159
    random bits from the CSPRNG. The certificate carries the CA's CRL distribution point and
    OCSP URL.
    """
    if isinstance(public_key_or_csr, x509.CertificateSigningRequest):
        if not public_key_or_csr.is_signature_valid:
            raise CertificateRequestInvalid("the CSR is not signed by the key it carries")
        requested = public_key_or_csr.public_key()
    else:
        requested = public_key_or_csr
    if not isinstance(requested, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise CertificateRequestInvalid(f"unsupported key type {type(requested).__name__}")
    return _build_certificate(
        issuer_certificate=ca.certificate,
        issuer_key=ca.key,
        issuer_endpoints=ca.endpoints,
        subject=subject,
        public_key=requested,
        not_before=not_before,
        not_after=not_after,
        profile=_END_ENTITY_PROFILES[profile],
    )


def create_ocsp_signer(
    ca: CertificateAuthority,
    token: Token,
    label: str,
    subject: x509.Name,
    *,
    not_before: datetime,
    not_after: datetime,
    algorithm: KeyAlgorithm = KeyAlgorithm.RSA_2048,
) -> OCSPSigner:
    """Generate a responder key on ``token`` and have ``ca`` issue its delegated OCSP signing
    certificate (EKU OCSPSigning + id-pkix-ocsp-nocheck); both stored under ``label``."""
    _check_validity(not_before, not_after, ca.certificate)
    key = token.generate_key_pair(label, algorithm)
    certificate = issue_certificate(
        ca,
        key.public_key(),
        subject,
        not_before=not_before,
        not_after=not_after,
        profile=CertificateProfile.OCSP_RESPONDER,
    )
    key.store_certificate(certificate)
    return OCSPSigner(certificate=certificate, key=key)


# --- CRL ---------------------------------------------------------------------------------------


def build_crl(
    ca: CertificateAuthority,
    revoked: Iterable[tuple[int, datetime, x509.ReasonFlags]],
    this_update: datetime,
    next_update: datetime,
    crl_number: int,
) -> bytes:
    """A DER X.509 v2 CRL of ``ca``, signed on its token (K1), with the CRL number and
    authority key identifier extensions. ``crl_number`` must grow with every CRL the CA
    publishes (RFC 5280 5.2.3). The reason ``unspecified`` is written as no reason code
    (RFC 5280 5.3.1)."""
    start, end = _check_validity(this_update, next_update)
    if not 0 <= crl_number < 2**159:
        raise ValueError("crl_number must be a non-negative integer of at most 20 octets")
    entries = []
    for serial_number, revoked_at, reason in sorted(revoked, key=lambda entry: entry[0]):
        if serial_number <= 0:
            raise ValueError("serial numbers are positive")
        entry: dict[str, Any] = {
            "user_certificate": serial_number,
            "revocation_date": _x509_time(_utc(revoked_at, "revocation time")),
        }
        if reason is not x509.ReasonFlags.unspecified:
            entry["crl_entry_extensions"] = [
                {"extn_id": "crl_reason", "critical": False, "extn_value": reason.name}
            ]
        entries.append(entry)
    signer_public_key = ca.key.public_key()
    tbs_fields: dict[str, Any] = {
        "version": "v2",
        "signature": _signature_algorithm(signer_public_key),
        "issuer": _asn1_certificate(ca.certificate).subject,
        "this_update": _x509_time(start),
        "next_update": _x509_time(end),
        "crl_extensions": [
            {"extn_id": "crl_number", "critical": False, "extn_value": crl_number},
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": _subject_key_identifier(ca.certificate)},
            },
        ],
    }
    if entries:  # RFC 5280 5.1.2.6: absent, not empty, when nothing is revoked
        tbs_fields["revoked_certificates"] = entries
    tbs = asn1crl.TbsCertList(tbs_fields)
    certificate_list = asn1crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": _signature_algorithm(signer_public_key),
            "signature": _sign_structure(ca.key, tbs),
        }
    )
    return bytes(certificate_list.dump())


def revocation_from_crl(crl_der: bytes, issuer: x509.Certificate, at: datetime) -> CertificateStatusLookup:
    """A status lookup for :func:`verify_chain` from a DER CRL of ``issuer``.

    Raises :class:`WrongIssuer` when the CRL is not signed by ``issuer`` and
    :class:`RevocationStatusUnknown` when it is not current at ``at``. The lookup answers
    :class:`StatusUnknown` for certificates of other issuers.
    """
    moment = _utc(at, "at")
    try:
        crl = x509.load_der_x509_crl(crl_der)
    except ValueError as exc:
        raise RevocationStatusUnknown("the CRL cannot be parsed") from exc
    if crl.issuer != issuer.subject or not crl.is_signature_valid(_public_key(issuer)):
        raise WrongIssuer("the CRL is not signed by the issuer", issuer)
    if crl.last_update_utc > moment or (crl.next_update_utc is not None and crl.next_update_utc < moment):
        raise RevocationStatusUnknown("the CRL is not current", issuer)

    def lookup(certificate: x509.Certificate) -> RevocationStatus:
        if certificate.issuer != crl.issuer:
            return UNKNOWN
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if entry is None:
            return GOOD
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = x509.ReasonFlags.unspecified
        return StatusRevoked(revoked_at=entry.revocation_date_utc, reason=reason)

    return lookup


# --- OCSP --------------------------------------------------------------------------------------


class OCSPResponseStatus(StrEnum):
    """RFC 6960 4.2.1 ``OCSPResponseStatus`` values (asn1crypto names)."""

    SUCCESSFUL = "successful"
    MALFORMED_REQUEST = "malformed_request"
    INTERNAL_ERROR = "internal_error"
    TRY_LATER = "try_later"
    SIGN_REQUIRED = "sign_required"
    UNAUTHORIZED = "unauthorized"


def ocsp_error_response(status: OCSPResponseStatus) -> bytes:
    """An unsigned OCSP response carrying only an error status (RFC 6960 2.3)."""
    if status is OCSPResponseStatus.SUCCESSFUL:
        raise ValueError("a successful response must be built by respond()")
    return bytes(asn1ocsp.OCSPResponse({"response_status": status.value}).dump())


def decode_ocsp_get_request(path_segment: str) -> bytes:
    """The DER request of an RFC 6960 Appendix A.1 GET (``/{url-encoded base64 DER}``).

    Raises :class:`ValueError` when the segment is not base64; answer that with
    ``ocsp_error_response(OCSPResponseStatus.MALFORMED_REQUEST)``.
    """
    text = urllib.parse.unquote(path_segment.lstrip("/"))  # base64 itself may end in "/"
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the OCSP GET request is not base64") from exc


_CERT_ID_HASHES: Final[dict[str, Callable[[bytes], Any]]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True, slots=True)
class _ParsedRequest:
    cert_ids: list[Any]
    nonce_extension: Any | None


class _MalformedRequest(Exception):
    pass


class _RawExtension(asn1core.Sequence):  # type: ignore[misc]
    """An extension whose value is left unparsed (asn1crypto parses known ones eagerly)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("extn_id", asn1core.ObjectIdentifier),
        ("critical", asn1core.Boolean, {"default": False}),
        ("extn_value", asn1core.OctetString),
    ]


def _nonce_length(extension_der: bytes) -> int:
    """RFC 8954: the nonce is an OCTET STRING inside extnValue; some clients omit that wrapping."""
    raw = bytes(_RawExtension.load(extension_der, strict=True)["extn_value"].native)
    try:
        return len(asn1core.OctetString.load(raw, strict=True).native)
    except ValueError:
        return len(raw)


def _parse_ocsp_request(request_der: bytes) -> _ParsedRequest:
    """Parse and fully touch an OCSP request, so that any defect surfaces here."""
    try:
        request = asn1ocsp.OCSPRequest.load(request_der, strict=True)
        tbs = request["tbs_request"]
        if tbs["version"].native != "v1":
            raise _MalformedRequest("unsupported version")
        cert_ids = []
        for single in tbs["request_list"]:
            cert_id = asn1ocsp.CertId.load(single["req_cert"].dump())
            # Touch every field: asn1crypto parses lazily.
            _ = (
                cert_id["hash_algorithm"]["algorithm"].native,
                bytes(cert_id["issuer_name_hash"].native),
                bytes(cert_id["issuer_key_hash"].native),
                int(cert_id["serial_number"].native),
            )
            cert_ids.append(cert_id)
        if not cert_ids:
            raise _MalformedRequest("empty request list")
        nonce = None
        extensions = tbs["request_extensions"]
        if not isinstance(extensions, asn1core.Void):
            for extension in extensions:
                if extension["extn_id"].native == "nonce":
                    extension_der = extension.dump()
                    if _nonce_length(extension_der) > _MAX_NONCE_OCTETS:
                        raise _MalformedRequest("nonce too long")
                    # Echoed byte for byte, whether the client wrapped it in an OCTET STRING or not.
                    nonce = asn1ocsp.ResponseDataExtension.load(extension_der)
        return _ParsedRequest(cert_ids=cert_ids, nonce_extension=nonce)
    except _MalformedRequest:
        raise
    except Exception as exc:  # any defect of untrusted DER is a malformed request
        raise _MalformedRequest(type(exc).__name__) from exc


def _cert_id_matches(cert_id: Any, issuer: Any) -> bool:
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    digest = _CERT_ID_HASHES.get(algorithm)
    if digest is None:
        return False
    name_hash = digest(issuer.subject.dump()).digest()
    key_hash = digest(bytes(issuer.public_key["public_key"])).digest()
    return bool(
        cert_id["issuer_name_hash"].native == name_hash and cert_id["issuer_key_hash"].native == key_hash
    )


def _single_response(
    cert_id: Any, status: RevocationStatus, this_update: datetime, next_update: datetime
) -> Any:
    if isinstance(status, StatusGood):
        cert_status = asn1ocsp.CertStatus(name="good", value=asn1core.Null())
    elif isinstance(status, StatusRevoked):
        revoked_info: dict[str, Any] = {"revocation_time": _utc(status.revoked_at, "revoked_at")}
        if status.reason is not x509.ReasonFlags.unspecified:
            revoked_info["revocation_reason"] = status.reason.name
        cert_status = asn1ocsp.CertStatus(name="revoked", value=revoked_info)
    else:
        cert_status = asn1ocsp.CertStatus(name="unknown", value=asn1core.Null())
    return {
        "cert_id": cert_id,
        "cert_status": cert_status,
        "this_update": this_update,
        "next_update": next_update,
    }


def respond(
    request_der: bytes,
    lookup_status: SerialStatusLookup,
    responder_cert: x509.Certificate,
    responder_key: Signer,
    now: datetime,
    *,
    issuer: x509.Certificate,
    validity: timedelta = timedelta(hours=1),
) -> bytes:
    """Answer an OCSP request for certificates of ``issuer`` (RFC 6960; K1 revocation status).

    Returns DER ``application/ocsp-response`` bytes, never raises for a bad request: a request
    that cannot be parsed gets a ``malformedRequest`` response. Each CertID is echoed with its
    own hash algorithm; one whose issuer hashes are not ``issuer``'s (or use an unsupported hash)
    is answered ``unknown``, as is a serial ``lookup_status`` does not know. The nonce is echoed.
    The response is signed on the token by ``responder_key`` and carries ``responder_cert``
    (a delegated responder issued by ``issuer``, or ``issuer`` itself); ``thisUpdate`` is
    ``now`` and ``nextUpdate`` ``now + validity``.
    """
    produced_at = _utc(now, "now")
    if validity <= timedelta(0):
        raise ValueError("validity must be positive")
    responder_public_key = responder_key.public_key()
    if responder_cert.public_key() != responder_public_key:
        raise ValueError("responder_key does not belong to responder_cert")
    try:
        request = _parse_ocsp_request(request_der)
    except _MalformedRequest:
        return ocsp_error_response(OCSPResponseStatus.MALFORMED_REQUEST)

    asn1_issuer = _asn1_certificate(issuer)
    next_update = produced_at + validity
    responses = []
    for cert_id in request.cert_ids:
        status: RevocationStatus = UNKNOWN
        if _cert_id_matches(cert_id, asn1_issuer):
            status = lookup_status(int(cert_id["serial_number"].native))
        responses.append(_single_response(cert_id, status, produced_at, next_update))

    response_data: dict[str, Any] = {
        "version": "v1",
        "responder_id": asn1ocsp.ResponderId(
            name="by_key", value=_public_key_info(responder_public_key).sha1
        ),
        "produced_at": produced_at,
        "responses": responses,
    }
    if request.nonce_extension is not None:
        response_data["response_extensions"] = [request.nonce_extension]
    tbs = asn1ocsp.ResponseData(response_data)
    certs = [_asn1_certificate(responder_cert)]
    basic = asn1ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": tbs,
            "signature_algorithm": _signature_algorithm(responder_public_key),
            "signature": _sign_structure(responder_key, tbs),
            "certs": certs,
        }
    )
    response = asn1ocsp.OCSPResponse(
        {
            "response_status": OCSPResponseStatus.SUCCESSFUL.value,
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    )
    return bytes(response.dump())


# --- verification ------------------------------------------------------------------------------


def _directly_issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _build_path(
    leaf: x509.Certificate, intermediates: Sequence[x509.Certificate], root: x509.Certificate
) -> list[x509.Certificate]:
    path = [leaf]
    current = leaf
    for _ in range(_MAX_CHAIN_DEPTH):
        if _directly_issued_by(current, root):
            path.append(root)
            return path
        issuer = next(
            (c for c in intermediates if c not in path and _directly_issued_by(current, c)),
            None,
        )
        if issuer is None:
            raise WrongIssuer(
                f"certificate {current.serial_number:x} was not issued by the root or an intermediate given",
                current,
            )
        path.append(issuer)
        current = issuer
    raise WrongIssuer("certificate chain too long", leaf)


def _check_period(certificate: x509.Certificate, moment: datetime) -> None:
    if moment < certificate.not_valid_before_utc:
        raise CertificateNotYetValid(
            f"certificate {certificate.serial_number:x} is valid from {certificate.not_valid_before_utc}",
            certificate,
        )
    if moment > certificate.not_valid_after_utc:
        raise CertificateExpired(
            f"certificate {certificate.serial_number:x} expired at {certificate.not_valid_after_utc}",
            certificate,
        )


def _extension_value(certificate: x509.Certificate, kind: type[Any]) -> Any | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_ca(certificate: x509.Certificate, ca_certificates_below: int) -> None:
    constraints = _extension_value(certificate, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        raise KeyUsageNotAllowed(f"certificate {certificate.serial_number:x} is not a CA", certificate)
    if constraints.path_length is not None and ca_certificates_below > constraints.path_length:
        raise KeyUsageNotAllowed(
            f"CA certificate {certificate.serial_number:x} path length exceeded", certificate
        )
    usage = _extension_value(certificate, x509.KeyUsage)
    if usage is None or not usage.key_cert_sign:
        raise KeyUsageNotAllowed(
            f"CA certificate {certificate.serial_number:x} may not sign certificates", certificate
        )


_PROFILE_EKU: Final = {
    CertificateProfile.CUSTOMER: ExtendedKeyUsageOID.CLIENT_AUTH,
    CertificateProfile.OCSP_RESPONDER: ExtendedKeyUsageOID.OCSP_SIGNING,
}


def _check_signing_usage(certificate: x509.Certificate) -> None:
    constraints = _extension_value(certificate, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        raise KeyUsageNotAllowed(
            f"certificate {certificate.serial_number:x} is a CA certificate, not a signer", certificate
        )
    usage = _extension_value(certificate, x509.KeyUsage)
    if usage is None or not usage.digital_signature:
        raise KeyUsageNotAllowed(
            f"certificate {certificate.serial_number:x} is not for digital signatures", certificate
        )


def _check_leaf(certificate: x509.Certificate, profile: CertificateProfile) -> None:
    _check_signing_usage(certificate)
    eku = _extension_value(certificate, x509.ExtendedKeyUsage)
    if eku is None or _PROFILE_EKU[profile] not in eku:
        raise KeyUsageNotAllowed(
            f"certificate {certificate.serial_number:x} lacks the extended key usage of {profile.value}",
            certificate,
        )


def _check_revocation(
    certificate: x509.Certificate,
    revocation: Collection[int] | CertificateStatusLookup,
    moment: datetime,
) -> None:
    if not callable(revocation):
        if certificate.serial_number in revocation:
            raise CertificateRevoked(f"certificate {certificate.serial_number:x} is revoked", certificate)
        return
    status = revocation(certificate)
    if isinstance(status, StatusRevoked):
        if _utc(status.revoked_at, "revoked_at") <= moment:
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


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    root: x509.Certificate,
    at: datetime,
    *,
    revocation: Collection[int] | CertificateStatusLookup,
    profile: CertificateProfile = CertificateProfile.CUSTOMER,
) -> list[x509.Certificate]:
    """Verify ``leaf`` up to the trusted ``root`` at time ``at`` (K1); return the path
    ``[leaf, ..., root]`` or raise.

    Checks, in order: each certificate is signed by the next one with matching names
    (:class:`WrongIssuer`); each is within its validity period at ``at``
    (:class:`CertificateNotYetValid`, :class:`CertificateExpired`); CA certificates carry
    ``cA``/``keyCertSign`` within their path length and the leaf is a non-CA signing certificate
    of ``profile``'s extended key usage (:class:`KeyUsageNotAllowed`); the leaf and the
    intermediates are not revoked at ``at`` (:class:`CertificateRevoked`), using either a
    collection of revoked serial numbers or a status lookup that must answer for the leaf *and*
    the intermediates (``unknown`` raises :class:`RevocationStatusUnknown`).

    ``at`` must be the server's clock when the signature arrived, never a time the client
    claims: a revocation dated after ``at`` does not count.
    """
    moment = _utc(at, "at")
    path = _build_path(leaf, intermediates, root)
    for certificate in path:
        _check_period(certificate, moment)
    _check_leaf(leaf, profile)
    for below, ca_certificate in enumerate(path[1:]):
        _check_ca(ca_certificate, below)
    for certificate in path[:-1]:
        _check_revocation(certificate, revocation, moment)
    return path


def verify_signature(
    certificate: x509.Certificate,
    data: bytes,
    signature: bytes,
    *,
    rsa_padding: RSAPadding = RSAPadding.PKCS1V15,
) -> None:
    """Check that ``signature`` is the certificate key's SHA-256 signature of ``data`` (F7):
    RSA with PKCS#1 v1.5 or PSS, ECDSA with a DER signature. Raises :class:`SignatureInvalid`
    (tampered message or wrong key) or :class:`KeyUsageNotAllowed` (not a signing certificate).
    Does not check the chain: call :func:`verify_chain` as well."""
    _check_signing_usage(certificate)
    public_key = _public_key(certificate)
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if rsa_padding is RSAPadding.PSS:
                scheme: padding.AsymmetricPadding = padding.PSS(
                    mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO
                )
            else:
                scheme = padding.PKCS1v15()
            public_key.verify(signature, data, scheme, hashes.SHA256())
        else:
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise SignatureInvalid(
            f"signature does not verify with certificate {certificate.serial_number:x}", certificate
        ) from exc
