"""What a PKCS#11 token refuses or fails, as :class:`TokenError` subclasses with a stable ``code``
(SPEC K1): a wrong PIN is :class:`TokenPinIncorrect`, a locked PIN :class:`TokenPinLocked`, a
token that is not there :class:`TokenNotFound`. :func:`mapped_errors` translates python-pkcs11's
exceptions; nothing else of :mod:`netbank.adapters.hsm` lets one of them out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar, Final

import pkcs11.exceptions as p11e


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
def mapped_errors(action: str) -> Iterator[None]:
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
