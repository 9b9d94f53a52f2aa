"""The financial certificate service's OCSP responder (F4/F5 status, RFC 6960) against
``openssl ocsp`` on a real port, and the institutions' signature check that refuses on the same
status. SQLite and PostgreSQL.

openssl has no injected clock, so these tests run netbank's clock at the real time."""

from __future__ import annotations

import base64
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID
from fastapi.testclient import TestClient
from sqlalchemy import select

from netbank.adapters.clock import SettableClock
from netbank.adapters.db.tables import fincert_certificates
from netbank.adapters.fincert import HSMFinCertCA, ocsp_signer_label
from netbank.adapters.policies import StaticPolicyBook, TomlPolicyBook
from netbank.bootstrap import App
from netbank.domain.errors import DomainError
from netbank.entrypoints.api.app import create_app
from netbank.services import fincert
from tests.builders import OPERATOR, Api
from tests.e2e.serverproc import netbank_env
from tests.integration.test_fincert import (
    ME,
    PIN,
    SERVICE_BASE_URL,
    Outbox,
    app_state,
    issue,
    key_store,
    login,
    outbox,
    service_ca,
    strong,
    world,
)
from tests.pgserver import free_port
from tests.softhsm import FINCERT_TOKEN, USER_PIN, SoftHSM, run

__all__ = ["app_state", "key_store", "outbox", "service_ca", "world"]

pytestmark = [pytest.mark.hsm, pytest.mark.slow]


@pytest.fixture
def real_time(clock: SettableClock) -> SettableClock:
    clock.set(datetime.now(UTC))
    return clock


@pytest.fixture
def live(real_time: SettableClock, world: Api, app_state: App) -> Iterator[tuple[Api, str]]:
    """The demo world made at the real time, and netbank's API served by uvicorn on a free port
    in a thread of this process (it shares the HSM session, the database and the clock)."""
    with serving(app_state) as server:
        yield world, server


@contextmanager
def serving(app_state: App) -> Iterator[str]:
    """netbank's API served by uvicorn on a free port in a thread of this process; its URL."""
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


def ca_files(api: Api, directory: Path) -> tuple[Path, Path]:
    ca = api.client.get("/api/v1/fincert/ca").json()
    (directory / "root.pem").write_text(ca["root_pem"])
    (directory / "issuing.pem").write_text(ca["issuing_pem"])
    return directory / "root.pem", directory / "issuing.pem"


def leaf_file(certificate: dict[str, str], path: Path) -> Path:
    path.write_text(certificate["certificate_pem"])
    return path


def openssl_ocsp(url: str, root: Path, issuing: Path, *target: str) -> str:
    """``openssl ocsp`` POSTing to ``url``; the answer must verify against the service root."""
    done = run(
        ["openssl", "ocsp", "-issuer", str(issuing), *target, "-url", url, "-CAfile", str(root), "-resp_text"]
    )
    assert done.returncode == 0, done.stdout
    assert "Response verify OK" in done.stdout, done.stdout
    return done.stdout


