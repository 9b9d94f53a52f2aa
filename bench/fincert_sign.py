"""Sign-with-PIN throughput of the cloud financial certificate (F5, F7) through the HTTP API,
against the bare cost of what it must do.

Run: ``.venv/bin/python bench/fincert_sign.py`` (about a minute) or ``--quick`` for a smoke run;
``--clients N`` loads from N client processes.

Setup (not timed): two SoftHSM2 tokens in a temp dir, as in production (the service CA's and
the key store's, on which each customer's RSA-2048 key is generated and used), a SQLite
database with the Korean demo institutions (``netbank.demo.load_korean``), the service CA made
by ``services.fincert.init_service_ca``, and a ``netbank serve`` (uvicorn, one worker: SQLite
serves one process).
홍길동 signs in at KB over HTTP, raises the session with an SMS code and is issued a financial
certificate with a PIN.

Measured in alternating rounds (medians over rounds):

* **bare**: one PIN check (the same ``HMACPINDigester``: HMAC-SHA256 and a constant-time
  compare) plus one RSA-2048 signature (PKCS#1 v1.5, SHA-256) by the customer's key on the
  token — what signing with a PIN costs at the least;
* **keystore**: the same PIN check plus the key store's ``sign_cms`` (the CMS SignedData built
  around the token's signature): the service's signing path without database and HTTP;
* **service**: ``services.fincert.sign_message`` in-process: the certificate locked for update,
  registration and usability checks, the PIN check and lock-out counter, the signature from the
  key store, the audit entry, the commit;
* **http**: ``POST /api/v1/me/fincert/sign`` on the real server (one uvicorn worker) from
  ``HTTP_CLIENTS`` client processes (or as ``--clients`` says), each with one
  keep-alive connection (``httpload``: the standard library's client, a few tens of
  microseconds a request, so that the measuring takes little of the cores the server needs).
* **floor**: the same requests to ``bench/floorapp.py``, FastAPI under the same uvicorn with a
  route of the same shape (bearer token, an authenticating dependency in the thread pool, a
  pydantic body and response, a synchronous endpoint) that does nothing: what the framework
  alone costs a request, against the time a request may take for the target.

Printed: signatures per second of each, p50 / p99 latency, each as a ratio to bare, and last
``ratio=X.XX``: http / bare (target >= 0.50).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpload
import httpx
from benchserver import serve, serve_plain

from netbank.adapters import hsm
from netbank.adapters.db.migrate import upgrade
from netbank.adapters.fincert import HMACPINDigester, signed_content
from netbank.adapters.fincert_keys import PKCS11KeyStore
from netbank.adapters.notify import FileSender
from netbank.bootstrap import bootstrap
from netbank.config import Settings
from netbank.demo import KOREAN, LOGIN_PASSWORD, load_korean
from netbank.domain.fincert import SignaturePurpose
from netbank.services import auth, fincert, institutions
from netbank.services.common import CustomerActor, Operator
from netbank.services.outbox import dispatch_once
from netbank.services.ports import Deps

REPO = Path(__file__).resolve().parents[1]
TOKEN_LABEL = "bench-fincert"  # noqa: S105 - a token label
KEYS_TOKEN_LABEL = "bench-fincert-keys"  # noqa: S105 - a token label
TOKEN_PIN = "123456"  # noqa: S105 - a throwaway SoftHSM2 token
INSTITUTION = "kb"
CARD = f"{KOREAN[INSTITUTION][0]}000000001"
CERTIFICATE_PIN = "480135"
HTTP_CLIENTS = 4
MESSAGE = b"transfer 50000 KRW to 1002000000002"
#: Who sets the benchmark's world up (the audit trail names it ``operator:bench``).
BENCH = Operator("bench")


@dataclass(frozen=True)
class Sizes:
    signatures: int  # per measurement and round
    rounds: int


FULL = Sizes(signatures=1000, rounds=7)
QUICK = Sizes(signatures=30, rounds=1)


@dataclass
class Figure:
    per_second: list[float]
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return statistics.median(self.per_second)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def relative_to(self, other: Figure) -> float:
        """Median over rounds of this figure's throughput over ``other``'s in the same round."""
        return statistics.median(a / b for a, b in zip(self.per_second, other.per_second, strict=True))


# --- the world ---------------------------------------------------------------------------------


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def init_token(directory: Path) -> Path:
    """SoftHSM2 tokens for the service CA and for the customers' keys, as in production, loaded
    into this process; returns the config."""
    tokens = directory / "tokens"
    tokens.mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    for label in (TOKEN_LABEL, KEYS_TOKEN_LABEL):
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                TOKEN_PIN,
                "--so-pin",
                "12345678",
            ],
            env={**os.environ, "SOFTHSM2_CONF": str(conf)},
            check=True,
            capture_output=True,
        )
    hsm.load_module(hsm.DEFAULT_MODULE_PATH, softhsm2_conf=conf)
    return conf


def make_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        policy_dir=REPO / "policies",
        identity_seal_key=_new_key(),
        identity_lookup_key=_new_key(),
        secrets_key=_new_key(),
        outbox_in_process=False,
        fincert_token_label=TOKEN_LABEL,
        fincert_token_pin=TOKEN_PIN,
        fincert_key_token_label=KEYS_TOKEN_LABEL,
        fincert_key_token_pin=TOKEN_PIN,
    )


@contextmanager
def server(settings: Settings, softhsm_conf: Path, log: Path) -> Iterator[str]:
    """``netbank serve`` with the same keys and tokens as this process."""
    tokens = {
        "NETBANK_FINCERT_TOKEN_LABEL": TOKEN_LABEL,
        "NETBANK_FINCERT_TOKEN_PIN": TOKEN_PIN,
        "NETBANK_FINCERT_KEY_TOKEN_LABEL": KEYS_TOKEN_LABEL,
        "NETBANK_FINCERT_KEY_TOKEN_PIN": TOKEN_PIN,
        "SOFTHSM2_CONF": str(softhsm_conf),
    }
    with serve(settings, log, tokens) as url:
        yield url


def sms_code(deps: Deps, outbox: Path) -> str:
    """The last six-digit code the outbox delivered (the file sender of development)."""
    dispatch_once(deps, FileSender(outbox))
    for line in reversed(outbox.read_text(encoding="utf-8").splitlines()):
        match = re.search(r"\b(\d{6})\b", json.loads(line)["text"])
        if match:
            return match.group(1)
    raise RuntimeError("no code delivered")


def issue_over_http(deps: Deps, url: str, outbox: Path) -> str:
    """홍길동 signs in at KB, raises the session with an SMS code and is issued his financial
    certificate (F2/F5); returns the session token."""
    with httpx.Client(base_url=url, timeout=60) as http:
        r = http.post(
            f"/api/v1/institutions/{INSTITUTION}/login", json={"login_id": CARD, "password": LOGIN_PASSWORD}
        )
        r.raise_for_status()
        token = str(r.json()["token"])
        headers = {"Authorization": f"Bearer {token}"}
        r = http.post("/api/v1/me/challenges", headers=headers, json={"channel": "sms"})
        r.raise_for_status()
        r = http.post(
            f"/api/v1/me/challenges/{r.json()['id']}/verify",
            headers=headers,
            json={"code": sms_code(deps, outbox)},
        )
        r.raise_for_status()
        r = http.post("/api/v1/me/fincert", headers=headers, json={"pin": CERTIFICATE_PIN})
        if r.status_code != 201:
            raise RuntimeError(f"issue refused: {r.text}")
    return token


# --- the three ways to sign ----------------------------------------------------------------------


def signers(settings: Settings, deps: Deps) -> dict[str, Callable[[], None]]:
    """``bare``: PIN check + one RSA-2048 signature (PKCS#1 v1.5, SHA-256) by the customer's key
    on the token, the key's handle found beforehand; ``keystore``: PIN check + the key store's
    ``sign_cms`` (the CMS SignedData around a signature on the token), the service's signing
    path without database and HTTP."""
    _, pin_key = settings.fincert_keys()
    with deps.uow(readonly=True) as uow:
        row = uow.fincert.live_certificate_of(uow.customers.document_of(_hong(deps)).number_digest)
        if row is None:
            raise RuntimeError("no certificate")
        key_ref, pin_digest, der = row.key_ref, row.pin_digest, row.der
    store = deps.fincert.keys if deps.fincert else None
    if not isinstance(store, PKCS11KeyStore):
        raise RuntimeError("the benchmark measures the key store on the token")
    token_key = store.token_key(key_ref)
    digester = HMACPINDigester(pin_key)
    content = signed_content(MESSAGE, SignaturePurpose.TRANSFER)

    def bare() -> None:
        if not digester.matches(pin_digest, key_ref, CERTIFICATE_PIN):
            raise RuntimeError("PIN mismatch")
        token_key.sign(content)

    def keystore() -> None:
        if not digester.matches(pin_digest, key_ref, CERTIFICATE_PIN):
            raise RuntimeError("PIN mismatch")
        store.sign_cms(key_ref, None, der, message=MESSAGE, purpose=SignaturePurpose.TRANSFER)

    return {"bare": bare, "keystore": keystore}


def _hong(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        institution = uow.institutions.get_by_code(INSTITUTION)
        if institution is None or institution.id is None:
            raise RuntimeError("no KB")
        customer = uow.customers.get_by_number(institution.id, "K0001")
        if customer is None or customer.id is None:
            raise RuntimeError("no 홍길동")
        return customer.id


def service_signer(deps: Deps, actor: CustomerActor) -> Callable[[], None]:
    command = fincert.SignMessage(pin=CERTIFICATE_PIN, message=MESSAGE, purpose=SignaturePurpose.TRANSFER)

    def sign() -> None:
        fincert.sign_message(deps, actor, command)

    return sign


def run_sequential(sign: Callable[[], None], count: int) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        sign()
        latencies.append(time.perf_counter() - t0)
    return count / (time.perf_counter() - started), latencies


def run_floor(url: str, count: int, clients: int) -> tuple[float, list[float]]:
    """The same requests to bench/floorapp.py: FastAPI and uvicorn with nothing behind them."""
    return run_http(url, "floor", count, clients)


def run_http(url: str, token: str, count: int, clients: int) -> tuple[float, list[float]]:
    load = httpload.Load(
        url,
        "/api/v1/me/fincert/sign",
        {"Authorization": f"Bearer {token}"},
        {
            "pin": CERTIFICATE_PIN,
            "purpose": SignaturePurpose.TRANSFER.value,
            "message": base64.b64encode(MESSAGE).decode(),
        },
    )
    result = httpload.run(load, clients=clients, count=count)
    return result.per_second, result.latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--clients", type=int, default=HTTP_CLIENTS, help="HTTP client processes")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="netbank-bench-") as tmp:
        workdir = Path(tmp)
        softhsm_conf = init_token(workdir)
        database_url = f"sqlite:///{workdir / 'netbank.sqlite3'}"
        upgrade(database_url)
        settings = make_settings(database_url, workdir)
        state = bootstrap(settings)
        try:
            deps = state.deps
            institutions.sync_institutions(deps, BENCH)
            load_korean(deps, INSTITUTION, deps.today_in("Asia/Seoul"))
            fincert.init_service_ca(deps, BENCH, fincert.InitServiceCA())
            with (
                server(settings, softhsm_conf, workdir / "server.log") as url,
                serve_plain("floorapp:app", workdir / "floor.log") as floor_url,
            ):
                token = issue_over_http(deps, url, workdir / "outbox.log")
                actor = auth.authenticate_customer(deps, token)
                ways = {**signers(settings, deps), "service": service_signer(deps, actor)}
                for sign in ways.values():
                    sign()  # warm up: first use opens keys, caches and connections
                run_http(url, token, args.clients, args.clients)
                run_floor(floor_url, args.clients, args.clients)
                figures = {name: Figure([], []) for name in (*ways, "http", "floor")}
                for n in range(sizes.rounds):
                    print(f"round {n + 1} of {sizes.rounds}", flush=True)
                    for name, sign in ways.items():
                        rate, latencies = run_sequential(sign, sizes.signatures)
                        figures[name].per_second.append(rate)
                        figures[name].latencies.extend(latencies)
                    for name, (rate, latencies) in (
                        ("http", run_http(url, token, sizes.signatures, args.clients)),
                        ("floor", run_floor(floor_url, sizes.signatures, args.clients)),
                    ):
                        figures[name].per_second.append(rate)
                        figures[name].latencies.extend(latencies)
        finally:
            state.close()
    bare = figures["bare"]
    print(
        f"PIN check + CMS SignedData (RSA-2048, SHA-256), {sizes.signatures} signatures x "
        f"{sizes.rounds} rounds, http from {args.clients} clients, one worker"
    )
    for name, figure in figures.items():
        print(
            f"  {name:8} {figure.throughput:8.0f}/s  p50 {figure.quantile(0.5):6.2f} ms  "
            f"p99 {figure.quantile(0.99):6.2f} ms  ratio to bare {figure.relative_to(bare):.2f}"
            f"  (rounds: {' '.join(f'{x:.0f}' for x in figure.per_second)})",
            flush=True,
        )
    budget = 1000 / (0.5 * bare.throughput)
    floor = 1000 / figures["floor"].throughput
    print(
        f"0.50 allows {budget:.2f} ms a request at one worker; the framework's floor (FastAPI and "
        f"uvicorn, a route of the same shape doing nothing) takes {floor:.2f} ms of it"
    )
    print("http / bare (target >= 0.50)")
    print(f"ratio={figures['http'].relative_to(bare):.2f}")


if __name__ == "__main__":
    main()
