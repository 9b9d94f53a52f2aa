"""The cloud financial certificate service's CA (SPEC F1, F4, F5, F7).

* :class:`HSMFinCertCA`: the service's own root and issuing CA, one per deployment, with their
  keys on a PKCS#11 token (SoftHSM2 in development and tests) through
  :class:`netbank.adapters.pki.CAToken`, which the institution CAs (``adapters/ca.py``) use
  too. The token is opened once per process, on first use; give it a token label of its own
  (PKCS#11 allows one login per token per process). The issuing CA's delegated OCSP signer
  (RFC 6960 4.2.2.2) lives on the same token: its key and certificate under the issuing CA's key
  label + ``-ocsp``, so the database keeps nothing of it. Certificates the service issues name
  its responder, ``{base}/api/v1/fincert/ocsp``, in their Authority Information Access.
* The customers' key stores (:class:`SealedKeyStore`, ``PKCS11KeyStore``) and the content they
  sign are in ``adapters/fincert_keys.py``; CMS SignedData in ``adapters/pki/cms.py``.
* :class:`HMACPINDigester`: F5 PINs as HMAC-SHA256 under a key that lives outside the database
  (``NETBANK_FINCERT_PIN_KEY``): a stolen database alone does not allow an offline search of the
  10^6 possible PINs, and the lock-out counter stops online guessing.

F7 signatures: CMS SignedData (attached content, RSA-2048, SHA-256, PKCS#1 v1.5). The purpose
code travels inside the signed content, which is ``netbank-fincert/1 purpose=NN`` + LF + the
message, so it cannot be changed without breaking the signature.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from netbank.adapters import hsm, pki
from netbank.adapters.fincert_keys import SealedKeyStore as SealedKeyStore
from netbank.adapters.fincert_keys import signed_content as signed_content
from netbank.adapters.fincert_keys import split_content
from netbank.adapters.pki.refusals import rejection_code, token_errors
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.fincert import PublishedStatus
from netbank.services.ports import FinCertAuthority, VerifiedSignedData

ROOT_VALIDITY: Final = timedelta(days=20 * 365)
ISSUING_VALIDITY: Final = timedelta(days=10 * 365)
OCSP_SIGNER_VALIDITY: Final = timedelta(days=2 * 365)
ORGANISATION: Final = "netbank financial certificate service"
#: Where the service's OCSP responder answers, under the service's base URL (routers/fincert.py).
OCSP_PATH: Final = "/api/v1/fincert/ocsp"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def ocsp_signer_label(issuing_key_label: str) -> str:
    """The token label of the issuing CA's delegated OCSP signer (key and certificate)."""
    return f"{issuing_key_label}-ocsp"


def _authority(role: str, label: str, certificate: x509.Certificate) -> FinCertAuthority:
    return FinCertAuthority(role=role, key_label=label, **pki.certificate_fields(certificate))


def _check_signed_data(cms_der: bytes) -> tuple[x509.Certificate, bytes]:
    """F7: the signer's certificate and the signed content (``pki.read_signed_data``); anything
    that does not verify is F7_SIGNATURE_INVALID."""
    try:
        return pki.read_signed_data(cms_der)
    except pki.SignatureInvalid as exc:
        raise RuleViolation(Code.F7_SIGNATURE_INVALID) from exc


