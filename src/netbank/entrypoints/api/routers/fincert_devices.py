"""Device connections to the cloud financial certificate service (SPEC F8).

* ``/api/v1/fincert/devices/...``: the device's side, spoken to the cloud service itself (no
  institution in the path): connect with name + mobile phone number + birth date and an SMS /
  ARS code (two steps, addressed by the handle the first returns), auto-connect with a kept
  token, and clear the token (``disconnect``). Tokens travel in the body, never in the URL.
* ``/api/v1/me/fincert/devices``: the holder, signed in at any institution, lists the devices
  that keep a token (never the token) and clears one.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import CustomerDep, DepsDep, VisitorDep
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import fincert

router = APIRouter(prefix="/api/v1", tags=["financial certificate devices"], responses=REFUSALS)


# --- the device -----------------------------------------------------------------------------


@router.post("/fincert/devices/connect", response_model=s.ConnectStartedOut, status_code=201)
def connect(body: s.DeviceConnectIn, deps: DepsDep, visitor: VisitorDep) -> s.ConnectStartedOut:
    """F8: name, mobile phone number, birth date and SMS or ARS. The answer is the same whether
    they name a certificate holder or not; only a holder's phone receives a code."""
    started = fincert.start_connection(deps, visitor, body.command())
    return s.ConnectStartedOut(
        handle=started.handle, channel=started.channel.value, expires_at=started.expires_at
    )


@router.post("/fincert/devices/connect/{handle}/verify", response_model=s.ConnectionOut)
def verify(
    handle: s.FlowHandle, body: s.DeviceVerifyIn, deps: DepsDep, visitor: VisitorDep
) -> s.ConnectionOut:
    """F8: the 6-digit code connects the device; ``keep_connected`` adds an auto-connect token."""
    connected = fincert.verify_connection(deps, visitor, body.command(handle=handle))
    return s.ConnectionOut.model_validate(connected)


@router.post("/fincert/devices/auto-connect", response_model=s.ConnectionOut)
def auto_connect(body: s.AutoConnectIn, deps: DepsDep, visitor: VisitorDep) -> s.ConnectionOut:
    """F8: connect again with the kept token, without a code."""
    return s.ConnectionOut.model_validate(fincert.auto_connect(deps, visitor, body.command()))


@router.post("/fincert/devices/disconnect", status_code=204)
def disconnect(body: s.DisconnectIn, deps: DepsDep, visitor: VisitorDep) -> Response:
    """F8: the device clears its token; the connection ends."""
    fincert.disconnect_device(deps, visitor, body.command())
    return Response(status_code=204)


# --- the holder -----------------------------------------------------------------------------


@router.get("/me/fincert/devices", response_model=list[s.DeviceOut])
def my_devices(actor: CustomerDep, deps: DepsDep) -> list[s.DeviceOut]:
    """F8: the devices that keep an auto-connect token (label, created, last used)."""
    return [s.DeviceOut.model_validate(d) for d in fincert.my_devices(deps, actor)]


@router.delete("/me/fincert/devices/{device_id}", status_code=204)
def revoke_device(device_id: s.RowId, actor: CustomerDep, deps: DepsDep) -> Response:
    """F8: clear one device's token; its connection ends."""
    fincert.revoke_my_device(deps, actor, fincert.RevokeMyDevice(device_id))
    return Response(status_code=204)
