"""The institution PKI of netbank.adapters.pki, keys on SoftHSM2, checked with openssl (SPEC K1, F7)."""

from __future__ import annotations

import base64
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, SignatureAlgorithmOID

from netbank.adapters import hsm, pki
from tests.pki.conftest import BASE_URL, PKIWorld, name, run, write_pem

pytestmark = pytest.mark.hsm


def _leaf_files(world: PKIWorld, certificate: x509.Certificate, tmp_path: Path) -> Path:
    return write_pem(tmp_path / "leaf.pem", certificate)


def _verify_signature_with(certificate: x509.Certificate, data: bytes, signature: bytes) -> None:
    public_key = certificate.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))


# --- CSR and certificates ------------------------------------------------------------------------


@pytest.mark.rule("K1", kind="allow")
def test_csr_signed_on_the_token_verifies_with_openssl(customer_key: hsm.TokenKey, tmp_path: Path) -> None:
    csr = pki.build_csr(customer_key, name("customer 0001"))
    assert csr.public_key() == customer_key.public_key()
    assert csr.subject == name("customer 0001")
    path = tmp_path / "request.pem"
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    result = run(["openssl", "req", "-verify", "-in", str(path), "-noout"])
    assert result.returncode == 0, result.stdout
    assert "verify OK" in result.stdout


@pytest.mark.rule("K1", kind="refuse")
def test_csr_with_a_broken_signature_is_refused(world: PKIWorld, customer_key: hsm.TokenKey) -> None:
    der = bytearray(
        pki.build_csr(customer_key, name("customer 0002")).public_bytes(serialization.Encoding.DER)
    )
    der[-5] ^= 0x01  # inside the signature
    forged = x509.load_der_x509_csr(bytes(der))
    with pytest.raises(pki.CertificateRequestInvalid):
        pki.issue_certificate(
            world.issuing,
            forged,
            name("customer 0002"),
            not_before=world.now,
            not_after=world.now + timedelta(days=1),
            profile=pki.CertificateProfile.CUSTOMER,
        )


@pytest.mark.rule("K1", kind="allow")
def test_customer_certificate_chain_verifies_with_openssl(
    world: PKIWorld, customer_key: hsm.TokenKey, tmp_path: Path
) -> None:
    leaf = _leaf_files(world, world.issue_customer(customer_key), tmp_path)
    result = run(
        ["openssl", "verify", "-CAfile", str(world.root_pem), "-untrusted", str(world.issuing_pem), str(leaf)]
    )
    assert result.returncode == 0, result.stdout
    assert f"{leaf}: OK" in result.stdout
    # Without the issuing CA the chain is broken.
    result = run(["openssl", "verify", "-CAfile", str(world.root_pem), str(leaf)])
    assert result.returncode != 0


def test_ca_certificates_carry_ca_extensions(world: PKIWorld) -> None:
    root, issuing = world.root.certificate, world.issuing.certificate
    for certificate, path_length in ((root, 1), (issuing, 0)):
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical
        assert constraints.value.ca
        assert constraints.value.path_length == path_length
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical
        assert usage.value.key_cert_sign and usage.value.crl_sign and not usage.value.digital_signature
    assert root.issuer == root.subject
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert root_ski == x509.SubjectKeyIdentifier.from_public_key(world.root.key.public_key()).digest
    aki = issuing.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == root_ski
    # The issuing CA points at the root's CRL and OCSP service.
    points = issuing.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name == [x509.UniformResourceIdentifier(world.root.endpoints.crl_url)]
    # The CA keys and certificates are on the token, loadable by label.
    assert isinstance(world.root.key, hsm.TokenKey) and isinstance(world.issuing.key, hsm.TokenKey)
    assert world.root.endpoints == pki.CAEndpoints.from_base_url(BASE_URL, world.root.key.label)
    assert world.root.endpoints.ocsp_url == f"{BASE_URL}/pki/{world.root.key.label}/ocsp"
    loaded = pki.IssuerKey.load(world.issuing.key.token, world.issuing.key.label, world.issuing.endpoints)
    assert loaded.certificate == issuing
    assert loaded.key.public_key() == world.issuing.key.public_key()


