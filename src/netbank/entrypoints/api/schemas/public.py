"""Public shapes: institutions, online self-registration (E4/E5) and the sign-ins."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from netbank.domain.identity import DocumentType
from netbank.entrypoints.api.schemas.base import (
    AccountNumber,
    BranchCode,
    CommandModel,
    DocumentNumber,
    InstitutionCode,
    Name,
    Out,
    Password,
    Pin,
    TellerNumber,
)
from netbank.services import auth, enrolment


class InstitutionOut(Out):
    code: str
    name: str
    kind: str
    currency: str
    timezone: str


class SelfRegistrationIn(CommandModel[enrolment.SelfRegister]):
    """E4/E5: the ordinary version, with a debit main card and its PIN."""

    command_type = enrolment.SelfRegister
    card_number: AccountNumber
    account_pin: Pin
    name: Name
    document_type: DocumentType
    document_number: DocumentNumber
    login_password: Password


class ContractCreatedOut(Out):
    version: str
    channel: str
    enrolled_at: datetime


class LoginIn(CommandModel[auth.PasswordLogin]):
    command_type = auth.PasswordLogin
    login_id: AccountNumber = Field(description="The registration account (card) number")
    password: Password


class CardLoginIn(CommandModel[auth.CardLogin]):
    command_type = auth.CardLogin
    account_number: AccountNumber
    pin: Pin


class SessionOut(Out):
    token: str
    session_id: int
    level: int
    principal: str
    expires_at: datetime


class TellerLoginIn(CommandModel[auth.TellerLogin]):
    command_type = auth.TellerLogin
    institution_code: InstitutionCode
    teller_number: TellerNumber
    password: Password
    branch_code: BranchCode | None = None
