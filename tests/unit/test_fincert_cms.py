"""F7: the key store's CMS SignedData, assembled from its DER parts for speed, is byte for byte
what asn1crypto encodes for the same structure, whatever the content's and signature's lengths
(each length form of DER) and the signing time. ``openssl cms -verify`` is run on real
signatures in tests/integration/test_fincert_keys.py."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from asn1crypto import algos, cms, core  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from netbank.adapters.fincert_keys import build_signed_data

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(serial: int) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "홍길동 F7 test")])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netbank test CA")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(KEY.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1095))
        .sign(KEY, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


CERTIFICATES = [_certificate(1), _certificate(0x7F31_2C9A_55E1_0B2D_4466_8899_AABB_CCDD_EEFF_0011)]


def reference(
    content: bytes, certificate_der: bytes, sign: Callable[[bytes], bytes], signing_time: datetime
) -> bytes:
    """The same SignedData built the plain asn1crypto way (the oracle)."""
    certificate = asn1x509.Certificate.load(certificate_der)
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
        ]
    )
    digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"})
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
                    )
                }
            ),
            "digest_algorithm": digest_algorithm,
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": sign(signed_attrs.dump()),
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [digest_algorithm],
            "encap_content_info": {"content_type": "data", "content": core.OctetString(content)},
            "certificates": [cms.CertificateChoices({"certificate": certificate})],
            "signer_infos": [signer],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


# Lengths on each side of DER's length forms: short (< 128), one, two and three bytes.
BOUNDARY_SIZES = [0, 1, 100, 127, 128, 129, 255, 256, 257, 65_535, 65_536, 65_537]


@given(
    size=st.one_of(st.sampled_from(BOUNDARY_SIZES), st.integers(min_value=0, max_value=70_000)),
    seed=st.binary(min_size=1, max_size=8),
    signature=st.binary(max_size=600),
    seconds=st.integers(min_value=0, max_value=20 * 365 * 86_400),
    which=st.sampled_from(range(len(CERTIFICATES))),
)
@settings(max_examples=60, deadline=None)
def test_the_assembled_signed_data_is_asn1crypto_s_encoding_byte_for_byte(
    size: int, seed: bytes, signature: bytes, seconds: int, which: int
) -> None:
    content = (seed * (size // len(seed) + 1))[:size]
    signing_time = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    certificate = CERTIFICATES[which]
    signed: list[bytes] = []
    expected_signed: list[bytes] = []

    def sign(data: bytes) -> bytes:
        signed.append(data)
        return signature

    def sign_reference(data: bytes) -> bytes:
        expected_signed.append(data)
        return signature

    der = build_signed_data(content, certificate, sign, signing_time=signing_time)
    assert der == reference(content, certificate, sign_reference, signing_time)
    assert signed == expected_signed  # the signature covers the same attributes
    parsed = cms.ContentInfo.load(der)
    assert parsed["content"]["encap_content_info"]["content"].native == content
    assert parsed.dump(force=True) == der  # DER: re-encoding changes nothing


def test_a_real_signature_over_the_attributes_verifies_and_the_time_is_utc() -> None:
    content = b"NBFC1 transfer\nsend 50000 KRW"
    certificate = CERTIFICATES[0]
    seoul = timezone(timedelta(hours=9))
    at = datetime(2026, 11, 24, 9, 30, 5, tzinfo=seoul)

    def sign(data: bytes) -> bytes:
        return KEY.sign(data, padding.PKCS1v15(), hashes.SHA256())

    der = build_signed_data(content, certificate, sign, signing_time=at)
    signer = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    attributes = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
    assert attributes["signing_time"] == at.astimezone(UTC)
    assert attributes["message_digest"] == hashlib.sha256(content).digest()
    KEY.public_key().verify(
        signer["signature"].native,
        signer["signed_attrs"].untag().dump(force=True),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_a_signing_time_outside_utc_time_is_refused_not_misencoded() -> None:
    """UTCTime holds 1950-2049 only (RFC 5280 4.1.2.5.1): a later time must not wrap around."""
    with pytest.raises(ValueError, match="2050"):
        build_signed_data(b"x", CERTIFICATES[0], lambda _: b"", signing_time=datetime(2050, 1, 1, tzinfo=UTC))