@pytest.mark.rule("K1", kind="allow")
def test_customer_certificate_profile(world: PKIWorld, customer_key: hsm.TokenKey) -> None:
    certificate = world.issue_customer(customer_key)
    extensions = certificate.extensions
    assert certificate.version is x509.Version.v3
    assert certificate.issuer == world.issuing.certificate.subject
    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and not constraints.value.ca
    usage = extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign and not usage.value.crl_sign
    assert list(extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    ski = extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(customer_key.public_key())
    aki = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    issuing_ski = world.issuing.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert aki.key_identifier == issuing_ski.value.digest
    points = extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name == [x509.UniformResourceIdentifier(world.issuing.endpoints.crl_url)]
    access = extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [(d.access_method, d.access_location) for d in access] == [
        (
            AuthorityInformationAccessOID.OCSP,
            x509.UniformResourceIdentifier(world.issuing.endpoints.ocsp_url),
        )
    ]
    expected_algorithm = (
        SignatureAlgorithmOID.RSA_WITH_SHA256
        if world.algorithm is hsm.KeyAlgorithm.RSA_2048
        else SignatureAlgorithmOID.ECDSA_WITH_SHA256
    )
    assert certificate.signature_algorithm_oid == expected_algorithm
    certificate.verify_directly_issued_by(world.issuing.certificate)


def test_serial_numbers_are_random_positive_and_at_most_20_octets(world: PKIWorld) -> None:
    public_key = world.ocsp.certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    serials = {
        pki.issue_certificate(
            world.issuing,
            public_key,
            name(f"serial {i}"),
            not_before=world.now,
            not_after=world.now + timedelta(days=1),
            profile=pki.CertificateProfile.CUSTOMER,
        ).serial_number
        for i in range(8)
    }
    assert len(serials) == 8
    assert all(0 < serial < 2**159 for serial in serials)
    assert max(serial.bit_length() for serial in serials) > 140  # random, not counted


def test_ocsp_signer_certificate_profile(world: PKIWorld) -> None:
    extensions = world.ocsp.certificate.extensions
    assert list(extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.OCSP_SIGNING
    ]
    assert extensions.get_extension_for_class(x509.OCSPNoCheck).value == x509.OCSPNoCheck()
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.content_commitment


def test_issuance_arguments_are_checked(world: PKIWorld, customer_key: hsm.TokenKey) -> None:
    public_key = customer_key.public_key()
    with pytest.raises(ValueError, match="timezone-aware"):
        pki.issue_certificate(
            world.issuing,
            public_key,
            name("x"),
            not_before=datetime(2026, 1, 1),
            not_after=datetime(2027, 1, 1),
            profile=pki.CertificateProfile.CUSTOMER,
        )
    with pytest.raises(ValueError, match="later than"):
        pki.issue_certificate(
            world.issuing,
            public_key,
            name("x"),
            not_before=world.now,
            not_after=world.now,
            profile=pki.CertificateProfile.CUSTOMER,
        )
    with pytest.raises(ValueError, match="within the issuing CA"):
        pki.issue_certificate(
            world.issuing,
            public_key,
            name("x"),
            not_before=world.now,
            not_after=world.issuing.certificate.not_valid_after_utc + timedelta(days=1),
            profile=pki.CertificateProfile.CUSTOMER,
        )
    with pytest.raises(ValueError):
        pki.CAEndpoints.from_base_url("ftp://example", "ca")
    with pytest.raises(ValueError):
        pki.CAEndpoints.from_base_url("https://bank.example", "a/b")


# --- CRL ---------------------------------------------------------------------------------------


def _openssl_verify_with_crl(world: PKIWorld, leaf: Path, crl_der: bytes, tmp_path: Path) -> str:
    crl_der_path = tmp_path / "crl.der"
    crl_der_path.write_bytes(crl_der)
    crl_pem = tmp_path / "crl.pem"
    converted = run(["openssl", "crl", "-inform", "DER", "-in", str(crl_der_path), "-out", str(crl_pem)])
    assert converted.returncode == 0, converted.stdout
    result = run(
        [
            "openssl",
            "verify",
            "-crl_check",
            "-CRLfile",
            str(crl_pem),
            "-CAfile",
            str(world.root_pem),
            "-untrusted",
            str(world.issuing_pem),
            str(leaf),
        ]
    )
    return f"rc={result.returncode}\n{result.stdout}"


@pytest.mark.rule("K1", kind="refuse")
def test_openssl_crl_check_accepts_a_valid_certificate_and_refuses_a_revoked_one(
    world: PKIWorld, customer_key: hsm.TokenKey, tmp_path: Path
) -> None:
    certificate = world.issue_customer(customer_key)
    leaf = _leaf_files(world, certificate, tmp_path)
    now = datetime.now(UTC)
    other_revoked = (certificate.serial_number ^ 1, now - timedelta(days=2), x509.ReasonFlags.superseded)

    empty = pki.build_crl(world.issuing, [], now - timedelta(minutes=1), now + timedelta(days=1), 1)
    output = _openssl_verify_with_crl(world, leaf, empty, tmp_path)
    assert output.startswith("rc=0") and f"{leaf}: OK" in output, output

    only_other = pki.build_crl(
        world.issuing, [other_revoked], now - timedelta(minutes=1), now + timedelta(days=1), 2
    )
    output = _openssl_verify_with_crl(world, leaf, only_other, tmp_path)
    assert output.startswith("rc=0"), output

    revoked = pki.build_crl(
        world.issuing,
        [
            other_revoked,
            pki.RevokedCertificate(certificate.serial_number, now, x509.ReasonFlags.key_compromise),
        ],
        now - timedelta(minutes=1),
        now + timedelta(days=1),
        3,
    )
    output = _openssl_verify_with_crl(world, leaf, revoked, tmp_path)
    assert not output.startswith("rc=0"), output
    assert "certificate revoked" in output


def test_crl_structure(world: PKIWorld) -> None:
    now = world.now
    der = pki.build_crl(
        world.issuing,
        [
            (0x1234, now - timedelta(hours=1), x509.ReasonFlags.key_compromise),
            (0x99, now - timedelta(hours=2), x509.ReasonFlags.unspecified),
        ],
        now,
        now + timedelta(days=7),
        42,
    )
    crl = x509.load_der_x509_crl(der)
    assert crl.is_signature_valid(world.issuing.certificate.public_key())  # type: ignore[arg-type]
    assert crl.issuer == world.issuing.certificate.subject
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 42
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = world.issuing.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert crl.last_update_utc == now.replace(microsecond=0)
    assert [entry.serial_number for entry in crl] == [0x99, 0x1234]
    compromised = crl.get_revoked_certificate_by_serial_number(0x1234)
    assert compromised is not None
    reason = compromised.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason is x509.ReasonFlags.key_compromise
    unspecified = crl.get_revoked_certificate_by_serial_number(0x99)
    assert unspecified is not None and len(unspecified.extensions) == 0
    empty = x509.load_der_x509_crl(pki.build_crl(world.issuing, [], now, now + timedelta(days=1), 43))
    assert len(empty) == 0
    with pytest.raises(ValueError):
        pki.build_crl(world.issuing, [], now, now + timedelta(days=1), -1)


@pytest.mark.rule("K1", kind="refuse")
def test_crl_drives_verify_chain(world: PKIWorld, other_world: PKIWorld, customer_key: hsm.TokenKey) -> None:
    certificate = world.issue_customer(customer_key)
    now = world.now
    chain = ([world.issuing.certificate], world.root.certificate)
    good_crl = pki.build_crl(world.issuing, [], now - timedelta(hours=1), now + timedelta(hours=1), 10)
    lookup = pki.revocation_from_crl(good_crl, world.issuing.certificate, now)
    # The issuing CA itself is checked against the root's CRL: here, its status comes from a set.
    pki.verify_chain(
        certificate, *chain, now, revocation=lambda c: lookup(c) if c == certificate else pki.GOOD
    )

    revoked_at = now - timedelta(minutes=10)
    bad_crl = pki.build_crl(
        world.issuing,
        [(certificate.serial_number, revoked_at, x509.ReasonFlags.key_compromise)],
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        11,
    )
    lookup = pki.revocation_from_crl(bad_crl, world.issuing.certificate, now)
    with pytest.raises(pki.CertificateRevoked) as caught:
        pki.verify_chain(
            certificate, *chain, now, revocation=lambda c: lookup(c) if c == certificate else pki.GOOD
        )
    assert caught.value.reason is x509.ReasonFlags.key_compromise
    assert caught.value.revoked_at == revoked_at.replace(microsecond=0)

    with pytest.raises(pki.RevocationStatusUnknown):  # stale CRL
        pki.revocation_from_crl(good_crl, world.issuing.certificate, now + timedelta(hours=2))
    with pytest.raises(pki.WrongIssuer):  # CRL of another CA
        pki.revocation_from_crl(good_crl, other_world.issuing.certificate, now)


# --- OCSP --------------------------------------------------------------------------------------


class _OCSPServer:
    """A tiny HTTP front for pki.respond(), as the API will have (POST and GET)."""

    def __init__(self, world: PKIWorld) -> None:
        self.world = world
        self.statuses: dict[int, pki.RevocationStatus] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, request_der: bytes) -> None:
                body = pki.respond(
                    request_der,
                    lambda serial: server.statuses.get(serial, pki.UNKNOWN),
                    server.world.ocsp.certificate,
                    server.world.ocsp.key,
                    datetime.now(UTC),
                    issuer=server.world.issuing.certificate,
                )
                self.send_response(200)
                self.send_header("Content-Type", pki.OCSP_RESPONSE_CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self._answer(self.rfile.read(length))

            def do_GET(self) -> None:
                try:
                    request_der = pki.decode_ocsp_get_request(self.path)
                except ValueError:
                    request_der = b""
                self._answer(request_der)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _OCSPServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def ocsp_server(world: PKIWorld) -> Iterator[_OCSPServer]:
    with _OCSPServer(world) as server:
        yield server


def _openssl_ocsp(world: PKIWorld, server: _OCSPServer, leaf: Path, *extra: str) -> str:
    result = run(
        [
            "openssl",
            "ocsp",
            "-issuer",
            str(world.issuing_pem),
            *extra,
            "-cert",
            str(leaf),
            "-url",
            server.url,
            "-CAfile",
            str(world.root_pem),
            "-resp_text",
        ]
    )
    return f"rc={result.returncode}\n{result.stdout}"


@pytest.mark.rule("K1", kind="refuse")
def test_openssl_ocsp_says_good_then_revoked(
    world: PKIWorld, customer_key: hsm.TokenKey, ocsp_server: _OCSPServer, tmp_path: Path
) -> None:
    certificate = world.issue_customer(customer_key)
    leaf = _leaf_files(world, certificate, tmp_path)
    ocsp_server.statuses[certificate.serial_number] = pki.GOOD

    output = _openssl_ocsp(world, ocsp_server, leaf)
    assert output.startswith("rc=0"), output
    assert "Response verify OK" in output
    assert f"{leaf}: good" in output
    assert "WARNING" not in output  # e.g. "Status times invalid"
    assert "OCSP Nonce" in output

    ocsp_server.statuses[certificate.serial_number] = pki.StatusRevoked(
        datetime.now(UTC) - timedelta(seconds=5), x509.ReasonFlags.key_compromise
    )
    output = _openssl_ocsp(world, ocsp_server, leaf, "-sha256")
    assert "Response verify OK" in output, output
    assert f"{leaf}: revoked" in output
    assert "Reason: keyCompromise" in output
    assert "Hash Algorithm: sha256" in output


def test_openssl_ocsp_says_unknown_for_a_serial_the_ca_does_not_know(
    world: PKIWorld, customer_key: hsm.TokenKey, ocsp_server: _OCSPServer, tmp_path: Path
) -> None:
    leaf = _leaf_files(world, world.issue_customer(customer_key), tmp_path)
    output = _openssl_ocsp(world, ocsp_server, leaf)
    assert "Response verify OK" in output, output
    assert f"{leaf}: unknown" in output


def _request(
    world: PKIWorld, certificate: x509.Certificate, algorithm: hashes.HashAlgorithm, nonce: bytes | None
) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, world.issuing.certificate, algorithm)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


