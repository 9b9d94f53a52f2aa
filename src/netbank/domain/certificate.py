"""The certificate version's rules (SPEC K1, E1, E4): the institution's CA hierarchy, the
customer's UKEY certificate and its states, and the canonical bytes a customer signs.

Pure: no cryptography, no I/O. The X.509 work lives in ``adapters/pki/``, the token work in
``adapters/hsm/``; the services combine them with these rules.

Canonical transfer instruction (format ``NBTX1``)
-------------------------------------------------
A signed transfer is only worth something when there is exactly one way to read the bytes
the customer signed. :func:`canonical_transfer_bytes` encodes an instruction as::

    b"NBTX1\\n" + field("institution") + field("customer") + field("payer") + field("payee")
                + field("amount_minor") + field("currency") + field("idempotency_key")
                + field("created_at")

where ``field(name)`` is ``name`` in ASCII, a colon, the decimal length in bytes of the UTF-8
value, a colon, the value, and a newline (``payee:8:62220001\\n``). Every value is a string:
``amount_minor`` in decimal without sign or leading zeros, ``currency`` the ISO 4217 code,
``created_at`` the UTC time as ``YYYY-MM-DDTHH:MM:SSZ``, ``payee`` the payee account number
(or a bill payee's code, prefixed ``payee-code:``). Because every value carries its length,
no value can run into the next; because the field names and their order are fixed, the same
instruction always gives the same bytes, and different instructions different bytes.

Login challenges (``NBAUTH1``) use the same framing: :func:`canonical_login_bytes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from netbank.domain.errors import Code, RuleViolation

TRANSFER_FORMAT = "NBTX1"
LOGIN_FORMAT = "NBAUTH1"

#: How far a signed instruction's time may lie from the server's clock (replays of old signed
#: instructions are stopped by the idempotency key; this bounds pre-signed ones).
SIGNED_INSTRUCTION_SKEW = timedelta(minutes=5)
#: How long a UKEY certificate is valid (renewal, with the G1 fee, issues the next one).
CERTIFICATE_VALIDITY = timedelta(days=2 * 365)
#: A login challenge must be signed within this time.
LOGIN_CHALLENGE_VALIDITY = timedelta(minutes=3)
#: Labels of the key pairs (and their certificates) netbank puts on a UKEY start with this.
UKEY_KEY_LABEL_PREFIX = "netbank-"
#: K1: consecutive wrong UKEY PINs at the counter after which netbank refuses the UKEY
#: (K1_TOKEN_PIN_LOCKED) until it is replaced; hardware UKEYs may lock earlier themselves.
UKEY_PIN_MAX_FAILURES = 5
#: The CRL is re-published on every revocation and at the latest this often.
CRL_VALIDITY = timedelta(days=1)


class CARole(StrEnum):
    """The certificates an institution's PKI holds (K1)."""

    ROOT = "root"
    ISSUING = "issuing"
    OCSP = "ocsp"  # the delegated OCSP signer (EKU OCSPSigning), issued by the issuing CA


class CertificateStatus(StrEnum):
    """A customer certificate is valid until revoked (expiry is read from its dates)."""

    VALID = "valid"
    REVOKED = "revoked"


class RevocationReason(StrEnum):
    """RFC 5280 reasons a teller (or a renewal) may give; values are the RFC's names."""

    KEY_COMPROMISE = "key_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class CARecord:
    """A certificate of the institution's PKI as the database keeps it; its key stays on the
    HSM token under ``key_label``."""

    id: int
    institution_id: int
    role: CARole
    serial: str
    subject: str
    key_label: str
    not_before: datetime
    not_after: datetime
    der: bytes


@dataclass(frozen=True, slots=True)
class RevocationState:
    """What the CRL and the OCSP responder say about one serial number."""

    known: bool
    revoked_at: datetime | None = None
    reason: RevocationReason | None = None


