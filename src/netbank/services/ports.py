"""The ports the services need; adapters implement them and ``bootstrap`` wires them."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from netbank.domain.account import Account
from netbank.domain.audit import AuditEntry
from netbank.domain.certificate import (
    CARecord,
    CARole,
    CustomerCertificate,
    RevocationReason,
    RevocationState,
)
from netbank.domain.counter import CounterTransaction, IdentityCheck
from netbank.domain.customer import Customer, IdentityDocument
from netbank.domain.enrolment import AccountLink, Contract
from netbank.domain.fincert import FinancialCertificate, RegistrationFlow, SignaturePurpose
from netbank.domain.fincert import PublishedStatus as FinCertPublishedStatus
from netbank.domain.fincert import Registration as FinCertRegistration
from netbank.domain.fincert import SerialRecord as FinCertSerialRecord
from netbank.domain.fincert import SupersededCertificate as FinCertSuperseded
from netbank.domain.fincert_devices import ConnectAttempt, DevicePolicy, DeviceToken
from netbank.domain.identity import DocumentType
from netbank.domain.institution import Branch, Institution, Teller
from netbank.domain.ledger import Entry, GLAccount, Payee, Posting, Transfer
from netbank.domain.limits import DailyUsage, OwnLimits
from netbank.domain.otp import Challenge, TOTPCredential, TOTPParameters
from netbank.domain.outbox import OutboxMessage
from netbank.domain.policy import PasswordPolicy, Policy
from netbank.domain.session import AuthLevel, Session

if TYPE_CHECKING:
    from netbank.domain.errors import StepUpRequired
    from netbank.services.common import CustomerActor
    from netbank.services.factors.registry import Method


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SecretHasher(Protocol):
    """Password and PIN hashing (argon2id)."""

    def hash(self, secret: str, policy: PasswordPolicy) -> str: ...
    def verify(self, digest: str, secret: str) -> bool: ...
    def waste_time(self, secret: str) -> None:
        """Spend what a verify costs, so unknown users cannot be told apart by timing."""
        ...


class IdentityVault(Protocol):
    """Identity numbers are kept sealed (AES-GCM) and as a keyed digest for look-ups."""

    def digest(self, doc_type: DocumentType, normalized: str) -> str: ...
    def seal(self, normalized: str) -> bytes: ...
    def unseal(self, sealed: bytes) -> str: ...


class SecretBox(Protocol):
    """Secrets the system must read back (TOTP seeds, queued codes), sealed with a purpose."""

    def seal(self, plaintext: bytes, purpose: str) -> bytes: ...
    def open(self, sealed: bytes, purpose: str) -> bytes: ...
    def digest(self, value: str, purpose: str) -> str: ...


class TokenSource(Protocol):
    """Randomness: session tokens, one-time codes, TOTP seeds, idempotency keys."""

    def new_token(self) -> str: ...
    def digest(self, token: str) -> str: ...
    def new_code(self, digits: int) -> str: ...
    def new_seed(self, size: int) -> bytes: ...
    def new_key(self) -> str: ...


class OTPCodec(Protocol):
    """RFC 6238 arithmetic and provisioning (pyotp, segno)."""

    def matching_step(self, seed: bytes, params: TOTPParameters, code: str, now: datetime) -> int | None: ...
    def code_at(self, seed: bytes, params: TOTPParameters, at: datetime) -> str: ...
    def provisioning_uri(self, seed: bytes, params: TOTPParameters, *, account: str, issuer: str) -> str: ...
    def qr_svg(self, uri: str) -> str: ...
    def qr_png(self, uri: str) -> bytes: ...


class Sender(Protocol):
    """Delivers one outbox message; raises on failure (the dispatcher retries)."""

    def send(
        self, *, message_id: int, dedup_key: str, kind: str, recipient: str, payload: Mapping[str, Any]
    ) -> None: ...


class PolicyBook(Protocol):
    def policy_for(self, institution_code: str) -> Policy: ...
    def all(self) -> Sequence[Policy]: ...


class InstitutionRepository(Protocol):
    def add(self, institution: Institution) -> None: ...
    def get(self, institution_id: int) -> Institution | None: ...
    def get_by_code(self, code: str) -> Institution | None: ...
    def code_of(self, institution_id: int) -> str | None: ...
    def list(self) -> list[Institution]: ...
    def add_branch(self, branch: Branch) -> None: ...
    def get_branch(self, branch_id: int) -> Branch | None: ...
    def get_branch_by_code(self, institution_id: int, code: str) -> Branch | None: ...
    def list_branches(self, institution_id: int) -> builtins.list[Branch]: ...


class TellerRepository(Protocol):
    def add(self, teller: Teller) -> None: ...
    def get(self, teller_id: int) -> Teller | None: ...
    def get_by_number(
        self, institution_id: int, number: str, *, for_update: bool = False
    ) -> Teller | None: ...


class CustomerRepository(Protocol):
    def add(self, customer: Customer, document: IdentityDocument) -> None: ...
    def get(self, customer_id: int, *, for_update: bool = False) -> Customer | None: ...
    def get_by_number(
        self, institution_id: int, number: str, *, for_update: bool = False
    ) -> Customer | None: ...
    def document_of(self, customer_id: int) -> IdentityDocument: ...
    def find_by_document(self, institution_id: int, digest: str) -> list[Customer]: ...
    def search(self, institution_id: int, *, name: str | None, limit: int) -> list[Customer]: ...


class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...
    def get(self, account_id: int, *, for_update: bool = False) -> Account | None: ...
    def get_by_number(
        self, institution_id: int, number: str, *, for_update: bool = False
    ) -> Account | None: ...
    def list_for_customer(self, customer_id: int) -> list[Account]: ...
    def has_real_name_account(self, customer_id: int) -> bool: ...


class ContractRepository(Protocol):
    def add(self, contract: Contract) -> None: ...
    def get(self, contract_id: int, *, for_update: bool = False) -> Contract | None: ...
    def active_for_customer(self, customer_id: int, *, for_update: bool = False) -> Contract | None: ...
    def active_with_registration_account(self, account_id: int) -> Contract | None: ...
    def add_link(self, link: AccountLink) -> None: ...
    def links_of(self, contract_id: int, *, active_only: bool = True) -> list[AccountLink]: ...
    def link_of(self, contract_id: int, account_id: int) -> AccountLink | None: ...
    def active_links_of_account(self, account_id: int) -> list[AccountLink]: ...


class SessionRepository(Protocol):
    def add(self, session: Session) -> None: ...
    def get(self, session_id: int) -> Session | None: ...
    def get_by_digest(self, digest: str) -> Session | None: ...
    def list_live_for(
        self, *, contract_id: int | None, teller_id: int | None, now: datetime
    ) -> list[Session]: ...


class CounterRepository(Protocol):
    def add_identity_check(self, check: IdentityCheck) -> None: ...
    def get_identity_check(self, check_id: int) -> IdentityCheck | None: ...
    def add_transaction(self, txn: CounterTransaction) -> None: ...
    def transactions_for_customer(self, customer_id: int) -> list[CounterTransaction]: ...
    def get_transaction(self, transaction_id: int) -> CounterTransaction | None: ...


class AuditRepository(Protocol):
    def append(
        self, *, chain: str, at: datetime, actor: str, event: str, subject: str, details: Mapping[str, Any]
    ) -> AuditEntry: ...
    def entries(self, chain: str) -> Iterator[AuditEntry]: ...
    def heads(self) -> dict[str, tuple[int, str]]: ...
    def recent(self, chain: str, limit: int) -> list[AuditEntry]: ...
    def page(self, chain: str, *, before_seq: int | None, limit: int) -> list[AuditEntry]:
        """Newest first: up to ``limit`` entries of ``chain`` below ``before_seq`` (all when None)."""
        ...


class OTPRepository(Protocol):
    def add_credential(self, credential: TOTPCredential) -> None: ...
    def active_credential(self, contract_id: int, *, for_update: bool = False) -> TOTPCredential | None: ...
    def add_challenge(self, challenge: Challenge) -> None: ...
    def challenge(self, challenge_id: int, *, for_update: bool = False) -> Challenge | None: ...


class OutboxRepository(Protocol):
    def add(self, message: OutboxMessage) -> None: ...
    def due(self, now: datetime, limit: int) -> list[OutboxMessage]: ...
    def get(self, message_id: int, *, for_update: bool = False) -> OutboxMessage | None: ...
    def recent(self, limit: int) -> list[OutboxMessage]: ...


class RateLimitRepository(Protocol):
    def hit(self, key: str, now: datetime, window_seconds: int) -> int: ...


@dataclass(frozen=True)
class StatementRow:
    """One entry of a customer account with its posting, as statements read it."""

    entry: Entry
    posting: Posting
    account_number: str


class LedgerRepository(Protocol):
    def add_gl_account(self, account: GLAccount) -> None: ...
    def gl_account(self, institution_id: int, code: str, *, for_update: bool = False) -> GLAccount | None: ...
    def gl_accounts(self, institution_id: int) -> list[GLAccount]: ...
    def lock_gl(self, gl_account_id: int) -> GLAccount: ...
    def add_posting(self, posting: Posting, entries: list[Entry]) -> None: ...
    def posting(self, posting_id: int) -> Posting | None: ...
    def entries_of(self, posting_id: int) -> list[Entry]: ...
    def is_reversed(self, posting_id: int) -> bool: ...
    def lock_accounts(self, account_ids: list[int]) -> dict[int, Account]: ...
    def lock_accounts_by_number(self, institution_id: int, numbers: list[str]) -> dict[str, Account]: ...
    def payout_terms(
        self, contract_id: int, account_id: int
    ) -> tuple[AccountLink | None, OwnLimits | None]: ...
    def add_transfer(self, transfer: Transfer) -> None: ...
    def transfer_by_key(self, contract_id: int, key: str) -> Transfer | None: ...
    def transfer(self, transfer_id: int, *, for_update: bool = False) -> Transfer | None: ...
    def usage(self, contract_id: int, business_date: date) -> DailyUsage: ...
    def add_usage(
        self, contract_id: int, business_date: date, *, transfers_minor: int = 0, bill_payments_minor: int = 0
    ) -> None: ...
    def peek_usage(self, contract_id: int, business_date: date) -> DailyUsage: ...
    def own_limits(self, contract_id: int) -> OwnLimits | None: ...
    def set_own_limits(self, limits: OwnLimits) -> None: ...
    def add_payee(self, payee: Payee) -> None: ...
    def payee(self, institution_id: int, code: str) -> Payee | None: ...
    def payees(self, institution_id: int) -> list[Payee]: ...
    def statement(
        self,
        account_ids: list[int],
        *,
        from_date: date | None,
        to_date: date | None,
        kinds: list[str] | None,
        before_entry_id: int | None,
        limit: int,
    ) -> list[StatementRow]: ...
    def counterparts(self, posting_ids: list[int]) -> dict[int, list[tuple[int, str, int | None]]]: ...
    def unbalanced_postings(self) -> list[tuple[int, str, int]]: ...
    def postings_with_fewer_than_two_entries(self) -> list[int]: ...
    def account_balance_mismatches(self) -> list[tuple[str, int, int]]: ...
    def gl_balance_mismatches(self) -> list[tuple[str, int, int]]: ...
    def counts(self) -> tuple[int, int]: ...


# --- K1: the institution PKI ------------------------------------------------------------------


@dataclass(frozen=True)
class UKEYAccess:
    """A UKEY presented at the counter (or by the client library): the PKCS#11 token label and
    the PIN the customer types. The PIN is never stored or logged."""

    label: str
    pin: str = field(repr=False)


@dataclass(frozen=True)
class NewCACertificate:
    role: CARole
    serial: str
    subject: str
    key_label: str
    not_before: datetime
    not_after: datetime
    der: bytes


@dataclass(frozen=True)
class IssuedUKEYCertificate:
    """What initialising a UKEY produced: the certificate (also written to the token) and
    where its key lives."""

    serial: str
    not_before: datetime
    not_after: datetime
    der: bytes
    token_serial: str
    key_label: str


@dataclass(frozen=True)
class VerifiedCertificate:
    """A customer certificate whose chain to the institution root checked out."""

    serial: str
    not_before: datetime
    not_after: datetime


class CertificateAuthority(Protocol):
    """The institution CAs (keys on the HSM token), the UKEYs (customer tokens) and the
    verification of what customers sign (K1). Raises domain errors (K1_* codes)."""

    def create_hierarchy(
        self, institution_code: str, institution_name: str, now: datetime
    ) -> list[NewCACertificate]: ...
    def issue_ukey_certificate(
        self,
        issuing: CARecord,
        ukey: UKEYAccess,
        *,
        key_label: str,
        generation: int,
        subject_name: str,
        subject_serial: str,
        not_before: datetime,
        not_after: datetime,
    ) -> IssuedUKEYCertificate: ...
    def keep_only_key(self, ukey: UKEYAccess, key_label: str) -> None: ...
    def build_crl(
        self,
        issuer: CARecord,
        revoked: Sequence[tuple[str, datetime, RevocationReason]],
        this_update: datetime,
        next_update: datetime,
        number: int,
    ) -> bytes: ...
    def respond_ocsp(
        self,
        request_der: bytes,
        issuer: CARecord,
        responder: CARecord,
        lookup: Callable[[str], RevocationState],
        now: datetime,
    ) -> bytes: ...
    def verify_certificate(
        self, leaf_der: bytes, issuing: CARecord, root: CARecord, at: datetime
    ) -> VerifiedCertificate: ...
    def verify_signature(self, leaf_der: bytes, data: bytes, signature: bytes) -> None: ...


class PKIRepository(Protocol):
    def add_ca(self, institution_id: int, ca: NewCACertificate, at: datetime) -> CARecord: ...
    def active_ca(self, institution_id: int, role: CARole) -> CARecord | None: ...
    def ca_by_id(self, ca_id: int) -> CARecord | None: ...
    def add_customer_certificate(
        self,
        *,
        institution_id: int,
        contract_id: int,
        customer_id: int,
        issuer_id: int,
        generation: int,
        token_label: str,
        issued: IssuedUKEYCertificate,
        at: datetime,
    ) -> CustomerCertificate: ...
    def certificate_by_serial(self, institution_id: int, serial: str) -> CustomerCertificate | None: ...
    def valid_certificate_of(
        self, customer_id: int, *, for_update: bool = False
    ) -> CustomerCertificate | None: ...
    def certificates_of(self, customer_id: int) -> list[CustomerCertificate]: ...
    def revoke_certificate(self, certificate_id: int, reason: RevocationReason, at: datetime) -> None: ...
    def revoked_by(self, issuer_id: int) -> list[tuple[str, datetime, RevocationReason]]: ...
    def next_crl_number(self, issuer_id: int) -> int: ...
    def add_crl(
        self, issuer_id: int, number: int, this_update: datetime, next_update: datetime, der: bytes
    ) -> None: ...
    def latest_crl(self, issuer_id: int) -> tuple[int, datetime, datetime, bytes] | None: ...
    def add_signed_transfer(
        self,
        *,
        transfer_id: int,
        certificate_id: int,
        format_tag: str,
        canonical: bytes,
        signature: bytes,
        certificate_der: bytes,
        at: datetime,
    ) -> None: ...
    def signed_transfer(self, transfer_id: int) -> dict[str, Any] | None: ...
    def add_challenge(self, session_id: int, nonce: str, at: datetime, expires_at: datetime) -> None: ...
    def challenge(self, nonce: str, *, for_update: bool = False) -> dict[str, Any] | None: ...
    def use_challenge(self, nonce: str, at: datetime) -> None: ...
    def pin_failures(self, institution_id: int, token_label: str) -> int: ...
    def set_pin_failures(
        self, institution_id: int, token_label: str, failures: int, at: datetime
    ) -> None: ...


# --- F: the cloud financial certificate service -----------------------------------------------


@dataclass(frozen=True)
class FinCertAuthority:
    """A CA certificate of the financial certificate service (role ``root`` or ``issuing``);
    its key lives on the HSM token under ``key_label``."""

    role: str
    serial: str
    subject: str
    key_label: str
    not_before: datetime
    not_after: datetime
    der: bytes


@dataclass(frozen=True)
class GeneratedKey:
    """A customer key pair made by the key store: its public half (DER SubjectPublicKeyInfo)
    and, for the embedded store, the private half sealed under the key-encryption key."""

    public_key_der: bytes
    sealed: bytes | None


@dataclass(frozen=True)
class VerifiedSignedData:
    """F7: what the institution learnt from a CMS SignedData that verified."""

    serial: str
    purpose: SignaturePurpose
    message: bytes
    signed_by: str


class FinCertCA(Protocol):
    """The service CA (keys on the HSM) and the verification of what it certified."""

    def create_hierarchy(self, now: datetime) -> list[FinCertAuthority]: ...
    def issue(
        self,
        issuing: FinCertAuthority,
        public_key_der: bytes,
        *,
        holder_name: str,
        not_before: datetime,
        not_after: datetime,
    ) -> tuple[str, bytes]: ...
    def verify_signed_data(
        self,
        cms_der: bytes,
        issuing: FinCertAuthority,
        root: FinCertAuthority,
        *,
        status_of: Callable[[str], FinCertPublishedStatus],
        at: datetime,
    ) -> VerifiedSignedData: ...
    def ensure_ocsp_signer(self, issuing: FinCertAuthority, now: datetime) -> tuple[FinCertAuthority, bool]:
        """The issuing CA's delegated OCSP signer (role ``ocsp``), created when missing
        (True) or found (False); kept with the CA keys, not in the database."""
        ...

    def build_crl(
        self,
        authority: FinCertAuthority,
        revoked: list[tuple[str, FinCertPublishedStatus]],
        this_update: datetime,
        next_update: datetime,
        crl_number: int,
    ) -> bytes: ...
    def respond_ocsp(
        self,
        request_der: bytes,
        issuing: FinCertAuthority,
        status_of: Callable[[str], FinCertPublishedStatus],
        now: datetime,
    ) -> bytes:
        """DER RFC 6960 response about certificates of ``issuing`` (status by hex serial)."""
        ...

    def public_key_of(self, certificate_der: bytes) -> bytes:
        """The DER SubjectPublicKeyInfo a certificate certifies (renewal keeps the key)."""
        ...


class FinCertKeyStore(Protocol):
    """Where customers' private keys are generated and kept (F1); it signs only when the
    service asks, after the PIN checked out."""

    def generate(self, key_ref: str) -> GeneratedKey: ...
    def sign_cms(
        self,
        key_ref: str,
        sealed: bytes | None,
        certificate_der: bytes,
        *,
        message: bytes,
        purpose: SignaturePurpose,
    ) -> bytes: ...
    def discard(self, key_ref: str) -> None:
        """F8: destroy a purged person's key; a key already gone is fine."""
        ...


