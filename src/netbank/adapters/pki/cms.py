"""CMS SignedData (RFC 5652) for the financial certificate's signatures (SPEC F7): built for a key
that signs on a token, read back and verified.

cryptography's CMS builder (``pkcs7.PKCS7SignatureBuilder``) signs only with a software key, so
SignedData for a token key is built here: attached content, SHA-256, the signed attributes
content-type, signing-time and message-digest, and an RSA PKCS#1 v1.5 signature made on the
token over the DER of those attributes. ``openssl cms -verify`` and :func:`read_signed_data`
accept it, and what cryptography's builder makes for a software key alike.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime

from asn1crypto import algos, cms, core  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from netbank.adapters.pki.errors import SignatureInvalid


def _der(tag: int, body: bytes) -> bytes:
    """One DER element: ``tag``, the definite length of ``body`` (short or long form), ``body``."""
    size = len(body)
    if size < 0x80:
        return bytes((tag, size)) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + body


_SEQUENCE, _SET, _OCTET_STRING, _UTC_TIME, _CONTEXT_0 = 0x30, 0x31, 0x04, 0x17, 0xA0
# The constant parts of the SignedData, encoded by asn1crypto once.
_VERSION_1 = core.Integer(1).dump()
_SHA256 = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
_SHA256_RSA = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}).dump()
_DATA = cms.ContentType("data").dump()
_SIGNED_DATA = cms.ContentType("signed_data").dump()
_CONTENT_TYPE_ATTRIBUTE = cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump()
_SIGNING_TIME = cms.CMSAttributeType("signing_time").dump()
_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").dump()


@functools.lru_cache(maxsize=1024)
def _signer_identifier(certificate_der: bytes) -> bytes:
    """The SignerInfo's ``sid`` (issuerAndSerialNumber) of a certificate, encoded once."""
    certificate = asn1x509.Certificate.load(certificate_der)
    return bytes(
        cms.IssuerAndSerialNumber(
            {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
        ).dump()
    )


def build_signed_data(
    content: bytes, certificate_der: bytes, sign: Callable[[bytes], bytes], *, signing_time: datetime
) -> bytes:
    """CMS SignedData (RFC 5652) over ``content``, attached, signed by ``sign`` (RSA PKCS#1 v1.5
    with SHA-256 over the DER of the signed attributes) for the holder of ``certificate_der``.

    The structure never varies, so it is assembled from its DER parts: the constants and the
    signer identifier encoded by asn1crypto once, then per signature only the signing time, the
    digest, the content and the signature (building the asn1crypto objects each time cost more
    than the signature on the token). The tests hold it byte for byte to asn1crypto's own
    encoding of the same SignedData, and ``openssl cms -verify`` accepts it."""
    at = signing_time.astimezone(UTC)
    if not 1950 <= at.year <= 2049:  # UTCTime's two-digit years (RFC 5280 4.1.2.5.1)
        raise ValueError(f"signing time {at.isoformat()} is outside UTCTime (1950-2049)")
    utc_time = at.strftime("%y%m%d%H%M%SZ").encode("ascii")
    # Signed attributes in DER's SET OF order (by encoding: their lengths already differ).
    attributes = (
        _CONTENT_TYPE_ATTRIBUTE
        + _der(_SEQUENCE, _SIGNING_TIME + _der(_SET, _der(_UTC_TIME, utc_time)))
        + _der(_SEQUENCE, _MESSAGE_DIGEST + _der(_SET, _der(_OCTET_STRING, hashlib.sha256(content).digest())))
    )
    # The signature covers the attributes encoded as a SET OF (RFC 5652 5.4), not [0] IMPLICIT.
    signature = sign(_der(_SET, attributes))
    signer_info = _der(
        _SEQUENCE,
        _VERSION_1
        + _signer_identifier(certificate_der)
        + _SHA256
        + _der(_CONTEXT_0, attributes)
        + _SHA256_RSA
        + _der(_OCTET_STRING, signature),
    )
    signed_data = _der(
        _SEQUENCE,
        _VERSION_1
        + _der(_SET, _SHA256)
        + _der(_SEQUENCE, _DATA + _der(_CONTEXT_0, _der(_OCTET_STRING, content)))
        + _der(_CONTEXT_0, certificate_der)
        + _der(_SET, signer_info),
    )
    return _der(_SEQUENCE, _SIGNED_DATA + _der(_CONTEXT_0, signed_data))


def read_signed_data(cms_der: bytes) -> tuple[x509.Certificate, bytes]:
    """The signer's certificate and the content of a CMS SignedData (RFC 5652) with attached
    content, SHA-256 and an RSA PKCS#1 v1.5 signature, once the content digest and the signature
    over the signed attributes check out (F7). Raises :class:`SignatureInvalid` for anything
    else. The certificate itself is not checked here: ``verify.verify_chain`` does that."""
    try:
        info = cms.ContentInfo.load(cms_der)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed = info["content"]
        content = signed["encap_content_info"]["content"].native
        signer = signed["signer_infos"][0]
        certificates = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"]]
        sid = signer["sid"].chosen
        leaf = next(c for c in certificates if c.serial_number == sid["serial_number"].native)
        attributes = signer["signed_attrs"]
        digest = next(a["values"][0].native for a in attributes if a["type"].native == "message_digest")
        if signer["digest_algorithm"]["algorithm"].native != "sha256" or content is None:
            raise ValueError("unexpected digest or detached content")
        if not hmac.compare_digest(digest, hashlib.sha256(content).digest()):
            raise ValueError("content digest mismatch")
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise ValueError("not an RSA signer")
        # The signature covers the DER of the signed attributes as a SET (RFC 5652 5.4).
        attributes_der = attributes.untag().dump(force=True)
        public_key.verify(signer["signature"].native, attributes_der, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, KeyError, TypeError, StopIteration, InvalidSignature) as exc:
        raise SignatureInvalid("the CMS SignedData does not verify") from exc
    return leaf, bytes(content)
