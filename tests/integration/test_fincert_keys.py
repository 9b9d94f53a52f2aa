"""The financial certificate service's key stores (F1, F7): each customer's RSA-2048 key on the
PKCS#11 token (SoftHSM2 here), or sealed with AES-GCM in the embedded store; both sign CMS
SignedData that ``openssl cms -verify`` and the service's verifier accept, with the purpose code
inside the signed content."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from netbank.adapters.fincert import SealedKeyStore, _check_signed_data, split_content
from netbank.adapters.fincert_keys import PKCS11KeyStore
from netbank.domain.errors import DomainError, RuleViolation
from netbank.domain.fincert import SignaturePurpose
from netbank.services.ports import FinCertKeyStore
from tests.integration.test_fincert import shared_key_store
from tests.softhsm import SoftHSM

MESSAGE = b"transfer 50000 KRW to 1002000000002"


@pytest.fixture(scope="module")
def token_store(softhsm: SoftHSM) -> Iterator[PKCS11KeyStore]:
    """The process's one key store on the token (test_fincert.py shares it: one login per
    token per process); closed here, it opens the token again on use."""
    store = shared_key_store()
    yield store
    store.close()


@pytest.fixture(params=["pkcs11", "sealed"])
def store(request: pytest.FixtureRequest, token_store: PKCS11KeyStore) -> FinCertKeyStore:
    return token_store if request.param == "pkcs11" else SealedKeyStore(b"k" * 32)


class ThrowawayCA:
    """A throwaway CA that certifies the stores' public keys (the service CA is tested in
    test_fincert.py; here only the keys are under test)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "key store test CA")])
        now = datetime.now(UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def certify(self, public_key_der: bytes, holder: str) -> bytes:
        now = datetime.now(UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, holder)]))
            .issuer_name(self.certificate.subject)
            .public_key(serialization.load_der_public_key(public_key_der))  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
            .sign(self.key, hashes.SHA256())
            .public_bytes(serialization.Encoding.DER)
        )


def openssl_cms_verify(tmp_path: Path, cms_der: bytes, ca: ThrowawayCA) -> subprocess.CompletedProcess[bytes]:
    (tmp_path / "ca.pem").write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "sig.der").write_bytes(cms_der)
    return subprocess.run(
        [
            "openssl", "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
            "-CAfile", str(tmp_path / "ca.pem"), "-purpose", "any", "-binary",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )  # fmt: skip


@pytest.mark.hsm
@pytest.mark.rule("F7", kind="allow")
@pytest.mark.parametrize("purpose", list(SignaturePurpose))
def test_a_signature_verifies_with_openssl_and_the_service_and_carries_its_purpose(
    store: FinCertKeyStore, purpose: SignaturePurpose, tmp_path: Path
) -> None:
    ca = ThrowawayCA()
    key_ref = f"test-{purpose.value}-{id(store):x}-{datetime.now(UTC).timestamp():.0f}"
    generated = store.generate(key_ref)
    certificate_der = ca.certify(generated.public_key_der, "홍길동")
    cms_der = store.sign_cms(key_ref, generated.sealed, certificate_der, message=MESSAGE, purpose=purpose)
    result = openssl_cms_verify(tmp_path, cms_der, ca)
    assert result.returncode == 0, result.stderr
    assert split_content(result.stdout) == (purpose, MESSAGE)
    leaf, content = _check_signed_data(cms_der)
    assert leaf.public_bytes(serialization.Encoding.DER) == certificate_der
    assert split_content(content) == (purpose, MESSAGE)
    tampered = bytearray(cms_der)
    tampered[bytes(cms_der).index(b"50000")] = ord("9")
    with pytest.raises(RuleViolation):
        _check_signed_data(bytes(tampered))
    assert openssl_cms_verify(tmp_path, bytes(tampered), ca).returncode != 0


@pytest.mark.hsm
@pytest.mark.rule("F1", kind="allow")
def test_a_customer_key_on_the_token_never_leaves_it_and_is_destroyed_on_discard(
    token_store: PKCS11KeyStore,
) -> None:
    key_ref = f"test-discard-{datetime.now(UTC).timestamp():.0f}"
    generated = token_store.generate(key_ref)
    assert generated.sealed is None  # nothing of the private key goes to the database
    protection = token_store.protection(key_ref)
    assert protection.confined_to_token
    ca = ThrowawayCA()
    certificate_der = ca.certify(generated.public_key_der, "홍길동")
    token_store.discard(key_ref)
    token_store.discard(key_ref)  # twice is fine: a purge may be run again
    with pytest.raises(DomainError):
        token_store.sign_cms(key_ref, None, certificate_der, message=MESSAGE, purpose=SignaturePurpose.LOGIN)


@pytest.mark.hsm
def test_a_sealed_key_is_refused_by_the_token_store(token_store: PKCS11KeyStore) -> None:
    sealed = SealedKeyStore(b"k" * 32).generate("sealed-one")
    with pytest.raises(ValueError, match="sealed software key"):
        token_store.sign_cms(
            "sealed-one", sealed.sealed, b"", message=MESSAGE, purpose=SignaturePurpose.OTHER
        )
