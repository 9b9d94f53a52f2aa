"""Device connections to the cloud financial certificate service (SPEC F8).

* ``/api/v1/fincert/devices/...``: the device's side, spoken to the cloud service itself (no
  institution in the path): connect with name + mobile phone number + birth date and an SMS /
  ARS code (two steps, addressed by the handle the first returns), auto-connect with a kept
  token, and clear the token (``disconnect``). Tokens travel in the body, never in the URL.
* ``/api/v1/me/fincert/devices``: the holder, signed in at any institution, lists the devices
  that keep a token (never the token) and clears one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from netbank.domain.otp import ChallengeChannel
from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import ClientDep, CustomerDep, DepsDep
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import fincert_devices as devices
from netbank.services.fincert_devices import Connection

router = APIRouter(prefix="/api/v1", tags=["financial certificate devices"], responses=REFUSALS)

Handle = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
#: Checked by the domain (F8_DEVICE_LABEL_REQUIRED when blank); no control characters.
Label = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConnectIn(In):
    name: s.Name
    mobile: Annotated[str, StringConstraints(min_length=1, max_length=24)]
    #: YYYYMMDD; checked by the domain (F8_BIRTH_DATE_INVALID) so that the refusal names the rule.
    birth_date: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    channel: ChallengeChannel


class VerifyIn(In):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,10}$")]
    #: Keep an auto-connect token on this device (shown once in the answer).
    keep_connected: bool = False
    device_label: Label | None = None


class TokenIn(In):
    token: Token


class ConnectStartedOut(BaseModel):
    handle: str
    channel: str
    expires_at: datetime


class ConnectionOut(BaseModel):
    holder_name: str
    serial: str
    status: str
    not_after: datetime
    device_id: int | None = None
    device_label: str | None = None
    #: Only in the answer that created it: keep it on the device, it is not shown again.
    auto_connect_token: str | None = None


class DeviceOut(BaseModel):
    id: int
    label: str
    created_at: datetime
    last_used_at: datetime


def _connection(view: Connection) -> ConnectionOut:
    return ConnectionOut(
        holder_name=view.holder_name,
        serial=view.serial,
        status=view.status,
        not_after=view.not_after,
        device_id=view.device_id,
        device_label=view.device_label,
        auto_connect_token=view.auto_connect_token,
    )


# --- the device -----------------------------------------------------------------------------


@router.post("/fincert/devices/connect", response_model=ConnectStartedOut, status_code=201)
def connect(body: ConnectIn, deps: DepsDep, client: ClientDep) -> ConnectStartedOut:
    """F8: name, mobile phone number, birth date and SMS or ARS. The answer is the same whether
    they name a certificate holder or not; only a holder's phone receives a code."""
    started = devices.start_connection(deps, body.name, body.mobile, body.birth_date, body.channel, client)
    return ConnectStartedOut(
        handle=started.handle, channel=started.channel.value, expires_at=started.expires_at
    )


@router.post("/fincert/devices/connect/{handle}/verify", response_model=ConnectionOut)
def verify(handle: Handle, body: VerifyIn, deps: DepsDep) -> ConnectionOut:
    """F8: the 6-digit code connects the device; ``keep_connected`` adds an auto-connect token."""
    return _connection(
        devices.verify_connection(
            deps, handle, body.code, keep_connected=body.keep_connected, device_label=body.device_label
        )
    )


@router.post("/fincert/devices/auto-connect", response_model=ConnectionOut)
def auto_connect(body: TokenIn, deps: DepsDep) -> ConnectionOut:
    """F8: connect again with the kept token, without a code."""
    return _connection(devices.auto_connect(deps, body.token))


@router.post("/fincert/devices/disconnect", status_code=204)
def disconnect(body: TokenIn, deps: DepsDep) -> Response:
    """F8: the device clears its token; the connection ends."""
    devices.disconnect_device(deps, body.token)
    return Response(status_code=204)


# --- the holder -----------------------------------------------------------------------------


@router.get("/me/fincert/devices", response_model=list[DeviceOut])
def my_devices(actor: CustomerDep, deps: DepsDep) -> list[DeviceOut]:
    """F8: the devices that keep an auto-connect token (label, created, last used)."""
    return [
        DeviceOut(id=d.id, label=d.label, created_at=d.created_at, last_used_at=d.last_used_at)
        for d in devices.my_devices(deps, actor)
    ]


@router.delete("/me/fincert/devices/{device_id}", status_code=204)
def revoke_device(device_id: s.RowId, actor: CustomerDep, deps: DepsDep) -> Response:
    """F8: clear one device's token; its connection ends."""
    devices.revoke_my_device(deps, actor, device_id)
    return Response(status_code=204)
