"""Request and response shapes. Syntax (lengths, patterns, ranges) is checked here, at the
edge; meaning is checked by the services and rules by the domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from netbank.domain.enrolment import Version
from netbank.domain.identity import DocumentType
from netbank.domain.otp import ChallengeChannel

_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"

InstitutionCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")]
CustomerNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,32}$")]
AccountNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,32}$")]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_PRINTABLE)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_PRINTABLE)]
DocumentNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z -]{4,32}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,24}$")]
UkeySerial = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,64}$")]
RowId = Annotated[int, Field(ge=1, le=2**53)]
TellerNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,32}$")]
BranchCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- public ----------------------------------------------------------------------------


class InstitutionOut(Out):
    code: str
    name: str
    kind: str
    currency: str
    timezone: str


class SelfRegistrationIn(Model):
    """E4/E5: the ordinary version, with a debit main card and its PIN."""

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


class LoginIn(Model):
    login_id: AccountNumber = Field(description="The registration account (card) number")
    password: Password


class CardLoginIn(Model):
    account_number: AccountNumber
    pin: Pin


class SessionOut(Out):
    token: str
    session_id: int
    level: int
    principal: str
    expires_at: datetime


class TellerLoginIn(Model):
    institution: InstitutionCode
    teller_number: TellerNumber
    password: Password
    branch_code: BranchCode | None = None


# --- customer ----------------------------------------------------------------------------


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


class LinkOnlineIn(Model):
    account_number: AccountNumber
    account_pin: Pin


class LinkOut(Out):
    origin: str
    status: str
    can_pay_out: bool
    created_at: datetime


OTPCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,8}$")]


class TOTPIn(Model):
    code: OTPCode


class ChallengeIn(Model):
    """F3 / K2: the customer's choice of SMS, ARS (voice call) or one-time code (app)."""

    channel: ChallengeChannel
    purpose: Literal["step_up", "transfer"] = "step_up"


class ChallengeOut(Out):
    id: int
    channel: str
    purpose: str
    phone_masked: str
    expires_at: datetime
    max_attempts: int


class ChallengeVerifyIn(Model):
    code: OTPCode


class StepUpOut(Out):
    level: int
    until: datetime


class SessionLevelOut(Out):
    principal: str
    level: int


IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{8,64}$")]
Amount = Annotated[int, Field(gt=0, le=10**15, description="Integer minor units (fen for CNY, won for KRW)")]
Reference = Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
PayeeCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
LimitAmount = Annotated[int, Field(ge=0, le=10**15)]


class TransferIn(Model):
    """A transfer from one of your accounts. ``idempotency_key`` is yours: repeating a request
    with the same key returns the first result and never moves money twice."""

    idempotency_key: IdempotencyKey
    from_account: AccountNumber
    to_account: AccountNumber
    amount_minor: Amount
    reference: Reference = ""


class BillPaymentIn(Model):
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


class LimitsSetIn(Model):
    """L1: your own limits, at most your version's; null restores the version's."""

    per_transaction_minor: LimitAmount | None = None
    daily_minor: LimitAmount | None = None


class PreferencesIn(Model):
    """The language of your pages after sign-in, in the web front and any browser: ``ko``,
    ``zh`` or ``en`` (another value is refused with ``LOCALE_UNSUPPORTED``); null forgets it
    (the browser's language decides)."""

    preferred_locale: Annotated[str, StringConstraints(min_length=1, max_length=16)] | None


class PreferencesOut(Out):
    preferred_locale: str | None
    supported_locales: list[str]


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


class PasswordChangeIn(Model):
    old_password: Password
    new_password: Password


class SessionInfoOut(Out):
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_address: str | None


# --- teller ------------------------------------------------------------------------------


class IdentityCheckIn(Model):
    customer_number: CustomerNumber
    document_type: DocumentType
    document_number: DocumentNumber


class IdentityCheckOut(Out):
    id: int
    doc_type: str
    number_masked: str
    checked_at: datetime
    expires_at: datetime


class MediumIn(Model):
    otp_phone: Phone | None = None
    ukey_serial: UkeySerial | None = None
    ukey_generation: Annotated[int, Field(ge=1, le=9)] | None = None


class CounterIn(Model):
    customer_number: CustomerNumber
    identity_check_id: RowId


class ContractAddIn(CounterIn):
    version: Version
    registration_account_number: AccountNumber
    login_password: Password
    medium: MediumIn


class ContractModifyIn(CounterIn):
    registration_account_number: AccountNumber
    version: Version
    medium: MediumIn


class AccountCounterIn(CounterIn):
    account_number: AccountNumber


class PasswordResetIn(CounterIn):
    registration_account_number: AccountNumber
    new_password: Password


class RegistrationCounterIn(CounterIn):
    registration_account_number: AccountNumber


class OTPPhoneIn(RegistrationCounterIn):
    otp_phone: Phone


class FeeCounterIn(RegistrationCounterIn):
    """G1: the fee is debited from the account the customer chooses."""

    fee_account_number: AccountNumber


class UKEYIn(Model):
    """K1: the UKEY presented at the counter: its PKCS#11 token label and the PIN the customer
    types (used for this request only, never stored)."""

    token_label: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
    pin: Annotated[str, StringConstraints(min_length=4, max_length=64, pattern=_PRINTABLE)]


class UkeySaleIn(FeeCounterIn):
    ukey_serial: UkeySerial
    ukey_generation: Annotated[int, Field(ge=1, le=2)]
    #: K1: initialise the UKEY now (key pair on the token, certificate issued and written back).
    ukey: UKEYIn | None = None


class CertificateRenewalIn(FeeCounterIn):
    #: K1: a new key pair and certificate on the presented UKEY; the old one is superseded.
    ukey: UKEYIn | None = None


class ReversalIn(Model):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PRINTABLE)]


class LedgerReportOut(Out):
    ok: bool
    postings: int
    entries: int
    unbalanced: list[tuple[int, str, int]]
    short_postings: list[int]
    account_mismatches: list[tuple[str, int, int]]
    gl_mismatches: list[tuple[str, int, int]]


class CardLossIn(AccountCounterIn):
    kind: Literal["verbal", "written", "pin"]


class StatusFlagIn(Model):
    account_number: AccountNumber
    flag: Literal[
        "verbal_loss",
        "written_loss",
        "pin_loss",
        "initial_pin",
        "wrong_pin_exceeded",
        "under_watch",
        "fraud_hold",
    ]
    action: Literal["set", "clear"]
    identity_check_id: RowId | None = None


class OTPEnrolmentOut(Out):
    """K2: shown once at the counter for the customer to scan; netbank keeps only the sealed seed."""

    otpauth_uri: str
    qr_svg: str
    qr_png_base64: str


class ReceiptOut(Out):
    """E12: what the counter prints."""

    transaction_id: int
    code: str
    action: str
    institution_code: str
    branch_code: str
    teller_number: str
    customer_number: str
    at: datetime
    details: dict[str, Any]
    otp_enrolment: OTPEnrolmentOut | None = None


class CustomerSummaryOut(Out):
    customer_number: str
    name: str
    document_number_masked: str
    enrolled_version: str | None


class CounterLineOut(Out):
    transaction_id: int
    code: str
    action: str
    at: datetime
    teller_id: int
    branch_id: int
    details: dict[str, Any]


class ChainBreakOut(Out):
    chain: str
    chain_seq: int
    reason: str


class AuditReportOut(Out):
    ok: bool
    chains: dict[str, int]
    breaks: list[ChainBreakOut]
