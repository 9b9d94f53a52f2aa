"""Customer endpoints: a customer sees and changes only their own data."""

from __future__ import annotations

from fastapi import APIRouter

from netbank.domain.customer import mask_phone
from netbank.domain.otp import ChallengePurpose
from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import ClientDep, CustomerDep, DepsDep
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import auth, enrolment, queries, strong_auth

router = APIRouter(
    prefix="/api/v1/me", tags=["customer"], responses={**REFUSALS, 403: {"description": "Forbidden"}}
)


@router.get("", response_model=s.CustomerOut)
def me(actor: CustomerDep, deps: DepsDep) -> s.CustomerOut:
    return s.CustomerOut.model_validate(queries.customer_overview(deps, actor))


@router.post("/linked-accounts", response_model=s.LinkOut, status_code=201)
def link_online(body: s.LinkOnlineIn, actor: CustomerDep, deps: DepsDep) -> s.LinkOut:
    """E10: link one of your accounts online; it can pay out only after 819102 at a counter."""
    link = enrolment.link_account_online(deps, actor, body.account_number, body.account_pin)
    return s.LinkOut(
        origin=link.origin.value,
        status=link.status.value,
        can_pay_out=link.can_pay_out,
        created_at=link.created_at,
    )


@router.post("/password", status_code=204)
def change_password(body: s.PasswordChangeIn, actor: CustomerDep, deps: DepsDep) -> None:
    enrolment.change_login_password(deps, actor, body.old_password, body.new_password)


@router.get("/sessions", response_model=list[s.SessionInfoOut])
def sessions(actor: CustomerDep, deps: DepsDep) -> list[s.SessionInfoOut]:
    return [s.SessionInfoOut.model_validate(x) for x in auth.list_sessions(deps, actor)]


@router.delete("/sessions/{session_id}", status_code=204)
def revoke(session_id: s.RowId, actor: CustomerDep, deps: DepsDep) -> None:
    auth.revoke_session(deps, actor, session_id)


@router.get("/session", response_model=s.SessionLevelOut)
def session_level(actor: CustomerDep) -> s.SessionLevelOut:
    """The authentication level of this session (raised for a while by a step-up)."""
    return s.SessionLevelOut(principal=actor.principal.value, level=int(actor.level))


@router.post("/step-up/totp", response_model=s.StepUpOut)
def step_up_totp(body: s.TOTPIn, actor: CustomerDep, deps: DepsDep, client: ClientDep) -> s.StepUpOut:
    """K2: a TOTP code from the customer's authenticator raises the session's level."""
    result = strong_auth.verify_totp(deps, actor, body.code, client)
    return s.StepUpOut(level=int(result.level), until=result.until)


@router.post("/challenges", response_model=s.ChallengeOut, status_code=201)
def start_challenge(
    body: s.ChallengeIn, actor: CustomerDep, deps: DepsDep, client: ClientDep
) -> s.ChallengeOut:
    """Send a one-time code by SMS, ARS (voice call) or to the banking app."""
    challenge = strong_auth.start_step_up_challenge(
        deps, actor, body.channel, ChallengePurpose(body.purpose), client
    )
    return s.ChallengeOut(
        id=challenge.id or 0,
        channel=challenge.channel.value,
        purpose=challenge.purpose.value,
        phone_masked=mask_phone(challenge.phone),
        expires_at=challenge.expires_at,
        max_attempts=challenge.max_attempts,
    )


@router.post("/challenges/{challenge_id}/verify", response_model=s.StepUpOut)
def verify_challenge(
    challenge_id: s.RowId, body: s.ChallengeVerifyIn, actor: CustomerDep, deps: DepsDep, client: ClientDep
) -> s.StepUpOut:
    result = strong_auth.verify_step_up_challenge(deps, actor, challenge_id, body.code, client)
    return s.StepUpOut(level=int(result.level), until=result.until)
