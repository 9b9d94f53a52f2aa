"""Printed receipts of counter transactions (E12): what the counter journal recorded, read back
for the teller to print and hand to the customer.

A receipt names the transaction code and action, the teller, the branch and the time, the
customer by number with the name masked, the identity document checked (masked, as recorded),
the account involved (masked) and the fee charged, if any (G1). It is read by a teller of the
same institution only; any other transaction number is "not found", so numbers cannot be
probed across institutions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netbank.domain.customer import mask_name
from netbank.domain.errors import Code, NotFound
from netbank.services.common import TellerActor
from netbank.services.ports import Deps

#: Journal details a receipt shows under their own heading (the rest are listed as they are).
_SHOWN_APART = frozenset({"fee_minor", "fee_account", "account"})


@dataclass(frozen=True)
class PrintedReceipt:
    transaction_id: int
    code: str
    action: str
    at: datetime
    timezone: str
    institution_code: str
    institution_name: str
    branch_code: str
    branch_name: str
    teller_number: str
    customer_number: str
    customer_name_masked: str
    document_type: str | None
    document_masked: str | None
    account_masked: str | None
    fee_minor: int | None
    fee_account_masked: str | None
    currency: str
    #: the other journal details (serials, versions, flags), never a secret
    details: dict[str, Any]


def counter_receipt(deps: Deps, actor: TellerActor, transaction_id: int) -> PrintedReceipt:
    """The receipt of counter transaction ``transaction_id`` of the teller's institution."""
    with deps.uow(readonly=True) as uow:
        txn = uow.counter.get_transaction(transaction_id)
        if txn is None or txn.institution_id != actor.institution_id:
            raise NotFound(Code.NOT_FOUND)
        institution = uow.institutions.get(txn.institution_id)
        branch = uow.institutions.get_branch(txn.branch_id)
        teller = uow.tellers.get(txn.teller_id)
        customer = uow.customers.get(txn.customer_id)
        if institution is None or branch is None or teller is None or customer is None:
            raise NotFound(Code.NOT_FOUND)
        check = (
            uow.counter.get_identity_check(txn.identity_check_id)
            if txn.identity_check_id is not None
            else None
        )
        account = uow.accounts.get(txn.account_id) if txn.account_id is not None else None
        details = dict(txn.details)
        fee = details.get("fee_minor")
        fee_account = details.get("fee_account")
        return PrintedReceipt(
            transaction_id=transaction_id,
            code=txn.code.value,
            action=txn.action,
            at=txn.at,
            timezone=institution.timezone,
            institution_code=institution.code,
            institution_name=institution.name,
            branch_code=branch.code,
            branch_name=branch.name,
            teller_number=teller.teller_number,
            customer_number=customer.customer_number,
            customer_name_masked=mask_name(customer.name),
            document_type=check.doc_type if check else None,
            document_masked=check.number_masked if check else None,
            account_masked=account.masked_number if account else None,
            fee_minor=int(fee) if isinstance(fee, int) else None,
            fee_account_masked=str(fee_account) if fee_account else None,
            currency=institution.currency,
            details={k: v for k, v in details.items() if k not in _SHOWN_APART and v not in (None, "")},
        )
