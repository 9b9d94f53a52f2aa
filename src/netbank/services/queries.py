"""Read-side use cases: what a customer sees of themselves and what a teller sees of a
customer. Identity numbers appear masked only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from netbank.domain.account import Account
from netbank.domain.counter import IdentityCheck
from netbank.domain.customer import Customer, mask_phone
from netbank.domain.enrolment import AccountLink, Contract
from netbank.domain.errors import Code, NotFound, RuleViolation
from netbank.services.common import (
    CustomerActor,
    TellerActor,
    customer_by_number,
    id_of,
)
from netbank.services.counter.desk import usable_identity_check
from netbank.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class AccountView:
    number: str
    kind: str
    currency: str
    balance_minor: int
    real_name: bool
    status: str
    flags: list[str]
    card_sequence: int
    linked: bool = False
    link_origin: str | None = None
    can_pay_out: bool = False


@dataclass(frozen=True)
class ContractView:
    version: str
    channel: str
    enrolled_at: datetime
    registration_account: str
    login_locked: bool
    otp_phone_masked: str | None
    ukey_serial: str | None
    ukey_generation: int | None


@dataclass(frozen=True)
class CustomerView:
    institution_code: str
    customer_number: str
    name: str
    birth_date: date
    mobile_masked: str
    own_income: bool
    kind: str
    document_type: str
    document_number_masked: str
    document_expires_on: date | None
    contract: ContractView | None
    accounts: list[AccountView]


def _account_view(account: Account, link: AccountLink | None) -> AccountView:
    return AccountView(
        number=account.number,
        kind=account.kind.value,
        currency=account.currency,
        balance_minor=account.balance_minor,
        real_name=account.real_name,
        status=account.status.value,
        flags=account.status_flags.names(),
        card_sequence=account.card_sequence,
        linked=link is not None,
        link_origin=link.origin.value if link else None,
        can_pay_out=link.can_pay_out if link else False,
    )


def _contract_view(uow: UnitOfWork, contract: Contract) -> ContractView:
    registration = uow.accounts.get(contract.registration_account_id)
    return ContractView(
        version=contract.version.value,
        channel=contract.channel.value,
        enrolled_at=contract.enrolled_at,
        registration_account=registration.number if registration else "",
        login_locked=contract.password_locked,
        otp_phone_masked=mask_phone(contract.otp_phone) if contract.otp_phone else None,
        ukey_serial=contract.ukey_serial,
        ukey_generation=contract.ukey_generation,
    )


def _customer_view(
    uow: UnitOfWork, customer: Customer, institution_code: str, *, only_linked: bool
) -> CustomerView:
    document = uow.customers.document_of(id_of(customer))
    contract = uow.contracts.active_for_customer(id_of(customer))
    links = {link.account_id: link for link in uow.contracts.links_of(id_of(contract))} if contract else {}
    accounts = [
        _account_view(a, links.get(id_of(a)))
        for a in uow.accounts.list_for_customer(id_of(customer))
        if not only_linked or id_of(a) in links
    ]
    return CustomerView(
        institution_code=institution_code,
        customer_number=customer.customer_number,
        name=customer.name,
        birth_date=customer.birth_date,
        mobile_masked=mask_phone(customer.mobile),
        own_income=customer.own_income,
        kind=customer.kind.value,
        document_type=document.doc_type.value,
        document_number_masked=document.number_masked,
        document_expires_on=document.expires_on,
        contract=_contract_view(uow, contract) if contract else None,
        accounts=accounts,
    )


def customer_overview(deps: Deps, actor: CustomerActor) -> CustomerView:
    """The signed-in customer: their contract and the accounts under it (E5/E6), with which
    ones can pay out (E10). A card/passbook login (E1) sees its one account only."""
    with deps.uow(readonly=True) as uow:
        customer = uow.customers.get(actor.customer_id)
        if customer is None:
            raise NotFound(Code.CUSTOMER_NOT_FOUND)
        view = _customer_view(
            uow, customer, actor.institution_code, only_linked=actor.contract_id is not None
        )
        if actor.contract_id is None:
            card = uow.accounts.get(actor.account_id) if actor.account_id else None
            view = CustomerView(
                **{**view.__dict__, "contract": None, "accounts": [_account_view(card, None)] if card else []}
            )
        return view


def teller_customer_view(deps: Deps, actor: TellerActor, customer_number: str) -> CustomerView:
    """A teller looks a customer up within their own institution only."""
    with deps.uow(readonly=True) as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number)
        return _customer_view(uow, customer, actor.institution_code, only_linked=False)


@dataclass(frozen=True)
class CustomerSummary:
    customer_number: str
    name: str
    document_number_masked: str
    enrolled_version: str | None


def find_customers(
    deps: Deps,
    actor: TellerActor,
    *,
    name: str | None = None,
    document_digest: str | None = None,
    limit: int = 20,
) -> list[CustomerSummary]:
    with deps.uow(readonly=True) as uow:
        if document_digest:
            found = uow.customers.find_by_document(actor.institution_id, document_digest)
        else:
            found = uow.customers.search(actor.institution_id, name=name, limit=limit)
        out = []
        for c in found[:limit]:
            contract = uow.contracts.active_for_customer(id_of(c))
            out.append(
                CustomerSummary(
                    c.customer_number,
                    c.name,
                    uow.customers.document_of(id_of(c)).number_masked,
                    contract.version.value if contract else None,
                )
            )
        return out


@dataclass(frozen=True)
class CounterLine:
    transaction_id: int
    code: str
    action: str
    at: datetime
    teller_id: int
    branch_id: int
    details: dict[str, object]


def counter_history(deps: Deps, actor: TellerActor, customer_number: str) -> list[CounterLine]:
    with deps.uow(readonly=True) as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number)
        return [
            CounterLine(id_of(t), t.code.value, t.action, t.at, t.teller_id, t.branch_id, dict(t.details))
            for t in uow.counter.transactions_for_customer(id_of(customer))
        ]


def identity_check_in_force(
    deps: Deps, actor: TellerActor, customer_number: str, check_id: int | None
) -> IdentityCheck | None:
    """E12: the identity check ``check_id`` when this teller recorded it for this customer and
    it is still usable (what the counter transactions will accept); None otherwise."""
    if check_id is None:
        return None
    with deps.uow(readonly=True) as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number)
        try:
            return usable_identity_check(uow, actor, customer, check_id, deps.clock.now())
        except RuleViolation:
            return None
