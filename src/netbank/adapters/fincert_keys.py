"""The financial certificate service's key store on a PKCS#11 token (SPEC F1, F7).

:class:`PKCS11KeyStore` generates each customer's RSA-2048 key pair on the token (private,
sensitive, never extractable: ``adapters/hsm.py``) and signs there, only when the service asks
after the certificate PIN checked out. Nothing about the key but its reference is kept in the
database. It is the production key store and the one the tests use; the embedded
:class:`netbank.adapters.fincert.SealedKeyStore` (AES-GCM sealed software keys) is for a
deployment without an HSM.

cryptography's CMS builder signs only with a software key, so CMS SignedData is built here
(RFC 5652, its constant parts encoded with asn1crypto): attached content, SHA-256, the signed
attributes content-type, signing-time and message-digest, and an RSA PKCS#1 v1.5 signature
made on the token over the DER of those attributes. ``openssl cms -verify`` and the service's
own verifier accept it.

Give the key store a token of its own (``NETBANK_FINCERT_KEY_TOKEN_LABEL``): PKCS#11 allows one
login per token per process, and the CA keys stay apart from the customers' keys.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from asn1crypto import algos, cms, core  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1x509
from cryptography.hazmat.primitives import serialization

from netbank.adapters import hsm
from netbank.adapters.ca import token_errors
from netbank.adapters.fincert import signed_content
from netbank.domain.fincert import SignaturePurpose
from netbank.services.ports import GeneratedKey

KEY_LABEL_PREFIX = "fincert-key-"
KEY_HANDLES_KEPT = 1024


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


class PKCS11KeyStore:
    """The ``FinCertKeyStore`` port with every customer key on a PKCS#11 token (see the module
    notes). The token is opened on first use and kept open (one login per process)."""

    def __init__(self, *, token_label: str, pin: str, module_path: str | None = None) -> None:
        self._token_label = token_label
        self._pin = pin
        self._module_path = module_path or hsm.DEFAULT_MODULE_PATH
        self._lock = threading.RLock()
        self._token: hsm.Token | None = None
        self._keys: OrderedDict[str, hsm.TokenKey] = OrderedDict()

    def _open(self) -> hsm.Token:
        with self._lock:
            if self._token is None or self._token.closed:
                with token_errors():
                    self._token = hsm.Token.open(self._token_label, self._pin, module_path=self._module_path)
                self._keys.clear()
            return self._token

    def token_key(self, key_ref: str) -> hsm.TokenKey:
        """A customer's key on the token (operators' checks, benchmarks); it signs only there."""
        with self._lock, token_errors():
            return self._key(key_ref)

    def _key(self, key_ref: str) -> hsm.TokenKey:
        """The token key of ``key_ref``; the handles of the most recently used keys are kept
        (a look-up on the token costs two object searches)."""
        token = self._open()
        key = self._keys.get(key_ref)
        if key is None:
            key = token.get_key(self.label_of(key_ref))
        self._remember(key_ref, key)
        return key

    def _remember(self, key_ref: str, key: hsm.TokenKey) -> None:
        self._keys[key_ref] = key
        self._keys.move_to_end(key_ref)
        while len(self._keys) > KEY_HANDLES_KEPT:
            self._keys.popitem(last=False)

    def close(self) -> None:
        with self._lock:
            if self._token is not None:
                self._token.close()
                self._token = None

    @staticmethod
    def label_of(key_ref: str) -> str:
        return KEY_LABEL_PREFIX + key_ref

    def generate(self, key_ref: str) -> GeneratedKey:
        with self._lock, token_errors():
            key = self._open().generate_key_pair(self.label_of(key_ref), hsm.KeyAlgorithm.RSA_2048)
            self._remember(key_ref, key)
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return GeneratedKey(public_key_der=public, sealed=None)

    def sign_cms(
        self,
        key_ref: str,
        sealed: bytes | None,
        certificate_der: bytes,
        *,
        message: bytes,
        purpose: SignaturePurpose,
    ) -> bytes:
        if sealed is not None:
            raise ValueError(f"key {key_ref} is a sealed software key, not a key on this token")
        with self._lock, token_errors():
            key = self._key(key_ref)
        with token_errors():  # the token serializes its own operations
            return build_signed_data(
                signed_content(message, purpose),
                certificate_der,
                key.sign,
                signing_time=datetime.now(UTC).replace(microsecond=0),
            )

    def protection(self, key_ref: str) -> hsm.KeyProtection:
        """How the token protects a customer's private key (sensitive, never extractable)."""
        with self._lock, token_errors():
            return self._key(key_ref).protection()

    def discard(self, key_ref: str) -> None:
        """Destroy a customer's key pair (a purged customer); a key already gone is fine."""
        with self._lock, token_errors():
            self._keys.pop(key_ref, None)
            try:
                self._open().delete_key_pair(self.label_of(key_ref))
            except hsm.TokenObjectNotFound:
                return
