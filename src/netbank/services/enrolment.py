"""Personal e-banking enrolment: self-registration online and the counter transactions
819101 (add / modify / delete), 819102, 819103 and the login password reset (E1-E15).

Each function checks its rules in the order a teller would meet them, changes nothing when any
refuses, and on success writes the change, its counter journal line and its audit entry in one
database transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from netbank.domain.account import Account
from netbank.domain.counter import IdentityCheck, TransactionCode
from netbank.domain.customer import Customer, ensure_eligible, mask_phone, normalize_phone
from netbank.domain.enrolment import (
    AccountLink,
    Channel,
    Contract,
    LinkOrigin,
    Medium,
    Version,
    ensure_counter_can_open,
    ensure_counter_linkable_kind,
    ensure_medium_fits_version,
    ensure_new_link,
    ensure_not_enrolled,
    ensure_registration_account_kind,
)
from netbank.domain.errors import AuthenticationFailed, Code, Conflict, NotFound, RuleViolation
from netbank.domain.identity import DocumentType, normalize_document_number
from netbank.domain.password import ensure_password_acceptable
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel
from netbank.services.common import (
    CustomerActor,
    Receipt,
    TellerActor,
    customer_by_number,
    customers_account,
    id_of,
    institution_by_code,
    journal,
    usable_identity_check,
)
from netbank.services.ports import Deps, UnitOfWork
from netbank.services.strong_auth import provision_totp, require_level, retire_totp


@dataclass(frozen=True)
class MediumInput:
    """What the teller typed for the medium (E4): validated and normalised by ``_medium``."""

    otp_phone: str | None = None
    ukey_serial: str | None = None
    ukey_generation: int | None = None


def _medium(policy: Policy, version: Version, given: MediumInput) -> Medium:
    medium = Medium(
        otp_phone=normalize_phone(given.otp_phone, policy.phone_region) if given.otp_phone else None,
        ukey_serial=given.ukey_serial.strip().upper() if given.ukey_serial else None,
        ukey_generation=given.ukey_generation,
    )
    ensure_medium_fits_version(version, medium, policy.ukey_generations)
    return medium


def _password_identifiers(customer: Customer, registration_number: str) -> tuple[str, ...]:
    return (registration_number, customer.birth_date.strftime("%Y%m%d"), customer.mobile)


def _contract_or_404(uow: UnitOfWork, customer: Customer) -> Contract:
    contract = uow.contracts.active_for_customer(id_of(customer), for_update=True)
    if contract is None:
        raise NotFound(Code.E3_NOT_ENROLLED)
    return contract


# --- online -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelfRegistration:
    institution_code: str
    card_number: str
    account_pin: str
    name: str
    document_type: DocumentType
    document_number: str
    login_password: str


def self_register(deps: Deps, cmd: SelfRegistration, client: str | None = None) -> Contract:
    """E4/E5: the ordinary version, self-registered online with a debit main card (which
    becomes the registration account) and its PIN, by an eligible customer (E2) who is not yet
    enrolled (E3)."""
    from netbank.services.auth import verify_account_pin

    policy = deps.policies.policy_for(cmd.institution_code)
    now = deps.clock.now()
    today = deps.today_in(policy.timezone)
    with deps.uow() as uow:
        inst = institution_by_code(uow, cmd.institution_code)
        account = verify_account_pin(deps, uow, id_of(inst), cmd.card_number, cmd.account_pin, policy, client)
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
            cmd.login_password, policy.password, forbidden=_password_identifiers(customer, account.number)
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
                "client": client or "",
            },
        )
        uow.commit()
        return contract


def link_account_online(
    deps: Deps, actor: CustomerActor, account_number: str, account_pin: str
) -> AccountLink:
    """E6/E10: an enrolled customer links another of their own accounts online, proving it with
    its PIN. Such a link can query but not pay out until re-added at the counter (819102)."""
    from netbank.services.auth import verify_account_pin

    contract_id = actor.ensure_enrolled()
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        account = verify_account_pin(
            deps, uow, actor.institution_id, account_number, account_pin, policy, None
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


def change_login_password(deps: Deps, actor: CustomerActor, old_password: str, new_password: str) -> None:
    """E13: the customer changes their own (customer-level) login password."""
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
        if not deps.hasher.verify(contract.password_digest, old_password):
            raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
        registration = uow.accounts.get(contract.registration_account_id)
        ensure_password_acceptable(
            new_password,
            policy.password,
            forbidden=_password_identifiers(customer, registration.number if registration else ""),
        )
        contract.password_digest = deps.hasher.hash(new_password, policy.password)
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="security.password_changed",
            subject=actor.label,
            details={},
        )
        uow.commit()


# --- counter: 819101 ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContractAdd:
    customer_number: str
    identity_check_id: int
    version: Version
    registration_account_number: str
    login_password: str
    medium: MediumInput


def add_contract(deps: Deps, actor: TellerActor, cmd: ContractAdd) -> Receipt:
    """819101 add: open the OTP or certificate version at the counter (E4) with a debit main
    card as registration account (E5, E7) free of C3 flags (E11), for an eligible (E2), not yet
    enrolled (E3) customer seen in person (E12), with the chosen medium (E4, E15)."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    today = deps.today_in(policy.timezone)
    ensure_counter_can_open(cmd.version)
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, cmd.customer_number, for_update=True)
        check = usable_identity_check(uow, actor, customer, cmd.identity_check_id, now)
        account = customers_account(uow, customer, cmd.registration_account_number)
        account.ensure_open()
        ensure_registration_account_kind(account.kind, policy.registration_account_kinds)
        account.ensure_no_blocking_flags()
        ensure_not_enrolled(uow.contracts.active_for_customer(id_of(customer), for_update=True))
        document = uow.customers.document_of(id_of(customer))
        ensure_eligible(
            customer,
            document,
            has_real_name_account=uow.accounts.has_real_name_account(id_of(customer)),
            today=today,
        )
        medium = _medium(policy, cmd.version, cmd.medium)
        ensure_password_acceptable(
            cmd.login_password, policy.password, forbidden=_password_identifiers(customer, account.number)
        )
        contract = Contract(
            institution_id=actor.institution_id,
            customer_id=id_of(customer),
            version=cmd.version,
            registration_account_id=id_of(account),
            channel=Channel.COUNTER,
            password_digest=deps.hasher.hash(cmd.login_password, policy.password),
            enrolled_at=now,
            otp_phone=medium.otp_phone,
            ukey_serial=medium.ukey_serial,
            ukey_generation=medium.ukey_generation,
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
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.CONTRACT,
            action="add",
            check=check,
            account=account,
            details=_contract_details(contract, account.masked_number),
            now=now,
        )
        if contract.version is Version.OTP:  # K2: the seed is provisioned with the contract
            enrolment = provision_totp(deps, uow, contract, customer.customer_number, policy, now)
            receipt = replace(receipt, otp_enrolment=enrolment)
        uow.commit()
        return receipt


