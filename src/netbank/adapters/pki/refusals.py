"""What netbank answers when the PKI or a token refuses (SPEC K1): the domain error, with the K1
code the services and the API give back, of each :class:`netbank.adapters.pki.PKIError` and
:class:`netbank.adapters.hsm.TokenError`. The CA adapters and the key stores raise these, never
the PKI's or the token's own exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from netbank.adapters import hsm
from netbank.adapters.pki.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRejected,
    CertificateRevoked,
    KeyUsageNotAllowed,
    SignatureInvalid,
    WrongIssuer,
)
from netbank.domain.errors import Code, Conflict, Locked, NotFound, RuleViolation

_REJECTIONS: Final[dict[type[CertificateRejected], Code]] = {
    CertificateExpired: Code.K1_CERTIFICATE_EXPIRED,
    CertificateNotYetValid: Code.K1_CERTIFICATE_NOT_YET_VALID,
    CertificateRevoked: Code.K1_CERTIFICATE_REVOKED,
    WrongIssuer: Code.K1_WRONG_ISSUER,
    KeyUsageNotAllowed: Code.K1_KEY_USAGE_NOT_ALLOWED,
    SignatureInvalid: Code.K1_SIGNATURE_INVALID,
}


def rejection_code(exc: CertificateRejected) -> Code:
    """The K1 refusal code of a PKI rejection."""
    for cls in type(exc).__mro__:
        if cls in _REJECTIONS:
            return _REJECTIONS[cls]
    return Code.K1_WRONG_ISSUER


@contextmanager
def token_errors() -> Iterator[None]:
    """PKCS#11 failures as K1 refusals (a wrong UKEY PIN is the customer's mistake)."""
    try:
        yield
    except hsm.TokenPinIncorrect as exc:
        raise RuleViolation(Code.K1_TOKEN_PIN_WRONG) from exc
    except hsm.TokenPinLocked as exc:
        raise Locked(Code.K1_TOKEN_PIN_LOCKED) from exc
    except hsm.TokenNotFound as exc:
        raise NotFound(Code.K1_TOKEN_NOT_FOUND) from exc
    except hsm.TokenObjectExists as exc:
        raise Conflict(Code.K1_TOKEN_IN_USE) from exc
    except hsm.TokenError as exc:
        raise RuleViolation(Code.K1_TOKEN_ERROR, reason=exc.code) from exc
