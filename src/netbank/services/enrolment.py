"""Personal e-banking enrolment online: self-registration of the ordinary version (E4, E5),
linking another account (E6, E10) and changing the login password (E13). The counter's side
(819101-819103, the password reset) is ``services/counter``.

Each handler checks its rules, changes nothing when any refuses, and on success writes the
change and its audit entry in one database transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from netbank.domain.customer import ensure_eligible
from netbank.domain.enrolment import (
    AccountLink,
    Channel,
    Contract,
    LinkOrigin,
    Version,
    ensure_not_enrolled,
    ensure_registration_account_kind,
)
from netbank.domain.errors import AuthenticationFailed, Code, Conflict, NotFound, RuleViolation
from netbank.domain.identity import DocumentType, normalize_document_number
from netbank.domain.password import ensure_password_acceptable, identifiers_of
from netbank.domain.session import AuthLevel
from netbank.services.auth import verify_account_pin
from netbank.services.common import CustomerActor, Visitor, id_of, institution_by_code
from netbank.services.ports import Deps
from netbank.services.strong_auth import require_level


@dataclass(frozen=True, kw_only=True)
class SelfRegister:
    """E4/E5: register for the ordinary version online with a debit main card and its PIN."""

    institution_code: str
    card_number: str
    account_pin: str = field(repr=False)
    name: str
    document_type: DocumentType
    document_number: str = field(repr=False)
    login_password: str = field(repr=False)


def self_register(deps: Deps, actor: Visitor, cmd: SelfRegister) -> Contract:
    """E4/E5: the ordinary version, self-registered online with a debit main card (which
    becomes the registration account) and its PIN, by an eligible customer (E2) who is not yet
    enrolled (E3)."""
    policy = deps.policies.policy_for(cmd.institution_code)
    now = deps.clock.now()
    today = deps.today_in(policy.timezone)
    with deps.uow() as uow:
        inst = institution_by_code(uow, cmd.institution_code)
        account = verify_account_pin(
            deps, uow, id_of(inst), cmd.card_number, cmd.account_pin, policy, actor.client
        )
        customer = uow.customers.get(account.customer_id, for_update=True)
        if customer is None:
            raise RuntimeError("account without customer")
        document = uow.customers.document_of(id_of(customer))
        try:
            normalized = normalize_document_number(cmd.document_type, cmd.document_number)
        except RuleViolation:
            raise RuleViolation(Code.C1_IDENTITY_MISMATCH) from None
        if (
            document.doc_type is not cmd.document_type
            or document.number_digest != deps.vault.digest(cmd.document_type, normalized)
            or customer.name != cmd.name.strip()
        ):
            raise RuleViolation(Code.C1_IDENTITY_MISMATCH)
        account.ensure_open()
        ensure_registration_account_kind(account.kind, policy.registration_account_kinds)
        account.ensure_no_blocking_flags()
        ensure_not_enrolled(uow.contracts.active_for_customer(id_of(customer), for_update=True))
        ensure_eligible(
            customer,
            document,
            has_real_name_account=uow.accounts.has_real_name_account(id_of(customer)),
            today=today,
        )
        ensure_password_acceptable(
            cmd.login_password, policy.password, forbidden=identifiers_of(customer, account.number)
        )
        contract = Contract(
            institution_id=id_of(inst),
            customer_id=id_of(customer),
            version=Version.ORDINARY,
            registration_account_id=id_of(account),
            channel=Channel.ONLINE,
            password_digest=deps.hasher.hash(cmd.login_password, policy.password),
            enrolled_at=now,
        )
        uow.contracts.add(contract)
        uow.contracts.add_link(
            AccountLink(
                contract_id=id_of(contract),
                account_id=id_of(account),
                origin=LinkOrigin.REGISTRATION,
                created_at=now,
            )
        )
        uow.audit.append(
            chain=inst.code,
            at=now,
            actor=f"customer:{inst.code}/{customer.customer_number}",
            event="ebank.self_registration",
            subject=f"customer:{customer.customer_number}",
            details={
                "version": Version.ORDINARY.value,
                "registration_account": account.masked_number,
                "client": actor.client or "",
            },
        )
        uow.commit()
        return contract


@dataclass(frozen=True, kw_only=True)
class LinkAccountOnline:
    """E6/E10: link another of your accounts online, proving it with its PIN."""

    account_number: str
    account_pin: str = field(repr=False)


def link_account_online(deps: Deps, actor: CustomerActor, cmd: LinkAccountOnline) -> AccountLink:
    """E6/E10: an enrolled customer links another of their own accounts online, proving it with
    its PIN. Such a link can query but not pay out until re-added at the counter (819102)."""
    contract_id = actor.ensure_enrolled()
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        account = verify_account_pin(
            deps, uow, actor.institution_id, cmd.account_number, cmd.account_pin, policy, actor.client
        )
        if account.customer_id != actor.customer_id:
            raise RuleViolation(Code.C2_ACCOUNT_NOT_CUSTOMERS)
        account.ensure_open()
        existing = uow.contracts.link_of(contract_id, id_of(account))
        if existing is not None:
            raise Conflict(Code.E6_ALREADY_LINKED)
        link = AccountLink(
            contract_id=contract_id, account_id=id_of(account), origin=LinkOrigin.ONLINE, created_at=now
        )
        uow.contracts.add_link(link)
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="ebank.link_online",
            subject=actor.label,
            details={"account": account.masked_number},
        )
        uow.commit()
        return link


@dataclass(frozen=True, kw_only=True)
class ChangeLoginPassword:
    """E13: change your own (customer-level) login password."""

    old_password: str = field(repr=False)
    new_password: str = field(repr=False)


def change_login_password(deps: Deps, actor: CustomerActor, cmd: ChangeLoginPassword) -> None:
    """E13: the customer changes their own login password; a customer with an OTP or UKEY
    proves it first (K2, the policy's level)."""
    contract_id = actor.ensure_enrolled()
    policy = deps.policies.policy_for(actor.institution_code)
    level = policy.step_up.password_change_level
    if level:
        with deps.uow(readonly=True) as uow:
            current = uow.contracts.get(contract_id)
            strong_medium = current is not None and current.version.counter_only
        if strong_medium:  # K2: a customer with an OTP or UKEY proves it before this change
            require_level(deps, actor, AuthLevel(level))
    now = deps.clock.now()
    with deps.uow() as uow:
        contract = uow.contracts.get(contract_id, for_update=True)
        customer = uow.customers.get(actor.customer_id)
        if contract is None or customer is None or not contract.is_active:
            raise NotFound(Code.E3_NOT_ENROLLED)
        if not deps.hasher.verify(contract.password_digest, cmd.old_password):
            raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
        registration = uow.accounts.get(contract.registration_account_id)
        ensure_password_acceptable(
            cmd.new_password,
            policy.password,
            forbidden=identifiers_of(customer, registration.number if registration else ""),
        )
        contract.password_digest = deps.hasher.hash(cmd.new_password, policy.password)
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="security.password_changed",
            subject=actor.label,
            details={},
        )
        uow.commit()
