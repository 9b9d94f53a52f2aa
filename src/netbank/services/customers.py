"""Core banking use cases (C1-C3): customers, their identity documents and accounts, and the
counter work on accounts (loss, same-number replacement, closure, status flags; E11, E14)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from netbank.domain.account import Account, AccountKind, StatusFlag
from netbank.domain.counter import IdentityCheck, TransactionCode
from netbank.domain.customer import Customer, CustomerKind, IdentityDocument, mask_phone, normalize_phone
from netbank.domain.errors import Code, Conflict, RuleViolation
from netbank.domain.identity import (
    DocumentType,
    document_birth_date,
    mask_document_number,
    normalize_document_number,
)
from netbank.domain.money import exponent_of
from netbank.services.common import (
    Receipt,
    TellerActor,
    account_by_number,
    customer_by_number,
    customers_account,
    id_of,
    institution_by_code,
    journal,
    usable_identity_check,
)
from netbank.services.ledger import post_opening_deposit
from netbank.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class NewCustomer:
    institution_code: str
    customer_number: str
    name: str
    birth_date: date
    mobile: str
    document_type: DocumentType
    document_number: str
    document_expires_on: date | None
    own_income: bool = False
    kind: CustomerKind = CustomerKind.PERSONAL


@dataclass(frozen=True)
class NewAccount:
    institution_code: str
    customer_number: str
    number: str
    kind: AccountKind
    pin: str | None = None
    currency: str | None = None
    balance_minor: int = 0
    real_name: bool = True
    flags: tuple[str, ...] = ()
    main_card_number: str | None = None


def register_customer(deps: Deps, cmd: NewCustomer) -> Customer:
    """C1: a core customer with one customer number per institution and a verified identity
    document. The number is kept sealed and digested; only its masked form is readable."""
    with deps.uow() as uow:
        customer = add_customer(deps, uow, cmd)
        uow.commit()
        return customer


def add_customer(deps: Deps, uow: UnitOfWork, cmd: NewCustomer) -> Customer:
    """``register_customer`` inside the caller's unit of work (bulk import)."""
    policy = deps.policies.policy_for(cmd.institution_code)
    normalized = normalize_document_number(cmd.document_type, cmd.document_number)
    encoded_birth = document_birth_date(cmd.document_type, normalized)
    if encoded_birth is not None and encoded_birth != cmd.birth_date:
        raise RuleViolation(Code.C1_BIRTH_DATE_INVALID)
    try:
        mobile = normalize_phone(cmd.mobile, policy.phone_region)
    except RuleViolation:
        raise RuleViolation(Code.C1_PHONE_NUMBER_INVALID) from None
    digest = deps.vault.digest(cmd.document_type, normalized)
    inst = institution_by_code(uow, cmd.institution_code)
    if uow.customers.get_by_number(id_of(inst), cmd.customer_number) is not None:
        raise Conflict(Code.C1_CUSTOMER_NUMBER_TAKEN)
    if uow.customers.find_by_document(id_of(inst), digest):
        raise Conflict(Code.C1_PERSON_ALREADY_CUSTOMER)
    customer = Customer(
        institution_id=id_of(inst),
        customer_number=cmd.customer_number,
        name=cmd.name.strip(),
        birth_date=cmd.birth_date,
        mobile=mobile,
        own_income=cmd.own_income,
        kind=cmd.kind,
    )
    document = IdentityDocument(
        doc_type=cmd.document_type,
        number_masked=mask_document_number(cmd.document_type, normalized),
        number_digest=digest,
        number_sealed=deps.vault.seal(normalized),
        expires_on=cmd.document_expires_on,
    )
    uow.customers.add(customer, document)
    return customer


def open_account(deps: Deps, cmd: NewAccount) -> Account:
    """C2: an account of a kind the institution issues, in minor units of its currency."""
    with deps.uow() as uow:
        account = add_account(deps, uow, cmd)
        uow.commit()
        return account