#: SHA-1 is RFC 6960's default CertID hash (it names the issuer; it does not sign anything).
SHA1 = hashes.SHA1()  # noqa: S303
CERT_ID_HASHES = [SHA1, hashes.SHA256(), hashes.SHA512()]


@pytest.mark.parametrize("algorithm", CERT_ID_HASHES, ids=lambda a: a.name)
def test_ocsp_response_keeps_the_request_hash_and_nonce_and_is_signed_by_the_responder(
    world: PKIWorld, algorithm: hashes.HashAlgorithm
) -> None:
    leaf = world.ocsp.certificate  # any certificate of the issuing CA will do
    now = world.now
    der = pki.respond(
        _request(world, leaf, algorithm, b"0123456789abcdef"),
        lambda serial: pki.GOOD if serial == leaf.serial_number else pki.UNKNOWN,
        world.ocsp.certificate,
        world.ocsp.key,
        now,
        issuer=world.issuing.certificate,
        validity=timedelta(minutes=10),
    )
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == leaf.serial_number
    assert isinstance(response.hash_algorithm, type(algorithm))
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"
    assert response.certificates == [world.ocsp.certificate]
    assert response.this_update_utc == now.replace(microsecond=0)
    assert response.next_update_utc == (now + timedelta(minutes=10)).replace(microsecond=0)
    assert response.produced_at_utc == now.replace(microsecond=0)
    expected_key_hash = x509.SubjectKeyIdentifier.from_public_key(world.ocsp.key.public_key()).digest
    assert response.responder_key_hash == expected_key_hash
    _verify_signature_with(world.ocsp.certificate, response.tbs_response_bytes, response.signature)


