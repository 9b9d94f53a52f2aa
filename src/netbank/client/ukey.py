"""Sign with the UKEY on the customer's side (SPEC K1): transfer instructions in the
``NBTX1`` encoding and login challenges (``NBAUTH1``), both defined in
``netbank.domain.certificate``. The private key never leaves the token: the token signs
(SHA-256; RSA PKCS#1 v1.5 for generation 1, ECDSA P-256 for generation 2) and this module
returns the signature with the certificate stored next to the key, ready for
``POST /api/v1/me/signed-transfers`` or ``POST /api/v1/me/step-up/certificate``.

The netbank key on a UKEY is the key pair whose label starts with ``netbank-`` and that has a
certificate; the counter removes the previous one on renewal, so normally there is one.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization

from netbank.adapters import hsm
from netbank.domain.certificate import (
    UKEY_KEY_LABEL_PREFIX,
    TransferInstruction,
    canonical_transfer_bytes,
    format_utc,
)

KEY_LABEL_PREFIX = UKEY_KEY_LABEL_PREFIX


@dataclass(frozen=True)
class Signed:
    data: bytes
    signature: bytes
    certificate_der: bytes

    @property
    def signature_b64(self) -> str:
        return base64.b64encode(self.signature).decode("ascii")

    @property
    def certificate_b64(self) -> str:
        return base64.b64encode(self.certificate_der).decode("ascii")


def sign_bytes(
    token_label: str,
    pin: str,
    data: bytes,
    *,
    module_path: str = hsm.DEFAULT_MODULE_PATH,
    key_label: str | None = None,
) -> Signed:
    """Sign ``data`` with the netbank key on the UKEY labelled ``token_label``.

    Raises :class:`netbank.adapters.hsm.TokenPinIncorrect` / ``TokenPinLocked`` /
    ``TokenNotFound`` / ``TokenObjectNotFound`` (no netbank certificate on the token)."""
    with hsm.Token.open(token_label, pin, module_path=module_path) as token:
        label = key_label or _netbank_key_label(token)
        key = token.get_key(label)
        certificate = token.read_certificate(label)
        signature = key.sign(data)
    return Signed(
        data=data, signature=signature, certificate_der=certificate.public_bytes(serialization.Encoding.DER)
    )


def _netbank_key_label(token: hsm.Token) -> str:
    certificates = [
        o
        for o in token.list_objects()
        if o.object_class is hsm.TokenObjectClass.CERTIFICATE and o.label.startswith(KEY_LABEL_PREFIX)
    ]
    if not certificates:
        raise hsm.TokenObjectNotFound("no netbank certificate on this UKEY")
    newest = max(certificates, key=lambda o: token.read_certificate(o.label).not_valid_before_utc)
    return newest.label


def signed_transfer_body(
    instruction: TransferInstruction,
    token_label: str,
    pin: str,
    *,
    module_path: str = hsm.DEFAULT_MODULE_PATH,
    reference: str = "",
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/me/signed-transfers`` for ``instruction``, signed on the
    UKEY. ``created_at`` is sent at whole seconds, as it is signed."""
    signed = sign_bytes(token_label, pin, canonical_transfer_bytes(instruction), module_path=module_path)
    return {
        "payer": instruction.payer,
        "payee": instruction.payee,
        "amount_minor": instruction.amount_minor,
        "currency": instruction.currency,
        "idempotency_key": instruction.idempotency_key,
        "created_at": format_utc(instruction.created_at),
        "reference": reference,
        "certificate": signed.certificate_b64,
        "signature": signed.signature_b64,
    }


def signed_login_body(
    nonce: str, to_sign_b64: str, token_label: str, pin: str, *, module_path: str = hsm.DEFAULT_MODULE_PATH
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/me/step-up/certificate`` answering a challenge."""
    signed = sign_bytes(token_label, pin, base64.b64decode(to_sign_b64), module_path=module_path)
    return {"nonce": nonce, "certificate": signed.certificate_b64, "signature": signed.signature_b64}


def instruction(
    *,
    institution: str,
    customer: str,
    payer: str,
    payee: str,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    created_at: datetime,
) -> TransferInstruction:
    """A transfer instruction at whole seconds (the precision of its canonical encoding)."""
    return TransferInstruction(
        institution=institution,
        customer=customer,
        payer=payer,
        payee=payee,
        amount_minor=amount_minor,
        currency=currency,
        idempotency_key=idempotency_key,
        created_at=created_at.replace(microsecond=0),
    )