@pytest.mark.rule("F4", kind="refuse")
@pytest.mark.rule("F5", kind="refuse")
def test_openssl_ocsp_says_good_then_revoked_after_the_holder_revokes_and_after_a_reissue(
    live: tuple[Api, str], outbox: Outbox, tmp_path: Path
) -> None:
    api, server = live
    root, issuing = ca_files(api, tmp_path)
    first = issue(api, outbox, "kb")
    leaf = leaf_file(first, tmp_path / "first.pem")
    # The certificate names the service's responder; openssl is pointed at the live server.
    aia = (
        x509.load_pem_x509_certificate(leaf.read_bytes())
        .extensions.get_extension_for_class(x509.AuthorityInformationAccess)
        .value
    )
    assert [
        d.access_location.value for d in aia if d.access_method == AuthorityInformationAccessOID.OCSP
    ] == [f"{SERVICE_BASE_URL}/api/v1/fincert/ocsp"]
    url = f"{server}/api/v1/fincert/ocsp"
    good = openssl_ocsp(url, root, issuing, "-cert", str(leaf))
    assert f"{leaf}: good" in good, good
    assert "OCSP Response Status: successful" in good

    assert api.post(f"{ME}/revoke", strong(api, outbox, "kb")).status_code == 204
    revoked = openssl_ocsp(url, root, issuing, "-cert", str(leaf))
    assert f"{leaf}: revoked" in revoked and "Reason: cessationOfOperation" in revoked, revoked
    assert "Revocation Time:" in revoked

    # A new certificate, then a re-issue at another bank: the replaced one is revoked as
    # superseded, the new one is good; the holder's revoked one stays revoked.
    second = issue(api, outbox, "kb")
    r = api.post(f"{ME}/reissue", strong(api, outbox, "shinhan"), pin=PIN)
    assert r.status_code == 201, r.text
    third = r.json()
    replaced, current = leaf_file(second, tmp_path / "second.pem"), leaf_file(third, tmp_path / "third.pem")
    answer = openssl_ocsp(
        url, root, issuing, "-cert", str(replaced), "-cert", str(current), "-cert", str(leaf)
    )
    assert f"{replaced}: revoked" in answer and "Reason: superseded" in answer, answer
    assert f"{current}: good" in answer, answer
    assert f"{leaf}: revoked" in answer, answer


def openssl_time(moment: datetime) -> str:
    """How ``openssl ocsp -resp_text`` prints a time (GMT, to the second)."""
    return f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S %Y} GMT"


def hold_columns(api: Api, serial: str) -> tuple[datetime | None, datetime | None]:
    """``revoked_at`` and ``suspended_at`` of the certificate with ``serial``."""
    c = fincert_certificates.c
    with api.engine.connect() as conn:
        row = conn.execute(select(c.revoked_at, c.suspended_at).where(c.serial == serial)).one()
    return row.revoked_at, row.suspended_at


@pytest.mark.rule("F4", kind="refuse")
def test_a_suspended_certificate_is_on_hold_and_good_again_once_restored(
    live: tuple[Api, str], real_time: SettableClock, outbox: Outbox, tmp_path: Path
) -> None:
    api, server = live
    root, issuing = ca_files(api, tmp_path)
    made = issue(api, outbox, "woori")
    leaf = leaf_file(made, tmp_path / "leaf.pem")
    url = f"{server}/api/v1/fincert/ocsp"
    # Suspended two minutes ago: the hold is published since then, from suspended_at.
    now = real_time.now().replace(microsecond=0)
    held_since = now - timedelta(minutes=2)
    real_time.set(held_since)
    assert api.post(f"{ME}/suspend", login(api, "woori")).status_code == 204
    real_time.set(now)
    assert hold_columns(api, made["serial"]) == (None, held_since)
    held = openssl_ocsp(url, root, issuing, "-cert", str(leaf))
    assert f"{leaf}: revoked" in held and "Reason: certificateHold" in held, held
    assert f"Revocation Time: {openssl_time(held_since)}" in held, held
    assert api.post(f"{ME}/restore", strong(api, outbox, "woori")).status_code == 204
    assert hold_columns(api, made["serial"]) == (None, None)
    assert f"{leaf}: good" in openssl_ocsp(url, root, issuing, "-cert", str(leaf))


def one_year_policies() -> StaticPolicyBook:
    """The shipped policies (cheap argon2), with KB's financial certificates valid one year and
    renewable in their last 365 days: a renewal falls due within a month of the issue, while
    the service CA and its OCSP signer (valid two years) made then are still valid today."""
    book = TomlPolicyBook(Path(__file__).resolve().parents[2] / "policies")
    policies = []
    for p in book.all():
        p = replace(p, password=replace(p.password, argon2_time_cost=1, argon2_memory_kib=256))
        if p.institution_code == "kb":
            p = replace(p, fincert=replace(p.fincert, validity_years=1, renewal_window_days=365))
        policies.append(p)
    return StaticPolicyBook(policies)


