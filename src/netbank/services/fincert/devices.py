"""Use cases of F8: devices connect to the cloud financial certificate service and keep an
auto-connect token or clear it; the holder lists and clears them from e-banking. (People who
stop using the cloud for 12 months are deleted: ``purge.py``.)

The connection is to the cloud service, which all member institutions share, not to an
institution, and nobody is signed in (a :class:`Visitor`, known by its address). The person is
found from what institutions hold (``find_person``); the code goes through the outbox of the
institution whose customer record holds the phone number, signed by the service. A start that
matches nobody is answered exactly like one that matches (a handle and an expiry) and no code
is sent; its verification then fails as a wrong code would, attempt for attempt. Starts are
counted per phone number and per client address whether they match or not.

Wrong codes are counted and committed before the refusal (as for every code, K2). Locks are
taken in the order the certificate use cases take them: the person's live certificate first,
then their activity row and devices (see ``fincert_device_repository``)."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from netbank.domain import fincert_devices as fd
from netbank.domain.customer import normalize_phone
from netbank.domain.errors import AuthenticationFailed, Code, Locked, NotFound, RuleViolation
from netbank.domain.fincert import FinancialCertificate
from netbank.domain.fincert_devices import ConnectAttempt, DevicePolicy, DeviceToken
from netbank.domain.otp import ChallengeChannel, FactorRejected, RateLimited
from netbank.domain.outbox import MessageKind, OutboxMessage
from netbank.services.common import CustomerActor, Visitor, id_of
from netbank.services.fincert.shared import CHAIN, audit_person, person_ref, service
from netbank.services.ports import Deps, PersonMatch, UnitOfWork

#: The one numbering plan of resident registration number holders (the cloud is Korean, F1).
PHONE_REGION = "KR"
#: Who signs the code messages, in the language of the institution that delivers them.
SERVICE_NAME = {"ko": "금융인증서비스", "zh": "金融认证书服务", "en": "Financial Certificate Service"}
_KIND = {ChallengeChannel.SMS: MessageKind.SMS, ChallengeChannel.ARS: MessageKind.VOICE}


# --- commands and views ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StartConnection:
    """F8: a device connects with the holder's name, mobile phone number and birth date
    (YYYYMMDD); the code comes by ``channel`` (SMS or ARS)."""

    name: str
    mobile: str
    birth_date: str
    channel: ChallengeChannel


@dataclass(frozen=True, kw_only=True)
class VerifyConnection:
    """F8: the code sent for the connection ``handle``; ``keep_connected`` asks for an
    auto-connect token, kept under ``device_label``."""

    handle: str = field(repr=False)
    code: str = field(repr=False)
    keep_connected: bool = False
    device_label: str | None = None


@dataclass(frozen=True, kw_only=True)
class AutoConnect:
    """F8: connect again with the token the device kept."""

    token: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class DisconnectDevice:
    """F8, from the device: clear its token."""

    token: str = field(repr=False)


@dataclass(frozen=True)
class RevokeMyDevice:
    """F8, from the holder's e-banking session: clear the token of device ``device_id``."""

    device_id: int


@dataclass(frozen=True)
class ConnectStarted:
    handle: str
    channel: ChallengeChannel
    expires_at: datetime


@dataclass(frozen=True)
class Connection:
    """What a connected device learns: the person's certificate (never the resident number or
    the key) and, once, its auto-connect token."""

    holder_name: str
    serial: str
    status: str
    not_after: datetime
    device_id: int | None = None
    device_label: str | None = None
    auto_connect_token: str | None = None


@dataclass(frozen=True)
class DeviceView:
    """One device in the holder's list: never its token."""

    id: int
    label: str
    created_at: datetime
    last_used_at: datetime


# --- helpers -------------------------------------------------------------------------------


def _rules(deps: Deps) -> DevicePolicy:
    return service(deps).devices


def _code_purpose(attempt: ConnectAttempt) -> str:
    return f"fincert-connect-code:{id_of(attempt)}"


def _count_start(deps: Deps, rules: DevicePolicy, phone: str, client: str | None) -> None:
    """Starts per phone number (keyed digest) and per client address, in a transaction of
    their own so that refused starts count too."""
    now = deps.clock.now()
    phone_key = deps.secrets.digest(phone, "fincert-connect-phone")
    with deps.uow() as uow:
        per_phone = uow.rate_limits.hit(f"fincert-connect:{phone_key}", now, rules.window_seconds)
        per_address = uow.rate_limits.hit(
            f"fincert-connect:address:{client or '-'}", now, rules.window_seconds
        )
        uow.commit()
    if per_phone > rules.starts_per_phone or per_address > rules.starts_per_address:
        raise RateLimited(Code.F8_TOO_MANY_ATTEMPTS, retry_after_seconds=rules.window_seconds)


