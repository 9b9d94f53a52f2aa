"""Counter maintenance of what the customer signs in with: the login password reset (E13) and
the OTP version's phone and TOTP seed (K2, E15). Each needs the registration account presented
(E7) free of C3 flags (E11), checked by the counter desk."""

from __future__ import annotations

from dataclasses import dataclass, field

from netbank.domain.counter import TransactionCode
from netbank.domain.customer import mask_phone, normalize_phone
from netbank.domain.enrolment import Contract, Version
from netbank.domain.errors import Code, Conflict, RuleViolation
from netbank.domain.password import ensure_password_acceptable, identifiers_of
from netbank.services.common import Receipt, TellerActor, id_of
from netbank.services.counter.desk import Desk, Done, WithRegistrationAccount, at_the_counter
from netbank.services.ports import Deps
from netbank.services.strong_auth import provision_totp


@dataclass(frozen=True, kw_only=True)
class ResetLoginPassword(WithRegistrationAccount):
    """E13: the teller resets the customer-level login password; the lock-out is lifted and
    open sessions end."""

    code = TransactionCode.PASSWORD_RESET
    new_password: str = field(repr=False)


def reset_login_password(deps: Deps, actor: TellerActor, command: ResetLoginPassword) -> Receipt:
    return at_the_counter(deps, actor, command, _reset_login_password)


def _reset_login_password(desk: Desk, cmd: ResetLoginPassword) -> Done:
    policy, contract = desk.policy, desk.contract
    ensure_password_acceptable(
        cmd.new_password,
        policy.password,
        forbidden=identifiers_of(desk.customer, desk.account.number),
    )
    was_locked = contract.password_locked
    contract.reset_password(desk.deps.hasher.hash(cmd.new_password, policy.password))
    for session in desk.uow.sessions.list_live_for(contract_id=id_of(contract), teller_id=None, now=desk.now):
        session.revoke(desk.now)
    return Done("reset", {"was_locked": was_locked})


@dataclass(frozen=True, kw_only=True)
class OTPMaintenance(WithRegistrationAccount):
    """K2: maintenance of an OTP-version contract's phone or seed."""

    def check_contract(self, contract: Contract) -> None:
        if contract.version is not Version.OTP:
            raise RuleViolation(Code.K2_OTP_NOT_ENROLLED)


@dataclass(frozen=True, kw_only=True)
class ReplaceOTPPhone(OTPMaintenance):
    """Replace the phone of an OTP-version contract (E15 validation); the seed is kept."""

    code = TransactionCode.OTP_PHONE
    otp_phone: str


def replace_otp_phone(deps: Deps, actor: TellerActor, command: ReplaceOTPPhone) -> Receipt:
    return at_the_counter(deps, actor, command, _replace_otp_phone)


def _replace_otp_phone(desk: Desk, cmd: ReplaceOTPPhone) -> Done:
    contract = desk.contract
    phone = normalize_phone(cmd.otp_phone, desk.policy.phone_region)
    if contract.otp_phone == phone:
        raise RuleViolation(Code.E8_NOTHING_TO_MODIFY)
    before = mask_phone(contract.otp_phone or "")
    contract.otp_phone = phone
    return Done("replace", {"from": before, "to": mask_phone(phone)})


@dataclass(frozen=True, kw_only=True)
class ReprovisionTOTP(OTPMaintenance):
    """A new TOTP seed (new phone or authenticator app): the old seed stops working at once;
    the receipt carries the new one, this once."""

    code = TransactionCode.OTP_RESEED


def reprovision_totp(deps: Deps, actor: TellerActor, command: ReprovisionTOTP) -> Receipt:
    return at_the_counter(deps, actor, command, _reprovision_totp)


def _reprovision_totp(desk: Desk, cmd: ReprovisionTOTP) -> Done:
    enrolment = provision_totp(
        desk.deps, desk.uow, desk.contract, desk.customer.customer_number, desk.policy, desk.now
    )
    return Done("reseed", {}, otp_enrolment=enrolment)


@dataclass(frozen=True, kw_only=True)
class UnlockTOTP(OTPMaintenance):
    """Lift the TOTP lock-out after too many wrong codes."""

    code = TransactionCode.OTP_UNLOCK


def unlock_totp(deps: Deps, actor: TellerActor, command: UnlockTOTP) -> Receipt:
    return at_the_counter(deps, actor, command, _unlock_totp)


def _unlock_totp(desk: Desk, cmd: UnlockTOTP) -> Done:
    credential = desk.uow.otp.active_credential(id_of(desk.contract), for_update=True)
    if credential is None:
        raise RuleViolation(Code.K2_OTP_NOT_ENROLLED)
    if not credential.locked:
        raise Conflict(Code.K2_OTP_NOT_LOCKED)
    credential.unlock()
    return Done("unlock", {})
