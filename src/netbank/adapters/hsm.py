"""PKCS#11 tokens (UKEYs, the CA's HSM) through python-pkcs11 (SPEC K1, F7, G1).

K1: the customer's key pair is generated **on** the token and never leaves it; the CA keys of the
institution live in a token as well. This module is the only place that talks PKCS#11. It opens a
token by **label** (slot ids change when tokens are added), generates key pairs that are sensitive
and non-extractable, signs with them (SHA-256; RSA PKCS#1 v1.5 or ECDSA), exports the public half
as a ``cryptography`` public key, and stores X.509 certificates next to the keys, as
``pkcs11-tool`` and browsers expect (same ``CKA_ID`` as the key).

Every PKCS#11 failure leaves as a :class:`TokenError` subclass with a stable ``code``: a wrong
PIN is :class:`TokenPinIncorrect`, a locked PIN :class:`TokenPinLocked`, a token that is not
there :class:`TokenNotFound`.

Loading the module (SoftHSM2 in development and tests):

* SoftHSM2 reads ``SOFTHSM2_CONF`` once, when the library is loaded. Pass ``softhsm2_conf`` to
  :func:`load_module` (or set the variable yourself) **before** the first token is opened; a
  second load with another configuration is refused, because it would silently have no effect.
* The slot list is read when the library is initialised: a token created afterwards (for instance
  by ``softhsm2-util --init-token``) is invisible until the library is re-initialised.
  :meth:`Token.open` does that by itself when the label is unknown **and** no token of that module
  is open in this process (``C_Finalize`` would close every open session);
  :func:`refresh_slots` does it explicitly and refuses while tokens are open.
* PKCS#11 keeps the login state per token and per *process*: a second login to a token that is
  already open here would not check the PIN at all, and closing either session would log both
  out. One :class:`Token` per token per process is therefore enforced
  (:class:`TokenAlreadyOpen`); share that object (it serialises its calls with a lock).

SoftHSM2 2.6 never locks a user PIN: after a wrong PIN it raises ``CKF_USER_PIN_COUNT_LOW``
(see :func:`read_token_info`), and the next correct PIN clears the flag again. Hardware UKEYs
lock after a vendor-set number of failures; that shows as :class:`TokenPinLocked`. A limit of
our own (the PIN lock-out a policy may ask for) therefore belongs to the service layer.

Known limit of python-pkcs11 0.10.1: when ``C_Login`` fails, the session it opened just before is
not closed (the handle is not returned). It is an anonymous session, harmless but held until the
module is finalised; a token with a small session limit may refuse new sessions after very many
wrong PINs in one process.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self, TypeAlias

import pkcs11
import pkcs11.exceptions as p11e
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, MechanismFlag, ObjectClass, TokenFlag
from pkcs11.util.ec import encode_ec_public_key, encode_ecdsa_signature, encode_named_curve_parameters
from pkcs11.util.x509 import decode_x509_certificate

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as PKCS11Library

DEFAULT_MODULE_PATH: Final = "/usr/lib/softhsm/libsofthsm2.so"

#: The public key types a token key can have here.
TokenPublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


# --- errors ------------------------------------------------------------------------------------


class TokenError(Exception):
    """A PKCS#11 token refused or failed an operation. ``code`` is stable (K1)."""

    code: ClassVar[str] = "K1_TOKEN_ERROR"


class TokenNotFound(TokenError):
    """No token with that label is present (UKEY not plugged in, HSM slot missing)."""

    code: ClassVar[str] = "K1_TOKEN_NOT_FOUND"


class TokenLabelAmbiguous(TokenError):
    """More than one token carries the label; labels must be unique per module."""

    code: ClassVar[str] = "K1_TOKEN_LABEL_AMBIGUOUS"


class TokenPinIncorrect(TokenError):
    """The user PIN was refused (wrong, or of a length the token does not accept)."""

    code: ClassVar[str] = "K1_TOKEN_PIN_INCORRECT"


