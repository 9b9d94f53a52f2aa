"""Key pairs on a PKCS#11 token: the algorithms netbank generates, the UKEY generations, the
protection a private key must have, and :class:`TokenKey`, which signs on the token (SPEC K1,
F7, G1). The private half never leaves the token; the public half is a ``cryptography`` key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, Mechanism
from pkcs11.util.ec import encode_ec_public_key, encode_ecdsa_signature

from netbank.adapters.hsm.errors import TokenError, TokenKeyMismatch

if TYPE_CHECKING:
    from netbank.adapters.hsm.token import Token

#: The public key types a token key can have here.
TokenPublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class KeyAlgorithm(StrEnum):
    """Key pair types a token generates here."""

    RSA_2048 = "rsa-2048"
    EC_P256 = "ec-p256"


class UKEYGeneration(IntEnum):
    """UKEY hardware generations of SPEC G1 (fees differ) and their key type (K1)."""

    GENERATION_1 = 1
    GENERATION_2 = 2

    @property
    def key_algorithm(self) -> KeyAlgorithm:
        """Generation 1 keys are RSA-2048, generation 2 keys ECDSA P-256."""
        return KeyAlgorithm.RSA_2048 if self is UKEYGeneration.GENERATION_1 else KeyAlgorithm.EC_P256


@dataclass(frozen=True, slots=True)
class KeyProtection:
    """The private key's PKCS#11 protection attributes (K1: must be sensitive, never extractable,
    generated on the token)."""

    sensitive: bool
    extractable: bool
    always_sensitive: bool
    never_extractable: bool
    local: bool

    @property
    def confined_to_token(self) -> bool:
        """True when the key was generated on the token and can never leave it."""
        return (
            self.sensitive
            and not self.extractable
            and self.always_sensitive
            and self.never_extractable
            and self.local
        )


class TokenKey:
    """A key pair on a :class:`Token`. Only the token can use the private half (K1).

    Satisfies the ``Signer`` protocol of :mod:`netbank.adapters.pki`.
    """

    def __init__(
        self,
        token: Token,
        private_key: Any,
        public_key: TokenPublicKey,
        algorithm: KeyAlgorithm,
    ) -> None:
        self._token = token
        # python-pkcs11 composes key classes from mixins at run time (SignMixin, ...): Any.
        self._private_key = private_key
        self._public_key = public_key
        self.algorithm = algorithm
        self.label: str = private_key.label
        self.key_id: bytes = private_key.id

    def __repr__(self) -> str:
        return f"TokenKey({self.label!r}, {self.algorithm.value}, token={self._token.label!r})"

    @property
    def token(self) -> Token:
        return self._token

    def public_key(self) -> TokenPublicKey:
        """The public half, as a ``cryptography`` object."""
        return self._public_key

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` with SHA-256 on the token (F7).

        RSA: PKCS#1 v1.5 (``CKM_SHA256_RSA_PKCS``). EC: SoftHSM has no ``CKM_ECDSA_SHA256``, so
        the digest is computed here and signed with ``CKM_ECDSA``; the raw ``r||s`` is returned
        DER-encoded (``ECDSA-Sig-Value``), as X.509, CMS and ``cryptography`` expect.
        """
        with self._token._locked(f"sign with {self.label!r}"):
            if self.algorithm is KeyAlgorithm.RSA_2048:
                return bytes(self._private_key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
            digest = hashlib.sha256(data).digest()
            raw = bytes(self._private_key.sign(digest, mechanism=Mechanism.ECDSA))
            return encode_ecdsa_signature(raw)

    def protection(self) -> KeyProtection:
        """Read the private key's protection attributes from the token."""
        with self._token._locked(f"read attributes of {self.label!r}"):
            values = self._private_key.get_attributes(
                [
                    Attribute.SENSITIVE,
                    Attribute.EXTRACTABLE,
                    Attribute.ALWAYS_SENSITIVE,
                    Attribute.NEVER_EXTRACTABLE,
                    Attribute.LOCAL,
                ]
            )
        return KeyProtection(
            sensitive=bool(values[Attribute.SENSITIVE]),
            extractable=bool(values[Attribute.EXTRACTABLE]),
            always_sensitive=bool(values[Attribute.ALWAYS_SENSITIVE]),
            never_extractable=bool(values[Attribute.NEVER_EXTRACTABLE]),
            local=bool(values[Attribute.LOCAL]),
        )

    def store_certificate(self, certificate: x509.Certificate) -> None:
        """Write ``certificate`` to the token under this key's label and ``CKA_ID``.

        Raises :class:`TokenKeyMismatch` when the certificate is for another key, and
        :class:`TokenObjectExists` when a certificate with this label is already stored.
        """
        if certificate.public_key() != self._public_key:
            raise TokenKeyMismatch(f"certificate does not certify key {self.label!r}")
        self._token.store_certificate(certificate, label=self.label, object_id=self.key_id)


def rsa_public_key(public: pkcs11.PublicKey) -> rsa.RSAPublicKey:
    modulus = int.from_bytes(public[Attribute.MODULUS], "big")
    exponent = int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big")
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def ec_public_key(public: pkcs11.PublicKey) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(encode_ec_public_key(public))
    if not isinstance(key, ec.EllipticCurvePublicKey):  # pragma: no cover - the token said EC
        raise TokenError("token returned a non-EC public key for an EC key pair")
    return key
