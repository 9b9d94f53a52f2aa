"""SoftHSM2 tokens and a test PKI for the K1 building blocks.

One SoftHSM2 token directory per test session (per xdist worker), shared with the netbank
integration tests: the ``softhsm`` fixture of ``tests/conftest.py`` (see ``tests/softhsm.py``)
initialises every token before the PKCS#11 module is loaded, so no slot refresh is needed. The CA token stays
open for the session; each test generates its own customer keys with unique labels, so the tests
are independent of their order.

Certificates that openssl checks are valid around the real clock (openssl has no injected time);
refusals are provoked by passing ``at`` explicitly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from netbank.adapters import hsm, pki
from tests.softhsm import SoftHSM, run, write_softhsm_conf

__all__ = ["SoftHSM", "run", "write_softhsm_conf"]

MODULE = hsm.DEFAULT_MODULE_PATH
USER_PIN = "123456"
SO_PIN = "12345678"
CA_TOKEN = "nb-ca"
UKEY_TOKENS = {
    hsm.UKEYGeneration.GENERATION_1: "nb-ukey-gen1",
    hsm.UKEYGeneration.GENERATION_2: "nb-ukey-gen2",
}
#: Tokens that tests open and close themselves (PIN tests, object listing).
SPARE_TOKENS = ("nb-pin", "nb-pin-lock", "nb-spare")
BASE_URL = "http://127.0.0.1:8000"


def name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "netbank test bank"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def write_pem(path: Path, certificate: x509.Certificate) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def unique_label(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def ca_token(softhsm: SoftHSM) -> Iterator[hsm.Token]:
    with hsm.Token.open(CA_TOKEN, USER_PIN) as token:
        yield token


@pytest.fixture(scope="session")
def ukey_tokens(softhsm: SoftHSM) -> Iterator[dict[hsm.UKEYGeneration, hsm.Token]]:
    tokens = {generation: hsm.Token.open(label, USER_PIN) for generation, label in UKEY_TOKENS.items()}
    try:
        yield tokens
    finally:
        for token in tokens.values():
            token.close()


@dataclass(frozen=True)
class PKIWorld:
    """A root CA, an issuing CA and its delegated OCSP responder, all keys on the CA token."""

    algorithm: hsm.KeyAlgorithm
    root: pki.IssuerKey
    issuing: pki.IssuerKey
    ocsp: pki.OCSPSigner
    now: datetime
    directory: Path

    @property
    def root_pem(self) -> Path:
        return self.directory / "root.pem"

    @property
    def issuing_pem(self) -> Path:
        return self.directory / "issuing.pem"

    def issue_customer(
        self,
        key: hsm.TokenKey,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> x509.Certificate:
        csr = pki.build_csr(key, name(f"customer {key.label}"))
        return pki.issue_certificate(
            self.issuing,
            csr,
            name(f"customer {key.label}"),
            not_before=not_before or self.now - timedelta(hours=1),
            not_after=not_after or self.now + timedelta(days=365),
            profile=pki.CertificateProfile.CUSTOMER,
        )


def _make_world(token: hsm.Token, algorithm: hsm.KeyAlgorithm, directory: Path, suffix: str) -> PKIWorld:
    now = datetime.now(UTC)
    start = now - timedelta(days=1)
    root = pki.create_root_ca(
        token,
        f"root-{suffix}",
        name(f"netbank test root {suffix}"),
        start,
        timedelta(days=3650),
        base_url=BASE_URL,
        algorithm=algorithm,
    )
    issuing = pki.create_issuing_ca(
        root,
        token,
        f"issuing-{suffix}",
        name(f"netbank test issuing {suffix}"),
        start,
        timedelta(days=1825),
        base_url=BASE_URL,
        algorithm=algorithm,
    )
    ocsp = pki.create_ocsp_signer(
        issuing,
        token,
        f"ocsp-{suffix}",
        name(f"netbank test OCSP {suffix}"),
        not_before=start,
        not_after=now + timedelta(days=30),
        algorithm=algorithm,
    )
    directory.mkdir(parents=True, exist_ok=True)
    world = PKIWorld(algorithm=algorithm, root=root, issuing=issuing, ocsp=ocsp, now=now, directory=directory)
    write_pem(world.root_pem, root.certificate)
    write_pem(world.issuing_pem, issuing.certificate)
    return world


@pytest.fixture(
    scope="session", params=[hsm.KeyAlgorithm.RSA_2048, hsm.KeyAlgorithm.EC_P256], ids=["rsa-ca", "ec-ca"]
)
def world(
    request: pytest.FixtureRequest, ca_token: hsm.Token, tmp_path_factory: pytest.TempPathFactory
) -> PKIWorld:
    algorithm: hsm.KeyAlgorithm = request.param
    suffix = "rsa" if algorithm is hsm.KeyAlgorithm.RSA_2048 else "ec"
    return _make_world(ca_token, algorithm, tmp_path_factory.mktemp(f"pki-{suffix}"), suffix)


@pytest.fixture(scope="session")
def other_world(ca_token: hsm.Token, tmp_path_factory: pytest.TempPathFactory) -> PKIWorld:
    """A second, unrelated PKI (another institution) for wrong-issuer tests."""
    return _make_world(ca_token, hsm.KeyAlgorithm.EC_P256, tmp_path_factory.mktemp("pki-other"), "other")


@pytest.fixture(params=list(hsm.UKEYGeneration), ids=["gen1", "gen2"])
def generation(request: pytest.FixtureRequest) -> hsm.UKEYGeneration:
    value: hsm.UKEYGeneration = request.param
    return value


@pytest.fixture
def customer_key(
    generation: hsm.UKEYGeneration, ukey_tokens: dict[hsm.UKEYGeneration, hsm.Token]
) -> hsm.TokenKey:
    """A fresh key pair generated on the customer's UKEY of the given generation (K1)."""
    return ukey_tokens[generation].generate_key_pair(unique_label("customer"), generation.key_algorithm)