def _contract_details(contract: Contract, registration_masked: str) -> dict[str, object]:
    return {
        "version": contract.version.value,
        "registration_account": registration_masked,
        "otp_phone": mask_phone(contract.otp_phone) if contract.otp_phone else None,
        "ukey_serial": contract.ukey_serial,
        "ukey_generation": contract.ukey_generation,
    }


@dataclass(frozen=True)
class ContractModify:
    customer_number: str
    identity_check_id: int
    registration_account_number: str
    version: Version
    medium: MediumInput


def modify_contract(deps: Deps, actor: TellerActor, cmd: ContractModify) -> Receipt:
    """819101 modify: upgrade ordinary -> OTP / certificate (E8) or change version or medium,
    presenting the registration account (E7) free of C3 flags (E11)."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    ensure_counter_can_open(cmd.version)
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, cmd.customer_number, for_update=True)
        check = usable_identity_check(uow, actor, customer, cmd.identity_check_id, now)
        contract = _contract_or_404(uow, customer)
        account = customers_account(uow, customer, cmd.registration_account_number)
        contract.ensure_presented_registration_account(account)
        account.ensure_open()
        account.ensure_no_blocking_flags()
        before = contract.version
        contract.modify(cmd.version, _medium(policy, cmd.version, cmd.medium))
        details = {"from_version": before.value, **_contract_details(contract, account.masked_number)}
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.CONTRACT,
            action="modify",
            check=check,
            account=account,
            details=details,
            now=now,
        )
        if contract.version is Version.OTP and before is not Version.OTP:
            enrolment = provision_totp(deps, uow, contract, customer.customer_number, policy, now)
            receipt = replace(receipt, otp_enrolment=enrolment)
        elif contract.version is not Version.OTP and before is Version.OTP:
            retire_totp(uow, id_of(contract))
        uow.commit()
        return receipt


def delete_contract(deps: Deps, actor: TellerActor, customer_number: str, identity_check_id: int) -> Receipt:
    """819101 delete: end the contract and every link under it (E14); the registration account
    need not be presented (E7); open sessions of the contract are revoked."""
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number, for_update=True)
        check = usable_identity_check(uow, actor, customer, identity_check_id, now)
        contract = _contract_or_404(uow, customer)
        links = uow.contracts.links_of(id_of(contract))
        contract.end(now, links)
        retire_totp(uow, id_of(contract))
        for session in uow.sessions.list_live_for(contract_id=id_of(contract), teller_id=None, now=now):
            session.revoke(now)
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.CONTRACT,
            action="delete",
            check=check,
            account=None,
            details={"version": contract.version.value, "links_ended": len(links)},
            now=now,
        )
        uow.commit()
        return receipt


# --- counter: 819102 / 819103 -------------------------------------------------------------


def add_linked_account(
    deps: Deps, actor: TellerActor, customer_number: str, identity_check_id: int, account_number: str
) -> Receipt:
    """819102: add a linked account for an OTP or certificate customer (E9), of a kind the
    counter may add (E9), free of C3 flags (E11). An account the customer linked online is
    re-added here, after which it can pay out (E10)."""
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number, for_update=True)
        check = usable_identity_check(uow, actor, customer, identity_check_id, now)
        contract = _contract_or_404(uow, customer)
        contract.ensure_counter_can_link()
        account = customers_account(uow, customer, account_number)
        account.ensure_open()
        ensure_counter_linkable_kind(account.kind)
        account.ensure_no_blocking_flags()
        existing = uow.contracts.link_of(id_of(contract), id_of(account))
        ensure_new_link(existing)
        if existing is not None:  # linked online before: the counter confirms it (E10)
            existing.origin = LinkOrigin.COUNTER
            action = "re_add"
        else:
            uow.contracts.add_link(
                AccountLink(
                    contract_id=id_of(contract),
                    account_id=id_of(account),
                    origin=LinkOrigin.COUNTER,
                    created_at=now,
                )
            )
            action = "add"
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.ADD_LINKED_ACCOUNT,
            action=action,
            check=check,
            account=account,
            details={"account": account.masked_number},
            now=now,
        )
        uow.commit()
        return receipt


def remove_linked_account(
    deps: Deps, actor: TellerActor, customer_number: str, identity_check_id: int, account_number: str
) -> Receipt:
    """819103: remove a linked account of an OTP or certificate customer (E9). No status flag
    is checked (E11). The registration account cannot be removed; ending the contract does."""
    now = deps.clock.now()
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, customer_number, for_update=True)
        check = usable_identity_check(uow, actor, customer, identity_check_id, now)
        contract = _contract_or_404(uow, customer)
        contract.ensure_counter_can_link()
        account = customers_account(uow, customer, account_number)
        link = uow.contracts.link_of(id_of(contract), id_of(account))
        if link is None:
            raise NotFound(Code.E6_NOT_LINKED)
        if link.origin is LinkOrigin.REGISTRATION:
            raise RuleViolation(Code.E9_REGISTRATION_ACCOUNT_NOT_REMOVABLE)
        link.end(now)
        receipt = journal(
            uow,
            actor,
            customer,
            code=TransactionCode.REMOVE_LINKED_ACCOUNT,
            action="remove",
            check=check,
            account=account,
            details={"account": account.masked_number},
            now=now,
        )
        uow.commit()
        return receipt


# --- counter: login password reset (E13) --------------------------------------------------


@dataclass(frozen=True)
class RegistrationCounter:
    customer: Customer
    check: IdentityCheck
    contract: Contract
    account: Account


def with_registration_account(
    uow: UnitOfWork,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
    now: datetime,
) -> RegistrationCounter:
    """The prologue of counter work that needs the registration account presented: the
    in-person check (E12), an active contract (E3), the registration account itself (E7),
    open and free of C3 flags (E11)."""
    customer = customer_by_number(uow, actor.institution_id, customer_number, for_update=True)
    check = usable_identity_check(uow, actor, customer, identity_check_id, now)
    contract = _contract_or_404(uow, customer)
    account = customers_account(uow, customer, registration_account_number)
    contract.ensure_presented_registration_account(account)
    account.ensure_open()
    account.ensure_no_blocking_flags()
    return RegistrationCounter(customer, check, contract, account)


def reset_login_password(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
    new_password: str,
) -> Receipt:
    """E13: the teller resets the customer-level login password, with the registration account
    presented (E7) and free of C3 flags (E11); the lock-out is lifted and open sessions end."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        ensure_password_acceptable(
            new_password, policy.password, forbidden=_password_identifiers(w.customer, w.account.number)
        )
        was_locked = w.contract.password_locked
        w.contract.reset_password(deps.hasher.hash(new_password, policy.password))
        for session in uow.sessions.list_live_for(contract_id=id_of(w.contract), teller_id=None, now=now):
            session.revoke(now)
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.PASSWORD_RESET,
            action="reset",
            check=w.check,
            account=w.account,
            details={"was_locked": was_locked},
            now=now,
        )
        uow.commit()
        return receipt


