"""Counter work on the customer's accounts (C3, E12, E14): the in-person identity check every
counter transaction cites, loss reports, the same-number replacement card, closing an
account, and setting or clearing a status flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from netbank.domain.account import StatusFlag
from netbank.domain.counter import IdentityCheck, TransactionCode
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.identity import DocumentType, normalize_document_number
from netbank.services.common import Receipt, TellerActor, customer_by_number, id_of
from netbank.services.counter.desk import Desk, Done, WithAccount, at_the_counter
from netbank.services.ports import Deps

#: Flags staff set on their own authority (risk, fraud prevention): no customer present.
STAFF_FLAGS = StatusFlag.UNDER_WATCH | StatusFlag.FRAUD_HOLD
LossKind = Literal["verbal", "written", "pin"]
LOSS_REPORTS: dict[str, StatusFlag] = {
    "verbal": StatusFlag.VERBAL_LOSS,
    "written": StatusFlag.WRITTEN_LOSS,
    "pin": StatusFlag.PIN_LOSS,
}
FlagName = Literal[
    "verbal_loss",
    "written_loss",
    "pin_loss",
    "initial_pin",
    "wrong_pin_exceeded",
    "under_watch",
    "fraud_hold",
]


# --- E12: the identity check ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordIdentityCheck:
    """E12: the teller checks the customer's identity document in person."""

    customer_number: str
    document_type: DocumentType
    document_number: str


def record_identity_check(deps: Deps, actor: TellerActor, command: RecordIdentityCheck) -> IdentityCheck:
    """E12: the number typed must match the one on file; an expired document is refused (E2).
    The check is valid for the policy's minutes, for this teller and this customer only."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    try:
        normalized = normalize_document_number(command.document_type, command.document_number)
    except RuleViolation:
        raise RuleViolation(Code.C1_IDENTITY_MISMATCH) from None
    with deps.uow() as uow:
        customer = customer_by_number(uow, actor.institution_id, command.customer_number)
        document = uow.customers.document_of(id_of(customer))
        if document.doc_type is not command.document_type or document.number_digest != deps.vault.digest(
            command.document_type, normalized
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
            doc_type=command.document_type.value,
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
                "document_type": command.document_type.value,
                "document": document.number_masked,
                "branch": actor.branch_code,
            },
        )
        uow.commit()
        return check


# --- C3 / E14: cards and accounts -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReportLoss(WithAccount):
    """C3: a verbal (口挂), written (书挂) or PIN (密挂) loss report of a card or passbook."""

    code = TransactionCode.CARD_LOSS
    needs_contract = False
    blocked_by_flags = False
    kind: LossKind


def report_loss(deps: Deps, actor: TellerActor, command: ReportLoss) -> Receipt:
    return at_the_counter(deps, actor, command, _report_loss)


def _report_loss(desk: Desk, cmd: ReportLoss) -> Done:
    desk.account.set_flag(LOSS_REPORTS[cmd.kind])
    return Done(cmd.kind, {"account": desk.account.masked_number})


@dataclass(frozen=True, kw_only=True)
class ReplaceCard(WithAccount):
    """E14: after a loss only a same-number replacement card is issued; links are kept."""

    code = TransactionCode.CARD_REPLACEMENT
    needs_contract = False
    blocked_by_flags = False


def replace_card(deps: Deps, actor: TellerActor, command: ReplaceCard) -> Receipt:
    return at_the_counter(deps, actor, command, _replace_card)


def _replace_card(desk: Desk, cmd: ReplaceCard) -> Done:
    account = desk.account
    account.replace_card_same_number()
    return Done("same_number", {"account": account.masked_number, "card_sequence": account.card_sequence})


@dataclass(frozen=True, kw_only=True)
class CloseAccount(WithAccount):
    """E14: a main card that is a registration account cannot be closed while the contract is
    active; closing any other account ends its e-banking links."""

    code = TransactionCode.ACCOUNT_CLOSURE
    needs_contract = False
    blocked_by_flags = False


def close_account(deps: Deps, actor: TellerActor, command: CloseAccount) -> Receipt:
    return at_the_counter(deps, actor, command, _close_account)


def _close_account(desk: Desk, cmd: CloseAccount) -> Done:
    account, uow = desk.account, desk.uow
    in_use = uow.contracts.active_with_registration_account(id_of(account)) is not None
    account.close(desk.deps.today_in(desk.policy.timezone), contract_uses_as_registration=in_use)
    for link in uow.contracts.active_links_of_account(id_of(account)):
        link.end(desk.now)
    return Done("close", {"account": account.masked_number})


@dataclass(frozen=True, kw_only=True)
class ChangeStatusFlag(WithAccount):
    """C3: set or clear a status flag. Watch and fraud-hold flags are the bank's own decision
    (no identity check needed); every other flag concerns the customer's card and needs them
    present (E12). Clearing 错密超限 also resets the wrong-PIN counter."""

    code = TransactionCode.STATUS_FLAG
    needs_contract = False
    blocked_by_flags = False
    identity_check_id: int | None = None
    flag: FlagName
    action: Literal["set", "clear"]

    @property
    def status_flag(self) -> StatusFlag:
        return StatusFlag[self.flag.upper()]

    def identity_check_needed(self) -> bool:
        return self.status_flag not in STAFF_FLAGS or self.identity_check_id is not None


def change_status_flag(deps: Deps, actor: TellerActor, command: ChangeStatusFlag) -> Receipt:
    return at_the_counter(deps, actor, command, _change_status_flag)


def _change_status_flag(desk: Desk, cmd: ChangeStatusFlag) -> Done:
    account, flag = desk.account, cmd.status_flag
    if cmd.action == "set":
        account.set_flag(flag)
    else:
        account.clear_flag(flag)
        if flag is StatusFlag.WRONG_PIN_EXCEEDED:
            account.pin_failures = 0
    return Done(
        f"{cmd.action}_{cmd.flag}",
        {"account": account.masked_number, "flags": ",".join(account.status_flags.names())},
    )