class PINDigester(Protocol):
    """F5: a keyed hash of a certificate PIN; the key lives outside the database, so the
    digests cannot be brute-forced offline."""

    def digest(self, key_ref: str, pin: str) -> str: ...
    def matches(self, digest: str, key_ref: str, pin: str) -> bool: ...


@dataclass(frozen=True)
class FinCertAdapters:
    ca: FinCertCA
    keys: FinCertKeyStore
    pins: PINDigester
    #: F8: device connections and the purge of people who stopped using the cloud.
    devices: DevicePolicy = field(default_factory=DevicePolicy)


class FinCertRepository(Protocol):
    def add_authority(self, authority: FinCertAuthority, at: datetime) -> None: ...
    def active_authority(self, role: str) -> FinCertAuthority | None: ...
    def add_certificate(self, certificate: FinancialCertificate) -> None: ...
    def certificate(
        self, certificate_id: int, *, for_update: bool = False
    ) -> FinancialCertificate | None: ...
    def serial_record(self, serial: str) -> FinCertSerialRecord | None:
        """F4/F5: what is kept about a serial (its certificate, or that a renewal replaced
        it), in one indexed query: the OCSP responder's source."""
        ...

    def unexpired_not_valid(self, now: datetime) -> builtins.list[FinCertSerialRecord]: ...
    def add_superseded(self, superseded: FinCertSuperseded) -> None: ...
    def live_certificate_of(
        self, person_digest: str, *, for_update: bool = False
    ) -> FinancialCertificate | None: ...
    def signing_certificate(
        self, customer_id: int, institution_id: int
    ) -> tuple[FinancialCertificate, bool] | None: ...
    def add_registration(self, registration: FinCertRegistration) -> None: ...
    def active_registration(
        self, certificate_id: int, institution_id: int, *, for_update: bool = False
    ) -> FinCertRegistration | None: ...
    def active_registrations(self, certificate_id: int) -> builtins.list[FinCertRegistration]: ...
    def add_flow(self, flow: RegistrationFlow) -> None: ...
    def flow_by_handle(self, handle_digest: str, *, for_update: bool = False) -> RegistrationFlow | None: ...