def add_account(deps: Deps, uow: UnitOfWork, cmd: NewAccount) -> Account:
    """``open_account`` inside the caller's unit of work (bulk import, demo)."""
    policy = deps.policies.policy_for(cmd.institution_code)
    if cmd.kind not in policy.issued_account_kinds:
        raise RuleViolation(Code.C2_ACCOUNT_KIND_NOT_ISSUED, kind=cmd.kind.value)
    currency = cmd.currency or policy.currency
    try:
        exponent_of(currency)
    except ValueError:
        raise RuleViolation(Code.C2_CURRENCY_MISMATCH, currency=currency) from None
    today = deps.today_in(policy.timezone)
    inst = institution_by_code(uow, cmd.institution_code)
    customer = customer_by_number(uow, id_of(inst), cmd.customer_number)
    if uow.accounts.get_by_number(id_of(inst), cmd.number) is not None:
        raise Conflict(Code.C2_ACCOUNT_NUMBER_TAKEN)
    if cmd.kind is AccountKind.DEBIT_SUB_CARD:
        main = uow.accounts.get_by_number(id_of(inst), cmd.main_card_number or "")
        if main is None or main.customer_id != customer.id or main.kind is not AccountKind.DEBIT_MAIN_CARD:
            raise RuleViolation(Code.C2_SUB_CARD_NEEDS_MAIN_CARD)
    account = Account(
        institution_id=id_of(inst),
        customer_id=id_of(customer),
        number=cmd.number,
        kind=cmd.kind,
        currency=currency,
        opened_on=today,
        balance_minor=0,
        real_name=cmd.real_name,
        flags=int(StatusFlag.from_names(cmd.flags)),
        pin_digest=deps.hasher.hash(cmd.pin, policy.password) if cmd.pin else None,
        main_card_number=cmd.main_card_number if cmd.kind is AccountKind.DEBIT_SUB_CARD else None,
    )
    uow.accounts.add(account)
    uow.flush()
    # Money only ever arrives through the ledger: an opening balance is a cash-in posting.
    post_opening_deposit(uow, account, cmd.balance_minor, deps.clock.now(), today)
    return account


# --- counter work on accounts ------------------------------------------------------------

#: Flags staff set on their own authority (risk, fraud prevention): no customer present.
STAFF_FLAGS = StatusFlag.UNDER_WATCH | StatusFlag.FRAUD_HOLD
LOSS_REPORTS = {
    "verbal": StatusFlag.VERBAL_LOSS,
    "written": StatusFlag.WRITTEN_LOSS,
    "pin": StatusFlag.PIN_LOSS,
}


