"""The personal e-banking contract at the counter: 819101 add / modify / delete and the linked
accounts of 819102 / 819103 (E2-E12, E14, E15).

Each command lists its fields; its class says what the counter desk checks before the step
(``desk.py``); the step checks the rest in the order a teller meets them."""

from __future__ import annotations

from dataclasses import dataclass, field

from netbank.domain.account import Account
from netbank.domain.counter import TransactionCode
from netbank.domain.customer import ensure_eligible, mask_phone, normalize_phone
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
from netbank.domain.errors import Code, NotFound, RuleViolation
from netbank.domain.password import ensure_password_acceptable, identifiers_of
from netbank.domain.policy import Policy
from netbank.services.common import Receipt, TellerActor, id_of
from netbank.services.counter.desk import (
    CounterCommand,
    Desk,
    Done,
    WithAccount,
    WithRegistrationAccount,
    at_the_counter,
)
from netbank.services.ports import Deps
from netbank.services.strong_auth import provision_totp, retire_totp


@dataclass(frozen=True, kw_only=True)
class MediumChoice(WithRegistrationAccount):
    """E4: the version and its medium as the teller typed them (an OTP phone, or a UKEY's
    serial and generation); validated and normalised by :meth:`medium`."""

    version: Version
    otp_phone: str | None = None
    ukey_serial: str | None = None
    ukey_generation: int | None = None

    def check_request(self, policy: Policy) -> None:
        ensure_counter_can_open(self.version)  # E4: never the ordinary version here

    def medium(self, policy: Policy) -> Medium:
        medium = Medium(
            otp_phone=normalize_phone(self.otp_phone, policy.phone_region) if self.otp_phone else None,
            ukey_serial=self.ukey_serial.strip().upper() if self.ukey_serial else None,
            ukey_generation=self.ukey_generation,
        )
        ensure_medium_fits_version(self.version, medium, policy.ukey_generations)
        return medium


def _contract_details(contract: Contract, registration_masked: str) -> dict[str, object]:
    return {
        "version": contract.version.value,
        "registration_account": registration_masked,
        "otp_phone": mask_phone(contract.otp_phone) if contract.otp_phone else None,
        "ukey_serial": contract.ukey_serial,
        "ukey_generation": contract.ukey_generation,
    }


# --- 819101 add -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddContract(MediumChoice):
    """819101 add: open the OTP or certificate version (E4) with a debit main card as the
    registration account (E5, E7) free of C3 flags (E11), for an eligible (E2), not yet
    enrolled (E3) customer seen in person (E12), with the chosen medium (E4, E15)."""

    code = TransactionCode.CONTRACT
    needs_contract = False
    login_password: str = field(repr=False)

    def check_account(self, account: Account, policy: Policy) -> None:
        ensure_registration_account_kind(account.kind, policy.registration_account_kinds)


def add_contract(deps: Deps, actor: TellerActor, command: AddContract) -> Receipt:
    return at_the_counter(deps, actor, command, _add_contract)


def _add_contract(desk: Desk, cmd: AddContract) -> Done:
    uow, customer, account, policy = desk.uow, desk.customer, desk.account, desk.policy
    ensure_not_enrolled(uow.contracts.active_for_customer(id_of(customer), for_update=True))
    ensure_eligible(
        customer,
        uow.customers.document_of(id_of(customer)),
        has_real_name_account=uow.accounts.has_real_name_account(id_of(customer)),
        today=desk.deps.today_in(policy.timezone),
    )
    medium = cmd.medium(policy)
    ensure_password_acceptable(
        cmd.login_password, policy.password, forbidden=identifiers_of(customer, account.number)
    )
    contract = Contract(
        institution_id=desk.actor.institution_id,
        customer_id=id_of(customer),
        version=cmd.version,
        registration_account_id=id_of(account),
        channel=Channel.COUNTER,
        password_digest=desk.deps.hasher.hash(cmd.login_password, policy.password),
        enrolled_at=desk.now,
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
            created_at=desk.now,
        )
    )
    enrolment = (  # K2: the seed is provisioned with the contract
        provision_totp(desk.deps, uow, contract, customer.customer_number, policy, desk.now)
        if contract.version is Version.OTP
        else None
    )
    return Done("add", _contract_details(contract, account.masked_number), otp_enrolment=enrolment)