def test_ocsp_answers_unknown_for_another_issuers_certificate(world: PKIWorld, other_world: PKIWorld) -> None:
    foreign = other_world.ocsp.certificate
    request = ocsp.OCSPRequestBuilder().add_certificate(foreign, other_world.issuing.certificate, SHA1)
    der = pki.respond(
        request.build().public_bytes(serialization.Encoding.DER),
        lambda serial: pki.GOOD,
        world.ocsp.certificate,
        world.ocsp.key,
        world.now,
        issuer=world.issuing.certificate,
    )
    response = ocsp.load_der_ocsp_response(der)
    assert response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    assert len(list(response.extensions)) == 0  # no nonce asked, none given


@pytest.mark.parametrize(
    "request_der",
    [b"", b"\x00", b"not an OCSP request", b"\x30\x03\x02\x01\x01", b"\x30\x80" + b"\x00" * 4],
    ids=["empty", "zero", "text", "wrong-structure", "indefinite"],
)
def test_malformed_ocsp_request_gets_a_malformed_request_response(
    world: PKIWorld, request_der: bytes
) -> None:
    der = pki.respond(
        request_der,
        lambda serial: pki.GOOD,
        world.ocsp.certificate,
        world.ocsp.key,
        world.now,
        issuer=world.issuing.certificate,
    )
    assert ocsp.load_der_ocsp_response(der).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_truncated_and_trailing_garbage_ocsp_requests_are_malformed(world: PKIWorld) -> None:
    good = _request(world, world.ocsp.certificate, SHA1, b"n" * 16)
    for request_der in (good[:-3], good + b"\x00\x00", good[:10]):
        der = pki.respond(
            request_der,
            lambda serial: pki.GOOD,
            world.ocsp.certificate,
            world.ocsp.key,
            world.now,
            issuer=world.issuing.certificate,
        )
        assert ocsp.load_der_ocsp_response(der).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_ocsp_get_form_is_decoded_and_answered(world: PKIWorld, ocsp_server: _OCSPServer) -> None:
    leaf = world.ocsp.certificate
    ocsp_server.statuses[leaf.serial_number] = pki.StatusRevoked(world.now, x509.ReasonFlags.superseded)
    encoded = urllib.parse.quote(base64.b64encode(_request(world, leaf, SHA1, None)).decode(), safe="")
    with urllib.request.urlopen(ocsp_server.url + encoded, timeout=10) as reply:  # noqa: S310 - local test server
        assert reply.headers["Content-Type"] == "application/ocsp-response"
        response = ocsp.load_der_ocsp_response(reply.read())
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason is x509.ReasonFlags.superseded
    with urllib.request.urlopen(ocsp_server.url + "%%%not-base64", timeout=10) as reply:  # noqa: S310
        assert ocsp.load_der_ocsp_response(reply.read()).response_status is (
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        )
    with pytest.raises(ValueError):
        pki.decode_ocsp_get_request("!!!")


