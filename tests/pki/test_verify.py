"""Path verification through cryptography's verifier (netbank.adapters.pki.verify, SPEC K1): what
the library refuses becomes netbank's refusal, with the same K1 code as the checks it replaced.

The certificates here are made with software keys and cryptography's builder, so that profiles
netbank never issues (a CA that may not sign certificates, a path longer than the root allows)
can be refused; test_pki.py verifies what netbank's CAs issue on SoftHSM2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from netbank.adapters import pki

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_SIGN_CERTIFICATES = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
_SIGN_MESSAGES = x509.KeyUsage(True, True, False, False, False, False, False, False, False)


@dataclass(frozen=True)
class Made:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _make(
    common_name: str,
    issuer: Made | None,
    *,
    ca: bool,
    path_length: int | None = None,
    usage: x509.KeyUsage | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    not_before: datetime = NOW - timedelta(days=1),
    not_after: datetime = NOW + timedelta(days=30),
) -> Made:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    signer = issuer.key if issuer else key
    issuer_public_key = issuer.key.public_key() if issuer else key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
    )
    chosen_usage = usage or (_SIGN_CERTIFICATES if ca else _SIGN_MESSAGES)
    builder = builder.add_extension(chosen_usage, critical=True)
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(eku or [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return Made(builder.sign(signer, hashes.SHA256()), key)


def _verify(leaf: Made, intermediates: list[Made], root: Made, at: datetime = NOW) -> list[x509.Certificate]:
    return pki.verify_chain(
        leaf.certificate, [c.certificate for c in intermediates], root.certificate, at, revocation=[]
    )


@pytest.fixture
def root() -> Made:
    return _make("root", None, ca=True, path_length=1)


@pytest.fixture
def issuing(root: Made) -> Made:
    return _make("issuing", root, ca=True, path_length=0)


@pytest.mark.rule("K1", kind="allow")
def test_a_leaf_of_netbanks_profile_verifies_without_a_subject_alternative_name(
    root: Made, issuing: Made
) -> None:
    leaf = _make("customer", issuing, ca=False)
    assert _verify(leaf, [issuing], root) == [leaf.certificate, issuing.certificate, root.certificate]


@pytest.mark.rule("K1", kind="refuse")
def test_a_ca_that_may_not_sign_certificates_is_refused_for_its_key_usage(root: Made) -> None:
    crl_only = x509.KeyUsage(False, False, False, False, False, False, True, False, False)
    issuing = _make("issuing", root, ca=True, path_length=0, usage=crl_only)
    with pytest.raises(pki.KeyUsageNotAllowed) as caught:
        _verify(_make("customer", issuing, ca=False), [issuing], root)
    assert caught.value.code == "K1_KEY_USAGE_NOT_ALLOWED"


@pytest.mark.rule("K1", kind="refuse")
def test_an_issuer_that_is_not_a_ca_is_refused_for_its_key_usage(root: Made) -> None:
    not_a_ca = _make("not a CA", root, ca=False)
    with pytest.raises(pki.KeyUsageNotAllowed):
        _verify(_make("customer", not_a_ca, ca=False), [not_a_ca], root)


@pytest.mark.rule("K1", kind="refuse")
def test_a_path_longer_than_the_root_allows_is_refused_for_key_usage() -> None:
    root = _make("root", None, ca=True, path_length=0)
    issuing = _make("issuing", root, ca=True, path_length=None)
    sub = _make("sub", issuing, ca=True, path_length=None)
    with pytest.raises(pki.KeyUsageNotAllowed):
        _verify(_make("customer", sub, ca=False), [issuing, sub], root)


@pytest.mark.rule("K1", kind="refuse")
def test_a_leaf_that_cannot_sign_is_refused_for_its_key_usage(root: Made, issuing: Made) -> None:
    encipher_only = x509.KeyUsage(False, False, True, False, False, False, False, False, False)
    leaf = _make("customer", issuing, ca=False, usage=encipher_only)
    with pytest.raises(pki.KeyUsageNotAllowed) as caught:
        _verify(leaf, [issuing], root)
    assert caught.value.certificate == leaf.certificate


@pytest.mark.rule("K1", kind="refuse")
def test_an_issuing_ca_outside_its_validity_is_named_in_the_refusal(root: Made) -> None:
    later = _make("issuing", root, ca=True, path_length=0, not_before=NOW + timedelta(hours=1))
    leaf = _make("customer", later, ca=False)
    with pytest.raises(pki.CertificateNotYetValid) as not_yet:
        _verify(leaf, [later], root)
    assert not_yet.value.certificate == later.certificate
    earlier = _make("issuing", root, ca=True, path_length=0, not_after=NOW - timedelta(hours=1))
    with pytest.raises(pki.CertificateExpired) as expired:
        _verify(_make("customer", earlier, ca=False), [earlier], root)
    assert expired.value.certificate == earlier.certificate
    assert expired.value.code == "K1_CERTIFICATE_EXPIRED"


@pytest.mark.rule("K1", kind="refuse")
def test_an_expired_root_is_named_in_the_refusal() -> None:
    root = _make("root", None, ca=True, path_length=1, not_after=NOW + timedelta(days=1))
    issuing = _make("issuing", root, ca=True, path_length=0)
    with pytest.raises(pki.CertificateExpired) as caught:
        _verify(_make("customer", issuing, ca=False), [issuing], root, at=NOW + timedelta(days=2))
    assert caught.value.certificate == root.certificate


@pytest.mark.rule("K1", kind="refuse")
def test_a_leaf_of_another_root_has_no_path(root: Made, issuing: Made) -> None:
    stranger = _make("root", None, ca=True, path_length=1)  # the same name, another key
    with pytest.raises(pki.WrongIssuer) as caught:
        _verify(_make("customer", issuing, ca=False), [issuing], stranger)
    assert caught.value.code == "K1_WRONG_ISSUER"