def _send_code(
    deps: Deps, uow: UnitOfWork, match: PersonMatch, channel: ChallengeChannel, code: str, rules: DevicePolicy
) -> None:
    """The code, through the outbox of the institution holding the phone number, sealed."""
    institution = uow.institutions.get(match.institution_id)
    language = deps.policies.policy_for(institution.code).language if institution else "ko"
    payload = {
        "template": "challenge_code",
        "code": code,
        "purpose": "fincert_device_connection",
        "channel": channel.value,
        "institution": CHAIN,
        "institution_name": SERVICE_NAME.get(language, SERVICE_NAME["en"]),
        "minutes": max(rules.code_ttl_seconds // 60, 1),
        "language": language,
    }
    dedup_key = deps.tokens.new_key()
    now = deps.clock.now()
    uow.outbox.add(
        OutboxMessage(
            institution_id=match.institution_id,
            kind=_KIND[channel],
            recipient=match.mobile,
            body_sealed=deps.secrets.seal(
                json.dumps(payload, ensure_ascii=False, sort_keys=True).encode(), f"outbox:{dedup_key}"
            ),
            dedup_key=dedup_key,
            created_at=now,
            next_attempt_at=now,
        )
    )


def _live_certificate(uow: UnitOfWork, person_digest: str) -> FinancialCertificate:
    """The person's live certificate, locked (the first lock of every F8 write)."""
    certificate = uow.fincert.live_certificate_of(person_digest, for_update=True)
    if certificate is None:
        raise NotFound(Code.F8_NO_CERTIFICATE)
    return certificate


def _connection(
    certificate: FinancialCertificate, device: DeviceToken | None, token: str | None
) -> Connection:
    return Connection(
        holder_name=certificate.holder_name,
        serial=certificate.serial,
        status=certificate.status.value,
        not_after=certificate.not_after,
        device_id=id_of(device) if device is not None else None,
        device_label=device.label if device is not None else None,
        auto_connect_token=token,
    )


# --- connect ---------------------------------------------------------------------------------


def start_connection(deps: Deps, actor: Visitor, command: StartConnection) -> ConnectStarted:
    """F8: name + mobile phone number + birth date (YYYYMMDD) and SMS or ARS. A 6-digit code
    goes to that phone when they name a certificate holder; otherwise nothing is sent, and
    the answer is the same."""
    rules, channel = _rules(deps), command.channel
    fd.ensure_connect_channel(channel)
    born = fd.parse_birth_date(command.birth_date, deps.today_in("Asia/Seoul"))
    try:
        phone = normalize_phone(command.mobile, PHONE_REGION)
    except RuleViolation:
        raise RuleViolation(Code.F8_PHONE_NUMBER_INVALID) from None
    _count_start(deps, rules, phone, actor.client)
    now = deps.clock.now()
    with deps.uow() as uow:
        match = uow.fincert_devices.find_person(" ".join(command.name.split()), born, phone)
        handle = deps.tokens.new_token()
        # A code is drawn either way; without a match it is never sent, and no code can pass.
        code = deps.tokens.new_code(rules.code_digits)
        attempt = ConnectAttempt(
            handle_digest=deps.tokens.digest(handle),
            channel=channel,
            person_digest=match.person_digest if match else None,
            code_digest="",
            created_at=now,
            expires_at=now + timedelta(seconds=rules.code_ttl_seconds),
            max_attempts=rules.code_max_attempts,
        )
        uow.fincert_devices.add_attempt(attempt)  # flushed: the code digest is bound to its id
        attempt.code_digest = deps.secrets.digest(code, _code_purpose(attempt))
        if match is not None:
            _send_code(deps, uow, match, channel, code, rules)
        uow.commit()
        return ConnectStarted(handle=handle, channel=channel, expires_at=attempt.expires_at)


def verify_connection(deps: Deps, actor: Visitor, command: VerifyConnection) -> Connection:
    """F8: the code that was sent connects the device; with ``keep_connected`` it also gets an
    auto-connect token (random, 256 bits, stored only as its SHA-256, shown this once) under
    the name the client gives it."""
    label = fd.device_label(command.device_label, keep_connected=command.keep_connected)
    code = command.code
    now = deps.clock.now()
    with deps.uow() as uow:
        attempt = uow.fincert_devices.attempt_by_handle(deps.tokens.digest(command.handle), for_update=True)
        if attempt is None:
            raise NotFound(Code.F8_CONNECT_NOT_FOUND)
        attempt.ensure_open(now)
        right = (
            attempt.person_digest is not None
            and code.isascii()
            and code.isdigit()
            and hmac.compare_digest(deps.secrets.digest(code, _code_purpose(attempt)), attempt.code_digest)
        )
        if not right or attempt.person_digest is None:
            locked = attempt.record_wrong_code()
            uow.commit()
            if locked:
                raise Locked(Code.F8_CODE_LOCKED)
            raise FactorRejected(Code.F8_CODE_WRONG, attempts_left=attempt.attempts_left)
        person = attempt.person_digest
        certificate = _live_certificate(uow, person)
        attempt.record_connected(now)
        device, token = None, None
        if label is not None:
            token = deps.tokens.new_token()
            device = DeviceToken(
                person_digest=person,
                label=label,
                token_digest=deps.tokens.digest(token),
                created_at=now,
                last_used_at=now,
            )
            uow.fincert_devices.add_device(device)
        uow.fincert_devices.record_activity(person, now)
        audit_person(
            uow,
            now,
            "fincert-device",
            "device_connected",
            person,
            channel=attempt.channel.value,
            device=id_of(device) if device is not None else None,
        )
        uow.commit()
        return _connection(certificate, device, token)


def auto_connect(deps: Deps, actor: Visitor, command: AutoConnect) -> Connection:
    """F8: a kept token connects the device again without a code; a cleared (revoked) or
    unknown token is refused."""
    service(deps)
    now = deps.clock.now()
    digest = deps.tokens.digest(command.token)
    with deps.uow() as uow:
        found = uow.fincert_devices.device_by_token(digest)
        if found is None:
            raise AuthenticationFailed(Code.F8_DEVICE_TOKEN_UNKNOWN)
        found.ensure_active()
        certificate = _live_certificate(uow, found.person_digest)
        device = uow.fincert_devices.device(id_of(found), for_update=True)
        if device is None:  # purged in between
            raise AuthenticationFailed(Code.F8_DEVICE_TOKEN_UNKNOWN)
        device.record_use(now)
        uow.fincert_devices.record_activity(device.person_digest, now)
        audit_person(
            uow, now, "fincert-device", "device_auto_connected", device.person_digest, device=id_of(device)
        )
        uow.commit()
        return _connection(certificate, device, None)


def disconnect_device(deps: Deps, actor: Visitor, command: DisconnectDevice) -> None:
    """F8, from the device itself: clearing its token ends the connection."""
    service(deps)
    now = deps.clock.now()
    with deps.uow() as uow:
        device = uow.fincert_devices.device_by_token(deps.tokens.digest(command.token), for_update=True)
        if device is None:
            raise AuthenticationFailed(Code.F8_DEVICE_TOKEN_UNKNOWN)
        device.revoke(now)
        audit_person(uow, now, "fincert-device", "device_cleared", device.person_digest, device=id_of(device))
        uow.commit()


# --- the holder's e-banking session ------------------------------------------------------------


def _person_of(uow: UnitOfWork, actor: CustomerActor) -> str:
    return uow.customers.document_of(actor.customer_id).number_digest


def my_devices(deps: Deps, actor: CustomerActor) -> list[DeviceView]:
    """F8: the devices that keep an auto-connect token for the signed-in customer's person."""
    with deps.uow(readonly=True) as uow:
        return [
            DeviceView(id=id_of(d), label=d.label, created_at=d.created_at, last_used_at=d.last_used_at)
            for d in uow.fincert_devices.active_devices(_person_of(uow, actor))
        ]


def revoke_my_device(deps: Deps, actor: CustomerActor, command: RevokeMyDevice) -> None:
    """F8: clear one device's token from the holder's e-banking session; its connection ends."""
    device_id = command.device_id
    now = deps.clock.now()
    with deps.uow() as uow:
        device = uow.fincert_devices.device(device_id, for_update=True)
        if device is None or device.revoked_at is not None or device.person_digest != _person_of(uow, actor):
            raise NotFound(Code.F8_DEVICE_NOT_FOUND)
        device.revoke(now)
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="fincert.device_cleared",
            subject=person_ref(device.person_digest),
            details={"device": device_id},
        )
        uow.commit()
