"""PKCS#11 tokens (UKEYs, the CA's HSM) through python-pkcs11 (SPEC K1, F7, G1).

K1: the customer's key pair is generated **on** the token and never leaves it; the CA keys of the
institution live in a token as well. This package is the only place that talks PKCS#11. It opens a
token by **label** (slot ids change when tokens are added), generates key pairs that are sensitive
and non-extractable, signs with them (SHA-256; RSA PKCS#1 v1.5 or ECDSA), exports the public half
as a ``cryptography`` public key, and stores X.509 certificates next to the keys, as
``pkcs11-tool`` and browsers expect (same ``CKA_ID`` as the key).

* ``errors``: every PKCS#11 failure leaves as a :class:`TokenError` subclass with a stable
  ``code``: a wrong PIN is :class:`TokenPinIncorrect`, a locked PIN :class:`TokenPinLocked`, a
  token that is not there :class:`TokenNotFound`.
* ``library``: loading the PKCS#11 module once per process (SoftHSM2 reads ``SOFTHSM2_CONF``
  only then), re-reading its slots, a token's flags without a login.
* ``token``: :class:`Token`, one logged-in session per token per process, and the objects on it.
* ``keys``: :class:`TokenKey`, a key pair on a token that signs there; key algorithms, UKEY
  generations, the private key's protection attributes.
* ``session``: :class:`KeptToken`, a token a server process logs in to once and keeps open, with
  the handles of the keys it used (the CA tokens, the financial certificate key store).

SoftHSM2 2.6 never locks a user PIN: after a wrong PIN it raises ``CKF_USER_PIN_COUNT_LOW``
(see :func:`read_token_info`), and the next correct PIN clears the flag again. Hardware UKEYs
lock after a vendor-set number of failures; that shows as :class:`TokenPinLocked`. A limit of
our own (the PIN lock-out a policy may ask for) therefore belongs to the service layer.

Known limit of python-pkcs11 0.10.1: when ``C_Login`` fails, the session it opened just before is
not closed (the handle is not returned). It is an anonymous session, harmless but held until the
module is finalised; a token with a small session limit may refuse new sessions after very many
wrong PINs in one process.
"""

from netbank.adapters.hsm.errors import (
    TokenAlreadyOpen,
    TokenClosed,
    TokenError,
    TokenKeyMismatch,
    TokenLabelAmbiguous,
    TokenNotFound,
    TokenObjectExists,
    TokenObjectNotFound,
    TokenPinIncorrect,
    TokenPinLocked,
)
from netbank.adapters.hsm.keys import KeyAlgorithm, KeyProtection, TokenKey, TokenPublicKey, UKEYGeneration
from netbank.adapters.hsm.library import (
    DEFAULT_MODULE_PATH,
    TokenInfo,
    load_module,
    read_token_info,
    refresh_slots,
)
from netbank.adapters.hsm.session import KeptToken
from netbank.adapters.hsm.token import Token, TokenObject, TokenObjectClass

__all__ = [
    "DEFAULT_MODULE_PATH",
    "KeptToken",
    "KeyAlgorithm",
    "KeyProtection",
    "Token",
    "TokenAlreadyOpen",
    "TokenClosed",
    "TokenError",
    "TokenInfo",
    "TokenKey",
    "TokenKeyMismatch",
    "TokenLabelAmbiguous",
    "TokenNotFound",
    "TokenObject",
    "TokenObjectClass",
    "TokenObjectExists",
    "TokenObjectNotFound",
    "TokenPinIncorrect",
    "TokenPinLocked",
    "TokenPublicKey",
    "UKEYGeneration",
    "load_module",
    "read_token_info",
    "refresh_slots",
]
