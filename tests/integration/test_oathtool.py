"""K2 interoperability: a code computed by OATH Toolkit (``oathtool``, Debian) from the
otpauth:// URI netbank hands out is the code netbank accepts."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from netbank.adapters.clock import SettableClock
from netbank.services.ports import Deps
from tests.builders import Api, otp_customer


def oathtool(secret: str, at: str) -> str:
    out = subprocess.run(
        ["oathtool", "--totp", "-b", secret, "--now", at], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


@pytest.mark.rule("K2", kind="allow")
def test_oathtool_computes_the_codes_netbank_accepts(api: Api, deps: Deps, clock: SettableClock) -> None:
    _, card, uri = otp_customer(api, deps)
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    token = api.customer_token("edb", card)
    for _ in range(3):
        code = oathtool(secret, clock.now().strftime("%Y-%m-%d %H:%M:%S UTC"))
        r = api.post("/api/v1/me/step-up/totp", token, code=code)
        assert r.status_code == 200, r.text
        clock.advance(timedelta(seconds=30))
    # ...and a code oathtool computes for two steps ago is refused (drift is one step).
    stale = oathtool(secret, (clock.now() - timedelta(seconds=60)).strftime("%Y-%m-%d %H:%M:%S UTC"))
    assert api.post("/api/v1/me/step-up/totp", token, code=stale).status_code == 401