class TokenPinLocked(TokenError):
    """The user PIN is locked after too many wrong entries; only the SO can unblock it."""

    code: ClassVar[str] = "K1_TOKEN_PIN_LOCKED"


class TokenAlreadyOpen(TokenError):
    """The token is already open in this process (PKCS#11 login state is per process)."""

    code: ClassVar[str] = "K1_TOKEN_ALREADY_OPEN"


class TokenClosed(TokenError):
    """The :class:`Token` was closed; open it again."""

    code: ClassVar[str] = "K1_TOKEN_CLOSED"


class TokenObjectNotFound(TokenError):
    """No key or certificate with that label on the token."""

    code: ClassVar[str] = "K1_TOKEN_OBJECT_NOT_FOUND"


class TokenObjectExists(TokenError):
    """An object with that label already exists; labels name exactly one key pair."""

    code: ClassVar[str] = "K1_TOKEN_OBJECT_EXISTS"


class TokenKeyMismatch(TokenError):
    """The certificate does not belong to the key it is stored with."""

    code: ClassVar[str] = "K1_TOKEN_KEY_MISMATCH"


_NOT_FOUND_ERRORS: Final = (
    p11e.NoSuchToken,
    p11e.TokenNotPresent,
    p11e.TokenNotRecognised,
    p11e.SlotIDInvalid,
    p11e.DeviceRemoved,
)


@contextmanager
def _mapped_errors(action: str) -> Iterator[None]:
    """Translate python-pkcs11 exceptions into :class:`TokenError` subclasses."""
    try:
        yield
    except TokenError:
        raise
    except (p11e.PinIncorrect, p11e.PinLenRange, p11e.PinInvalid) as exc:
        raise TokenPinIncorrect(f"{action}: the token refused the PIN") from exc
    except p11e.PinLocked as exc:
        raise TokenPinLocked(f"{action}: the token's user PIN is locked") from exc
    except _NOT_FOUND_ERRORS as exc:
        raise TokenNotFound(f"{action}: token not present") from exc
    except p11e.MultipleTokensReturned as exc:
        raise TokenLabelAmbiguous(f"{action}: several tokens carry this label") from exc
    except p11e.NoSuchKey as exc:
        raise TokenObjectNotFound(f"{action}: no such object on the token") from exc
    except p11e.MultipleObjectsReturned as exc:
        raise TokenObjectExists(f"{action}: several objects match") from exc
    except p11e.UserAlreadyLoggedIn as exc:
        raise TokenAlreadyOpen(f"{action}: the token is already logged in by this process") from exc
    except (p11e.SessionClosed, p11e.SessionHandleInvalid) as exc:
        raise TokenClosed(f"{action}: the token session is gone") from exc
    except p11e.PKCS11Error as exc:
        raise TokenError(f"{action}: {type(exc).__name__}") from exc


# --- module loading ----------------------------------------------------------------------------


@dataclass
class _Module:
    lib: PKCS11Library
    softhsm2_conf: str | None
    open_labels: set[str]


_modules_lock = threading.Lock()
_modules: dict[str, _Module] = {}


def load_module(
    module_path: str = DEFAULT_MODULE_PATH, *, softhsm2_conf: str | os.PathLike[str] | None = None
) -> PKCS11Library:
    """Load (once per process) the PKCS#11 module at ``module_path``.

    ``softhsm2_conf`` is exported as ``SOFTHSM2_CONF`` before the first load; SoftHSM2 reads it
    only then, so asking for another configuration once loaded raises :class:`TokenError`.
    """
    with _modules_lock:
        return _load_locked(module_path, softhsm2_conf).lib


