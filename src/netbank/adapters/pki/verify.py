"""Verification of what customers present (SPEC K1, F7): the certificate path up to a trusted root,
and a signature under a certificate.

The path is built and checked by ``cryptography``'s verifier (``x509.verification``, a client
verifier: RFC 5280 path building, signatures, names, validity of every certificate at the given
time, basicConstraints / keyUsage / path length of every CA, name constraints, the CA/B Forum
algorithms and key sizes), under extension policies that describe netbank's profiles
(``certificates.py``). What the library cannot do stays netbank's, each said where it is done:

* revocation: the library knows none; ``revocation.check_revocation`` runs on the path it built,
  from netbank's database, a CRL or a set of serials;
* the end-entity profile: the library's web PKI policy for a client certificate requires a
  subjectAltName and the clientAuth EKU, and asks nothing of keyUsage but the absence of
  keyCertSign. netbank's leaves carry no SAN (the subject DN names the holder: the issued profile
  is not changed here), its OCSP responder certificates carry OCSPSigning instead of clientAuth,
  and a netbank leaf must be able to sign (digitalSignature). So the end-entity policy is the
  library's with the SAN made optional and keyUsage / EKU checked by netbank's validators
  (:func:`_signing_key_usage`, :func:`_profile_eku`), which the library calls on the leaf;
* naming the refusal: the library raises one ``VerificationError`` whose message says what
  failed; :func:`_refusal` turns it into netbank's classes (expired, not yet valid, key usage,
  wrong issuer), which carry the K1 codes the services answer with (``refusals.py``);
* :func:`verify_signature` checks one certificate's key usage and the signature itself: the
  library verifies paths, not signatures over messages.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Final, TypeAlias, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from netbank.adapters.pki.certificates import CertificateProfile
from netbank.adapters.pki.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRejected,
    KeyUsageNotAllowed,
    SignatureInvalid,
    WrongIssuer,
)
from netbank.adapters.pki.keys import certificate_public_key
from netbank.adapters.pki.revocation import CertificateStatusLookup, check_revocation
from netbank.adapters.pki.validity import utc

#: At most seven CA certificates between the leaf and the root (the library counts the
#: intermediates; netbank's hierarchies have one).
_MAX_INTERMEDIATES: Final = 7

_PROFILE_EKU: Final = {
    CertificateProfile.CUSTOMER: ExtendedKeyUsageOID.CLIENT_AUTH,
    CertificateProfile.OCSP_RESPONDER: ExtendedKeyUsageOID.OCSP_SIGNING,
}


class RSAPadding(StrEnum):
    """RSA signature paddings accepted by :func:`verify_signature` (F7)."""

    PKCS1V15 = "pkcs1v15"
    PSS = "pss"


# --- netbank's end-entity profile, as extension validators the library calls --------------------


#: A validator of the extended key usage, called by the library with the leaf's EKU or None.
_EKUValidator: TypeAlias = Callable[[Policy, x509.Certificate, x509.ExtendedKeyUsage | None], None]


class _ProfileRefusal(Exception):
    """Raised by netbank's validators inside the library (which reports it by this name)."""


def _signing_key_usage(_policy: Policy, certificate: x509.Certificate, usage: x509.KeyUsage | None) -> None:
    """A netbank leaf signs (K1, F7): keyUsage digitalSignature. keyCertSign stays refused, as
    the library's own end-entity check (which this one replaces) refuses it."""
    if usage is None or not usage.digital_signature:
        raise _ProfileRefusal(f"certificate {certificate.serial_number:x} is not for digital signatures")
    if usage.key_cert_sign:
        raise _ProfileRefusal(f"certificate {certificate.serial_number:x} may sign certificates")


def _profile_eku(profile: CertificateProfile) -> _EKUValidator:
    wanted = _PROFILE_EKU[profile]

    def check(_policy: Policy, certificate: x509.Certificate, usage: x509.ExtendedKeyUsage | None) -> None:
        if usage is None or wanted not in usage:
            raise _ProfileRefusal(
                f"certificate {certificate.serial_number:x} lacks the extended key usage of {profile.value}"
            )

    return check


def _end_entity_policy(profile: CertificateProfile) -> ExtensionPolicy:
    """The library's web PKI end-entity policy (AKI present, not a CA, no name constraints,
    known critical extensions only), adapted to netbank's leaves (see the module notes)."""
    return (
        ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _signing_key_usage)
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _profile_eku(profile))
    )


_END_ENTITY_POLICIES: Final = {profile: _end_entity_policy(profile) for profile in CertificateProfile}
#: netbank's CA certificates are the library's web PKI CAs: basicConstraints critical with cA,
#: keyUsage keyCertSign, an AKI below the root; nothing is relaxed for them.
_CA_POLICY: Final = ExtensionPolicy.webpki_defaults_ca()


# --- the library's refusal as netbank's ---------------------------------------------------------
# The library's words are those of the pinned cryptography (50.0.2); tests/pki/test_verify.py and
# tests/pki/test_pki.py provoke each refusal, so a release that rewords one fails there.

