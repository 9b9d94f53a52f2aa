"""The financial certificate service's key stores, behind the ``FinCertKeyStore`` port, and what
they sign (SPEC F1, F7, F8).

* :class:`PKCS11KeyStore` generates each customer's RSA-2048 key pair on a PKCS#11 token
  (private, sensitive, never extractable: ``adapters/hsm``) and signs there, only when the
  service asks after the certificate PIN checked out. Nothing about the key but its reference is
  kept in the database. It is the production key store and the one the tests use. Its CMS
  SignedData is built by ``pki.build_signed_data`` (cryptography's CMS builder signs only with a
  software key). Give it a token of its own (``NETBANK_FINCERT_KEY_TOKEN_LABEL``): PKCS#11 allows
  one login per token per process, and the CA keys stay apart from the customers' keys.
* :class:`SealedKeyStore`, the embedded store, for a deployment without an HSM. Each customer's
  RSA-2048 key is generated here and kept only sealed with AES-256-GCM under a key-encryption key
  from configuration (``NETBANK_FINCERT_KEY_ENCRYPTION_KEY``), the key reference bound as
  associated data. Signing unseals the key in memory for one signature, with cryptography's
  ``pkcs7.PKCS7SignatureBuilder``.

F7: what both sign is :func:`signed_content`: ``netbank-fincert/1 purpose=NN`` + LF + the
message, so that the purpose code cannot be changed without breaking the signature.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs7

from netbank.adapters import hsm
from netbank.adapters.pki.cms import build_signed_data as build_signed_data
from netbank.adapters.pki.refusals import token_errors
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.fincert import SignaturePurpose
from netbank.services.ports import GeneratedKey

KEY_LABEL_PREFIX = "fincert-key-"
KEY_HANDLES_KEPT = 1024
CONTENT_PREFIX: Final = b"netbank-fincert/1 purpose="


def signed_content(message: bytes, purpose: SignaturePurpose) -> bytes:
    """F7: what is signed: the purpose code, then the message."""
    return CONTENT_PREFIX + purpose.value.encode() + b"\n" + message


def split_content(content: bytes) -> tuple[SignaturePurpose, bytes]:
    """F7: the purpose and the message of signed content (F7_SIGNATURE_INVALID if it is not)."""
    head, sep, message = content.partition(b"\n")
    if not sep or not head.startswith(CONTENT_PREFIX):
        raise RuleViolation(Code.F7_SIGNATURE_INVALID)
    try:
        return SignaturePurpose(head[len(CONTENT_PREFIX) :].decode()), message
    except (ValueError, UnicodeDecodeError):
        raise RuleViolation(Code.F7_SIGNATURE_INVALID) from None


class PKCS11KeyStore:
    """The ``FinCertKeyStore`` port with every customer key on a PKCS#11 token (see the module
    notes). The token is opened on first use and kept open (one login per process), with the
    handles of the most recently used keys (:class:`netbank.adapters.hsm.KeptToken`)."""

    def __init__(self, *, token_label: str, pin: str, module_path: str | None = None) -> None:
        self._token = hsm.KeptToken(
            token_label, pin, module_path=module_path or hsm.DEFAULT_MODULE_PATH, keys_kept=KEY_HANDLES_KEPT
        )

    def token_key(self, key_ref: str) -> hsm.TokenKey:
        """A customer's key on the token (operators' checks, benchmarks); it signs only there."""
        with token_errors():
            return self._token.key(self.label_of(key_ref))

    def close(self) -> None:
        self._token.close()

    @staticmethod
    def label_of(key_ref: str) -> str:
        return KEY_LABEL_PREFIX + key_ref

    def generate(self, key_ref: str) -> GeneratedKey:
        label = self.label_of(key_ref)
        with self._token.lock, token_errors():
            key = self._token.token().generate_key_pair(label, hsm.KeyAlgorithm.RSA_2048)
            self._token.remember(label, key)
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
        key = self.token_key(key_ref)
        with token_errors():  # the token serializes its own operations
            return build_signed_data(
                signed_content(message, purpose),
                certificate_der,
                key.sign,
                signing_time=datetime.now(UTC).replace(microsecond=0),
            )

    def protection(self, key_ref: str) -> hsm.KeyProtection:
        """How the token protects a customer's private key (sensitive, never extractable)."""
        with token_errors():
            return self.token_key(key_ref).protection()

    def discard(self, key_ref: str) -> None:
        """Destroy a customer's key pair (a purged customer); a key already gone is fine."""
        label = self.label_of(key_ref)
        with self._token.lock, token_errors():
            self._token.forget(label)
            try:
                self._token.token().delete_key_pair(label)
            except hsm.TokenObjectNotFound:
                return


class SealedKeyStore:
    """The embedded ``FinCertKeyStore``: RSA-2048 keys sealed with AES-256-GCM (see the module
    notes). A key is unsealed for one signature and not kept: a customer's private key is in
    clear in memory only while it signs."""

    def __init__(self, key_encryption_key: bytes) -> None:
        if len(key_encryption_key) != 32:
            raise ValueError("the key-encryption key must be 32 bytes")
        self._aead = AESGCM(key_encryption_key)

    def _aad(self, key_ref: str) -> bytes:
        return f"netbank fincert key v1:{key_ref}".encode()

    def _open(
        self, key_ref: str, sealed: bytes, certificate_der: bytes
    ) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        plain = self._aead.decrypt(sealed[:12], sealed[12:], self._aad(key_ref))
        # The sealed key was generated here and AES-GCM authenticates it (bound to its key
        # reference): the RSA consistency check cryptography would run on loading it (about
        # 30 ms, a hundred times the signature) cannot find anything the seal did not.
        key = serialization.load_der_private_key(plain, password=None, unsafe_skip_rsa_key_validation=True)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("not an RSA key")
        return key, x509.load_der_x509_certificate(certificate_der)

    def generate(self, key_ref: str) -> GeneratedKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        plain = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, plain, self._aad(key_ref))
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return GeneratedKey(public_key_der=public, sealed=sealed)

    def sign_cms(
        self,
        key_ref: str,
        sealed: bytes | None,
        certificate_der: bytes,
        *,
        message: bytes,
        purpose: SignaturePurpose,
    ) -> bytes:
        if sealed is None:
            raise ValueError(f"key {key_ref} is not in the embedded key store")
        key, certificate = self._open(key_ref, sealed, certificate_der)
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(signed_content(message, purpose))
            .add_signer(certificate, key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
        )

    def discard(self, key_ref: str) -> None:
        """F8: a sealed key exists only in its certificate row, which the purge clears
        (``key_sealed``); the store keeps nothing of it."""
