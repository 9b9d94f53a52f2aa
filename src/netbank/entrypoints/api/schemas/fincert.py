"""The cloud financial certificate's shapes (F1-F8): the holder's commands (issue, re-issue,
renew, change the PIN, sign, step up), the F3 registration steps, the F8 device connection, and
what they answer. The web's certificate pages read their forms with the same models."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints, WithJsonSchema

from netbank.domain.fincert import SignaturePurpose
from netbank.domain.otp import ChallengeChannel
from netbank.entrypoints.api.schemas.base import CommandModel, Model, Name, Out
from netbank.services import fincert
from netbank.services.factors.fincert import StepUpWithFinCert

#: Checked by the domain (F5_PIN_FORMAT) so that the refusal names the rule.
FinCertPIN = Annotated[str, StringConstraints(min_length=1, max_length=16)]
#: What the first step of a flow (F3 registration, F8 connection) answers, for the later ones.
FlowHandle = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
#: Checked by the domain (F3_RESIDENT_NUMBER_INVALID) so that the refusal names the rule.
ResidentNumber = Annotated[str, StringConstraints(min_length=1, max_length=20)]
MobileText = Annotated[str, StringConstraints(min_length=1, max_length=24)]
#: A code sent by SMS / ARS or shown by the app; blanks around it (a paste) are dropped.
SentCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4,10}$")]
#: An F8 auto-connect token, in the body, never in the URL.
DeviceTokenText = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
#: Checked by the domain (F8_DEVICE_LABEL_REQUIRED when blank); no control characters.
DeviceLabel = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]

MAX_MESSAGE = 65536


def _message_bytes(value: object) -> object:
    """The message to sign as a client sends it in JSON: base64 of its bytes or, where that
    does not decode, the text itself (UTF-8)."""
    if not isinstance(value, str):
        return value
    if len(value) > MAX_MESSAGE:
        raise ValueError(f"at most {MAX_MESSAGE} characters")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return value.encode()


MessageBytes = Annotated[
    bytes,
    BeforeValidator(_message_bytes),
    WithJsonSchema({"type": "string", "contentEncoding": "base64", "maxLength": MAX_MESSAGE}),
]


# --- the holder (F2, F4, F5, F7) ----------------------------------------------------------------


class FinCertIssueIn(CommandModel[fincert.IssueCertificate]):
    command_type = fincert.IssueCertificate
    pin: FinCertPIN
    #: F5: revoke the live certificate another bank issued (the customer confirms it).
    confirm_revoke_other: bool = False


class FinCertReissueIn(CommandModel[fincert.ReissueCertificate]):
    command_type = fincert.ReissueCertificate
    pin: FinCertPIN


class FinCertRenewIn(CommandModel[fincert.RenewCertificate]):
    command_type = fincert.RenewCertificate
    pin: FinCertPIN


class FinCertPINChangeIn(CommandModel[fincert.ChangePIN]):
    command_type = fincert.ChangePIN
    old_pin: FinCertPIN
    new_pin: FinCertPIN


class FinCertSignIn(CommandModel[fincert.SignMessage]):
    """F7: the message (base64 of its bytes) signed for ``purpose`` after the PIN."""

    command_type = fincert.SignMessage
    pin: FinCertPIN
    purpose: SignaturePurpose
    message: MessageBytes


class FinCertStepUpIn(CommandModel[StepUpWithFinCert]):
    command_type = StepUpWithFinCert
    pin: FinCertPIN


class FinCertVerifyIn(Model):
    """F7, an institution's check of a signature: the CMS SignedData, base64 of its DER."""

    cms_base64: Annotated[str, StringConstraints(max_length=131072)]


class FinCertRegistrationOut(Out):
    institution: str
    institution_name: str
    registered_at: datetime


class FinCertOut(Out):
    serial: str
    status: str
    holder_name: str
    resident_number_masked: str
    issuing_institution: str
    not_before: datetime
    not_after: datetime
    pin_locked: bool
    registrations: list[FinCertRegistrationOut]
    certificate_pem: str


class SignedMessageOut(Out):
    serial: str
    purpose: str
    cms_base64: str


class VerifiedMessageOut(Out):
    serial: str
    purpose: str
    #: base64 of the message that was signed.
    message: str
    signed_by: str


# --- F3: registration at another institution ---------------------------------------------------


class RegistrationStartIn(CommandModel[fincert.StartRegistration]):
    """Step 1; the institution is the path's."""

    command_type = fincert.StartRegistration
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    resident_number: ResidentNumber


class RegistrationCodeSendIn(CommandModel[fincert.SendRegistrationCode]):
    """Step 2a: SMS, ARS or a one-time code, the customer's choice."""

    command_type = fincert.SendRegistrationCode
    channel: ChallengeChannel


class RegistrationCodeIn(CommandModel[fincert.VerifyRegistrationCode]):
    """Step 2b: the code that was sent."""

    command_type = fincert.VerifyRegistrationCode
    code: SentCode


class RegistrationMediumIn(CommandModel[fincert.VerifyWithoutMedium]):
    """Step 3 (보안매체 미보유 고객 확인): resident number and mobile number on file."""

    command_type = fincert.VerifyWithoutMedium
    resident_number: ResidentNumber
    mobile: MobileText


class RegistrationCompleteIn(CommandModel[fincert.CompleteRegistration]):
    """Step 4b: the chosen certificate and its PIN."""

    command_type = fincert.CompleteRegistration
    serial: Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f]{1,40}$")]
    pin: FinCertPIN


class RegistrationFlowOut(Out):
    handle: str
    step: str
    expires_at: datetime
    challenge_id: int | None = None


# --- F8: devices ---------------------------------------------------------------------------------


class DeviceConnectIn(CommandModel[fincert.StartConnection]):
    command_type = fincert.StartConnection
    name: Name
    mobile: MobileText
    #: YYYYMMDD; checked by the domain (F8_BIRTH_DATE_INVALID) so that the refusal names the rule.
    birth_date: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    channel: ChallengeChannel


class DeviceVerifyIn(CommandModel[fincert.VerifyConnection]):
    """The code sent; the connection is the one the path names."""

    command_type = fincert.VerifyConnection
    code: SentCode
    #: Keep an auto-connect token on this device (shown once in the answer).
    keep_connected: bool = False
    device_label: DeviceLabel | None = None


class AutoConnectIn(CommandModel[fincert.AutoConnect]):
    command_type = fincert.AutoConnect
    token: DeviceTokenText


class DisconnectIn(CommandModel[fincert.DisconnectDevice]):
    command_type = fincert.DisconnectDevice
    token: DeviceTokenText


class ConnectStartedOut(Out):
    handle: str
    channel: str
    expires_at: datetime


class ConnectionOut(Out):
    holder_name: str
    serial: str
    status: str
    not_after: datetime
    device_id: int | None = None
    device_label: str | None = None
    #: Only in the answer that created it: keep it on the device, it is not shown again.
    auto_connect_token: str | None = None


class DeviceOut(Out):
    id: int
    label: str
    created_at: datetime
    last_used_at: datetime
