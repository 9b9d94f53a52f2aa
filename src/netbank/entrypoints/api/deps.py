"""FastAPI dependencies, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from netbank.domain.errors import AuthenticationFailed, Code
from netbank.domain.institution import StaffRole
from netbank.services import auth
from netbank.services.common import CustomerActor, TellerActor, Visitor
from netbank.services.ports import Deps

_bearer = HTTPBearer(auto_error=False, description="Session token from a login")


# Dependencies that do no I/O are coroutines: FastAPI runs a plain function in the thread
# pool, a hop that costs more than what these do (about 0.17 ms each, bench/fincert_sign.py).


async def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.netbank.deps
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]


async def bearer_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    if credentials is not None and credentials.credentials:
        return credentials.credentials
    cookie = request.cookies.get("netbank_session")
    if cookie:
        return cookie
    raise AuthenticationFailed(Code.SESSION_INVALID)


TokenDep = Annotated[str, Depends(bearer_token)]


async def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


ClientDep = Annotated[str | None, Depends(client_address)]


async def visitor(client: ClientDep) -> Visitor:
    """Whoever sends a request that needs no session: known by their address only."""
    return Visitor(client)


VisitorDep = Annotated[Visitor, Depends(visitor)]


def current_customer(deps: DepsDep, token: TokenDep, client: ClientDep) -> CustomerActor:
    return auth.authenticate_customer(deps, token, client)


def current_teller(deps: DepsDep, token: TokenDep) -> TellerActor:
    return auth.authenticate_teller(deps, token, StaffRole.TELLER)


def current_auditor(deps: DepsDep, token: TokenDep) -> TellerActor:
    return auth.authenticate_teller(deps, token, StaffRole.AUDITOR, StaffRole.ADMIN)


CustomerDep = Annotated[CustomerActor, Depends(current_customer)]
TellerDep = Annotated[TellerActor, Depends(current_teller)]
AuditorDep = Annotated[TellerActor, Depends(current_auditor)]
