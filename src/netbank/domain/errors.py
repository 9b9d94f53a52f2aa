"""Every refusal netbank can give, as a stable code carrying the SPEC rule it enforces.

A code never changes once released: clients and the web UI key on it. Its message lives in the
ko / zh / en catalogs under ``netbank/i18n`` (msgid = the code). The exception *class* says which
family the refusal belongs to; the single mapping to HTTP lives in the API's ``errors`` module.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Code(StrEnum):
    # --- generic -------------------------------------------------------------------------
    REQUEST_VALIDATION = "REQUEST_VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONCURRENT_UPDATE = "CONCURRENT_UPDATE"
    SERVICE_BUSY = "SERVICE_BUSY"
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    SESSION_INVALID = "SESSION_INVALID"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    INSTITUTION_NOT_FOUND = "INSTITUTION_NOT_FOUND"
    BRANCH_NOT_FOUND = "BRANCH_NOT_FOUND"
    BRANCH_EXISTS = "BRANCH_EXISTS"
    TELLER_EXISTS = "TELLER_EXISTS"
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
    TELLER_NOT_FOUND = "TELLER_NOT_FOUND"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    TELLER_LOCKED = "TELLER_LOCKED"
    TELLER_ROLE_REQUIRED = "TELLER_ROLE_REQUIRED"
    # --- C: core banking model -------------------------------------------------------------
    C1_CUSTOMER_NUMBER_TAKEN = "C1_CUSTOMER_NUMBER_TAKEN"
    C1_IDENTITY_DOCUMENT_INVALID = "C1_IDENTITY_DOCUMENT_INVALID"
    C1_IDENTITY_MISMATCH = "C1_IDENTITY_MISMATCH"
    C1_PERSON_ALREADY_CUSTOMER = "C1_PERSON_ALREADY_CUSTOMER"
    C1_PHONE_NUMBER_INVALID = "C1_PHONE_NUMBER_INVALID"
    C1_BIRTH_DATE_INVALID = "C1_BIRTH_DATE_INVALID"
    C2_ACCOUNT_NUMBER_TAKEN = "C2_ACCOUNT_NUMBER_TAKEN"
    C2_ACCOUNT_CLOSED = "C2_ACCOUNT_CLOSED"
    C2_BALANCE_NOT_ZERO = "C2_BALANCE_NOT_ZERO"
    C2_CURRENCY_MISMATCH = "C2_CURRENCY_MISMATCH"
    C2_ACCOUNT_NOT_CUSTOMERS = "C2_ACCOUNT_NOT_CUSTOMERS"
    C2_SUB_CARD_NEEDS_MAIN_CARD = "C2_SUB_CARD_NEEDS_MAIN_CARD"
    C2_ACCOUNT_KIND_NOT_ISSUED = "C2_ACCOUNT_KIND_NOT_ISSUED"
    C3_WRONG_PIN_EXCEEDED = "C3_WRONG_PIN_EXCEEDED"
    C3_FLAG_ALREADY_SET = "C3_FLAG_ALREADY_SET"
    C3_FLAG_NOT_SET = "C3_FLAG_NOT_SET"
    # --- E: e-banking enrolment and counter rules ------------------------------------------
    E1_QUERY_ONLY = "E1_QUERY_ONLY"
    E1_NOT_A_LOGIN_ACCOUNT = "E1_NOT_A_LOGIN_ACCOUNT"
    E2_UNDER_AGE = "E2_UNDER_AGE"
    E2_NO_REAL_NAME_ACCOUNT = "E2_NO_REAL_NAME_ACCOUNT"
    E2_IDENTITY_DOCUMENT_EXPIRED = "E2_IDENTITY_DOCUMENT_EXPIRED"
    E2_NOT_PERSONAL_CUSTOMER = "E2_NOT_PERSONAL_CUSTOMER"
    E3_ALREADY_ENROLLED = "E3_ALREADY_ENROLLED"
    E3_NOT_ENROLLED = "E3_NOT_ENROLLED"
    E4_ORDINARY_ONLINE_ONLY = "E4_ORDINARY_ONLINE_ONLY"
    E4_MEDIUM_REQUIRED = "E4_MEDIUM_REQUIRED"
    E4_MEDIUM_NOT_FOR_VERSION = "E4_MEDIUM_NOT_FOR_VERSION"
    E4_UKEY_GENERATION_NOT_ALLOWED = "E4_UKEY_GENERATION_NOT_ALLOWED"
    E5_REGISTRATION_ACCOUNT_KIND = "E5_REGISTRATION_ACCOUNT_KIND"
    E6_ALREADY_LINKED = "E6_ALREADY_LINKED"
    E6_NOT_LINKED = "E6_NOT_LINKED"
    E7_REGISTRATION_ACCOUNT_REQUIRED = "E7_REGISTRATION_ACCOUNT_REQUIRED"
    E8_NOTHING_TO_MODIFY = "E8_NOTHING_TO_MODIFY"
    E9_VERSION_CANNOT_LINK_AT_COUNTER = "E9_VERSION_CANNOT_LINK_AT_COUNTER"
    E9_ACCOUNT_KIND_NOT_LINKABLE = "E9_ACCOUNT_KIND_NOT_LINKABLE"
    E9_REGISTRATION_ACCOUNT_NOT_REMOVABLE = "E9_REGISTRATION_ACCOUNT_NOT_REMOVABLE"
    E10_LINK_NEEDS_COUNTER = "E10_LINK_NEEDS_COUNTER"
    E11_ACCOUNT_STATUS_BLOCKS = "E11_ACCOUNT_STATUS_BLOCKS"
    E12_IDENTITY_CHECK_REQUIRED = "E12_IDENTITY_CHECK_REQUIRED"
    E12_IDENTITY_CHECK_EXPIRED = "E12_IDENTITY_CHECK_EXPIRED"
    E12_OTHER_INSTITUTION = "E12_OTHER_INSTITUTION"
    E13_PASSWORD_POLICY = "E13_PASSWORD_POLICY"  # noqa: S105 - an error code
    E13_LOGIN_LOCKED = "E13_LOGIN_LOCKED"
    E14_CARD_NOT_REPORTED_LOST = "E14_CARD_NOT_REPORTED_LOST"
    E14_REPLACEMENT_NOT_A_CARD = "E14_REPLACEMENT_NOT_A_CARD"
    E14_CONTRACT_ACTIVE = "E14_CONTRACT_ACTIVE"
    E15_PHONE_NUMBER_INVALID = "E15_PHONE_NUMBER_INVALID"
    E15_PHS_AREA_CODE_REQUIRED = "E15_PHS_AREA_CODE_REQUIRED"
    # --- K2: one-time passwords and codes; step-up ----------------------------------------
    K2_OTP_NOT_ENROLLED = "K2_OTP_NOT_ENROLLED"
    K2_OTP_WRONG = "K2_OTP_WRONG"
    K2_OTP_REPLAYED = "K2_OTP_REPLAYED"
    K2_OTP_LOCKED = "K2_OTP_LOCKED"
    K2_OTP_NOT_LOCKED = "K2_OTP_NOT_LOCKED"
    K2_CHALLENGE_NOT_FOUND = "K2_CHALLENGE_NOT_FOUND"
    K2_CHALLENGE_WRONG = "K2_CHALLENGE_WRONG"
    K2_CHALLENGE_EXPIRED = "K2_CHALLENGE_EXPIRED"
    K2_CHALLENGE_USED = "K2_CHALLENGE_USED"
    K2_CHALLENGE_LOCKED = "K2_CHALLENGE_LOCKED"
    K2_RATE_LIMITED = "K2_RATE_LIMITED"
    K2_STEP_UP_REQUIRED = "K2_STEP_UP_REQUIRED"
    K2_NO_PHONE_FOR_CHALLENGE = "K2_NO_PHONE_FOR_CHALLENGE"


class DomainError(Exception):
    """Base of every refusal. ``params`` fill the localized message's placeholders and are
    returned to the client, so they must never hold a secret or an unmasked identifier."""

    def __init__(self, code: Code, **params: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value}, {self.params!r})"


class RuleViolation(DomainError):
    """A business rule of the SPEC refuses the request."""


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to the caller)."""


class Conflict(DomainError):
    """The request contradicts the current state (already enrolled, already linked, ...)."""


class AuthenticationFailed(DomainError):
    """Credentials are wrong; the message is deliberately generic."""


class PermissionDenied(DomainError):
    """The caller is authenticated but may not do this."""


class Locked(DomainError):
    """A credential or account is locked after too many failures; a reset path exists."""