@pytest.fixture
def a_month_ago(clock: SettableClock) -> datetime:
    """The real time now (to the second), with netbank's clock set 30 days earlier: requested
    before ``world``, the demo world and the service CA are made then."""
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now - timedelta(days=30))
    return now


@pytest.mark.rule("F5", kind="refuse")
@pytest.mark.rule("F7", kind="refuse")
@pytest.mark.parametrize("policies", [pytest.param(one_year_policies(), id="one-year")])
def test_after_a_renewal_the_old_serial_is_revoked_as_superseded_and_the_new_one_good(
    a_month_ago: datetime, world: Api, app_state: App, clock: SettableClock, outbox: Outbox, tmp_path: Path
) -> None:
    """The renewal re-certifies the key under a new serial; the old certificate, not expired
    yet, is revoked (superseded) from the renewal on: openssl ocsp, the CRL openssl verify
    checks, and a signature made with it before the renewal."""
    api, now = world, a_month_ago
    root, issuing = ca_files(api, tmp_path)
    old = leaf_file(issue(api, outbox, "kb"), tmp_path / "old.pem")  # a month ago
    clock.set(now)
    with serving(app_state) as server:
        url = f"{server}/api/v1/fincert/ocsp"
        kb = login(api, "kb")
        message = base64.b64encode(b"pay 1").decode()
        r = api.post(f"{ME}/sign", kb, pin=PIN, purpose="02", message=message)
        assert r.status_code == 200, r.text
        signed_before = r.json()["cms_base64"]
        assert api.post("/api/v1/fincert/verify", cms_base64=signed_before).status_code == 200
        assert f"{old}: good" in openssl_ocsp(url, root, issuing, "-cert", str(old))
        assert openssl_verify_with_crls(api, root, issuing, old, tmp_path).startswith("0\n")

        r = api.post(f"{ME}/renew", strong(api, outbox, "kb"), pin=PIN)
        assert r.status_code == 200, r.text
        new = leaf_file(r.json(), tmp_path / "new.pem")
        answer = openssl_ocsp(url, root, issuing, "-cert", str(old), "-cert", str(new))
        assert f"{old}: revoked" in answer and "Reason: superseded" in answer, answer
        assert f"Revocation Time: {openssl_time(now)}" in answer, answer
        assert f"{new}: good" in answer, answer

        after = openssl_verify_with_crls(api, root, issuing, old, tmp_path)
        assert not after.startswith("0\n") and "certificate revoked" in after, after
        current = openssl_verify_with_crls(api, root, issuing, new, tmp_path)
        assert current.startswith("0\n") and f"{new}: OK" in current, current

        # A signature the old certificate made is refused like any revoked certificate's.
        for lang in ("ko", "zh", "en"):
            r = api.post("/api/v1/fincert/verify", None, lang, cms_base64=signed_before)
            assert r.status_code == 422 and r.json()["error"]["code"] == "F4_CERTIFICATE_REVOKED", r.text
        r = api.post(f"{ME}/sign", login(api, "kb"), pin=PIN, purpose="02", message=message)
        assert r.status_code == 200, r.text
        assert api.post("/api/v1/fincert/verify", cms_base64=r.json()["cms_base64"]).status_code == 200