def _load_locked(module_path: str, softhsm2_conf: str | os.PathLike[str] | None) -> _Module:
    wanted = os.fspath(softhsm2_conf) if softhsm2_conf is not None else None
    module = _modules.get(module_path)
    if module is not None:
        if wanted is not None and wanted != module.softhsm2_conf:
            raise TokenError(
                f"{module_path} is already loaded with SOFTHSM2_CONF={module.softhsm2_conf!r}; "
                "it is read only once, at load"
            )
        return module
    if wanted is not None:
        os.environ["SOFTHSM2_CONF"] = wanted
    try:
        lib = pkcs11.lib(module_path)
    except p11e.PKCS11Error as exc:
        raise TokenError(f"cannot initialise PKCS#11 module {module_path}: {type(exc).__name__}") from exc
    except (RuntimeError, OSError) as exc:
        raise TokenError(f"cannot load PKCS#11 module {module_path}") from exc
    module = _Module(lib=lib, softhsm2_conf=os.environ.get("SOFTHSM2_CONF"), open_labels=set())
    _modules[module_path] = module
    return module


def refresh_slots(module_path: str = DEFAULT_MODULE_PATH) -> None:
    """Re-initialise the module so that tokens created after it was loaded become visible.

    Refused with :class:`TokenAlreadyOpen` while a token of the module is open in this process,
    since ``C_Finalize`` closes every session.
    """
    with _modules_lock:
        module = _load_locked(module_path, None)
        if module.open_labels:
            raise TokenAlreadyOpen(f"cannot refresh while tokens are open: {sorted(module.open_labels)}")
        with _mapped_errors("refresh slots"):
            module.lib.reinitialize()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a token says about itself without a login (no secrets)."""

    label: str
    serial: str
    manufacturer: str
    model: str
    initialized: bool
    user_pin_initialized: bool
    user_pin_count_low: bool
    user_pin_final_try: bool
    user_pin_locked: bool


def read_token_info(label: str, *, module_path: str = DEFAULT_MODULE_PATH) -> TokenInfo:
    """The flags of the token labelled ``label`` (raises :class:`TokenNotFound`)."""
    lib = load_module(module_path)
    with _mapped_errors("read token info"):
        token = lib.get_token(token_label=label)
        flags = token.flags
        return TokenInfo(
            label=token.label,
            serial=token.serial.decode("ascii", "replace").strip(),
            manufacturer=token.manufacturer_id,
            model=token.model,
            initialized=bool(flags & TokenFlag.TOKEN_INITIALIZED),
            user_pin_initialized=bool(flags & TokenFlag.USER_PIN_INITIALIZED),
            user_pin_count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
            user_pin_final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
            user_pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
        )


# --- keys and objects --------------------------------------------------------------------------


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


def _rsa_public_key(public: pkcs11.PublicKey) -> rsa.RSAPublicKey:
    modulus = int.from_bytes(public[Attribute.MODULUS], "big")
    exponent = int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big")
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def _ec_public_key(public: pkcs11.PublicKey) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(encode_ec_public_key(public))
    if not isinstance(key, ec.EllipticCurvePublicKey):  # pragma: no cover - the token said EC
        raise TokenError("token returned a non-EC public key for an EC key pair")
    return key


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
        with _modules_lock:
            module = _load_locked(module_path, softhsm2_conf)
            if label in module.open_labels:
                raise TokenAlreadyOpen(f"token {label!r} is already open in this process")
            with _mapped_errors(f"open token {label!r}"):
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
                with _mapped_errors(f"close token {self._label!r}"):
                    session.close()
            finally:
                with _modules_lock:
                    module = _modules.get(self._module_path)
                    if module is not None:
                        module.open_labels.discard(self._label)

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
            with _mapped_errors(action):
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
                public_key: TokenPublicKey = _rsa_public_key(public)
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
                public_key = _ec_public_key(public)
        return TokenKey(self, private, public_key, algorithm)

    def get_key(self, label: str) -> TokenKey:
        """The key pair labelled ``label`` (raises :class:`TokenObjectNotFound`)."""
        with self._locked(f"find key {label!r}") as session:
            private: Any = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            public: Any = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=label)
            if private.key_type is KeyType.RSA:
                return TokenKey(self, private, _rsa_public_key(public), KeyAlgorithm.RSA_2048)
            if private.key_type is KeyType.EC:
                return TokenKey(self, private, _ec_public_key(public), KeyAlgorithm.EC_P256)
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
