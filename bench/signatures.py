"""Server-side verification of signed transfers (K1) against bare signature verification.

Run: ``.venv/bin/python bench/signatures.py`` (about a minute) or ``--quick`` for a smoke run.

Setup (not timed): a SoftHSM2 token directory in a temp dir with an HSM token and two UKEYs;
the institution PKI on the HSM (``netbank.adapters.ca.TokenCA.create_hierarchy``); per UKEY
generation (1: RSA-2048, 2: ECDSA P-256) a key pair generated on the UKEY and its certificate
issued at the "counter"; then N transfer instructions signed on the UKEY.

Measured, per generation, in alternating rounds (medians over rounds):

* **bare**: ``cryptography``'s ``public_key.verify(signature, canonical_bytes, ...)`` with a
  public key already loaded — the floor any verifier pays;
* **server**: what ``netbank.services.pki.verify_signed`` does for a signed transfer minus
  the database: the ``NBTX1`` bytes rebuilt from the instruction fields, the certificate's
  chain to the institution root, validity period and key usage (``TokenCA.verify_certificate``,
  chain checked once per certificate and remembered), its revocation status and customer
  binding from an in-memory status cache, and the signature (``TokenCA.verify_signature``).

Printed: verifications per second of each, the ratio server / bare per generation (target
>= 0.60), and last ``ratio=X.XX``, the smaller of the two ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from netbank.adapters import hsm
from netbank.adapters.ca import TokenCA
from netbank.domain.certificate import (
    CARecord,
    CARole,
    CertificateStatus,
    CustomerCertificate,
    TransferInstruction,
    canonical_transfer_bytes,
    check_certificate_of_customer,
    check_certificate_usable,
)
from netbank.services.ports import UKEYAccess

PIN = "123456"
HSM_LABEL = "bench-hsm"
UKEY_LABELS = {1: "bench-ukey-1", 2: "bench-ukey-2"}


def init_tokens(directory: Path) -> None:
    tokens = directory / "tokens"
    tokens.mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    for label in (HSM_LABEL, *UKEY_LABELS.values()):
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                PIN,
                "--so-pin",
                "12345678",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    hsm.load_module(hsm.DEFAULT_MODULE_PATH, softhsm2_conf=conf)


def rate(fn: Callable[[], None], n: int) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def bench_generation(ca: TokenCA, cas: dict[CARole, CARecord], generation: int, n: int, rounds: int) -> float:
    now = datetime.now(UTC)
    issued = ca.issue_ukey_certificate(
        cas[CARole.ISSUING],
        UKEYAccess(UKEY_LABELS[generation], PIN),
        key_label=f"netbank-bench-{generation}",
        generation=generation,
        subject_name="Bench Customer",
        subject_serial="bench:C000001",
        not_before=now - timedelta(minutes=1),
        not_after=now + timedelta(days=30),
    )
    record = CustomerCertificate(
        id=1,
        institution_id=1,
        contract_id=1,
        customer_id=7,
        issuer_id=cas[CARole.ISSUING].id,
        serial=issued.serial,
        token_serial=issued.token_serial,
        token_label=UKEY_LABELS[generation],
        key_label=issued.key_label,
        generation=generation,
        status=CertificateStatus.VALID,
        not_before=issued.not_before,
        not_after=issued.not_after,
        der=issued.der,
    )
    status_cache = {record.serial: record}
    instructions = [
        TransferInstruction(
            institution="bench",
            customer="C000001",
            payer="6200000000000001",
            payee="6200000000000002",
            amount_minor=1000 + i,
            currency="CNY",
            idempotency_key=f"bench-{i:08d}",
            created_at=now.replace(microsecond=0),
        )
        for i in range(n)
    ]
    with hsm.Token.open(UKEY_LABELS[generation], PIN) as token:
        key = token.get_key(issued.key_label)
        signatures = [key.sign(canonical_transfer_bytes(i)) for i in instructions]
    messages = [canonical_transfer_bytes(i) for i in instructions]
    public_key = x509.load_der_x509_certificate(issued.der).public_key()
    issuing, root = cas[CARole.ISSUING], cas[CARole.ROOT]
    der = issued.der

    def bare() -> None:
        if isinstance(public_key, rsa.RSAPublicKey):
            for message, signature in zip(messages, signatures, strict=True):
                public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            assert isinstance(public_key, ec.EllipticCurvePublicKey)
            for message, signature in zip(messages, signatures, strict=True):
                public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))

    def server() -> None:
        at = datetime.now(UTC)
        for instruction, signature in zip(instructions, signatures, strict=True):
            data = canonical_transfer_bytes(instruction)
            verified = ca.verify_certificate(der, issuing, root, at)
            cached = status_cache[verified.serial]
            check_certificate_usable(cached, at)
            check_certificate_of_customer(cached, 7)
            ca.verify_signature(der, data, signature)

    server()  # the first verification of the chain is not what a busy server pays per transfer
    bare_rates, server_rates = [], []
    for _ in range(rounds):
        bare_rates.append(rate(bare, n))
        server_rates.append(rate(server, n))
    b, s = statistics.median(bare_rates), statistics.median(server_rates)
    algorithm = "RSA-2048" if generation == 1 else "ECDSA P-256"
    print(f"generation {generation} ({algorithm}), {n} signatures x {rounds} rounds")
    print(f"  bare    {b:10.0f} verifications/s")
    print(f"  server  {s:10.0f} verifications/s   ratio {s / b:.2f}")
    return s / b


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    n, rounds = (200, 3) if args.quick else (2000, 7)
    with tempfile.TemporaryDirectory(prefix="netbank-bench-") as tmp:
        init_tokens(Path(tmp))
        ca = TokenCA(
            module_path=hsm.DEFAULT_MODULE_PATH,
            token_label=HSM_LABEL,
            pin=PIN,
            base_url="http://127.0.0.1:8000",
        )
        made = ca.create_hierarchy("bench", "Bench Bank", datetime.now(UTC))
        cas = {
            m.role: CARecord(
                id=index,
                institution_id=1,
                role=m.role,
                serial=m.serial,
                subject=m.subject,
                key_label=m.key_label,
                not_before=m.not_before,
                not_after=m.not_after,
                der=m.der,
            )
            for index, m in enumerate(made, start=1)
        }
        ratios = [bench_generation(ca, cas, generation, n, rounds) for generation in (1, 2)]
    print(f"ratio={min(ratios):.2f}")


if __name__ == "__main__":
    main()
