"""What a signed-in customer sends and sees: their accounts and contract, the step-up factors
(K1, K2), payments (L1-L4), limits, preferences and sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from netbank.domain.otp import ChallengeChannel, ChallengePurpose
from netbank.entrypoints.api.schemas.base import (
    AccountNumber,
    Amount,
    CommandModel,
    IdempotencyKey,
    LimitAmount,
    Model,
    OTPCode,
    Out,
    Password,
    PayeeCode,
    Pin,
    Reference,
)
from netbank.services import enrolment, limits, payments, preferences
from netbank.services.factors.codes import StartChallenge, VerifyChallenge
from netbank.services.factors.totp import VerifyTOTP


class AccountOut(Out):
    number: str
    kind: str
    currency: str
    balance_minor: int
    real_name: bool
    status: str
    flags: list[str]
    card_sequence: int
    linked: bool
    link_origin: str | None
    can_pay_out: bool


class ContractOut(Out):
    version: str
    channel: str
    enrolled_at: datetime
    registration_account: str
    login_locked: bool
    otp_phone_masked: str | None
    ukey_serial: str | None
    ukey_generation: int | None


class CustomerOut(Out):
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
    contract: ContractOut | None
    accounts: list[AccountOut]


class LinkOnlineIn(CommandModel[enrolment.LinkAccountOnline]):
    command_type = enrolment.LinkAccountOnline
    account_number: AccountNumber
    account_pin: Pin


class LinkOut(Out):
    origin: str
    status: str
    can_pay_out: bool
    created_at: datetime


# --- step-up (K1, K2) ------------------------------------------------------------------------


class TOTPIn(CommandModel[VerifyTOTP]):
    command_type = VerifyTOTP
    code: OTPCode


class ChallengeIn(Model):
    """F3 / K2: the customer's choice of SMS, ARS (voice call) or one-time code (app)."""

    channel: ChallengeChannel
    purpose: Literal["step_up", "transfer"] = "step_up"

    def command(self) -> StartChallenge:
        return StartChallenge(channel=self.channel, purpose=ChallengePurpose(self.purpose))


class ChallengeOut(Out):
    id: int
    channel: str
    purpose: str
    phone_masked: str
    expires_at: datetime
    max_attempts: int


class ChallengeVerifyIn(CommandModel[VerifyChallenge]):
    """The code received; the challenge is the one the path names."""

    command_type = VerifyChallenge
    code: OTPCode


class StepUpOut(Out):
    level: int
    until: datetime


class SessionLevelOut(Out):
    principal: str
    level: int


class StepUpMethodOut(Out):
    """A step-up method, the level it gives and whether you can use it now."""

    name: str
    level: int
    usable: bool


# --- payments (L1-L4) ------------------------------------------------------------------------


class TransferIn(CommandModel[payments.MakeTransfer]):
    """A transfer from one of your accounts to another account here (yours or another
    customer's). ``idempotency_key`` is yours: repeating a request with the same key returns
    the first result and never moves money twice."""

    command_type = payments.MakeTransfer
    idempotency_key: IdempotencyKey
    from_account: AccountNumber
    to_account: AccountNumber
    amount_minor: Amount
    reference: Reference = ""


class BillPaymentIn(CommandModel[payments.PayBill]):
    command_type = payments.PayBill
    idempotency_key: IdempotencyKey
    from_account: AccountNumber
    payee_code: PayeeCode
    amount_minor: Amount
    bill_reference: Reference = ""


class TransferOut(Out):
    id: int
    kind: str
    status: str
    amount_minor: int
    currency: str
    from_account: str
    to_account: str | None
    payee_code: str | None
    reference: str
    created_at: datetime
    business_date: date
    auth_level: int
    replayed: bool
    payer_balance_minor: int | None


class StatementLineOut(Out):
    entry_id: int
    posting_id: int
    account_number: str
    kind: str
    created_at: datetime
    business_date: date
    description: str
    reference: str
    amount_minor: int = Field(description="Signed: money in is positive, money out negative")
    currency: str
    balance_after_minor: int
    counterparty: str


class StatementPageOut(Out):
    lines: list[StatementLineOut]
    next_cursor: int | None = Field(
        description="Pass as ``cursor`` for the next (older) page; null at the end"
    )


class LimitsSetIn(CommandModel[limits.SetOwnLimits]):
    """L1: your own limits, at most your version's; null restores the version's."""

    command_type = limits.SetOwnLimits
    per_transaction_minor: LimitAmount | None = None
    daily_minor: LimitAmount | None = None


class LimitPairOut(Out):
    per_transaction_minor: int | None
    daily_minor: int
    bill_payment_daily_minor: int


class LimitsOut(Out):
    version: str
    level: int
    currency: str
    business_date: date
    version_limits: LimitPairOut
    in_force: LimitPairOut
    own_per_transaction_minor: int | None
    own_daily_minor: int | None
    used_today_minor: int
    left_today_minor: int
    bill_payments_today_minor: int
    bill_payment_left_today_minor: int


class PayeeOut(Out):
    code: str
    name: str
    category: str


# --- settings ------------------------------------------------------------------------------


class PreferencesIn(CommandModel[preferences.SetPreferredLocale]):
    """The language of your pages after sign-in, in the web front and any browser: ``ko``,
    ``zh`` or ``en`` (another value is refused with ``LOCALE_UNSUPPORTED``); null forgets it
    (the browser's language decides)."""

    command_type = preferences.SetPreferredLocale
    preferred_locale: Annotated[str, StringConstraints(min_length=1, max_length=16)] | None


class PreferencesOut(Out):
    preferred_locale: str | None
    supported_locales: list[str]


class PasswordChangeIn(CommandModel[enrolment.ChangeLoginPassword]):
    command_type = enrolment.ChangeLoginPassword
    old_password: Password
    new_password: Password


class SessionInfoOut(Out):
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_address: str | None
