"""Core banking use cases (C1-C2): customers, their identity documents and accounts, as the
bank's back office registers them (the core system's feed, the import, the demo). The counter
work on accounts (loss, replacement, closure, status flags) is ``services/counter``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from netbank.domain.account import Account, AccountKind, StatusFlag
from netbank.domain.customer import Customer, CustomerKind, IdentityDocument, mask_phone, normalize_phone
from netbank.domain.errors import Code, Conflict, RuleViolation
from netbank.domain.identity import (
    DocumentType,
    document_birth_date,
    mask_document_number,
    normalize_document_number,
)
from netbank.domain.money import exponent_of
from netbank.services.common import Operator, customer_by_number, id_of, institution_by_code
from netbank.services.ledger import post_opening_deposit
from netbank.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class RegisterCustomer:
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
class OpenAccount:
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


def register_customer(deps: Deps, actor: Operator, cmd: RegisterCustomer) -> Customer:
    """C1: a core customer with one customer number per institution and a verified identity
    document. The number is kept sealed and digested; only its masked form is readable."""
    with deps.uow() as uow:
        customer = add_customer(deps, uow, cmd)
        uow.commit()
        return customer


def add_customer(deps: Deps, uow: UnitOfWork, cmd: RegisterCustomer) -> Customer:
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


def open_account(deps: Deps, actor: Operator, cmd: OpenAccount) -> Account:
    """C2: an account of a kind the institution issues, in minor units of its currency."""
    with deps.uow() as uow:
        account = add_account(deps, uow, cmd)
        uow.commit()
        return account


def add_account(deps: Deps, uow: UnitOfWork, cmd: OpenAccount) -> Account:
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


def masked_mobile(customer: Customer) -> str:
    return mask_phone(customer.mobile)