def test_ocsp_error_response_and_key_mismatch(world: PKIWorld) -> None:
    der = pki.ocsp_error_response(pki.OCSPResponseStatus.TRY_LATER)
    assert ocsp.load_der_ocsp_response(der).response_status is ocsp.OCSPResponseStatus.TRY_LATER
    with pytest.raises(ValueError):
        pki.ocsp_error_response(pki.OCSPResponseStatus.SUCCESSFUL)
    with pytest.raises(ValueError, match="responder_key"):
        pki.respond(
            b"",
            lambda s: pki.GOOD,
            world.issuing.certificate,
            world.ocsp.key,
            world.now,
            issuer=world.issuing.certificate,
        )


# --- verify_chain and verify_signature -----------------------------------------------------------


@pytest.fixture
def customer(world: PKIWorld, customer_key: hsm.TokenKey) -> x509.Certificate:
    return world.issue_customer(customer_key)


@pytest.mark.rule("K1", kind="allow")
def test_valid_chain_is_accepted(world: PKIWorld, customer: x509.Certificate) -> None:
    path = pki.verify_chain(
        customer, [world.issuing.certificate], world.root.certificate, world.now, revocation=[]
    )
    assert path == [customer, world.issuing.certificate, world.root.certificate]
    statuses = {customer.serial_number: pki.GOOD, world.issuing.certificate.serial_number: pki.GOOD}
    pki.verify_chain(
        customer,
        [world.issuing.certificate],
        world.root.certificate,
        world.now,
        revocation=lambda c: statuses.get(c.serial_number, pki.UNKNOWN),
    )


