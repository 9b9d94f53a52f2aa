"""The certificate version in the browser tests' world (K1): edb's institution PKI on the
server's SoftHSM2 "HSM" token (``netbank pki init``, in conftest.py) and a UKEY sold to the demo
customer 张伟 at the counter through the teller API, as a branch does it: the key pair is
generated on the UKEY token and the issuing CA's certificate written back to it.

The test process never loads the PKCS#11 module: the customer's side is the client helper
``netbank ukey sign-challenge`` run as a subprocess with the server's ``SOFTHSM2_CONF``."""

from __future__ import annotations

import base64
import json
import shlex
from typing import Any

import httpx
from cryptography import x509

from netbank.demo import LOGIN_PASSWORD
from tests import demo_counter
from tests.browser.browsing import Server
from tests.demo_counter import ZHANG_WEI
from tests.e2e.serverproc import cli
from tests.softhsm import UKEYS, USER_PIN

#: The SoftHSM2 token that is 张伟's UKEY (initialised with the server's tokens).
UKEY_TOKEN = UKEYS[0]
UKEY_PIN = USER_PIN


def sell_demo_ukey(url: str) -> dict[str, Any]:
    """张伟 buys the browser tests' UKEY at the counter (``tests.demo_counter``)."""
    return demo_counter.sell_demo_ukey(url, UKEY_TOKEN, UKEY_PIN)


def run_client_helper(server: Server, command: str) -> str:
    """Run ``command`` as the customer would, on the computer with the UKEY plugged in: the
    ``netbank`` client helper, with the UKEY PIN from ``NETBANK_UKEY_PIN`` (the helper's own
    variable; without it the helper asks). Returns what it prints."""
    args = shlex.split(command)
    assert args[:3] == ["netbank", "ukey", "sign-challenge"], command
    return cli({**server.env, "NETBANK_UKEY_PIN": UKEY_PIN}, *args[1:]).stdout.strip()


def certificate_on_ukey(server: Server) -> x509.Certificate:
    """The certificate on 张伟's UKEY, as the client helper reads it from the token answering a
    certificate login challenge of an API session of 张伟's (which it then leaves unanswered)."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        r = client.post(
            "/api/v1/institutions/edb/login", json={"login_id": ZHANG_WEI[2], "password": LOGIN_PASSWORD}
        )
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        r = client.post("/api/v1/me/step-up/certificate/challenge", headers=headers)
        assert r.status_code == 201, r.text
        challenge = r.json()
        client.post("/api/v1/logout", headers=headers)
    command = shlex.join(
        [
            "netbank",
            "ukey",
            "sign-challenge",
            "--token",
            UKEY_TOKEN,
            "--nonce",
            challenge["nonce"],
            "--to-sign",
            challenge["to_sign"],
        ]
    )
    answer = json.loads(run_client_helper(server, command))
    return x509.load_der_x509_certificate(base64.b64decode(answer["certificate"]))
