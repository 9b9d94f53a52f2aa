"""The demo's counter, driven over HTTP as a branch does it (K1): shared by the tests that run a
real server (tests/e2e, tests/browser)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from netbank.demo import STAFF_PASSWORD, cn_id
from netbank.domain.identity import DocumentType

#: edb 100003 张伟, certificate version (UKEY generation 2), registration card 0021.
ZHANG_WEI = ("100003", cn_id(date(1978, 6, 1), 103), "6222020000000021")


def sell_demo_ukey(url: str, token_label: str, pin: str) -> dict[str, Any]:
    """The counter's UKEY sale (K1, G1) for 张伟 with the UKEY ``token_label`` presented: teller
    T001 signs in, checks the identity document and sells a generation 2 UKEY. Returns the
    receipt."""
    number, document, card = ZHANG_WEI
    with httpx.Client(base_url=url, timeout=60) as client:
        r = client.post(
            "/api/v1/teller/login",
            json={"institution_code": "edb", "teller_number": "T001", "password": STAFF_PASSWORD},
        )
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        r = client.post(
            "/api/v1/teller/identity-checks",
            headers=headers,
            json={
                "customer_number": number,
                "document_type": DocumentType.CN_RESIDENT_ID.value,
                "document_number": document,
            },
        )
        assert r.status_code == 201, r.text
        r = client.post(
            "/api/v1/teller/transactions/ukey-sale",
            headers=headers,
            json={
                "customer_number": number,
                "identity_check_id": r.json()["id"],
                "registration_account_number": card,
                "fee_account_number": card,
                "ukey_generation": 2,
                "ukey_serial": "UK2-000301",
                "token_label": token_label,
                "token_pin": pin,
            },
        )
        assert r.status_code == 200, r.text
        client.post("/api/v1/logout", headers=headers)
        return dict(r.json())