# --- 819101 modify --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ModifyContract(MediumChoice):
    """819101 modify: upgrade ordinary -> OTP / certificate (E8) or change version or medium,
    presenting the registration account (E7) free of C3 flags (E11)."""

    code = TransactionCode.CONTRACT


def modify_contract(deps: Deps, actor: TellerActor, command: ModifyContract) -> Receipt:
    return at_the_counter(deps, actor, command, _modify_contract)


def _modify_contract(desk: Desk, cmd: ModifyContract) -> Done:
    contract = desk.contract
    before = contract.version
    contract.modify(cmd.version, cmd.medium(desk.policy))
    details = {"from_version": before.value, **_contract_details(contract, desk.account.masked_number)}
    enrolment = None
    if contract.version is Version.OTP and before is not Version.OTP:
        enrolment = provision_totp(
            desk.deps, desk.uow, contract, desk.customer.customer_number, desk.policy, desk.now
        )
    elif contract.version is not Version.OTP and before is Version.OTP:
        retire_totp(desk.uow, id_of(contract))
    return Done("modify", details, otp_enrolment=enrolment)


# --- 819101 delete --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeleteContract(CounterCommand):
    """819101 delete: end the contract and every link under it (E14); the registration
    account need not be presented (E7); open sessions of the contract are revoked."""

    code = TransactionCode.CONTRACT


def delete_contract(deps: Deps, actor: TellerActor, command: DeleteContract) -> Receipt:
    return at_the_counter(deps, actor, command, _delete_contract)


def _delete_contract(desk: Desk, cmd: DeleteContract) -> Done:
    contract, uow = desk.contract, desk.uow
    links = uow.contracts.links_of(id_of(contract))
    contract.end(desk.now, links)
    retire_totp(uow, id_of(contract))
    for session in uow.sessions.list_live_for(contract_id=id_of(contract), teller_id=None, now=desk.now):
        session.revoke(desk.now)
    return Done("delete", {"version": contract.version.value, "links_ended": len(links)})


# --- 819102 / 819103 ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddLinkedAccount(WithAccount):
    """819102: add a linked account for an OTP or certificate customer (E9), of a kind the
    counter may add (E9), free of C3 flags (E11). An account the customer linked online is
    re-added here, after which it can pay out (E10)."""

    code = TransactionCode.ADD_LINKED_ACCOUNT

    def check_contract(self, contract: Contract) -> None:
        contract.ensure_counter_can_link()

    def check_account(self, account: Account, policy: Policy) -> None:
        ensure_counter_linkable_kind(account.kind)


def add_linked_account(deps: Deps, actor: TellerActor, command: AddLinkedAccount) -> Receipt:
    return at_the_counter(deps, actor, command, _add_linked_account)


def _add_linked_account(desk: Desk, cmd: AddLinkedAccount) -> Done:
    contract, account = desk.contract, desk.account
    existing = desk.uow.contracts.link_of(id_of(contract), id_of(account))
    ensure_new_link(existing)
    if existing is not None:  # linked online before: the counter confirms it (E10)
        existing.origin = LinkOrigin.COUNTER
        return Done("re_add", {"account": account.masked_number})
    desk.uow.contracts.add_link(
        AccountLink(
            contract_id=id_of(contract),
            account_id=id_of(account),
            origin=LinkOrigin.COUNTER,
            created_at=desk.now,
        )
    )
    return Done("add", {"account": account.masked_number})


@dataclass(frozen=True, kw_only=True)
class RemoveLinkedAccount(WithAccount):
    """819103: remove a linked account of an OTP or certificate customer (E9). No status flag
    is checked (E11). The registration account cannot be removed; ending the contract does."""

    code = TransactionCode.REMOVE_LINKED_ACCOUNT
    blocked_by_flags = False

    def check_contract(self, contract: Contract) -> None:
        contract.ensure_counter_can_link()


def remove_linked_account(deps: Deps, actor: TellerActor, command: RemoveLinkedAccount) -> Receipt:
    return at_the_counter(deps, actor, command, _remove_linked_account)


def _remove_linked_account(desk: Desk, cmd: RemoveLinkedAccount) -> Done:
    link = desk.uow.contracts.link_of(id_of(desk.contract), id_of(desk.account))
    if link is None:
        raise NotFound(Code.E6_NOT_LINKED)
    if link.origin is LinkOrigin.REGISTRATION:
        raise RuleViolation(Code.E9_REGISTRATION_ACCOUNT_NOT_REMOVABLE)
    link.end(desk.now)
    return Done("remove", {"account": desk.account.masked_number})
