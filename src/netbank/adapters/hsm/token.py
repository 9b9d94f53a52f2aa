"""A logged-in session on one PKCS#11 token, found by its label, and the objects on it: key pairs
generated there, X.509 certificates stored next to them (SPEC K1).

A token is opened by **label** (slot ids change when tokens are added). Key pairs are generated
sensitive and non-extractable; certificates are stored with the key's label and ``CKA_ID``, as
``pkcs11-tool`` and browsers expect.

PKCS#11 keeps the login state per token and per *process*: a second login to a token that is
already open here would not check the PIN at all, and closing either session would log both
out. One :class:`Token` per token per process is therefore enforced (:class:`TokenAlreadyOpen`);
share that object (it serialises its calls with a lock).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Final, Self

import pkcs11
import pkcs11.exceptions as p11e
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, MechanismFlag, ObjectClass, TokenFlag
from pkcs11.util.ec import encode_named_curve_parameters
from pkcs11.util.x509 import decode_x509_certificate

from netbank.adapters.hsm.errors import (
    TokenAlreadyOpen,
    TokenClosed,
    TokenError,
    TokenNotFound,
    TokenObjectExists,
    TokenObjectNotFound,
    TokenPinLocked,
    mapped_errors,
)
from netbank.adapters.hsm.keys import KeyAlgorithm, TokenKey, TokenPublicKey, ec_public_key, rsa_public_key
from netbank.adapters.hsm.library import DEFAULT_MODULE_PATH, forget_open_token, locked_module


class TokenObjectClass(StrEnum):
    PRIVATE_KEY = "private-key"
    PUBLIC_KEY = "public-key"
    CERTIFICATE = "certificate"
    SECRET_KEY = "secret-key"  # noqa: S105 - an object class name
    DATA = "data"
    OTHER = "other"


_OBJECT_CLASSES: Final = {
    ObjectClass.PRIVATE_KEY: TokenObjectClass.PRIVATE_KEY,
    ObjectClass.PUBLIC_KEY: TokenObjectClass.PUBLIC_KEY,
    ObjectClass.CERTIFICATE: TokenObjectClass.CERTIFICATE,
    ObjectClass.SECRET_KEY: TokenObjectClass.SECRET_KEY,
    ObjectClass.DATA: TokenObjectClass.DATA,
}


@dataclass(frozen=True, slots=True)
class TokenObject:
    """One object on a token, as :meth:`Token.list_objects` sees it."""

    object_class: TokenObjectClass
    label: str
    object_id: bytes


class Token:
    """A logged-in session on one PKCS#11 token, found by its label (K1).

    Open with :meth:`open`; close with :meth:`close` or use as a context manager. All calls are
    serialised by a lock, so one object can be shared between threads.
    """

    def __init__(self, *, _module_path: str, _label: str, _session: pkcs11.Session) -> None:
        self._module_path = _module_path
        self._label = _label
        self._session: pkcs11.Session | None = _session
        self._lock = threading.RLock()

    # -- opening and closing ------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        label: str,
        user_pin: str,
        *,
        module_path: str = DEFAULT_MODULE_PATH,
        softhsm2_conf: str | os.PathLike[str] | None = None,
    ) -> Token:
        """Log in to the token labelled ``label`` with the user PIN (read-write session).

        Raises :class:`TokenNotFound`, :class:`TokenLabelAmbiguous`, :class:`TokenPinIncorrect`,
        :class:`TokenPinLocked`, or :class:`TokenAlreadyOpen` (see the module notes).
        """
        with locked_module(module_path, softhsm2_conf) as module:
            if label in module.open_labels:
                raise TokenAlreadyOpen(f"token {label!r} is already open in this process")
            with mapped_errors(f"open token {label!r}"):
                try:
                    token = module.lib.get_token(token_label=label)
                except p11e.NoSuchToken:
                    if module.open_labels:
                        raise TokenNotFound(
                            f"token {label!r} not found (slots are re-read only when no token of "
                            "this module is open in the process)"
                        ) from None
                    module.lib.reinitialize()
                    token = module.lib.get_token(token_label=label)
                if token.flags & TokenFlag.USER_PIN_LOCKED:
                    raise TokenPinLocked(f"open token {label!r}: the token's user PIN is locked")
                session = token.open(rw=True, user_pin=user_pin)
            module.open_labels.add(label)
        return cls(_module_path=module_path, _label=label, _session=session)

    @property
    def label(self) -> str:
        return self._label

    @property
    def closed(self) -> bool:
        return self._session is None

    def close(self) -> None:
        """Log out and close the session (idempotent)."""
        with self._lock:
            session, self._session = self._session, None
            if session is None:
                return
            try:
                with mapped_errors(f"close token {self._label!r}"):
                    session.close()
            finally:
                forget_open_token(self._module_path, self._label)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"Token(label={self._label!r}, {state})"

    @contextmanager
    def _locked(self, action: str) -> Iterator[pkcs11.Session]:
        with self._lock:
            if self._session is None:
                raise TokenClosed(f"{action}: token {self._label!r} is closed")
            with mapped_errors(action):
                yield self._session

    # -- keys -----------------------------------------------------------------------------------

    def generate_key_pair(
        self, label: str, algorithm: KeyAlgorithm, *, key_id: bytes | None = None
    ) -> TokenKey:
        """Generate a key pair on the token (K1): the private key is private, sensitive, not
        extractable and may only sign; both halves are token objects with ``label`` and
        ``CKA_ID`` = ``key_id`` (16 random bytes by default).

        Raises :class:`TokenObjectExists` when ``label`` is taken.
        """
        if not label:
            raise ValueError("a key pair needs a label")
        object_id = key_id if key_id is not None else secrets.token_bytes(16)
        private_template: dict[Attribute, Any] = {
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
        }
        public_template: dict[Attribute, Any] = {Attribute.TOKEN: True, Attribute.PRIVATE: False}
        with self._locked(f"generate key pair {label!r}") as session:
            if any(True for _ in session.get_objects({Attribute.LABEL: label})):
                raise TokenObjectExists(f"an object labelled {label!r} already exists on the token")
            if algorithm is KeyAlgorithm.RSA_2048:
                public, private = session.generate_keypair(
                    KeyType.RSA,
                    2048,
                    id=object_id,
                    label=label,
                    store=True,
                    capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                    public_template=public_template,
                    private_template=private_template,
                )
                public_key: TokenPublicKey = rsa_public_key(public)
            else:
                public_template[Attribute.EC_PARAMS] = encode_named_curve_parameters("secp256r1")
                public, private = session.generate_keypair(
                    KeyType.EC,
                    id=object_id,
                    label=label,
                    store=True,
                    capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                    mechanism=Mechanism.EC_KEY_PAIR_GEN,
                    public_template=public_template,
                    private_template=private_template,
                )
                public_key = ec_public_key(public)
        return TokenKey(self, private, public_key, algorithm)

    def get_key(self, label: str) -> TokenKey:
        """The key pair labelled ``label`` (raises :class:`TokenObjectNotFound`)."""
        with self._locked(f"find key {label!r}") as session:
            private: Any = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            public: Any = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=label)
            if private.key_type is KeyType.RSA:
                return TokenKey(self, private, rsa_public_key(public), KeyAlgorithm.RSA_2048)
            if private.key_type is KeyType.EC:
                return TokenKey(self, private, ec_public_key(public), KeyAlgorithm.EC_P256)
        raise TokenError(f"key {label!r} has a key type this module does not use")

    def delete_key_pair(self, label: str) -> None:
        """Destroy the key pair labelled ``label`` (K1 key replacement). Its certificate, if
        any, is left alone: delete it with :meth:`delete_certificate`."""
        with self._locked(f"delete key {label!r}") as session:
            found = False
            for object_class in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY):
                for obj in list(session.get_objects({Attribute.CLASS: object_class, Attribute.LABEL: label})):
                    obj.destroy()
                    found = True
            if not found:
                raise TokenObjectNotFound(f"no key labelled {label!r} on the token")

    # -- certificates ---------------------------------------------------------------------------

    def store_certificate(self, certificate: x509.Certificate, *, label: str, object_id: bytes) -> None:
        """Write an X.509 certificate object (public, token object). Raises
        :class:`TokenObjectExists` when a certificate with ``label`` is already stored."""
        der = certificate.public_bytes(serialization.Encoding.DER)
        attributes = decode_x509_certificate(der)
        attributes.update(
            {
                Attribute.TOKEN: True,
                Attribute.PRIVATE: False,
                Attribute.LABEL: label,
                Attribute.ID: object_id,
            }
        )
        with self._locked(f"store certificate {label!r}") as session:
            existing = session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label})
            if any(True for _ in existing):
                raise TokenObjectExists(f"a certificate labelled {label!r} is already stored")
            session.create_object(attributes)

    def read_certificate(self, label: str) -> x509.Certificate:
        """The X.509 certificate labelled ``label`` (raises :class:`TokenObjectNotFound`)."""
        with self._locked(f"read certificate {label!r}") as session:
            found = list(
                session.get_objects(
                    {
                        Attribute.CLASS: ObjectClass.CERTIFICATE,
                        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                        Attribute.LABEL: label,
                    }
                )
            )
            if not found:
                raise TokenObjectNotFound(f"no certificate labelled {label!r} on the token")
            if len(found) > 1:
                raise TokenObjectExists(f"several certificates labelled {label!r}")
            der = bytes(found[0][Attribute.VALUE])
        return x509.load_der_x509_certificate(der)

    def delete_certificate(self, label: str) -> None:
        """Destroy the certificate labelled ``label`` (raises :class:`TokenObjectNotFound`)."""
        with self._locked(f"delete certificate {label!r}") as session:
            found = list(
                session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label})
            )
            if not found:
                raise TokenObjectNotFound(f"no certificate labelled {label!r} on the token")
            for obj in found:
                obj.destroy()

    def list_objects(self) -> list[TokenObject]:
        """Every object the logged-in user can see, sorted by label then class."""
        with self._locked("list objects") as session:
            objects = []
            for obj in session.get_objects():
                object_class = obj[Attribute.CLASS]
                try:
                    object_id = bytes(obj[Attribute.ID])
                except p11e.AttributeTypeInvalid:  # data objects have no CKA_ID
                    object_id = b""
                objects.append(
                    TokenObject(
                        object_class=_OBJECT_CLASSES.get(object_class, TokenObjectClass.OTHER),
                        label=str(obj[Attribute.LABEL]),
                        object_id=object_id,
                    )
                )
        return sorted(objects, key=lambda o: (o.label, o.object_class.value, o.object_id))