def record_identity_check(
    deps: Deps, actor: TellerActor, customer_number: str, document_type: DocumentType, document_number: str
) -> IdentityCheck:
    """E12: the teller checks the customer's identity document in person. The number typed
    must match the one on file; an expired document is refused (E2)."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    try:
        normalized = normalize_document_number(document_type, document_number)
    except RuleViolation:
        raise RuleViolation(Code.C1_IDENTITY_MISMATCH) from None
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number)
        document = uow.customers.document_of(id_of(customer))
        if document.doc_type is not document_type or document.number_digest != deps.vault.digest(
            document_type, normalized
        ):
            raise RuleViolation(Code.C1_IDENTITY_MISMATCH)
        if not document.is_valid_on(deps.today_in(policy.timezone)):
            raise RuleViolation(
                Code.E2_IDENTITY_DOCUMENT_EXPIRED,
                expired_on=document.expires_on.isoformat() if document.expires_on else "",
            )
        check = IdentityCheck(
            institution_id=actor.institution_id,
            branch_id=actor.branch_id,
            teller_id=actor.teller_id,
            customer_id=id_of(customer),
            doc_type=document_type.value,
            number_masked=document.number_masked,
            checked_at=now,
            expires_at=now + timedelta(minutes=policy.counter.identity_check_valid_minutes),
        )
        uow.counter.add_identity_check(check)
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="counter.identity_check",
            subject=f"customer:{customer.customer_number}",
            details={
                "identity_check": id_of(check),
                "document_type": document_type.value,
                "document": document.number_masked,
                "branch": actor.branch_code,
            },
        )
        uow.commit()
        return check


def report_loss(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    account_number: str,
    kind: str,
) -> Receipt:
    """C3: a verbal (口挂), written (书挂) or PIN (密挂) loss report."""
    flag = LOSS_REPORTS[kind]
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number, for_update=True)
        check = usable_identity_check(uow, actor, customer, identity_check_id, now)
        account = customers_account(uow, customer, account_number)
        account.ensure_open()
        account.set_flag(flag)
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.CARD_LOSS,
            action=kind,
            check=check,
            account=account,
            details={"account": account.masked_number},
            now=now,
        )
        uow.commit()
        return receipt


def replace_card(
    deps: Deps, actor: TellerActor, customer_number: str, identity_check_id: int, account_number: str
) -> Receipt:
    """E14: after a loss only a same-number replacement card is issued; links are kept."""
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number, for_update=True)
        check = usable_identity_check(uow, actor, customer, identity_check_id, now)
        account = customers_account(uow, customer, account_number)
        account.replace_card_same_number()
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.CARD_REPLACEMENT,
            action="same_number",
            check=check,
            account=account,
            details={"account": account.masked_number, "card_sequence": account.card_sequence},
            now=now,
        )
        uow.commit()
        return receipt


def close_account(
    deps: Deps, actor: TellerActor, customer_number: str, identity_check_id: int, account_number: str
) -> Receipt:
    """E14: a main card that is a registration account cannot be closed while the contract is
    active; closing any other account ends its e-banking links."""
    now = deps.clock.now()
    policy = deps.policies.policy_for(actor.institution_code)
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number, for_update=True)
        check = usable_identity_check(uow, actor, customer, identity_check_id, now)
        account = customers_account(uow, customer, account_number)
        in_use = uow.contracts.active_with_registration_account(id_of(account)) is not None
        account.close(deps.today_in(policy.timezone), contract_uses_as_registration=in_use)
        for link in uow.contracts.active_links_of_account(id_of(account)):
            link.end(now)
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.ACCOUNT_CLOSURE,
            action="close",
            check=check,
            account=account,
            details={"account": account.masked_number},
            now=now,
        )
        uow.commit()
        return receipt


def change_status_flag(
    deps: Deps,
    actor: TellerActor,
    account_number: str,
    flag_name: str,
    *,
    set_flag: bool,
    identity_check_id: int | None,
) -> Receipt:
    """C3: set or clear a status flag. Watch and fraud-hold flags are the bank's own decision;
    every other flag concerns the customer's card and needs them present (E12). Clearing
    错密超限 also resets the wrong-PIN counter."""
    flag = StatusFlag[flag_name.upper()]
    now = deps.clock.now()
    with deps.uow() as uow:
        account = account_by_number(uow, actor.institution_id, account_number, for_update=True)
        customer = uow.customers.get(account.customer_id, for_update=True)
        if customer is None:
            raise RuntimeError("account without customer")
        check = None
        if flag not in STAFF_FLAGS or identity_check_id is not None:
            check = usable_identity_check(uow, actor, customer, identity_check_id, now)
        if set_flag:
            account.set_flag(flag)
        else:
            account.clear_flag(flag)
            if flag is StatusFlag.WRONG_PIN_EXCEEDED:
                account.pin_failures = 0
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.STATUS_FLAG,
            action=("set_" if set_flag else "clear_") + flag_name.lower(),
            check=check,
            account=account,
            details={"account": account.masked_number, "flags": ",".join(account.status_flags.names())},
            now=now,
        )
        uow.commit()
        return receipt


def masked_mobile(customer: Customer) -> str:
    return mask_phone(customer.mobile)
