"""The teller's counter transactions (E7-E15, K1, K2, G1): one input model per transaction,
each turning into the service command of the same fields, and the receipt (E12).

The web's counter forms post the same fields and are validated with these models
(``entrypoints/web/counter.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from netbank.domain.certificate import RevocationReason
from netbank.domain.enrolment import Version
from netbank.domain.identity import DocumentType
from netbank.entrypoints.api.schemas.base import (
    PRINTABLE,
    AccountNumber,
    CommandModel,
    CustomerNumber,
    DocumentNumber,
    Out,
    Password,
    Phone,
    RowId,
    UkeySerial,
)
from netbank.services.counter import accounts, certificates, contract, maintenance
from netbank.services.ports import UKEYAccess

TokenLabel = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
TokenPin = Annotated[str, StringConstraints(min_length=4, max_length=64, pattern=PRINTABLE)]
Generation = Annotated[int, Field(ge=1, le=9)]


class IdentityCheckIn(CommandModel[accounts.RecordIdentityCheck]):
    """E12: the identity document the customer shows at the counter."""

    command_type = accounts.RecordIdentityCheck
    customer_number: CustomerNumber
    document_type: DocumentType
    document_number: DocumentNumber


class IdentityCheckOut(Out):
    id: int
    doc_type: str
    number_masked: str
    checked_at: datetime
    expires_at: datetime


class CounterIn(CommandModel[Any]):
    """Every counter transaction: the customer, present, and the identity check (E12)."""

    customer_number: CustomerNumber
    identity_check_id: RowId


# --- 819101 / 819102 / 819103 --------------------------------------------------------------


class MediumIn(CounterIn):
    """E4: the version and its medium, an OTP phone (E15) or a UKEY's serial and generation."""

    registration_account_number: AccountNumber
    version: Version
    otp_phone: Phone | None = None
    ukey_serial: UkeySerial | None = None
    ukey_generation: Generation | None = None


class ContractAddIn(MediumIn):
    """819101 add: the OTP or certificate version, with the registration account."""

    command_type = contract.AddContract
    login_password: Password


class ContractModifyIn(MediumIn):
    """819101 modify: another version or medium, with the registration account (E7, E8)."""

    command_type = contract.ModifyContract


class ContractDeleteIn(CounterIn):
    """819101 delete: no account needed (E7)."""

    command_type = contract.DeleteContract


class LinkedAccountAddIn(CounterIn):
    """819102: the account to add (E9, E10, E11)."""

    command_type = contract.AddLinkedAccount
    account_number: AccountNumber


class LinkedAccountRemoveIn(CounterIn):
    """819103: the account to remove (E9)."""

    command_type = contract.RemoveLinkedAccount
    account_number: AccountNumber


# --- login password and OTP (E13, K2) ------------------------------------------------------


class RegistrationCounterIn(CounterIn):
    """A transaction that needs the registration account presented (E7)."""

    registration_account_number: AccountNumber


class PasswordResetIn(RegistrationCounterIn):
    command_type = maintenance.ResetLoginPassword
    new_password: Password


class OTPPhoneIn(RegistrationCounterIn):
    command_type = maintenance.ReplaceOTPPhone
    otp_phone: Phone


class OTPReseedIn(RegistrationCounterIn):
    command_type = maintenance.ReprovisionTOTP


class OTPUnlockIn(RegistrationCounterIn):
    command_type = maintenance.UnlockTOTP


# --- K1: the UKEY and its certificate (G1 fees) ----------------------------------------------


class WithUKEY(RegistrationCounterIn):
    """G1: the fee is debited from ``fee_account_number``. K1: the UKEY presented, its PKCS#11
    token label and the PIN the customer types (used for this request only, never stored),
    both or neither."""

    fee_account_number: AccountNumber
    token_label: TokenLabel | None = None
    token_pin: TokenPin | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.token_label is None) != (self.token_pin is None):
            raise ValueError("token_label and token_pin go together")
        return self

    def command(self, **context: Any) -> Any:
        fields = dict(self)
        label, pin = fields.pop("token_label"), fields.pop("token_pin")
        ukey = UKEYAccess(label=label, pin=pin) if label is not None and pin is not None else None
        return self.command_type(**fields, ukey=ukey, **context)


class UKEYOfGeneration(WithUKEY):
    """The UKEY sold: its serial and generation (1 or 2, G1)."""

    ukey_serial: UkeySerial
    ukey_generation: Annotated[int, Field(ge=1, le=2)]


class UkeySaleIn(UKEYOfGeneration):
    """Sell a UKEY of generation 1 or 2 (G1 material cost, GL 5111201.01); with the UKEY
    presented its key pair and certificate are made now (K1)."""

    command_type = certificates.SellUKEY


class UKEYReplacementIn(UKEYOfGeneration):
    """A lost (or broken) UKEY: a new one is sold and initialised at once (the UKEY must be
    presented); the old certificate is revoked as ``key_compromise`` (lost) or ``superseded``."""

    command_type = certificates.ReplaceUKEY
    token_label: TokenLabel
    token_pin: TokenPin
    reason: RevocationReason = RevocationReason.KEY_COMPROMISE


class CertificateRenewalIn(WithUKEY):
    """Renew the UKEY certificate (G1 certificate fee, GL 5111201.02)."""

    command_type = certificates.RenewCertificate


class CertificateRevocationIn(RegistrationCounterIn):
    command_type = certificates.RevokeCertificate
    reason: RevocationReason


# --- C3 / E14: cards and accounts ------------------------------------------------------------


class CardLossIn(CounterIn):
    command_type = accounts.ReportLoss
    account_number: AccountNumber
    kind: Literal["verbal", "written", "pin"]


class CardReplacementIn(CounterIn):
    command_type = accounts.ReplaceCard
    account_number: AccountNumber


class AccountClosureIn(CounterIn):
    command_type = accounts.CloseAccount
    account_number: AccountNumber


class StatusFlagIn(CounterIn):
    """C3: set or clear a flag; the bank's own risk flags (``under_watch``, ``fraud_hold``)
    need no identity check."""

    command_type = accounts.ChangeStatusFlag
    account_number: AccountNumber
    identity_check_id: RowId | None = None  # type: ignore[assignment]
    flag: accounts.FlagName
    action: Literal["set", "clear"]


# --- receipts ----------------------------------------------------------------------------------


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