@pytest.mark.rule("K1", kind="refuse")
def test_expired_certificate_is_refused(world: PKIWorld, customer: x509.Certificate) -> None:
    with pytest.raises(pki.CertificateExpired) as caught:
        pki.verify_chain(
            customer,
            [world.issuing.certificate],
            world.root.certificate,
            customer.not_valid_after_utc + timedelta(seconds=1),
            revocation=[],
        )
    assert caught.value.certificate == customer
    assert caught.value.code == "K1_CERTIFICATE_EXPIRED"


@pytest.mark.rule("K1", kind="refuse")
def test_not_yet_valid_certificate_is_refused(world: PKIWorld, customer_key: hsm.TokenKey) -> None:
    later = world.issue_customer(customer_key, not_before=world.now + timedelta(days=2))
    with pytest.raises(pki.CertificateNotYetValid) as caught:
        pki.verify_chain(later, [world.issuing.certificate], world.root.certificate, world.now, revocation=[])
    assert caught.value.code == "K1_CERTIFICATE_NOT_YET_VALID"


@pytest.mark.rule("K1", kind="refuse")
def test_revoked_certificate_is_refused(world: PKIWorld, customer: x509.Certificate) -> None:
    chain = ([world.issuing.certificate], world.root.certificate)
    with pytest.raises(pki.CertificateRevoked):
        pki.verify_chain(customer, *chain, world.now, revocation={customer.serial_number})
    revoked_at = world.now - timedelta(minutes=1)

    def status(certificate: x509.Certificate) -> pki.RevocationStatus:
        if certificate == customer:
            return pki.StatusRevoked(revoked_at, x509.ReasonFlags.key_compromise)
        return pki.GOOD

    with pytest.raises(pki.CertificateRevoked) as caught:
        pki.verify_chain(customer, *chain, world.now, revocation=status)
    assert caught.value.code == "K1_CERTIFICATE_REVOKED"
    # A signature verified as of a moment before the revocation is still good (at = server time then).
    pki.verify_chain(customer, *chain, revoked_at - timedelta(seconds=1), revocation=status)
    # A revoked issuing CA takes its customers with it.
    with pytest.raises(pki.CertificateRevoked) as caught:
        pki.verify_chain(customer, *chain, world.now, revocation={world.issuing.certificate.serial_number})
    assert caught.value.certificate == world.issuing.certificate


