"""Every refusal netbank can give, as a stable code carrying the SPEC rule it enforces.

A code never changes once released: clients and the web UI key on it. Its message lives in the
ko / zh / en catalogs under ``netbank/i18n`` (msgid = the code). Each code is declared with the
one :class:`Family` it belongs to; the family decides the exception class that carries it (so
``except NotFound`` catches every not-found code) and, in the API's ``errors`` module, its one
HTTP status. ``tests/unit/test_error_families.py`` walks every code and every raise.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import Any


class Family(Enum):
    """What kind of refusal a code is."""

    #: The request's shape is wrong (a field missing, too long, not a number).
    VALIDATION = "validation"
    #: A business rule of the SPEC refuses the request.
    RULE = "rule"
    #: The thing named does not exist, or is not visible to the caller.
    NOT_FOUND = "not_found"
    #: The request contradicts the current state (already enrolled, already linked, ...).
    CONFLICT = "conflict"
    #: Credentials are wrong or the session is gone; the message is deliberately generic.
    AUTHENTICATION = "authentication"
    #: The caller is authenticated but may not do this.
    PERMISSION = "permission"
    #: The session's authentication level is too low: the answer names the methods (K2).
    STEP_UP = "step_up"
    #: A step-up factor's secret did not verify (wrong, used, expired code or PIN).
    FACTOR = "factor"
    #: A credential or account is locked after too many failures; a reset path exists.
    LOCKED = "locked"
    #: Too many attempts from one customer or one client address in the window.
    RATE_LIMITED = "rate_limited"
    #: The service cannot answer now (a lock timeout, a failover); the client retries.
    UNAVAILABLE = "unavailable"
    #: The method is not offered on this path.
    UNSUPPORTED = "unsupported"


class Code(StrEnum):
    """A refusal's stable code and the family it belongs to (its ``family`` attribute)."""

    family: Family

    def __new__(cls, value: str, family: Family) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.family = family
        return member

    # --- generic -------------------------------------------------------------------------
    REQUEST_VALIDATION = "REQUEST_VALIDATION", Family.VALIDATION
    NOT_FOUND = "NOT_FOUND", Family.NOT_FOUND
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED", Family.UNSUPPORTED
    CONCURRENT_UPDATE = "CONCURRENT_UPDATE", Family.CONFLICT
    SERVICE_BUSY = "SERVICE_BUSY", Family.UNAVAILABLE
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED", Family.AUTHENTICATION
    SESSION_INVALID = "SESSION_INVALID", Family.AUTHENTICATION
    PERMISSION_DENIED = "PERMISSION_DENIED", Family.PERMISSION
    INSTITUTION_NOT_FOUND = "INSTITUTION_NOT_FOUND", Family.NOT_FOUND
    BRANCH_NOT_FOUND = "BRANCH_NOT_FOUND", Family.NOT_FOUND
    BRANCH_EXISTS = "BRANCH_EXISTS", Family.CONFLICT
    TELLER_EXISTS = "TELLER_EXISTS", Family.CONFLICT
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND", Family.NOT_FOUND
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND", Family.NOT_FOUND
    TELLER_NOT_FOUND = "TELLER_NOT_FOUND", Family.NOT_FOUND
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND", Family.NOT_FOUND
    TELLER_LOCKED = "TELLER_LOCKED", Family.LOCKED
    TELLER_ROLE_REQUIRED = "TELLER_ROLE_REQUIRED", Family.PERMISSION
    LOCALE_UNSUPPORTED = "LOCALE_UNSUPPORTED", Family.RULE
    # --- C: core banking model -------------------------------------------------------------
    C1_CUSTOMER_NUMBER_TAKEN = "C1_CUSTOMER_NUMBER_TAKEN", Family.CONFLICT
    C1_IDENTITY_DOCUMENT_INVALID = "C1_IDENTITY_DOCUMENT_INVALID", Family.RULE
    C1_IDENTITY_MISMATCH = "C1_IDENTITY_MISMATCH", Family.RULE
    C1_PERSON_ALREADY_CUSTOMER = "C1_PERSON_ALREADY_CUSTOMER", Family.CONFLICT
    C1_PHONE_NUMBER_INVALID = "C1_PHONE_NUMBER_INVALID", Family.RULE
    C1_BIRTH_DATE_INVALID = "C1_BIRTH_DATE_INVALID", Family.RULE
    C2_ACCOUNT_NUMBER_TAKEN = "C2_ACCOUNT_NUMBER_TAKEN", Family.CONFLICT
    C2_ACCOUNT_CLOSED = "C2_ACCOUNT_CLOSED", Family.RULE
    C2_BALANCE_NOT_ZERO = "C2_BALANCE_NOT_ZERO", Family.RULE
    C2_CURRENCY_MISMATCH = "C2_CURRENCY_MISMATCH", Family.RULE
    C2_ACCOUNT_NOT_CUSTOMERS = "C2_ACCOUNT_NOT_CUSTOMERS", Family.RULE
    C2_SUB_CARD_NEEDS_MAIN_CARD = "C2_SUB_CARD_NEEDS_MAIN_CARD", Family.RULE
    C2_ACCOUNT_KIND_NOT_ISSUED = "C2_ACCOUNT_KIND_NOT_ISSUED", Family.RULE
    C3_WRONG_PIN_EXCEEDED = "C3_WRONG_PIN_EXCEEDED", Family.LOCKED
    C3_FLAG_ALREADY_SET = "C3_FLAG_ALREADY_SET", Family.CONFLICT
    C3_FLAG_NOT_SET = "C3_FLAG_NOT_SET", Family.CONFLICT
    # --- E: e-banking enrolment and counter rules ------------------------------------------
    E1_QUERY_ONLY = "E1_QUERY_ONLY", Family.RULE
    E1_NOT_A_LOGIN_ACCOUNT = "E1_NOT_A_LOGIN_ACCOUNT", Family.RULE
    E2_UNDER_AGE = "E2_UNDER_AGE", Family.RULE
    E2_NO_REAL_NAME_ACCOUNT = "E2_NO_REAL_NAME_ACCOUNT", Family.RULE
    E2_IDENTITY_DOCUMENT_EXPIRED = "E2_IDENTITY_DOCUMENT_EXPIRED", Family.RULE
    E2_NOT_PERSONAL_CUSTOMER = "E2_NOT_PERSONAL_CUSTOMER", Family.RULE
    E3_ALREADY_ENROLLED = "E3_ALREADY_ENROLLED", Family.CONFLICT
    E3_NOT_ENROLLED = "E3_NOT_ENROLLED", Family.NOT_FOUND
    E4_ORDINARY_ONLINE_ONLY = "E4_ORDINARY_ONLINE_ONLY", Family.RULE
    E4_MEDIUM_REQUIRED = "E4_MEDIUM_REQUIRED", Family.RULE
    E4_MEDIUM_NOT_FOR_VERSION = "E4_MEDIUM_NOT_FOR_VERSION", Family.RULE
    E4_UKEY_GENERATION_NOT_ALLOWED = "E4_UKEY_GENERATION_NOT_ALLOWED", Family.RULE
    E5_REGISTRATION_ACCOUNT_KIND = "E5_REGISTRATION_ACCOUNT_KIND", Family.RULE
    E6_ALREADY_LINKED = "E6_ALREADY_LINKED", Family.CONFLICT
    E6_NOT_LINKED = "E6_NOT_LINKED", Family.NOT_FOUND
    E7_REGISTRATION_ACCOUNT_REQUIRED = "E7_REGISTRATION_ACCOUNT_REQUIRED", Family.RULE
    E8_NOTHING_TO_MODIFY = "E8_NOTHING_TO_MODIFY", Family.RULE
    E9_VERSION_CANNOT_LINK_AT_COUNTER = "E9_VERSION_CANNOT_LINK_AT_COUNTER", Family.RULE
    E9_ACCOUNT_KIND_NOT_LINKABLE = "E9_ACCOUNT_KIND_NOT_LINKABLE", Family.RULE
    E9_REGISTRATION_ACCOUNT_NOT_REMOVABLE = "E9_REGISTRATION_ACCOUNT_NOT_REMOVABLE", Family.RULE
    E10_LINK_NEEDS_COUNTER = "E10_LINK_NEEDS_COUNTER", Family.RULE
    E11_ACCOUNT_STATUS_BLOCKS = "E11_ACCOUNT_STATUS_BLOCKS", Family.RULE
    E12_IDENTITY_CHECK_REQUIRED = "E12_IDENTITY_CHECK_REQUIRED", Family.RULE
    E12_IDENTITY_CHECK_EXPIRED = "E12_IDENTITY_CHECK_EXPIRED", Family.RULE
    E12_OTHER_INSTITUTION = "E12_OTHER_INSTITUTION", Family.RULE
    E13_PASSWORD_POLICY = "E13_PASSWORD_POLICY", Family.RULE
    E13_LOGIN_LOCKED = "E13_LOGIN_LOCKED", Family.LOCKED
    E14_CARD_NOT_REPORTED_LOST = "E14_CARD_NOT_REPORTED_LOST", Family.RULE
    E14_REPLACEMENT_NOT_A_CARD = "E14_REPLACEMENT_NOT_A_CARD", Family.RULE
    E14_CONTRACT_ACTIVE = "E14_CONTRACT_ACTIVE", Family.RULE
    E15_PHONE_NUMBER_INVALID = "E15_PHONE_NUMBER_INVALID", Family.RULE
    E15_PHS_AREA_CODE_REQUIRED = "E15_PHS_AREA_CODE_REQUIRED", Family.RULE
    # --- L: limits; ledger and transfers ----------------------------------------------------
    L1_AMOUNT_NOT_POSITIVE = "L1_AMOUNT_NOT_POSITIVE", Family.RULE
    L1_PER_TRANSACTION_LIMIT_EXCEEDED = "L1_PER_TRANSACTION_LIMIT_EXCEEDED", Family.RULE
    L1_OWN_LIMIT_ABOVE_VERSION = "L1_OWN_LIMIT_ABOVE_VERSION", Family.RULE
    L1_PER_TRANSACTION_ABOVE_DAILY = "L1_PER_TRANSACTION_ABOVE_DAILY", Family.RULE
    L2_DAILY_LIMIT_EXCEEDED = "L2_DAILY_LIMIT_EXCEEDED", Family.RULE
    L2_BILL_PAYMENT_LIMIT_EXCEEDED = "L2_BILL_PAYMENT_LIMIT_EXCEEDED", Family.RULE
    L2_VERSION_CANNOT_TRANSFER = "L2_VERSION_CANNOT_TRANSFER", Family.RULE
    C2_INSUFFICIENT_FUNDS = "C2_INSUFFICIENT_FUNDS", Family.RULE
    C2_SAME_ACCOUNT = "C2_SAME_ACCOUNT", Family.RULE
    C3_ACCOUNT_BLOCKED_FOR_PAYOUT = "C3_ACCOUNT_BLOCKED_FOR_PAYOUT", Family.RULE
    E6_PAYER_NOT_LINKED = "E6_PAYER_NOT_LINKED", Family.RULE
    PAYEE_NOT_FOUND = "PAYEE_NOT_FOUND", Family.NOT_FOUND
    PAYEE_EXISTS = "PAYEE_EXISTS", Family.CONFLICT
    TRANSFER_NOT_FOUND = "TRANSFER_NOT_FOUND", Family.NOT_FOUND
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED", Family.CONFLICT
    LEDGER_ALREADY_REVERSED = "LEDGER_ALREADY_REVERSED", Family.CONFLICT
    STATEMENT_DATES_REVERSED = "STATEMENT_DATES_REVERSED", Family.RULE
    G1_FEE_ACCOUNT_NOT_USABLE = "G1_FEE_ACCOUNT_NOT_USABLE", Family.RULE
    # --- K1: certificate version ---------------------------------------------------------
    K1_NOT_CERTIFICATE_VERSION = "K1_NOT_CERTIFICATE_VERSION", Family.RULE
    K1_PKI_NOT_INITIALISED = "K1_PKI_NOT_INITIALISED", Family.NOT_FOUND
    K1_CA_VALIDITY_EXCEEDED = "K1_CA_VALIDITY_EXCEEDED", Family.RULE
    K1_PKI_ALREADY_INITIALISED = "K1_PKI_ALREADY_INITIALISED", Family.CONFLICT
    K1_CERTIFICATE_EXPIRED = "K1_CERTIFICATE_EXPIRED", Family.RULE
    K1_CERTIFICATE_NOT_YET_VALID = "K1_CERTIFICATE_NOT_YET_VALID", Family.RULE
    K1_CERTIFICATE_REVOKED = "K1_CERTIFICATE_REVOKED", Family.RULE
    K1_WRONG_ISSUER = "K1_WRONG_ISSUER", Family.RULE
    K1_SIGNATURE_INVALID = "K1_SIGNATURE_INVALID", Family.RULE
    K1_CERTIFICATE_OF_ANOTHER_CUSTOMER = "K1_CERTIFICATE_OF_ANOTHER_CUSTOMER", Family.RULE
    K1_CERTIFICATE_UNKNOWN = "K1_CERTIFICATE_UNKNOWN", Family.RULE
    K1_CERTIFICATE_MALFORMED = "K1_CERTIFICATE_MALFORMED", Family.RULE
    K1_KEY_USAGE_NOT_ALLOWED = "K1_KEY_USAGE_NOT_ALLOWED", Family.RULE
    K1_NO_VALID_CERTIFICATE = "K1_NO_VALID_CERTIFICATE", Family.NOT_FOUND
    K1_TOKEN_PIN_WRONG = "K1_TOKEN_PIN_WRONG", Family.RULE
    K1_TOKEN_PIN_LOCKED = "K1_TOKEN_PIN_LOCKED", Family.LOCKED
    K1_TOKEN_NOT_FOUND = "K1_TOKEN_NOT_FOUND", Family.NOT_FOUND
    K1_TOKEN_IN_USE = "K1_TOKEN_IN_USE", Family.CONFLICT
    K1_TOKEN_ERROR = "K1_TOKEN_ERROR", Family.RULE
    K1_INSTRUCTION_MALFORMED = "K1_INSTRUCTION_MALFORMED", Family.RULE
    K1_INSTRUCTION_STALE = "K1_INSTRUCTION_STALE", Family.RULE
    K1_LOGIN_CHALLENGE_NOT_FOUND = "K1_LOGIN_CHALLENGE_NOT_FOUND", Family.NOT_FOUND
    K1_LOGIN_CHALLENGE_EXPIRED = "K1_LOGIN_CHALLENGE_EXPIRED", Family.RULE
    K1_LOGIN_CHALLENGE_USED = "K1_LOGIN_CHALLENGE_USED", Family.RULE
    #: The web's step-up by UKEY: what was pasted is not the client helper's JSON answer.
    K1_LOGIN_ANSWER_MALFORMED = "K1_LOGIN_ANSWER_MALFORMED", Family.RULE
    # --- K2: one-time passwords and codes; step-up ----------------------------------------
    K2_OTP_NOT_ENROLLED = "K2_OTP_NOT_ENROLLED", Family.RULE
    K2_OTP_WRONG = "K2_OTP_WRONG", Family.FACTOR
    K2_OTP_REPLAYED = "K2_OTP_REPLAYED", Family.FACTOR
    K2_OTP_LOCKED = "K2_OTP_LOCKED", Family.LOCKED
    K2_OTP_NOT_LOCKED = "K2_OTP_NOT_LOCKED", Family.CONFLICT
    K2_CHALLENGE_NOT_FOUND = "K2_CHALLENGE_NOT_FOUND", Family.NOT_FOUND
    K2_CHALLENGE_WRONG = "K2_CHALLENGE_WRONG", Family.FACTOR
    K2_CHALLENGE_EXPIRED = "K2_CHALLENGE_EXPIRED", Family.FACTOR
    K2_CHALLENGE_USED = "K2_CHALLENGE_USED", Family.FACTOR
    K2_CHALLENGE_LOCKED = "K2_CHALLENGE_LOCKED", Family.LOCKED
    K2_RATE_LIMITED = "K2_RATE_LIMITED", Family.RATE_LIMITED
    K2_STEP_UP_REQUIRED = "K2_STEP_UP_REQUIRED", Family.STEP_UP
    K2_NO_PHONE_FOR_CHALLENGE = "K2_NO_PHONE_FOR_CHALLENGE", Family.FACTOR
    # --- F: the cloud financial certificate ---------------------------------------------------
    F1_SERVICE_NOT_CONFIGURED = "F1_SERVICE_NOT_CONFIGURED", Family.RULE
    F1_CA_NOT_INITIALISED = "F1_CA_NOT_INITIALISED", Family.RULE
    F1_CA_ALREADY_INITIALISED = "F1_CA_ALREADY_INITIALISED", Family.CONFLICT
    F1_CA_VALIDITY_EXCEEDED = "F1_CA_VALIDITY_EXCEEDED", Family.RULE
    F2_ISSUER_NOT_A_BANK = "F2_ISSUER_NOT_A_BANK", Family.PERMISSION
    F2_NOT_PERSONAL_CUSTOMER = "F2_NOT_PERSONAL_CUSTOMER", Family.RULE
    F3_RESIDENT_NUMBER_INVALID = "F3_RESIDENT_NUMBER_INVALID", Family.RULE
    F3_IDENTITY_MISMATCH = "F3_IDENTITY_MISMATCH", Family.RULE
    F3_MOBILE_MISMATCH = "F3_MOBILE_MISMATCH", Family.RULE
    F3_FLOW_NOT_FOUND = "F3_FLOW_NOT_FOUND", Family.NOT_FOUND
    F3_FLOW_EXPIRED = "F3_FLOW_EXPIRED", Family.RULE
    F3_FLOW_FINISHED = "F3_FLOW_FINISHED", Family.CONFLICT
    F3_STEP_OUT_OF_ORDER = "F3_STEP_OUT_OF_ORDER", Family.CONFLICT
    F3_NO_CERTIFICATE = "F3_NO_CERTIFICATE", Family.NOT_FOUND
    F3_ALREADY_REGISTERED = "F3_ALREADY_REGISTERED", Family.CONFLICT
    F3_TOO_MANY_ATTEMPTS = "F3_TOO_MANY_ATTEMPTS", Family.RATE_LIMITED
    F4_NO_CERTIFICATE = "F4_NO_CERTIFICATE", Family.NOT_FOUND
    F4_NOT_REGISTERED = "F4_NOT_REGISTERED", Family.NOT_FOUND
    F4_CERTIFICATE_REVOKED = "F4_CERTIFICATE_REVOKED", Family.RULE
    F4_CERTIFICATE_SUSPENDED = "F4_CERTIFICATE_SUSPENDED", Family.RULE
    F4_ALREADY_SUSPENDED = "F4_ALREADY_SUSPENDED", Family.CONFLICT
    F4_NOT_SUSPENDED = "F4_NOT_SUSPENDED", Family.CONFLICT
    F4_REVOKE_AT_ISSUING_BANK_ONLY = "F4_REVOKE_AT_ISSUING_BANK_ONLY", Family.PERMISSION
    F5_ALREADY_ISSUED = "F5_ALREADY_ISSUED", Family.CONFLICT
    F5_CERTIFICATE_EXISTS_ELSEWHERE = "F5_CERTIFICATE_EXISTS_ELSEWHERE", Family.CONFLICT
    F5_CERTIFICATE_EXPIRED = "F5_CERTIFICATE_EXPIRED", Family.RULE
    F5_RENEWAL_TOO_EARLY = "F5_RENEWAL_TOO_EARLY", Family.RULE
    F5_RENEWAL_AT_ISSUING_BANK_ONLY = "F5_RENEWAL_AT_ISSUING_BANK_ONLY", Family.PERMISSION
    F5_PIN_FORMAT = "F5_PIN_FORMAT", Family.RULE
    F5_PIN_TOO_SIMPLE = "F5_PIN_TOO_SIMPLE", Family.RULE
    F5_PIN_WRONG = "F5_PIN_WRONG", Family.FACTOR
    F5_PIN_LOCKED = "F5_PIN_LOCKED", Family.LOCKED
    F7_SIGNATURE_INVALID = "F7_SIGNATURE_INVALID", Family.RULE
    F8_BIRTH_DATE_INVALID = "F8_BIRTH_DATE_INVALID", Family.RULE
    F8_PHONE_NUMBER_INVALID = "F8_PHONE_NUMBER_INVALID", Family.RULE
    F8_CHANNEL_NOT_OFFERED = "F8_CHANNEL_NOT_OFFERED", Family.RULE
    F8_TOO_MANY_ATTEMPTS = "F8_TOO_MANY_ATTEMPTS", Family.RATE_LIMITED
    F8_CONNECT_NOT_FOUND = "F8_CONNECT_NOT_FOUND", Family.NOT_FOUND
    F8_CONNECT_FINISHED = "F8_CONNECT_FINISHED", Family.CONFLICT
    F8_CODE_WRONG = "F8_CODE_WRONG", Family.FACTOR
    F8_CODE_EXPIRED = "F8_CODE_EXPIRED", Family.FACTOR
    F8_CODE_LOCKED = "F8_CODE_LOCKED", Family.LOCKED
    F8_DEVICE_LABEL_REQUIRED = "F8_DEVICE_LABEL_REQUIRED", Family.RULE
    F8_DEVICE_TOKEN_UNKNOWN = "F8_DEVICE_TOKEN_UNKNOWN", Family.AUTHENTICATION
    F8_DEVICE_TOKEN_REVOKED = "F8_DEVICE_TOKEN_REVOKED", Family.AUTHENTICATION
    F8_DEVICE_NOT_FOUND = "F8_DEVICE_NOT_FOUND", Family.NOT_FOUND
    F8_NO_CERTIFICATE = "F8_NO_CERTIFICATE", Family.NOT_FOUND


