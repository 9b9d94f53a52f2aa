"""The framework's floor for ``POST /api/v1/me/fincert/sign``: a FastAPI app with a route of the
same shape that does no work (bench/fincert_sign.py serves it as its ``floor`` line).

Same shape: a bearer token read by an async dependency that hops to the thread pool to
"authenticate" (netbank's ``current_customer``), a pydantic request body, a synchronous endpoint
(a second hop) and a pydantic response of the same size as a signature's. No middleware, no
database, no token: what FastAPI and uvicorn cost a request before netbank does anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

app = FastAPI()
bearer = HTTPBearer()
#: About the size of a CMS SignedData with its certificate, in base64.
CMS_BASE64 = "A" * 2400


class SignRequest(BaseModel):
    pin: str
    purpose: str
    message: str


class SignResponse(BaseModel):
    serial: str
    purpose: str
    cms_base64: str


def _authenticate(token: str) -> dict[str, Any]:
    return {"customer_id": 1, "token": token}


async def current_customer(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
) -> dict[str, Any]:
    return await run_in_threadpool(_authenticate, credentials.credentials)


@app.post("/api/v1/me/fincert/sign", response_model=SignResponse)
def sign(body: SignRequest, actor: Annotated[dict[str, Any], Depends(current_customer)]) -> SignResponse:
    return SignResponse(serial="00" * 16, purpose=body.purpose, cms_base64=CMS_BASE64)