@dataclass(frozen=True, slots=True)
class CustomerCertificate:
    """A UKEY certificate as the database keeps it (public parts only)."""

    id: int
    institution_id: int
    contract_id: int
    customer_id: int
    issuer_id: int
    serial: str  # lower-case hex, no leading zeros
    token_serial: str
    token_label: str
    key_label: str
    generation: int
    status: CertificateStatus
    not_before: datetime
    not_after: datetime
    der: bytes
    revocation_reason: RevocationReason | None = None
    revoked_at: datetime | None = None


def check_certificate_usable(cert: CustomerCertificate, now: datetime) -> None:
    """K1: a signature counts only under a certificate that is in its validity period and not
    revoked. Raises the specific refusal."""
    if now < cert.not_before:
        raise RuleViolation(Code.K1_CERTIFICATE_NOT_YET_VALID)
    if now > cert.not_after:
        raise RuleViolation(Code.K1_CERTIFICATE_EXPIRED)
    if cert.status is CertificateStatus.REVOKED:
        raise RuleViolation(Code.K1_CERTIFICATE_REVOKED)


def check_certificate_of_customer(cert: CustomerCertificate, customer_id: int) -> None:
    """K1: a customer signs only with a certificate issued to them."""
    if cert.customer_id != customer_id:
        raise RuleViolation(Code.K1_CERTIFICATE_OF_ANOTHER_CUSTOMER)


def check_revocable(cert: CustomerCertificate) -> None:
    """K1: revoking twice is refused (the CRL entry keeps the first time and reason)."""
    if cert.status is CertificateStatus.REVOKED:
        raise RuleViolation(Code.K1_CERTIFICATE_REVOKED)


_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class TransferInstruction:
    """What a certificate customer signs to move money (K1)."""

    institution: str
    customer: str
    payer: str
    payee: str
    amount_minor: int
    currency: str
    idempotency_key: str
    created_at: datetime

    def __post_init__(self) -> None:
        if self.amount_minor <= 0:
            raise RuleViolation(Code.L1_AMOUNT_NOT_POSITIVE)
        if not _CURRENCY.match(self.currency):
            raise RuleViolation(Code.K1_INSTRUCTION_MALFORMED, field="currency")
        if self.created_at.tzinfo is None:
            raise RuleViolation(Code.K1_INSTRUCTION_MALFORMED, field="created_at")
        for name in ("institution", "customer", "payer", "payee", "idempotency_key"):
            value = getattr(self, name)
            if not value or any(ch in value for ch in "\r\n\x00"):
                raise RuleViolation(Code.K1_INSTRUCTION_MALFORMED, field=name)


def _field(name: str, value: str) -> bytes:
    raw = value.encode("utf-8")
    return name.encode("ascii") + b":" + str(len(raw)).encode("ascii") + b":" + raw + b"\n"


def format_utc(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``: whole seconds, UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_transfer_bytes(instruction: TransferInstruction) -> bytes:
    """The ``NBTX1`` bytes of ``instruction`` (see the module notes)."""
    return (
        TRANSFER_FORMAT.encode("ascii")
        + b"\n"
        + _field("institution", instruction.institution)
        + _field("customer", instruction.customer)
        + _field("payer", instruction.payer)
        + _field("payee", instruction.payee)
        + _field("amount_minor", str(instruction.amount_minor))
        + _field("currency", instruction.currency)
        + _field("idempotency_key", instruction.idempotency_key)
        + _field("created_at", format_utc(instruction.created_at))
    )


def canonical_login_bytes(institution: str, customer: str, nonce_hex: str) -> bytes:
    """The ``NBAUTH1`` bytes a customer signs to answer a login challenge (K1)."""
    return (
        LOGIN_FORMAT.encode("ascii")
        + b"\n"
        + _field("institution", institution)
        + _field("customer", customer)
        + _field("nonce", nonce_hex)
    )


def check_instruction_time(instruction: TransferInstruction, now: datetime) -> None:
    """K1: an instruction signed far from now is refused (clock skew allowance)."""
    if abs(now - instruction.created_at) > SIGNED_INSTRUCTION_SKEW:
        raise RuleViolation(Code.K1_INSTRUCTION_STALE)
