"""Authentication and sessions: card/passbook login (E1), customer login password (E13),
teller login, session look-up, step-up hooks and revocation.

A failed attempt is counted and committed before the refusal is raised (that is the point of
a counter); a refusal for any other reason changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from netbank.domain.account import Account, StatusFlag
from netbank.domain.errors import (
    AuthenticationFailed,
    Code,
    Locked,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from netbank.domain.institution import StaffRole
from netbank.domain.policy import Policy
from netbank.domain.session import AuthLevel, PrincipalKind, Session
from netbank.services.common import CustomerActor, TellerActor, Visitor, id_of, institution_by_code
from netbank.services.ports import Deps, UnitOfWork

#: How often a live session's last-seen time is written (not on every request).
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session_id: int
    level: AuthLevel
    expires_at: datetime
    principal: PrincipalKind
    #: The language the customer or member of staff chose for their pages, if any: the web
    #: front shows the pages after sign-in in it (``services/preferences.py``).
    preferred_locale: str | None = None


def verify_account_pin(
    deps: Deps,
    uow: UnitOfWork,
    institution_id: int,
    number: str,
    pin: str,
    policy: Policy,
    client: str | None,
) -> Account:
    """Check an account PIN. A wrong PIN is counted; at the policy threshold the account gets
    错密超限 (C3) and every later attempt is refused until a teller clears it. The failure is
    committed before the refusal is raised."""
    account = uow.accounts.get_by_number(institution_id, number, for_update=True)
    if account is None or account.pin_digest is None or not account.is_open:
        deps.hasher.waste_time(pin)
        raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
    if StatusFlag.WRONG_PIN_EXCEEDED in account.status_flags:
        raise Locked(Code.C3_WRONG_PIN_EXCEEDED)
    if not deps.hasher.verify(account.pin_digest, pin):
        locked = account.record_wrong_pin(policy.lockout.account_pin_max_failures)
        now = deps.clock.now()
        uow.audit.append(
            chain=policy.institution_code,
            at=now,
            actor=f"client:{client or '-'}",
            event="security.account_pin_locked" if locked else "security.account_pin_failed",
            subject=f"account:{account.masked_number}",
            details={"failures": account.pin_failures},
        )
        uow.commit()
        if locked:
            raise Locked(Code.C3_WRONG_PIN_EXCEEDED)
        raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
    if account.pin_failures:
        account.record_right_pin()
    return account


def _issue(deps: Deps, uow: UnitOfWork, session: Session) -> str:
    token = deps.tokens.new_token()
    session.token_digest = deps.tokens.digest(token)
    uow.sessions.add(session)
    return token


def _new_session(
    deps: Deps,
    policy: Policy,
    principal: PrincipalKind,
    institution_id: int,
    level: AuthLevel,
    client: str | None,
) -> Session:
    now = deps.clock.now()
    return Session(
        token_digest="",
        principal=principal,
        institution_id=institution_id,
        created_at=now,
        expires_at=now + timedelta(minutes=policy.session.absolute_minutes),
        last_seen_at=now,
        base_level=level,
        client_address=client,
    )


@dataclass(frozen=True, kw_only=True)
class CardLogin:
    """E1: sign in with one card or passbook number and its account PIN."""

    institution_code: str
    account_number: str
    pin: str = field(repr=False)


def login_with_card(deps: Deps, actor: Visitor, cmd: CardLogin) -> IssuedSession:
    """E1 card/passbook version: one card or passbook number and its account PIN; no
    enrolment; the session can only query that account."""
    policy = deps.policies.policy_for(cmd.institution_code)
    client = actor.client
    with deps.uow() as uow:
        inst = institution_by_code(uow, cmd.institution_code)
        account = verify_account_pin(deps, uow, id_of(inst), cmd.account_number, cmd.pin, policy, client)
        if not (account.kind.is_card or account.kind.is_passbook):
            raise RuleViolation(Code.E1_NOT_A_LOGIN_ACCOUNT, kind=account.kind.value)
        session = _new_session(deps, policy, PrincipalKind.CARD, id_of(inst), AuthLevel.CARD_PIN, client)
        session.customer_id = account.customer_id
        session.account_id = id_of(account)
        customer = uow.customers.get(account.customer_id)
        token = _issue(deps, uow, session)
        uow.audit.append(
            chain=inst.code,
            at=session.created_at,
            actor=f"client:{client or '-'}",
            event="security.login_card",
            subject=f"account:{account.masked_number}",
            details={},
        )
        uow.commit()
        return IssuedSession(
            token,
            id_of(session),
            AuthLevel.CARD_PIN,
            session.expires_at,
            PrincipalKind.CARD,
            customer.preferred_locale if customer else None,
        )


@dataclass(frozen=True, kw_only=True)
class PasswordLogin:
    """E13: sign in with the registration account number and the login password."""

    institution_code: str
    login_id: str
    password: str = field(repr=False)


def login_with_password(deps: Deps, actor: Visitor, cmd: PasswordLogin) -> IssuedSession:
    """E13: the customer-level login password, for every enrolled version. ``login_id`` is the
    registration account number. Wrong passwords are counted; at the policy threshold
    (default 5) the login is locked until a teller resets the password."""
    policy = deps.policies.policy_for(cmd.institution_code)
    password, client = cmd.password, actor.client
    with deps.uow() as uow:
        inst = institution_by_code(uow, cmd.institution_code)
        account = uow.accounts.get_by_number(id_of(inst), cmd.login_id)
        contract = uow.contracts.active_with_registration_account(id_of(account)) if account else None
        if contract is None:
            deps.hasher.waste_time(password)
            raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
        contract = uow.contracts.get(id_of(contract), for_update=True)
        if contract is None:
            raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
        contract.ensure_login_not_locked()
        now = deps.clock.now()
        subject = f"customer:{contract.customer_id}"
        if not deps.hasher.verify(contract.password_digest, password):
            locked = contract.record_wrong_password(policy.lockout.login_password_max_failures)
            uow.audit.append(
                chain=inst.code,
                at=now,
                actor=f"client:{client or '-'}",
                event="security.login_locked" if locked else "security.login_failed",
                subject=subject,
                details={"failures": contract.password_failures},
            )
            uow.commit()
            if locked:
                raise Locked(Code.E13_LOGIN_LOCKED)
            raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
        contract.record_right_password()
        session = _new_session(deps, policy, PrincipalKind.CUSTOMER, id_of(inst), AuthLevel.PASSWORD, client)
        session.customer_id = contract.customer_id
        session.contract_id = id_of(contract)
        customer = uow.customers.get(contract.customer_id)
        token = _issue(deps, uow, session)
        uow.audit.append(
            chain=inst.code,
            at=now,
            actor=f"client:{client or '-'}",
            event="security.login",
            subject=subject,
            details={"session": id_of(session), "version": contract.version.value},
        )
        uow.commit()
        return IssuedSession(
            token,
            id_of(session),
            AuthLevel.PASSWORD,
            session.expires_at,
            PrincipalKind.CUSTOMER,
            customer.preferred_locale if customer else None,
        )


@dataclass(frozen=True, kw_only=True)
class TellerLogin:
    """Staff sign-in, at ``branch_code`` (the home branch when None)."""

    institution_code: str
    teller_number: str
    password: str = field(repr=False)
    branch_code: str | None = None


def login_teller(deps: Deps, actor: Visitor, cmd: TellerLogin) -> IssuedSession:
    """Staff sign-in. E12: a teller may work at any branch of their institution (通兑); the
    branch chosen here is recorded on every counter transaction of the session."""
    policy = deps.policies.policy_for(cmd.institution_code)
    teller_number, password, branch_code, client = (
        cmd.teller_number,
        cmd.password,
        cmd.branch_code,
        actor.client,
    )
    with deps.uow() as uow:
        inst = institution_by_code(uow, cmd.institution_code)
        teller = uow.tellers.get_by_number(id_of(inst), teller_number, for_update=True)
        if teller is None:
            deps.hasher.waste_time(password)
            raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
        teller.ensure_not_locked()
        now = deps.clock.now()
        if not deps.hasher.verify(teller.password_digest, password):
            teller.record_wrong_password(policy.lockout.teller_password_max_failures)
            uow.audit.append(
                chain=inst.code,
                at=now,
                actor=f"client:{client or '-'}",
                event="security.teller_login_failed",
                subject=f"teller:{teller_number}",
                details={"failures": teller.password_failures, "locked": teller.locked},
            )
            uow.commit()
            teller.ensure_not_locked()  # the attempt that locks answers 423, as for customers
            raise AuthenticationFailed(Code.AUTHENTICATION_FAILED)
        teller.password_failures = 0
        branch = (
            uow.institutions.get_branch_by_code(id_of(inst), branch_code)
            if branch_code
            else uow.institutions.get_branch(teller.branch_id)
        )
        if branch is None:
            raise NotFound(Code.BRANCH_NOT_FOUND, branch=branch_code or "")
        session = _new_session(deps, policy, PrincipalKind.TELLER, id_of(inst), AuthLevel.PASSWORD, client)
        session.teller_id = id_of(teller)
        # The working branch of this session (E12 cross-branch); the home branch stays on the teller.
        session.branch_id = id_of(branch)
        token = _issue(deps, uow, session)
        uow.audit.append(
            chain=inst.code,
            at=now,
            actor=f"teller:{inst.code}/{teller_number}",
            event="security.teller_login",
            subject=f"teller:{teller_number}",
            details={"branch": branch.code, "session": id_of(session)},
        )
        uow.commit()
        return IssuedSession(
            token,
            id_of(session),
            AuthLevel.PASSWORD,
            session.expires_at,
            PrincipalKind.TELLER,
            teller.preferred_locale,
        )


def live_session(deps: Deps, uow: UnitOfWork, token: str) -> Session:
    """The session of ``token`` if it is neither revoked nor past its absolute or idle time;
    else ``SESSION_INVALID``."""
    return _live_session(deps, uow, token)[0]


def _live_session(deps: Deps, uow: UnitOfWork, token: str) -> tuple[Session, str]:
    """:func:`live_session` and the code of its institution."""
    session = uow.sessions.get_by_digest(deps.tokens.digest(token))
    if session is None:
        raise AuthenticationFailed(Code.SESSION_INVALID)
    code = _institution_code(uow, session.institution_id)
    policy = deps.policies.policy_for(code)
    if not session.is_live(deps.clock.now(), timedelta(minutes=policy.session.idle_minutes)):
        raise AuthenticationFailed(Code.SESSION_INVALID)
    return session, code


def _institution_code(uow: UnitOfWork, institution_id: int) -> str:
    code = uow.institutions.code_of(institution_id)
    if code is None:
        raise AuthenticationFailed(Code.SESSION_INVALID)
    return code


def _touch(deps: Deps, session_id: int) -> None:
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.sessions.get(session_id)
        if session is not None and now - session.last_seen_at >= TOUCH_INTERVAL:
            session.last_seen_at = now
            uow.commit()


def authenticate_customer(deps: Deps, token: str, client: str | None = None) -> CustomerActor:
    """The customer of a live session; ``client`` is the address the request came from."""
    with deps.uow(readonly=True) as uow:
        session, institution_code = _live_session(deps, uow, token)
        if (
            session.principal not in (PrincipalKind.CUSTOMER, PrincipalKind.CARD)
            or session.customer_id is None
        ):
            raise PermissionDenied(Code.PERMISSION_DENIED)
        now = deps.clock.now()
        actor = CustomerActor(
            session_id=id_of(session),
            principal=session.principal,
            institution_id=session.institution_id,
            institution_code=institution_code,
            customer_id=session.customer_id,
            level=session.effective_level(now),
            contract_id=session.contract_id,
            account_id=session.account_id,
            client=client,
        )
        stale = now - session.last_seen_at >= TOUCH_INTERVAL
    if stale:
        _touch(deps, actor.session_id)
    return actor


def authenticate_teller(deps: Deps, token: str, *roles: StaffRole) -> TellerActor:
    with deps.uow(readonly=True) as uow:
        session = live_session(deps, uow, token)
        if session.principal is not PrincipalKind.TELLER or session.teller_id is None:
            raise PermissionDenied(Code.PERMISSION_DENIED)
        teller = uow.tellers.get(session.teller_id)
        if teller is None or teller.locked:
            raise AuthenticationFailed(Code.SESSION_INVALID)
        teller.ensure_role(*(roles or (StaffRole.TELLER,)))
        branch = uow.institutions.get_branch(session.branch_id or teller.branch_id)
        if branch is None:
            raise AuthenticationFailed(Code.SESSION_INVALID)
        actor = TellerActor(
            session_id=id_of(session),
            teller_id=id_of(teller),
            teller_number=teller.teller_number,
            institution_id=session.institution_id,
            institution_code=_institution_code(uow, session.institution_id),
            branch_id=id_of(branch),
            branch_code=branch.code,
            role=teller.role,
        )
        stale = deps.clock.now() - session.last_seen_at >= TOUCH_INTERVAL
    if stale:
        _touch(deps, actor.session_id)
    return actor


@dataclass(frozen=True)
class Logout:
    """End the session of ``token`` (a session already ended is fine)."""

    token: str = field(repr=False)


def logout(deps: Deps, actor: Visitor, cmd: Logout) -> None:
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.sessions.get_by_digest(deps.tokens.digest(cmd.token))
        if session is None or session.revoked_at is not None:
            return
        session.revoke(now)
        uow.audit.append(
            chain=_institution_code(uow, session.institution_id),
            at=now,
            actor=f"session:{id_of(session)}",
            event="security.logout",
            subject=f"session:{id_of(session)}",
            details={},
        )
        uow.commit()


def list_sessions(deps: Deps, actor: CustomerActor) -> list[Session]:
    """The customer's live sessions: not revoked, not past their absolute or idle time."""
    contract_id = actor.ensure_enrolled()
    idle = timedelta(minutes=deps.policies.policy_for(actor.institution_code).session.idle_minutes)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        sessions = uow.sessions.list_live_for(contract_id=contract_id, teller_id=None, now=now)
        return [s for s in sessions if s.is_live(now, idle)]


@dataclass(frozen=True)
class RevokeSession:
    """End one of your own sessions (on another device, say)."""

    session_id: int


def revoke_session(deps: Deps, actor: CustomerActor, cmd: RevokeSession) -> None:
    """A customer ends one of their own sessions (another device, say)."""
    session_id = cmd.session_id
    contract_id = actor.ensure_enrolled()
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.sessions.get(session_id)
        if session is None or session.contract_id != contract_id:
            raise NotFound(Code.SESSION_NOT_FOUND)
        session.revoke(now)
        uow.audit.append(
            chain=actor.institution_code,
            at=now,
            actor=actor.label,
            event="security.session_revoked",
            subject=f"session:{session_id}",
            details={},
        )
        uow.commit()