@dataclass(frozen=True)
class PersonMatch:
    """F8: the certificate holder a device connection names, and where to send the code."""

    person_digest: str
    institution_id: int
    mobile: str


@dataclass(frozen=True)
class UnusedCounts:
    """F8: what a purge would delete: people, their live certificates and active devices."""

    people: int
    certificates: int
    devices: int


class FinCertDeviceRepository(Protocol):
    """F8: connection attempts, auto-connect tokens, each person's last use of the cloud
    (``record_activity`` keeps the latest time), and what the purge deletes:
    ``claim_unused_person`` deletes the activity row if still unused since ``cutoff`` and
    returns its last use (None: used meanwhile, or another purge took it);
    ``delete_person_data`` deletes the registrations of the given certificates and the
    person's F3 flows, connection attempts and devices, returning (registrations, devices)."""

    def find_person(self, name: str, birth_date: date, mobile: str) -> PersonMatch | None: ...
    def add_attempt(self, attempt: ConnectAttempt) -> None: ...
    def attempt_by_handle(self, handle_digest: str, *, for_update: bool = False) -> ConnectAttempt | None: ...
    def add_device(self, device: DeviceToken) -> None: ...
    def device(self, device_id: int, *, for_update: bool = False) -> DeviceToken | None: ...
    def device_by_token(self, token_digest: str, *, for_update: bool = False) -> DeviceToken | None: ...
    def active_devices(self, person_digest: str) -> builtins.list[DeviceToken]: ...
    def record_activity(self, person_digest: str, at: datetime) -> None: ...
    def last_activity(self, person_digest: str) -> datetime | None: ...
    def unused_people(self, cutoff: datetime) -> builtins.list[str]: ...
    def count_unused(self, cutoff: datetime) -> UnusedCounts: ...
    def claim_unused_person(self, person_digest: str, cutoff: datetime) -> datetime | None: ...
    def certificates_of(
        self, person_digest: str, *, for_update: bool = False
    ) -> builtins.list[FinancialCertificate]: ...
    def delete_person_data(self, person_digest: str, certificate_ids: Sequence[int]) -> tuple[int, int]: ...
    def delete_expired_attempts(self, before: datetime) -> int: ...