class HSMFinCertCA:
    """The ``FinCertCA`` port with the CA keys on a PKCS#11 token."""

    def __init__(self, *, token_label: str, pin: str, base_url: str, module_path: str | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._hsm = pki.CAToken(token_label, pin, module_path=module_path or hsm.DEFAULT_MODULE_PATH)
        #: The CA certificates from the database, parsed once per process.
        self._certificates = pki.CertificateCache()

    def _certificate(self, der: bytes) -> x509.Certificate:
        return self._certificates.get(der)

    def _endpoints(self) -> pki.CAEndpoints:
        return pki.CAEndpoints(
            crl_url=pki.CAEndpoints.from_base_url(self._base_url, "fincert").crl_url,
            ocsp_url=self._base_url + OCSP_PATH,
        )

    def _issuing_ca(self, issuing: FinCertAuthority) -> pki.IssuerKey:
        return pki.IssuerKey(
            certificate=self._certificate(issuing.der),
            key=self._hsm.key(issuing.key_label),
            endpoints=self._endpoints(),
        )

    def close(self) -> None:
        self._hsm.close()

    def create_hierarchy(self, now: datetime) -> list[FinCertAuthority]:
        suffix = secrets.token_hex(3)
        root_label, issuing_label = f"fincert-root-{suffix}", f"fincert-issuing-{suffix}"
        root, issuing = self._hsm.create_hierarchy(
            pki.CASpec(root_label, _name("netbank FinCert Root CA"), ROOT_VALIDITY),
            pki.CASpec(issuing_label, _name("netbank FinCert Issuing CA"), ISSUING_VALIDITY),
            now - timedelta(minutes=5),
            base_url=self._base_url,
        )
        return [
            _authority("root", root_label, root.certificate),
            _authority("issuing", issuing_label, issuing.certificate),
        ]

    def issue(
        self,
        issuing: FinCertAuthority,
        public_key_der: bytes,
        *,
        holder_name: str,
        not_before: datetime,
        not_after: datetime,
    ) -> tuple[str, bytes]:
        authority = self._issuing_ca(issuing)
        public_key = serialization.load_der_public_key(public_key_der)
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise ValueError("financial certificates certify RSA-2048 keys")
        with self._hsm.lock, token_errors():
            certificate = pki.issue_certificate(
                authority,
                public_key,
                _name(holder_name),
                not_before=not_before,
                not_after=not_after,
                profile=pki.CertificateProfile.CUSTOMER,
            )
        return pki.serial_hex(certificate), certificate.public_bytes(serialization.Encoding.DER)

    def ensure_ocsp_signer(self, issuing: FinCertAuthority, now: datetime) -> tuple[FinCertAuthority, bool]:
        """The issuing CA's delegated OCSP signer, created on the token when it is not there
        yet (True) or found there (False). Its validity ends with the issuing CA's at the
        latest."""
        label = ocsp_signer_label(issuing.key_label)
        with self._hsm.lock, token_errors():
            try:
                signer = self._hsm.stored_signer(label)
            except hsm.TokenObjectNotFound:
                pass
            else:
                return _authority("ocsp", label, signer.certificate), False
            authority = self._issuing_ca(issuing)
            start = max(now - timedelta(minutes=5), authority.certificate.not_valid_before_utc)
            end = min(start + OCSP_SIGNER_VALIDITY, authority.certificate.not_valid_after_utc)
            token = self._hsm.token()
            with contextlib.suppress(hsm.TokenObjectNotFound):  # left by an interrupted run
                token.delete_key_pair(label)
            signer = pki.create_ocsp_signer(
                authority,
                token,
                label,
                _name("netbank FinCert OCSP Responder"),
                not_before=start,
                not_after=end,
            )
            self._hsm.remember_signer(label, signer)
            return _authority("ocsp", label, signer.certificate), True

    def build_crl(
        self,
        authority: FinCertAuthority,
        revoked: list[tuple[str, PublishedStatus]],
        this_update: datetime,
        next_update: datetime,
        crl_number: int,
    ) -> bytes:
        """A CRL of ``authority`` (root or issuing CA) signed on the token, listing what the
        service publishes as revoked or on hold (the same status source as the responder)."""
        entries = []
        for serial, status in revoked:
            published = pki.revocation_status(status, this_update)
            if isinstance(published, pki.StatusRevoked):
                entries.append(
                    pki.RevokedCertificate(int(serial, 16), published.revoked_at, published.reason)
                )
        return self._hsm.build_crl(
            self._certificate(authority.der),
            authority.key_label,
            entries,
            this_update,
            next_update,
            crl_number,
        )

    def respond_ocsp(
        self,
        request_der: bytes,
        issuing: FinCertAuthority,
        status_of: Callable[[str], PublishedStatus],
        now: datetime,
    ) -> bytes:
        """RFC 6960 answer about certificates of ``issuing``, signed by its delegated signer
        (``pki.respond``: a malformed request gets a malformedRequest response)."""
        with self._hsm.lock, token_errors():
            try:
                signer = self._hsm.stored_signer(ocsp_signer_label(issuing.key_label))
            except hsm.TokenObjectNotFound:
                raise RuleViolation(Code.F1_CA_NOT_INITIALISED) from None
        return self._hsm.respond_ocsp(
            request_der,
            self._certificate(issuing.der),
            signer,
            lambda serial_number: pki.revocation_status(status_of(f"{serial_number:x}"), now),
            now,
        )

    def verify_signed_data(
        self,
        cms_der: bytes,
        issuing: FinCertAuthority,
        root: FinCertAuthority,
        *,
        status_of: Callable[[str], PublishedStatus],
        at: datetime,
    ) -> VerifiedSignedData:
        """F7: parse the SignedData (asn1crypto), check the signer's signature over the signed
        attributes and the content digest (cryptography), then the chain to the service root,
        validity and revocation at ``at`` (the server's clock). The signer's status comes from
        ``status_of``, what the service's OCSP responder publishes: revoked is
        F4_CERTIFICATE_REVOKED, on hold F4_CERTIFICATE_SUSPENDED, unknown F7_SIGNATURE_INVALID."""
        leaf, content = _check_signed_data(cms_der)
        issuing_certificate = self._certificate(issuing.der)

        def lookup(certificate: x509.Certificate) -> pki.RevocationStatus:
            if certificate == issuing_certificate:  # the root's to publish; the root is trusted
                return pki.GOOD
            return pki.revocation_status(status_of(pki.serial_hex(certificate)), at)

        try:
            pki.verify_chain(leaf, [issuing_certificate], self._certificate(root.der), at, revocation=lookup)
        except pki.CertificateRevoked as exc:
            if exc.reason is x509.ReasonFlags.certificate_hold:
                raise RuleViolation(Code.F4_CERTIFICATE_SUSPENDED) from exc
            raise RuleViolation(Code.F4_CERTIFICATE_REVOKED) from exc
        except pki.CertificateRejected as exc:
            code = rejection_code(exc)
            if code is Code.K1_CERTIFICATE_REVOKED:
                raise RuleViolation(Code.F4_CERTIFICATE_REVOKED) from exc
            raise RuleViolation(Code.F7_SIGNATURE_INVALID) from exc
        purpose, message = split_content(content)
        return VerifiedSignedData(
            serial=pki.serial_hex(leaf),
            purpose=purpose,
            message=message,
            signed_by=leaf.subject.rfc4514_string(),
        )

    def public_key_of(self, certificate_der: bytes) -> bytes:
        return (
            x509.load_der_x509_certificate(certificate_der)
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )


class HMACPINDigester:
    """F5 PIN digests: HMAC-SHA256 keyed outside the database, bound to the certificate's key
    reference (the same PIN on two certificates gives unrelated digests)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the PIN key must be at least 32 bytes")
        self._key = key

    def digest(self, key_ref: str, pin: str) -> str:
        return hmac.new(self._key, f"fincert-pin\x00{key_ref}\x00{pin}".encode(), hashlib.sha256).hexdigest()

    def matches(self, digest: str, key_ref: str, pin: str) -> bool:
        return hmac.compare_digest(self.digest(key_ref, pin), digest)
