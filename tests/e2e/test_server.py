"""A real server set up as ``make run`` does it: ``netbank demo-hsm`` (the demo's SoftHSM2 tokens,
their settings sourced from ``hsm.env``), ``netbank migrate``, ``netbank load-demo --if-empty``
(twice) and ``netbank serve`` as subprocesses, driven over HTTP with httpx, on SQLite and on
PostgreSQL. The shipped policies (the real argon2 cost) are used."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from netbank.adapters import hsm
from netbank.demo import KOREAN, LOGIN_PASSWORD, PIN, STAFF_PASSWORD, UKEYS, cn_id, kr_rrn
from tests.demo_counter import sell_demo_ukey
from tests.pgserver import PgServer, free_port

pytestmark = pytest.mark.slow

#: A full mainland resident ID or Korean resident registration number, anywhere in a text.
FULL_CN_ID = re.compile(r"(?<![0-9])\d{17}[0-9X](?![0-9])")
FULL_KR_RRN = re.compile(r"(?<![0-9])\d{6}-?[1-8]\d{6}(?![0-9])")
#: EDB demo customer 100004 (刘洋, born 1995-01-15, the fourth person loaded: sequence 104).
LIU_YANG_ID = cn_id(date(1995, 1, 15), 104)
#: Demo identity numbers whose birth dates do not move with the clock.
DEMO_NUMBERS = [
    cn_id(date(1990, 3, 7), 101),
    cn_id(date(1985, 11, 20), 102),
    cn_id(date(1978, 6, 1), 103),
    LIU_YANG_ID,
    cn_id(date(1982, 9, 9), 105),
    cn_id(date(1970, 2, 2), 108),
    cn_id(date(1992, 12, 12), 109),
    kr_rrn(date(1985, 3, 15), True, "234567"),
    kr_rrn(date(2001, 7, 9), False, "123456"),
]


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("netbank")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "netbank.entrypoints.cli"]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    cli_output: list[str]
    token_pins: list[str]  # the demo HSM's, from hsm.env: never printed

    def output(self) -> str:
        return "\n".join([*self.cli_output, self.log.read_text(errors="replace")])


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [*_cli(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"netbank {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _sourced(env_file: Path) -> dict[str, str]:
    """The variables of ``hsm.env`` as ``set -a; . hsm.env`` sets them; it is the owner's only."""
    assert env_file.stat().st_mode & 0o777 == 0o600
    pairs = (shlex.split(line)[0].split("=", 1) for line in env_file.read_text().splitlines() if line)
    return {name: value for name, value in pairs}


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server not healthy within 60 s:\n{log.read_text()}")


