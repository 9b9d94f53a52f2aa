"""The financial certificate service's key store on a PKCS#11 token (SPEC F1, F7).

:class:`PKCS11KeyStore` generates each customer's RSA-2048 key pair on the token (private,
sensitive, never extractable: ``adapters/hsm.py``) and signs there, only when the service asks
after the certificate PIN checked out. Nothing about the key but its reference is kept in the
database. It is the production key store and the one the tests use; the embedded
:class:`netbank.adapters.fincert.SealedKeyStore` (AES-GCM sealed software keys) is for a
deployment without an HSM.

cryptography's CMS builder signs only with a software key, so CMS SignedData is built here with
asn1crypto (RFC 5652): attached content, SHA-256, the signed attributes content-type,
signing-time and message-digest, and an RSA PKCS#1 v1.5 signature made on the token over the
DER of those attributes. ``openssl cms -verify`` and the service's own verifier accept it.

Give the key store a token of its own (``NETBANK_FINCERT_KEY_TOKEN_LABEL``): PKCS#11 allows one
login per token per process, and the CA keys stay apart from the customers' keys.
"""

from __future__ import annotations

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


def build_signed_data(
    content: bytes, certificate_der: bytes, sign: Callable[[bytes], bytes], *, signing_time: datetime
) -> bytes:
    """CMS SignedData (RFC 5652) over ``content``, attached, signed by ``sign`` (RSA PKCS#1 v1.5
    with SHA-256 over the DER of the signed attributes) for the holder of ``certificate_der``."""
    certificate = asn1x509.Certificate.load(certificate_der)
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
        ]
    )
    # The signature covers the attributes encoded as a SET OF (RFC 5652 5.4), not [0] IMPLICIT.
    signature = sign(signed_attrs.dump())
    digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"})
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
                    )
                }
            ),
            "digest_algorithm": digest_algorithm,
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [digest_algorithm],
            "encap_content_info": {"content_type": "data", "content": core.OctetString(content)},
            "certificates": [cms.CertificateChoices({"certificate": certificate})],
            "signer_infos": [signer],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


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
