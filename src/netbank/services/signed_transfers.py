"""K1: transfers signed with the UKEY over their canonical ``NBTX1`` bytes, booked at the
certificate level's limits (L2), the instruction, signature and certificate kept with the
transfer for non-repudiation, all in the booking's transaction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from netbank.domain.certificate import (
    TRANSFER_FORMAT,
    TransferInstruction,
    canonical_transfer_bytes,
    check_instruction_time,
)
from netbank.domain.errors import Code, NotFound, RuleViolation
from netbank.domain.ledger import Transfer
from netbank.domain.session import AuthLevel
from netbank.services.common import CustomerActor, id_of
from netbank.services.payments import TransferRequest, TransferResult, book_transfer
from netbank.services.pki import certificate_contract, verify_signed
from netbank.services.ports import Deps, UnitOfWork

BILL_PAYEE_PREFIX = "payee-code:"


@dataclass(frozen=True, kw_only=True)
class SubmitSignedTransfer:
    """A transfer instruction as the client signed it (``NBTX1``, see domain/certificate.py):
    ``payee`` is an account number or ``payee-code:`` and a payee's code (a bill)."""

    payer: str
    payee: str
    amount_minor: int
    currency: str
    idempotency_key: str
    created_at: datetime
    certificate: bytes
    signature: bytes
    reference: str = ""


@dataclass(frozen=True)
class SignedTransferResult:
    result: TransferResult
    certificate_serial: str
    canonical: bytes


def submit_signed_transfer(
    deps: Deps, actor: CustomerActor, req: SubmitSignedTransfer
) -> SignedTransferResult:
    """K1: verify the UKEY signature over the canonical instruction, then book the transfer
    at the certificate level's limits (L2) and keep instruction, signature and certificate
    with it for non-repudiation — all in the booking's transaction."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        certificate_contract(uow, actor)
        customer = uow.customers.get(actor.customer_id)
        if customer is None:
            raise NotFound(Code.CUSTOMER_NOT_FOUND)
        instruction = TransferInstruction(
            institution=actor.institution_code,
            customer=customer.customer_number,
            payer=req.payer,
            payee=req.payee,
            amount_minor=req.amount_minor,
            currency=req.currency,
            idempotency_key=req.idempotency_key,
            created_at=req.created_at,
        )
        canonical = canonical_transfer_bytes(instruction)
        certificate = verify_signed(deps, uow, actor, req.certificate, canonical, req.signature, now)
        check_instruction_time(instruction, now)

    def keep_evidence(uow: UnitOfWork, transfer: Transfer) -> None:
        if transfer.currency != instruction.currency:
            raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=instruction.currency)
        current = uow.pki.valid_certificate_of(actor.customer_id, for_update=True)
        if current is None or current.id != certificate.id:  # revoked meanwhile
            raise RuleViolation(Code.K1_CERTIFICATE_REVOKED)
        uow.flush()
        uow.pki.add_signed_transfer(
            transfer_id=id_of(transfer),
            certificate_id=certificate.id,
            format_tag=TRANSFER_FORMAT,
            canonical=canonical,
            signature=req.signature,
            certificate_der=req.certificate,
            at=now,
        )

    bill = req.payee.startswith(BILL_PAYEE_PREFIX)
    result = book_transfer(
        deps,
        dataclasses.replace(actor, level=max(actor.level, AuthLevel.CERTIFICATE)),
        TransferRequest(
            idempotency_key=req.idempotency_key,
            from_account=req.payer,
            amount_minor=req.amount_minor,
            to_account=None if bill else req.payee,
            payee_code=req.payee.removeprefix(BILL_PAYEE_PREFIX) if bill else None,
            reference=req.reference,
        ),
        evidence=keep_evidence,
    )
    return SignedTransferResult(result=result, certificate_serial=certificate.serial, canonical=canonical)