@pytest.fixture
def server(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETBANK_")}
    env["NETBANK_DATA_DIR"] = str(tmp_path / "var")
    env["PYTHONUNBUFFERED"] = "1"
    pg: PgServer | None = None
    db = f"e2e_{uuid.uuid4().hex[:12]}"
    if backend == "postgresql":
        pg = request.getfixturevalue("pg_server")
        pg.admin(f"CREATE DATABASE {db}")
        env["NETBANK_DATABASE_URL"] = pg.url(db)
    cli_output = [_run(["demo-hsm"], env, tmp_path)]
    hsm_env = _sourced(tmp_path / "var" / "hsm.env")
    env.update(hsm_env)
    cli_output += [
        _run(["migrate"], env, tmp_path),
        _run(["load-demo", "--if-empty"], env, tmp_path),
    ]
    # make run's set-up creates every CA once (K1, F1) ...
    for made in ("edb PKI", "kb PKI", "ksfc PKI", "financial certificate CA"):
        assert f"created: {made}" in cli_output[-1], cli_output
    second = _run(["load-demo", "--if-empty"], env, tmp_path)
    assert "already loaded" in second
    assert "created" not in second  # ... and leaves them alone the next time
    assert "already there" in _run(["demo-hsm"], env, tmp_path)
    assert _sourced(tmp_path / "var" / "hsm.env") == hsm_env
    cli_output.append(second)
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*_cli(), "serve", "--port", str(port), "--access-log"],
            env=env,
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, process, log)
        pins = [value for name, value in hsm_env.items() if name.endswith("_PIN")]
        yield Server(base_url, process, log, cli_output, pins)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if pg is not None:
            pg.admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def test_a_real_server_serves_the_landing_page_docs_api_and_demo_logins_without_leaking_identity_numbers(
    server: Server,
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        landing = http.get("/")
        assert landing.status_code == 200
        assert landing.headers["content-type"].startswith("text/html")
        assert 'href="/docs"' in landing.text
        for code in ("edb", "kb", "shinhan", "woori", "hana", "ksfc"):
            assert f"<td>{code}</td>" in landing.text

        docs = http.get("/docs")
        assert docs.status_code == 200
        assert "/static/docs/swagger-ui-bundle.js" in docs.text
        assert "cdn" not in docs.text.lower()  # no third-party CDN: works offline
        bundle = http.get("/static/docs/swagger-ui-bundle.js")
        assert bundle.status_code == 200
        assert "javascript" in bundle.headers["content-type"]
        assert len(bundle.content) > 100_000

        openapi = http.get("/openapi.json")
        assert openapi.status_code == 200
        paths = openapi.json()["paths"]
        assert "/api/v1/institutions/{institution}/login" in paths
        assert "/api/v1/teller/transactions/819101/add" in paths

        institutions = http.get("/api/v1/institutions").json()
        assert {i["code"] for i in institutions} == {"edb", "kb", "shinhan", "woori", "hana", "ksfc"}

        login = http.post(
            "/api/v1/institutions/edb/login",
            json={"login_id": "6222020000000001", "password": LOGIN_PASSWORD},
        )
        assert login.status_code == 200, login.text
        me = http.get("/api/v1/me", headers={"Authorization": f"Bearer {login.json()['token']}"})
        assert me.status_code == 200, me.text
        assert me.json()["customer_number"] == "100001"
        assert me.json()["contract"]["version"] == "ordinary"
        assert me.json()["document_number_masked"].startswith("310115********")

        teller = http.post(
            "/api/v1/teller/login",
            json={"institution_code": "edb", "teller_number": "T001", "password": STAFF_PASSWORD},
        )
        assert teller.status_code == 200, teller.text
        assert teller.json()["principal"] == "teller"
        token = teller.json()["token"]
        view = http.get("/api/v1/teller/customers/100004", headers={"Authorization": f"Bearer {token}"})
        assert view.status_code == 200, view.text
        assert LIU_YANG_ID not in view.text

        refused = http.post(
            "/api/v1/teller/login",
            headers={"Accept-Language": "zh"},
            json={"institution_code": "edb", "teller_number": "T001", "password": "wrong-password"},
        )
        assert refused.status_code == 401
        message = refused.json()["error"]["message"]
        assert re.search(r"[\u4e00-\u9fff]", message), message

        # The server handles full identity numbers: a self-registration, and one in a URL.
        registered = http.post(
            "/api/v1/institutions/edb/self-registration",
            json={
                "card_number": "6222020000000031",
                "account_pin": PIN,
                "name": "刘洋",
                "document_type": "cn_resident_id",
                "document_number": LIU_YANG_ID,
                "login_password": "Another#Pass2026",
            },
        )
        assert registered.status_code == 201, registered.text
        assert http.get("/", params={"lang": LIU_YANG_ID}).status_code == 200

    server.process.terminate()
    server.process.wait(timeout=20)
    output = server.output()
    assert "Uvicorn running" in output or "Application startup complete" in output
    assert "/api/v1/institutions/edb/self-registration" in output  # the access log was written
    assert f"lang={LIU_YANG_ID[:6]}********{LIU_YANG_ID[-4:]}" in output  # logged, but masked
    for number in DEMO_NUMBERS:
        assert number not in output
        assert f"{number[:6]}-{number[6:]}" not in output
    assert not FULL_CN_ID.search(output), FULL_CN_ID.search(output)
    assert not FULL_KR_RRN.search(output), FULL_KR_RRN.search(output)
    assert len(server.token_pins) == 3
    for pin in server.token_pins:
        assert pin not in output


def test_the_server_delivers_challenge_codes_with_its_own_outbox_dispatcher(
    server: Server, tmp_path: Path
) -> None:
    """``netbank serve`` runs the outbox dispatcher in-process by default: an SMS challenge's
    text reaches the development sender's file without any other process."""
    outbox = tmp_path / "var" / "outbox.log"
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        login = http.post(
            "/api/v1/institutions/edb/login",
            json={"login_id": "6222020000000011", "password": LOGIN_PASSWORD},
        )
        assert login.status_code == 200, login.text
        challenge = http.post(
            "/api/v1/me/challenges",
            headers={"Authorization": f"Bearer {login.json()['token']}"},
            json={"channel": "sms"},
        )
        assert challenge.status_code == 201, challenge.text
    deadline = time.monotonic() + 90  # generous: CI machines are shared and loaded
    while time.monotonic() < deadline and not (outbox.exists() and outbox.read_text().strip()):
        time.sleep(0.2)
    assert outbox.exists(), server.output()
    delivered = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert len(delivered) == 1, delivered
    assert delivered[0]["kind"] == "sms" and delivered[0]["to"] == "138****8002"  # masked even here
    assert re.search(r"\d{6}", delivered[0]["text"]), delivered


def _delivered_code(outbox: Path, sent_before: int) -> str:
    """The six-digit code of the first message the server's own dispatcher delivers after the
    ``sent_before`` it had delivered already."""
    deadline = time.monotonic() + 90  # generous: CI machines are shared and loaded
    while time.monotonic() < deadline:
        lines = outbox.read_text().splitlines() if outbox.exists() else []
        if len(lines) > sent_before:
            match = re.search(r"\b(\d{6})\b", json.loads(lines[sent_before])["text"])
            assert match, lines[sent_before]
            return match.group(1)
        time.sleep(0.2)
    raise AssertionError("no code delivered")


@pytest.mark.rule("F2", kind="allow")
@pytest.mark.rule("F7", kind="allow")
@pytest.mark.rule("K1", kind="allow")
def test_the_demo_as_make_run_sets_it_up_has_each_institutions_pki_and_the_financial_certificate(
    server: Server, tmp_path: Path
) -> None:
    """``make run`` gives the demo HSM tokens: each institution's CAs are served (K1), a KB
    customer raised with an SMS code is issued a financial certificate, signs with its PIN and
    an institution verifies the signature against the service's CA (F2, F7), and a teller sells
    a blank demo UKEY, on which the key is generated and certified (K1)."""
    outbox = tmp_path / "var" / "outbox.log"
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        for code in ("edb", "kb", "shinhan", "woori", "hana", "ksfc"):
            root = http.get(f"/pki/{code}/ca/root")
            assert root.status_code == 200, root.text
            certificate = x509.load_der_x509_certificate(root.content)
            assert certificate.subject == certificate.issuer  # a root
        service_ca = http.get("/api/v1/fincert/ca")
        assert service_ca.status_code == 200, service_ca.text
        x509.load_pem_x509_certificate(service_ca.json()["issuing_pem"].encode())

        login = http.post(
            "/api/v1/institutions/kb/login",
            json={"login_id": f"{KOREAN['kb'][0]}000000001", "password": LOGIN_PASSWORD},
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        challenge = http.post("/api/v1/me/challenges", headers=headers, json={"channel": "sms"})
        assert challenge.status_code == 201, challenge.text
        verified = http.post(
            f"/api/v1/me/challenges/{challenge.json()['id']}/verify",
            headers=headers,
            json={"code": _delivered_code(outbox, 0)},
        )
        assert verified.status_code == 200, verified.text
        issued = http.post("/api/v1/me/fincert", headers=headers, json={"pin": "480135"})
        assert issued.status_code == 201, issued.text
        assert issued.json()["resident_number_masked"] == "850315-1******"
        message = b"transfer 50000 KRW to 1002000000002"
        signed = http.post(
            "/api/v1/me/fincert/sign",
            headers=headers,
            json={"pin": "480135", "purpose": "02", "message": base64.b64encode(message).decode()},
        )
        assert signed.status_code == 200, signed.text
        checked = http.post("/api/v1/fincert/verify", json={"cms_base64": signed.json()["cms_base64"]})
        assert checked.status_code == 200, checked.text
        assert checked.json()["serial"] == issued.json()["serial"]
        assert base64.b64decode(checked.json()["message"]) == message

    # K1 at the counter: 张伟 (certificate version) buys one of the demo's blank UKEYs.
    serial = sell_demo_ukey(server.base_url, UKEYS[0], PIN)["details"]["certificate_serial"]
    on_ukey = subprocess.run(
        [
            "pkcs11-tool",
            "--module",
            hsm.DEFAULT_MODULE_PATH,
            "--token-label",
            UKEYS[0],
            "--login",
            "--pin",
            PIN,
            "--list-objects",
        ],
        env={**os.environ, "SOFTHSM2_CONF": _sourced(tmp_path / "var" / "hsm.env")["SOFTHSM2_CONF"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "Private Key Object; EC" in on_ukey  # generation 2, made on the UKEY
    serials = [int(found, 16) for found in re.findall(r"serial:\s+([0-9A-F]+)", on_ukey)]
    assert serials == [int(serial, 16)]  # the certificate written back beside it


def test_load_demo_says_to_start_over_when_the_tokens_were_made_anew_under_a_kept_database(
    tmp_path: Path,
) -> None:
    """The token folder deleted, the database kept: ``demo-hsm`` makes new, empty tokens, and the
    CAs the database names have no keys on them. ``load-demo`` (so ``make run``) stops with what
    to do instead of a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETBANK_")}
    env["NETBANK_DATA_DIR"] = str(tmp_path / "var")
    _run(["demo-hsm"], env, tmp_path)
    first = {**env, **_sourced(tmp_path / "var" / "hsm.env")}
    _run(["migrate"], first, tmp_path)
    assert "created: financial certificate CA" in _run(["load-demo", "--if-empty"], first, tmp_path)
    shutil.rmtree(tmp_path / "var" / "softhsm")
    _run(["demo-hsm"], env, tmp_path)
    again = {**env, **_sourced(tmp_path / "var" / "hsm.env")}
    done = subprocess.run(
        [*_cli(), "load-demo", "--if-empty"],
        env={**again, "COLUMNS": "400"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "K1_TOKEN_ERROR" in output
    assert "delete the whole data folder" in output
    assert str(tmp_path / "var") in output
    assert "Traceback" not in output
    assert "created" not in output