def test_an_unknown_serial_is_unknown_and_garbage_is_a_malformed_request(
    live: tuple[Api, str], outbox: Outbox, tmp_path: Path
) -> None:
    api, server = live
    root, issuing = ca_files(api, tmp_path)
    issue(api, outbox, "hana")
    url = f"{server}/api/v1/fincert/ocsp"
    unknown = openssl_ocsp(url, root, issuing, "-serial", "0x1234567890abcdef")
    assert "0x1234567890abcdef: unknown" in unknown, unknown

    for response in (
        httpx.post(url, content=b"\x30\x03garbage", headers={"Content-Type": "application/ocsp-request"}),
        httpx.post(url, content=b""),
        httpx.get(f"{url}/not*base64"),
        httpx.get(f"{url}/{base64.b64encode(b'not DER').decode()}"),
    ):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/ocsp-response"
        answer = ocsp.load_der_ocsp_response(response.content)
        assert answer.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_the_get_form_answers_with_the_request_hash_signed_by_the_delegated_signer(
    world: Api, outbox: Outbox, service_ca: HSMFinCertCA
) -> None:
    api = world
    made = issue(api, outbox, "kb")
    issuing = x509.load_pem_x509_certificate(
        api.client.get("/api/v1/fincert/ca").json()["issuing_pem"].encode()
    )
    leaf = x509.load_pem_x509_certificate(made["certificate_pem"].encode())
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuing, hashes.SHA256()).build()
    encoded = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
    response = api.client.get(f"/api/v1/fincert/ocsp/{encoded}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == leaf.serial_number
    assert isinstance(answer.hash_algorithm, hashes.SHA256)
    responder = answer.certificates[0]
    assert responder.issuer == issuing.subject and responder != issuing
    responder.verify_directly_issued_by(issuing)
    eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in eku


@pytest.mark.rule("F4", kind="refuse")
@pytest.mark.rule("F7", kind="refuse")
def test_a_signature_of_a_suspended_or_revoked_certificate_is_refused_with_its_own_code(
    world: Api, outbox: Outbox
) -> None:
    api = world
    issue(api, outbox, "kb")
    kb = login(api, "kb")
    r = api.post(f"{ME}/sign", kb, pin=PIN, purpose="02", message=base64.b64encode(b"pay 1").decode())
    assert r.status_code == 200, r.text
    cms = r.json()["cms_base64"]
    assert api.post("/api/v1/fincert/verify", cms_base64=cms).status_code == 200

    assert api.post(f"{ME}/suspend", kb).status_code == 204
    r = api.post("/api/v1/fincert/verify", cms_base64=cms)
    assert r.status_code == 422 and r.json()["error"]["code"] == "F4_CERTIFICATE_SUSPENDED", r.text
    assert api.post(f"{ME}/restore", strong(api, outbox, "kb")).status_code == 204
    assert api.post("/api/v1/fincert/verify", cms_base64=cms).status_code == 200

    assert api.post(f"{ME}/revoke", strong(api, outbox, "kb")).status_code == 204
    for lang in ("ko", "zh", "en"):
        r = api.post("/api/v1/fincert/verify", None, lang, cms_base64=cms)
        assert r.status_code == 422 and r.json()["error"]["code"] == "F4_CERTIFICATE_REVOKED", r.text


@pytest.mark.rule("F1", kind="allow")
def test_init_ca_makes_the_ocsp_signer_once_and_adds_it_to_a_deployment_without_one(
    world: Api, app_state: App, service_ca: HSMFinCertCA
) -> None:
    deps = app_state.deps
    _, issuing = fincert.service_ca_certificates(deps)
    signer, created = service_ca.ensure_ocsp_signer(issuing, deps.clock.now())
    assert not created and signer.key_label == ocsp_signer_label(issuing.key_label)
    with pytest.raises(DomainError) as exc:
        fincert.init_service_ca(deps, OPERATOR, fincert.InitServiceCA())
    assert exc.value.code.value == "F1_CA_ALREADY_INITIALISED"

    # A deployment whose CA predates the responder: init-ca adds only the signer, once.
    now = deps.clock.now()
    older = service_ca.create_hierarchy(now)
    with deps.uow() as uow:
        for authority in older:
            uow.fincert.add_authority(authority, now)
        uow.commit()
    with pytest.raises(DomainError) as exc:
        fincert.ocsp_response(deps, b"")
    assert exc.value.code.value == "F1_CA_NOT_INITIALISED"
    made = fincert.init_service_ca(deps, OPERATOR, fincert.InitServiceCA())
    assert [a.role for a in made] == ["ocsp"]
    assert made[0].key_label == ocsp_signer_label(older[1].key_label)
    with pytest.raises(DomainError):
        fincert.init_service_ca(deps, OPERATOR, fincert.InitServiceCA())
    answer = ocsp.load_der_ocsp_response(fincert.ocsp_response(deps, b"garbage"))
    assert answer.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.rule("F1", kind="allow")
def test_the_init_ca_command_prints_the_ocsp_signer_and_refuses_a_second_run(
    database_url: str, softhsm: SoftHSM, tmp_path: Path
) -> None:
    env = netbank_env(
        database_url,
        tmp_path,
        NETBANK_FINCERT_TOKEN_LABEL=FINCERT_TOKEN,
        NETBANK_FINCERT_TOKEN_PIN=USER_PIN,
        SOFTHSM2_CONF=str(softhsm.conf),
    )
    command = [sys.executable, "-m", "netbank.entrypoints.cli", "fincert", "init-ca"]
    first = run(command, env=env)
    assert first.returncode == 0, first.stdout
    assert [line.split("\t")[0] for line in first.stdout.splitlines()] == ["root", "issuing", "ocsp"]
    assert "OCSP Responder" in first.stdout.splitlines()[2]
    second = run(command, env=env)
    assert second.returncode == 1 and "F1_CA_ALREADY_INITIALISED" in second.stdout, second.stdout


def test_without_the_service_the_responder_refuses_like_every_fincert_endpoint(
    world: Api, app_state: App
) -> None:
    unconfigured = replace(app_state, deps=replace(app_state.deps, fincert=None))
    with TestClient(create_app(unconfigured), raise_server_exceptions=False) as client:
        r = client.post("/api/v1/fincert/ocsp", content=b"\x30\x00")
    assert r.status_code == 422 and r.json()["error"]["code"] == "F1_SERVICE_NOT_CONFIGURED", r.text


# --- CRLs ---------------------------------------------------------------------------------------


def crl_named_in(api: Api, certificate: Path, directory: Path) -> bytes:
    """Fetch the CRL at the certificate's CRL distribution point (its path, on this app)."""
    points = (
        x509.load_pem_x509_certificate(certificate.read_bytes())
        .extensions.get_extension_for_class(x509.CRLDistributionPoints)
        .value
    )
    url = str(points[0].full_name[0].value) if points[0].full_name else ""
    assert url.startswith(f"{SERVICE_BASE_URL}/pki/"), url
    r = api.client.get(urlsplit(url).path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pkix-crl"
    return x509.load_der_x509_crl(r.content).public_bytes(serialization.Encoding.PEM)


def openssl_verify_with_crls(api: Api, root: Path, issuing: Path, leaf: Path, directory: Path) -> str:
    crls = directory / "crls.pem"
    crls.write_bytes(crl_named_in(api, leaf, directory) + crl_named_in(api, issuing, directory))
    done = run(
        [
            "openssl", "verify", "-crl_check_all", "-CAfile", str(root), "-untrusted", str(issuing),
            "-CRLfile", str(crls), str(leaf),
        ]
    )  # fmt: skip
    return f"{done.returncode}\n{done.stdout}"


@pytest.mark.rule("F4", kind="refuse")
def test_the_crls_the_certificates_name_let_openssl_verify_see_a_revocation(
    real_time: SettableClock, world: Api, outbox: Outbox, tmp_path: Path
) -> None:
    """The CRL distribution points in the customer and issuing CA certificates answer, signed
    by their CAs on the token; openssl verify with -crl_check_all accepts the certificate, then
    reports it revoked once the holder revokes it."""
    api = world
    root, issuing = ca_files(api, tmp_path)
    leaf = leaf_file(issue(api, outbox, "kb"), tmp_path / "leaf.pem")
    before = openssl_verify_with_crls(api, root, issuing, leaf, tmp_path)
    assert before.startswith("0\n") and f"{leaf}: OK" in before, before
    assert api.post(f"{ME}/revoke", strong(api, outbox, "kb")).status_code == 204
    after = openssl_verify_with_crls(api, root, issuing, leaf, tmp_path)
    assert not after.startswith("0\n") and "certificate revoked" in after, after
    crl = x509.load_der_x509_crl(api.client.get("/pki/fincert/crl").content)
    entry = crl.get_revoked_certificate_by_serial_number(
        x509.load_pem_x509_certificate(leaf.read_bytes()).serial_number
    )
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        is x509.ReasonFlags.cessation_of_operation
    )