# --- counter: OTP maintenance (K2, E11) ---------------------------------------------------


def _otp_contract(w: RegistrationCounter) -> Contract:
    if w.contract.version is not Version.OTP:
        raise RuleViolation(Code.K2_OTP_NOT_ENROLLED)
    return w.contract


def replace_otp_phone(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
    otp_phone: str,
) -> Receipt:
    """Replace the phone of an OTP-version contract (E15 validation); the seed is kept."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    phone = normalize_phone(otp_phone, policy.phone_region)
    with deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        contract = _otp_contract(w)
        if contract.otp_phone == phone:
            raise RuleViolation(Code.E8_NOTHING_TO_MODIFY)
        before = mask_phone(contract.otp_phone or "")
        contract.otp_phone = phone
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.OTP_PHONE,
            action="replace",
            check=w.check,
            account=w.account,
            details={"from": before, "to": mask_phone(phone)},
            now=now,
        )
        uow.commit()
        return receipt


def reprovision_totp(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
) -> Receipt:
    """A new TOTP seed (new phone or authenticator app): the old seed stops working at once."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        contract = _otp_contract(w)
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.OTP_RESEED,
            action="reseed",
            check=w.check,
            account=w.account,
            details={},
            now=now,
        )
        enrolment = provision_totp(deps, uow, contract, w.customer.customer_number, policy, now)
        uow.commit()
        return replace(receipt, otp_enrolment=enrolment)


def unlock_totp(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
) -> Receipt:
    """Lift the TOTP lock-out after too many wrong codes."""
    now = deps.clock.now()
    with deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        contract = _otp_contract(w)
        credential = uow.otp.active_credential(id_of(contract), for_update=True)
        if credential is None:
            raise RuleViolation(Code.K2_OTP_NOT_ENROLLED)
        if not credential.locked:
            raise Conflict(Code.K2_OTP_NOT_LOCKED)
        credential.unlock()
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.OTP_UNLOCK,
            action="unlock",
            check=w.check,
            account=w.account,
            details={},
            now=now,
        )
        uow.commit()
        return receipt