class UnitOfWork(Protocol):
    institutions: InstitutionRepository
    tellers: TellerRepository
    customers: CustomerRepository
    accounts: AccountRepository
    contracts: ContractRepository
    sessions: SessionRepository
    counter: CounterRepository
    audit: AuditRepository
    otp: OTPRepository
    outbox: OutboxRepository
    rate_limits: RateLimitRepository
    ledger: LedgerRepository
    pki: PKIRepository
    fincert: FinCertRepository
    fincert_devices: FinCertDeviceRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def flush(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...


class StepUpFactors(Protocol):
    """K2: the step-up factors the deployment offers (``services/factors``), as the use cases
    that need a stronger session name them in their refusal."""

    def step_up_required(
        self, deps: Deps, actor: CustomerActor, level: AuthLevel, uow: UnitOfWork | None = None
    ) -> StepUpRequired: ...
    def catalogue(self, deps: Deps, actor: CustomerActor, uow: UnitOfWork | None = None) -> list[Method]:
        """Every method, the level it gives and whether the customer can use it now."""
        ...

    def methods(
        self,
        deps: Deps,
        actor: CustomerActor,
        *,
        at_least: AuthLevel | None = None,
        uow: UnitOfWork | None = None,
    ) -> list[str]:
        """The methods the customer can use now that reach ``at_least``."""
        ...

    def grouped(self, methods: Sequence[str]) -> list[tuple[str, list[str]]]:
        """``methods`` by the factor that offers them: (factor name, its methods)."""
        ...


@dataclass(frozen=True)
class Deps:
    """Everything a use case needs from the outside world, and the step-up factors the
    deployment offers; wired by ``bootstrap``."""

    uow: UnitOfWorkFactory
    clock: Clock
    hasher: SecretHasher
    vault: IdentityVault
    secrets: SecretBox
    tokens: TokenSource
    policies: PolicyBook
    otp: OTPCodec
    #: K2: the step-up factors (``services/factors.standard_factors()``).
    factors: StepUpFactors
    #: K1: the institution CAs and UKEYs; None when no HSM is configured.
    pki: CertificateAuthority | None = None
    #: F1: the cloud financial certificate service; None when not configured.
    fincert: FinCertAdapters | None = None

    def today_in(self, timezone: str) -> date:
        """L4/E2: the business date in the institution's time zone."""
        from zoneinfo import ZoneInfo

        return self.clock.now().astimezone(ZoneInfo(timezone)).date()