class DomainError(Exception):
    """Base of every refusal. ``params`` fill the localized message's placeholders and are
    returned to the client, so they must never hold a secret or an unmasked identifier."""

    #: The family whose codes this class carries (None: the base, for a code of any family).
    family: Family | None = None

    def __init__(self, code: Code, **params: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value}, {self.params!r})"


class InvalidRequest(DomainError):
    """The request's shape is wrong, found past the schema (a form field, a query parameter)."""

    family = Family.VALIDATION


class RuleViolation(DomainError):
    """A business rule of the SPEC refuses the request."""

    family = Family.RULE


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to the caller)."""

    family = Family.NOT_FOUND


class Conflict(DomainError):
    """The request contradicts the current state (already enrolled, already linked, ...)."""

    family = Family.CONFLICT


class AuthenticationFailed(DomainError):
    """Credentials are wrong; the message is deliberately generic."""

    family = Family.AUTHENTICATION


class PermissionDenied(DomainError):
    """The caller is authenticated but may not do this."""

    family = Family.PERMISSION


class StepUpRequired(DomainError):
    """The session's level is too low for the action: the answer names the level and the
    methods that reach it (RFC 9470 ``insufficient_user_authentication``)."""

    family = Family.STEP_UP


class FactorRejected(DomainError):
    """A second factor did not verify (wrong, used, expired code; a wrong certificate PIN).
    The failure is counted and committed before the refusal is raised."""

    family = Family.FACTOR


class Locked(DomainError):
    """A credential or account is locked after too many failures; a reset path exists."""

    family = Family.LOCKED


class RateLimited(DomainError):
    """Too many verification attempts from one customer or one client address."""

    family = Family.RATE_LIMITED


class Unavailable(DomainError):
    """The service cannot answer now; nothing was changed and the client may retry."""

    family = Family.UNAVAILABLE


class Unsupported(DomainError):
    """The method is not offered on this path."""

    family = Family.UNSUPPORTED


#: The exception class of each family: a code is raised with its family's class only.
FAMILY_CLASS: dict[Family, type[DomainError]] = {
    cls.family: cls
    for cls in (
        InvalidRequest,
        RuleViolation,
        NotFound,
        Conflict,
        AuthenticationFailed,
        PermissionDenied,
        StepUpRequired,
        FactorRejected,
        Locked,
        RateLimited,
        Unavailable,
        Unsupported,
    )
    if cls.family is not None
}


def refusal(code: Code, **params: Any) -> DomainError:
    """The refusal of ``code``, as its family's exception (for codes chosen at run time)."""
    return FAMILY_CLASS[code.family](code, **params)
