"""Customer endpoints: a customer sees and changes only their own data."""

from __future__ import annotations

from fastapi import APIRouter

from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import CustomerDep, DepsDep
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import auth, enrolment, queries

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