@pytest.mark.rule("K1", kind="refuse")
def test_unknown_revocation_status_is_refused(world: PKIWorld, customer: x509.Certificate) -> None:
    with pytest.raises(pki.RevocationStatusUnknown):
        pki.verify_chain(
            customer,
            [world.issuing.certificate],
            world.root.certificate,
            world.now,
            revocation=lambda c: pki.UNKNOWN,
        )


@pytest.mark.rule("K1", kind="refuse")
def test_certificate_of_another_issuer_is_refused(
    world: PKIWorld, other_world: PKIWorld, customer: x509.Certificate
) -> None:
    with pytest.raises(pki.WrongIssuer) as caught:
        pki.verify_chain(
            customer,
            [other_world.issuing.certificate],
            other_world.root.certificate,
            world.now,
            revocation=[],
        )
    assert caught.value.code == "K1_WRONG_ISSUER"
    with pytest.raises(pki.WrongIssuer):  # right intermediate, wrong root
        pki.verify_chain(
            customer, [world.issuing.certificate], other_world.root.certificate, world.now, revocation=[]
        )
    with pytest.raises(pki.WrongIssuer):  # intermediate missing
        pki.verify_chain(customer, [], world.root.certificate, world.now, revocation=[])


@pytest.mark.rule("K1", kind="refuse")
def test_certificate_with_a_forged_signature_is_refused(world: PKIWorld, customer: x509.Certificate) -> None:
    der = bytearray(customer.public_bytes(serialization.Encoding.DER))
    subject_der = customer.subject.public_bytes()
    at = der.find(subject_der)
    der[at + len(subject_der) - 1] ^= 0x01  # change the last letter of the subject's CN
    forged = x509.load_der_x509_certificate(bytes(der))
    assert forged.subject != customer.subject
    with pytest.raises(pki.WrongIssuer):
        pki.verify_chain(
            forged, [world.issuing.certificate], world.root.certificate, world.now, revocation=[]
        )


@pytest.mark.rule("K1", kind="refuse")
def test_certificate_for_another_use_is_refused(world: PKIWorld, customer: x509.Certificate) -> None:
    chain = ([world.issuing.certificate], world.root.certificate)
    with pytest.raises(pki.KeyUsageNotAllowed) as caught:  # an OCSP signer is not a customer
        pki.verify_chain(world.ocsp.certificate, *chain, world.now, revocation=[])
    assert caught.value.code == "K1_KEY_USAGE_NOT_ALLOWED"
    pki.verify_chain(
        world.ocsp.certificate,
        *chain,
        world.now,
        revocation=[],
        profile=pki.CertificateProfile.OCSP_RESPONDER,
    )
    with pytest.raises(pki.KeyUsageNotAllowed):  # a CA certificate does not sign transfers
        pki.verify_chain(world.issuing.certificate, [], world.root.certificate, world.now, revocation=[])
    with pytest.raises(pki.KeyUsageNotAllowed):
        pki.verify_signature(world.issuing.certificate, b"data", b"signature")


@pytest.mark.rule("F7", kind="allow")
def test_signature_of_the_ukey_verifies(customer_key: hsm.TokenKey, customer: x509.Certificate) -> None:
    message = b"02|transfer|amount_minor=150000|CNY|idempotency=4b1c"
    pki.verify_signature(customer, message, customer_key.sign(message))


@pytest.mark.rule("F7", kind="refuse")
def test_tampered_message_is_refused(customer_key: hsm.TokenKey, customer: x509.Certificate) -> None:
    message = b"02|transfer|amount_minor=150000|CNY|idempotency=4b1c"
    signature = customer_key.sign(message)
    with pytest.raises(pki.SignatureInvalid) as caught:
        pki.verify_signature(customer, message.replace(b"150000", b"950000"), signature)
    assert caught.value.code == "K1_SIGNATURE_INVALID"
    with pytest.raises(pki.SignatureInvalid):
        pki.verify_signature(customer, message, signature[:-1] + bytes([signature[-1] ^ 1]))


