"""Signing keys and the ASN.1 pieces that name them (SPEC K1).

Nothing in the PKI holds a private key: every structure a key must sign is built with asn1crypto
and its DER signed through a :class:`Signer` (a :class:`netbank.adapters.hsm.TokenKey` in
practice). Signature algorithms follow the signing key: sha256WithRSAEncryption (PKCS#1 v1.5,
NULL parameters, RFC 4055) for RSA keys, ecdsa-with-SHA256 for EC keys.
"""

from __future__ import annotations

from typing import Any, Protocol

from asn1crypto import algos as asn1algos  # type: ignore[import-untyped]
from asn1crypto import core as asn1core
from asn1crypto import keys as asn1keys
from asn1crypto import x509 as asn1x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from netbank.adapters.hsm import TokenPublicKey


class Signer(Protocol):
    """A private key that signs with SHA-256 and never shows itself (K1): RSA signatures are
    PKCS#1 v1.5, ECDSA signatures DER ``ECDSA-Sig-Value``. :class:`netbank.adapters.hsm.TokenKey`
    is one."""

    def public_key(self) -> TokenPublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


def certificate_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def asn1_certificate(certificate: x509.Certificate) -> Any:
    return asn1x509.Certificate.load(certificate_der(certificate))


def public_key_info(public_key: TokenPublicKey) -> Any:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return asn1keys.PublicKeyInfo.load(der)


def signature_algorithm(public_key: object) -> Any:
    """The ``AlgorithmIdentifier`` of a SHA-256 signature by ``public_key``'s private half."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return asn1algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa", "parameters": asn1core.Null()})
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return asn1algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    raise ValueError(f"unsupported key type {type(public_key).__name__}: RSA or EC only")


def key_identifier(public_key: TokenPublicKey) -> bytes:
    """RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING."""
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest


def subject_key_identifier(certificate: x509.Certificate) -> bytes:
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return key_identifier(certificate_public_key(certificate))


def certificate_public_key(certificate: x509.Certificate) -> TokenPublicKey:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError(f"unsupported key type in certificate: {type(key).__name__}")
    return key


def sign_structure(key: Signer, tbs: Any) -> bytes:
    """``key``'s signature over the DER of an asn1crypto structure (a TBS part)."""
    return key.sign(tbs.dump())
