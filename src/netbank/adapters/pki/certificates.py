"""X.509 certificates of netbank's CAs: the profiles issued, the CAs' own certificates, and the
end-entity certificates they issue, each signed on the token that holds the CA key (SPEC K1, F1).

Every ``TBSCertificate`` is built with asn1crypto, signed through a :class:`Signer` and
re-verified with ``cryptography`` before it is returned. Serial numbers are 159 random bits from
the CSPRNG. Profiles:

* CA certificates: basicConstraints (critical, cA, path length), keyUsage keyCertSign + cRLSign
  (critical), subject and authority key identifiers; an issuing CA also names its root's CRL and
  OCSP locations.
* :attr:`CertificateProfile.CUSTOMER`: digitalSignature + nonRepudiation, EKU clientAuth, no SAN
  (the subject DN names the holder); :attr:`CertificateProfile.OCSP_RESPONDER`: digitalSignature,
  EKU OCSPSigning and id-pkix-ocsp-nocheck. Both name the CA's CRL and OCSP locations.
"""

from __future__ import annotations

import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from asn1crypto import core as asn1core  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from netbank.adapters.hsm import KeyAlgorithm, Token, TokenPublicKey
from netbank.adapters.pki.errors import CertificateRequestInvalid, PKIError
from netbank.adapters.pki.keys import (
    Signer,
    asn1_certificate,
    key_identifier,
    public_key_info,
    sign_structure,
    signature_algorithm,
    subject_key_identifier,
)
from netbank.adapters.pki.validity import check_validity, x509_time

#: RFC 5280 4.1.2.2: at most 20 octets; 159 random bits keep the DER INTEGER positive and short.
_SERIAL_BITS: Final = 159


class CertificateProfile(StrEnum):
    """End-entity profiles the CA issues."""

    #: A customer's UKEY / financial certificate: signs logins and transfers (K1, F7).
    CUSTOMER = "customer"
    #: The delegated OCSP responder of a CA (RFC 6960 4.2.2.2), with id-pkix-ocsp-nocheck.
    OCSP_RESPONDER = "ocsp-responder"


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
class IssuerKey:
    """A CA as the PKI uses it: its certificate, its token-held key, and the endpoints it writes
    into the certificates it issues (None: a CA that only signs CRLs here, or whose certificates
    name no revocation service). Not the services' ``CertificateAuthority`` port, which
    ``adapters/ca.py`` implements over this."""

    certificate: x509.Certificate
    key: Signer
    endpoints: CAEndpoints | None = None

    @classmethod
    def load(cls, token: Token, label: str, endpoints: CAEndpoints | None = None) -> IssuerKey:
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


def _random_serial() -> int:
    """A positive serial of at most 20 octets from the CSPRNG (RFC 5280 4.1.2.2, CA/B 7.1)."""
    while True:
        serial = int.from_bytes(secrets.token_bytes(20), "big") >> (160 - _SERIAL_BITS)
        if serial:
            return serial


def _extension(extn_id: str, value: Any, *, critical: bool) -> Any:
    return asn1x509.Extension({"extn_id": extn_id, "critical": critical, "extn_value": value})


def _uri(url: str) -> Any:
    return asn1x509.GeneralName(name="uniform_resource_identifier", value=url)


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
    start, end = check_validity(not_before, not_after, issuer_certificate)
    subject_key_id = key_identifier(public_key)
    if issuer_certificate is None:
        issuer_name = asn1x509.Name.load(subject.public_bytes())
        authority_key_id = subject_key_id
    else:
        issuer_name = asn1_certificate(issuer_certificate).subject
        authority_key_id = subject_key_identifier(issuer_certificate)

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
            "signature": signature_algorithm(signer_public_key),
            "issuer": issuer_name,
            "validity": {"not_before": x509_time(start), "not_after": x509_time(end)},
            "subject": asn1x509.Name.load(subject.public_bytes()),
            "subject_public_key_info": public_key_info(public_key),
            "extensions": extensions,
        }
    )
    signed = asn1x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": signature_algorithm(signer_public_key),
            "signature_value": sign_structure(issuer_key, tbs),
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
) -> IssuerKey:
    """Generate the root CA key on ``token`` and self-sign its certificate (K1).

    The key and certificate are stored on the token under ``label``; the root publishes its CRL
    and OCSP under ``CAEndpoints.from_base_url(base_url, label)``.
    """
    endpoints = CAEndpoints.from_base_url(base_url, label)
    profile = _ca_profile(path_length)
    check_validity(now, now + validity)  # before a key is generated for nothing
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
    return IssuerKey(certificate=certificate, key=key, endpoints=endpoints)


def create_issuing_ca(
    root: IssuerKey,
    token: Token,
    label: str,
    subject: x509.Name,
    now: datetime,
    validity: timedelta,
    *,
    base_url: str,
    algorithm: KeyAlgorithm = KeyAlgorithm.RSA_2048,
    path_length: int | None = 0,
) -> IssuerKey:
    """Generate an issuing CA key on ``token`` and have ``root`` certify it (K1).

    Stored on the token under ``label``; it publishes under ``from_base_url(base_url, label)``.
    """
    endpoints = CAEndpoints.from_base_url(base_url, label)
    profile = _ca_profile(path_length)
    check_validity(now, now + validity, root.certificate)
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
    return IssuerKey(certificate=certificate, key=key, endpoints=endpoints)


def issue_certificate(
    ca: IssuerKey,
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
    ca: IssuerKey,
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
    check_validity(not_before, not_after, ca.certificate)
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


def serial_hex(certificate: x509.Certificate) -> str:
    """The serial number as the database keeps it: lower-case hexadecimal, no leading zeros."""
    return f"{certificate.serial_number:x}"
