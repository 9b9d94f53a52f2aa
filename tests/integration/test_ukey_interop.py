"""The certificate version against the standard tools (K1): ``openssl verify -crl_check`` with
the CRL netbank serves, ``openssl ocsp`` against netbank's responder on a real port, the
RFC 6960 GET form, and ``pkcs11-tool`` listing what the counter put on the UKEY.

openssl has no injected clock, so these tests run netbank's clock at the real time."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from netbank.adapters.clock import SettableClock
from netbank.bootstrap import App
from netbank.entrypoints.api.app import create_app
from netbank.services.ports import Deps
from tests.builders import Api
from tests.integration.test_ukey import REVOCATION, CertificateCustomer, app_state, certificate_customer
from tests.pgserver import free_port
from tests.softhsm import MODULE, UKEYS, USER_PIN, SoftHSM, run

__all__ = ["app_state"]  # the HSM-enabled app of test_ukey

pytestmark = [pytest.mark.hsm, pytest.mark.rule("K1"), pytest.mark.slow]


@pytest.fixture
def real_time(clock: SettableClock) -> SettableClock:
    clock.set(datetime.now(UTC))
    return clock


@pytest.fixture
def server(app_state: App) -> Iterator[str]:
    """netbank's API served by uvicorn on a free port, in a thread of this process (it shares
    the HSM session and the clock with the test)."""
    port = free_port()
    config = uvicorn.Config(create_app(app_state), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=20)


def pem(path: Path, der: bytes) -> Path:
    path.write_bytes(x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM))
    return path


def chain_files(api: Api, c: CertificateCustomer, directory: Path) -> tuple[Path, Path, Path]:
    root = pem(directory / "root.pem", api.client.get("/pki/edb/ca/root").content)
    issuing = pem(directory / "issuing.pem", api.client.get("/pki/edb/ca/issuing").content)
    leaf = pem(directory / "leaf.pem", _leaf_der(api, c))
    return root, issuing, leaf


def _leaf_der(api: Api, c: CertificateCustomer) -> bytes:
    from netbank.client import ukey as client

    return client.sign_bytes(c.token_label, USER_PIN, b"probe").certificate_der


def crl_pem(api: Api, path: Path) -> Path:
    response = api.client.get("/pki/edb/crl")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


def revoke(api: Api, c: CertificateCustomer) -> None:
    r = api.post(
        REVOCATION,
        c.teller,
        customer_number=c.person.number,
        identity_check_id=c.check,
        registration_account_number=c.card,
        reason="key_compromise",
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("generation", [1, 2])
def test_openssl_verify_with_the_served_crl_accepts_a_valid_and_refuses_a_revoked_certificate(
    api: Api, deps: Deps, real_time: SettableClock, tmp_path: Path, generation: int
) -> None:
    c = certificate_customer(api, deps, generation)
    root, issuing, leaf = chain_files(api, c, tmp_path)
    # The certificate points at the CRL netbank serves.
    cert = x509.load_pem_x509_certificate(leaf.read_bytes())
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name is not None
    assert points[0].full_name[0].value.endswith("/pki/edb/crl")
    verify = ["openssl", "verify", "-crl_check", "-CAfile", str(root), "-untrusted", str(issuing)]
    ok = run([*verify, "-CRLfile", str(crl_pem(api, tmp_path / "crl1.pem")), str(leaf)])
    assert ok.returncode == 0 and f"{leaf}: OK" in ok.stdout, ok.stdout
    revoke(api, c)
    refused = run([*verify, "-CRLfile", str(crl_pem(api, tmp_path / "crl2.pem")), str(leaf)])
    assert refused.returncode != 0 and "certificate revoked" in refused.stdout, refused.stdout


@pytest.mark.parametrize("backend", ["sqlite"])
def test_openssl_ocsp_against_the_responder_says_good_then_revoked(
    api: Api, deps: Deps, real_time: SettableClock, tmp_path: Path, server: str
) -> None:
    c = certificate_customer(api, deps, 2)
    root, issuing, leaf = chain_files(api, c, tmp_path)
    query = [
        "openssl",
        "ocsp",
        "-issuer",
        str(issuing),
        "-cert",
        str(leaf),
        "-url",
        f"{server}/pki/edb/ocsp",
        "-CAfile",
        str(root),
        "-resp_text",
    ]
    good = run(query)
    assert good.returncode == 0, good.stdout
    assert f"{leaf}: good" in good.stdout and "Response verify OK" in good.stdout, good.stdout
    revoke(api, c)
    revoked = run(query)
    assert f"{leaf}: revoked" in revoked.stdout, revoked.stdout
    assert "Reason: keyCompromise" in revoked.stdout, revoked.stdout


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_ocsp_get_form_answers_with_the_request_hash_and_the_delegated_signer(
    api: Api, deps: Deps, real_time: SettableClock
) -> None:
    c = certificate_customer(api, deps, 1)
    issuing = x509.load_der_x509_certificate(api.client.get("/pki/edb/ca/issuing").content)
    leaf = x509.load_der_x509_certificate(_leaf_der(api, c))
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuing, hashes.SHA256()).build()
    encoded = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
    response = api.client.get(f"/pki/edb/ocsp/{encoded}")
    assert response.headers["content-type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert isinstance(answer.hash_algorithm, hashes.SHA256)
    responder = answer.certificates[0]
    assert responder.issuer == issuing.subject
    garbage = api.client.get("/pki/edb/ocsp/not*base64")
    assert (
        ocsp.load_der_ocsp_response(garbage.content).response_status
        is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


@pytest.mark.parametrize("backend", ["sqlite"])
def test_pkcs11_tool_lists_the_ukey_key_and_certificate(
    api: Api, deps: Deps, softhsm: SoftHSM, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps, 2, label=UKEYS[2])
    with deps.uow(readonly=True) as uow:
        institution = uow.institutions.get_by_code("edb")
        assert institution is not None and institution.id is not None
        customer = uow.customers.get_by_number(institution.id, c.person.number)
        assert customer is not None and customer.id is not None
        record = uow.pki.valid_certificate_of(customer.id)
    assert record is not None
    listing = run(
        [
            "pkcs11-tool",
            "--module",
            MODULE,
            "--token-label",
            c.token_label,
            "--list-objects",
            "--login",
            "--pin",
            USER_PIN,
        ],
        env=softhsm.env,
    )
    assert listing.returncode == 0, listing.stdout
    assert "Private Key Object; EC" in listing.stdout, listing.stdout
    assert "Certificate Object" in listing.stdout, listing.stdout
    assert listing.stdout.count(f"label:      {record.key_label}") >= 2, listing.stdout