@pytest.mark.rule("F7", kind="allow")
def test_rsa_pss_signatures_verify_when_asked_for(world: PKIWorld) -> None:
    """F7 allows PSS: a software key (as the cloud certificate service may hold) stands in."""
    software_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = pki.issue_certificate(
        world.issuing,
        software_key.public_key(),
        name("pss signer"),
        not_before=world.now,
        not_after=world.now + timedelta(days=1),
        profile=pki.CertificateProfile.CUSTOMER,
    )
    message = b"01|login|challenge=8f2e"
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    signature = software_key.sign(message, pss, hashes.SHA256())
    pki.verify_signature(certificate, message, signature, rsa_padding=pki.RSAPadding.PSS)
    with pytest.raises(pki.SignatureInvalid):
        pki.verify_signature(certificate, message, signature)  # not PKCS#1 v1.5


def test_every_refusal_has_its_own_code() -> None:
    classes: list[type[pki.PKIError]] = [
        pki.PKIError,
        pki.CertificateRequestInvalid,
        pki.CertificateRejected,
        pki.CertificateExpired,
        pki.CertificateNotYetValid,
        pki.CertificateRevoked,
        pki.RevocationStatusUnknown,
        pki.WrongIssuer,
        pki.KeyUsageNotAllowed,
        pki.SignatureInvalid,
    ]
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes)
    assert all(code.startswith("K1_") for code in codes)
    assert all(issubclass(cls, pki.PKIError) for cls in classes)


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element (definite length, short or long form)."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


NONCE_OID_DER = _tlv(0x06, bytes.fromhex("2b0601050507300102"))  # 1.3.6.1.5.5.7.48.1.2


def _request_with_raw_nonce_extension(world: PKIWorld, extn_value: bytes) -> bytes:
    """A request whose nonce extnValue holds ``extn_value`` as is (no OCTET STRING wrapping)."""
    from asn1crypto import ocsp as asn1ocsp  # type: ignore[import-untyped]

    request = asn1ocsp.OCSPRequest.load(_request(world, world.ocsp.certificate, SHA1, None))
    tbs = asn1ocsp.TBSRequest.load(request["tbs_request"].dump())
    extension = _tlv(0x30, NONCE_OID_DER + _tlv(0x04, extn_value))
    tbs["request_extensions"] = [asn1ocsp.TBSRequestExtension.load(extension)]
    return bytes(asn1ocsp.OCSPRequest({"tbs_request": tbs}).dump())


def test_ocsp_nonce_is_echoed_byte_for_byte_and_a_huge_one_is_malformed(world: PKIWorld) -> None:
    def answer(request_der: bytes) -> ocsp.OCSPResponse:
        der = pki.respond(
            request_der,
            lambda serial: pki.GOOD,
            world.ocsp.certificate,
            world.ocsp.key,
            world.now,
            issuer=world.issuing.certificate,
        )
        return ocsp.load_der_ocsp_response(der)

    raw = b"raw-nonce-without-octet-string"  # not DER: some clients send the nonce unwrapped
    der = pki.respond(
        _request_with_raw_nonce_extension(world, raw),
        lambda serial: pki.GOOD,
        world.ocsp.certificate,
        world.ocsp.key,
        world.now,
        issuer=world.issuing.certificate,
    )
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert NONCE_OID_DER + _tlv(0x04, raw) in response.tbs_response_bytes
    largest = answer(_request_with_raw_nonce_extension(world, _tlv(0x04, b"n" * 128)))
    assert largest.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL  # RFC 8954: up to 128 octets
    too_long = answer(_request_with_raw_nonce_extension(world, _tlv(0x04, b"n" * 129)))
    assert too_long.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_a_ca_with_bad_arguments_leaves_no_key_behind(ca_token: hsm.Token, world: PKIWorld) -> None:
    with pytest.raises(ValueError):
        pki.create_root_ca(ca_token, "never-root", name("never"), world.now, timedelta(0), base_url=BASE_URL)
    with pytest.raises(ValueError):
        pki.create_issuing_ca(
            world.root,
            ca_token,
            "never-issuing",
            name("never"),
            world.now,
            timedelta(days=40000),
            base_url=BASE_URL,
        )
    labels = {o.label for o in ca_token.list_objects()}
    assert "never-root" not in labels and "never-issuing" not in labels
