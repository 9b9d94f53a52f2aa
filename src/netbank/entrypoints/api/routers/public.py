"""Public endpoints: institutions, online self-registration and the customer logins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import DepsDep, TokenDep, VisitorDep
from netbank.services import auth, enrolment

router = APIRouter(prefix="/api/v1", tags=["public"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Authentication failed"},
    404: {"description": "Not found"},
    409: {"description": "Conflict"},
    422: {"description": "Rule violation"},
    423: {"description": "Locked"},
}


@router.get("/institutions", response_model=list[s.InstitutionOut])
def list_institutions(deps: DepsDep) -> list[s.InstitutionOut]:
    with deps.uow(readonly=True) as uow:
        return [s.InstitutionOut.model_validate(i) for i in uow.institutions.list()]


@router.post(
    "/institutions/{institution}/self-registration",
    response_model=s.ContractCreatedOut,
    status_code=201,
    responses=REFUSALS,
)
def self_register(
    institution: s.InstitutionCode, body: s.SelfRegistrationIn, deps: DepsDep, visitor: VisitorDep
) -> s.ContractCreatedOut:
    """E4/E5: self-register the ordinary version online with a debit main card and its PIN."""
    contract = enrolment.self_register(deps, visitor, body.command(institution_code=institution))
    return s.ContractCreatedOut.model_validate(contract)


def _session_out(issued: auth.IssuedSession) -> s.SessionOut:
    return s.SessionOut(
        token=issued.token,
        session_id=issued.session_id,
        level=int(issued.level),
        principal=issued.principal.value,
        expires_at=issued.expires_at,
    )


@router.post("/institutions/{institution}/login", response_model=s.SessionOut, responses=REFUSALS)
def login(
    institution: s.InstitutionCode, body: s.LoginIn, deps: DepsDep, visitor: VisitorDep
) -> s.SessionOut:
    """E13: sign in with the registration account number and the login password."""
    return _session_out(auth.login_with_password(deps, visitor, body.command(institution_code=institution)))


@router.post("/institutions/{institution}/card-login", response_model=s.SessionOut, responses=REFUSALS)
def card_login(
    institution: s.InstitutionCode, body: s.CardLoginIn, deps: DepsDep, visitor: VisitorDep
) -> s.SessionOut:
    """E1: the card/passbook version: one account number and its PIN, query only."""
    return _session_out(auth.login_with_card(deps, visitor, body.command(institution_code=institution)))


@router.post("/teller/login", response_model=s.SessionOut, responses=REFUSALS, tags=["teller"])
def teller_login(body: s.TellerLoginIn, deps: DepsDep, visitor: VisitorDep) -> s.SessionOut:
    """Staff sign-in at the home branch, or at ``branch_code`` (E12: any branch, 通兑)."""
    return _session_out(auth.login_teller(deps, visitor, body.command()))


@router.post("/logout", status_code=204)
def logout(deps: DepsDep, token: TokenDep, visitor: VisitorDep) -> None:
    auth.logout(deps, visitor, auth.Logout(token))