#: The library's words when the time is outside a certificate's validity period.
_NOT_IN_PERIOD: Final = "cert is not valid at validation time"
#: The library's words when it refused every would-be issuer, not the leaf itself.
_ISSUERS_REFUSED: Final = "candidates exhausted"
#: The library's words (and netbank's validators') for a certificate used against its key usage,
#: extended key usage, CA flag or path length: netbank's KeyUsageNotAllowed. Anything else the
#: library refuses (no issuer of that name, a signature that does not match, an algorithm or a
#: key size it does not accept, a missing key identifier) leaves the leaf without a path to the
#: root: WrongIssuer.
_USAGE_WORDS: Final = (
    "basicConstraints",
    "keyUsage",
    "EKU",
    "path length constraint",
    _ProfileRefusal.__name__,
    f"{ExtensionOID.BASIC_CONSTRAINTS.dotted_string}:",
    f"{ExtensionOID.KEY_USAGE.dotted_string}:",
)


def _in_period(certificate: x509.Certificate, moment: datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _out_of_period(
    leaf: x509.Certificate, issuers: Sequence[x509.Certificate], moment: datetime
) -> x509.Certificate | None:
    """The first certificate, from the leaf up the issuer names, that is not valid at
    ``moment``: the library says that one is, not which (it checks the leaf first, then each
    would-be issuer)."""
    seen: list[x509.Certificate] = []
    current: x509.Certificate | None = leaf
    while current is not None and current not in seen:
        if not _in_period(current, moment):
            return current
        seen.append(current)
        issuer_name = current.issuer
        current = next((c for c in issuers if c.subject == issuer_name and c not in seen), None)
    return None


def _period_refusal(certificate: x509.Certificate, moment: datetime) -> CertificateRejected:
    if moment < certificate.not_valid_before_utc:
        return CertificateNotYetValid(
            f"certificate {certificate.serial_number:x} is valid from {certificate.not_valid_before_utc}",
            certificate,
        )
    return CertificateExpired(
        f"certificate {certificate.serial_number:x} expired at {certificate.not_valid_after_utc}",
        certificate,
    )


def _refusal(
    message: str, leaf: x509.Certificate, issuers: Sequence[x509.Certificate], moment: datetime
) -> CertificateRejected:
    """netbank's refusal for the library's ``VerificationError`` ``message`` (K1 codes)."""
    if _NOT_IN_PERIOD in message:
        expired = _out_of_period(leaf, issuers, moment)
        if expired is not None:
            return _period_refusal(expired, moment)
    if any(words in message for words in _USAGE_WORDS):
        # The library names no CA certificate it refused; a refusal of the leaf is the leaf's.
        refused = None if _ISSUERS_REFUSED in message else leaf
        return KeyUsageNotAllowed(
            f"certificate {leaf.serial_number:x} may not be used so: {message}", refused
        )
    return WrongIssuer(f"certificate {leaf.serial_number:x} has no path to the root: {message}", leaf)


# --- verification -------------------------------------------------------------------------------


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

    ``cryptography``'s verifier builds the path from ``intermediates`` and checks it (see the
    module notes); its refusals become: a certificate outside its validity period at ``at``
    (:class:`CertificateNotYetValid`, :class:`CertificateExpired`, carrying that certificate);
    a CA certificate without ``cA``/``keyCertSign`` or beyond its path length, or a leaf that is
    a CA, cannot sign or lacks ``profile``'s extended key usage (:class:`KeyUsageNotAllowed`);
    anything else, no path to ``root`` (:class:`WrongIssuer`). Then netbank checks that the leaf
    and the intermediates are not revoked at ``at`` (:class:`CertificateRevoked`), using either a
    collection of revoked serial numbers or a status lookup that must answer for the leaf *and*
    the intermediates (``unknown`` raises :class:`RevocationStatusUnknown`).

    ``at`` must be the server's clock when the signature arrived, never a time the client
    claims: a revocation dated after ``at`` does not count.
    """
    moment = utc(at, "at")
    verifier = (
        PolicyBuilder()
        .store(Store([root]))
        .time(moment)
        .max_chain_depth(_MAX_INTERMEDIATES)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_END_ENTITY_POLICIES[profile])
        .build_client_verifier()
    )
    try:
        path = verifier.verify(leaf, list(intermediates)).chain
    except VerificationError as exc:
        raise _refusal(str(exc), leaf, [*intermediates, root], moment) from exc
    for certificate in path[:-1]:
        check_revocation(certificate, revocation, moment)
    return path


_Extension = TypeVar("_Extension", bound=x509.ExtensionType)


def _extension_value(certificate: x509.Certificate, kind: type[_Extension]) -> _Extension | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_signing_usage(certificate: x509.Certificate) -> None:
    """A certificate whose key may sign messages: not a CA, keyUsage digitalSignature."""
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
    public_key = certificate_public_key(certificate)
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
