"""The cloud financial certificate service's adapters (SPEC F1, F5, F7).

* :class:`HSMFinCertCA`: the service's own root and issuing CA, one per deployment, with their
  keys on a PKCS#11 token (SoftHSM2 in development and tests) through the PKI library
  (``adapters/pki.py``, ``adapters/hsm.py``). The token is opened once per process, on first
  use; give it a token label of its own (PKCS#11 allows one login per token per process).
  The issuing CA's delegated OCSP signer (RFC 6960 4.2.2.2) lives on the same token: its key
  and certificate under the issuing CA's key label + ``-ocsp``, so the database keeps nothing
  of it. Certificates the service issues name its responder, ``{base}/api/v1/fincert/ocsp``,
  in their Authority Information Access.
* :class:`SealedKeyStore`: the embedded key store. Each customer's RSA-2048 key is generated
  here and kept only sealed with AES-256-GCM under a key-encryption key from configuration
  (``NETBANK_FINCERT_KEY_ENCRYPTION_KEY``), the key reference bound as associated data.
  Signing unseals the key in memory for one signature. Why software keys here: cryptography's
  ``pkcs7.PKCS7SignatureBuilder`` builds CMS SignedData only with a software key, and a
  PKCS#11 key store would need a CMS builder of our own on asn1crypto (the CA keys, which
  sign far less often and matter more, stay on the HSM).
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
import os
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from asn1crypto import cms as asn1cms  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from netbank.adapters import hsm, pki
from netbank.adapters.ca import rejection_code, token_errors
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.fincert import PublishedStatus, SignaturePurpose
from netbank.services.ports import FinCertAuthority, GeneratedKey, VerifiedSignedData

ROOT_VALIDITY: Final = timedelta(days=20 * 365)
ISSUING_VALIDITY: Final = timedelta(days=10 * 365)
OCSP_SIGNER_VALIDITY: Final = timedelta(days=2 * 365)
ORGANISATION: Final = "netbank financial certificate service"
#: Where the service's OCSP responder answers, under the service's base URL (routers/fincert.py).
OCSP_PATH: Final = "/api/v1/fincert/ocsp"
CONTENT_PREFIX: Final = b"netbank-fincert/1 purpose="


def signed_content(message: bytes, purpose: SignaturePurpose) -> bytes:
    """F7: what is signed: the purpose code, then the message."""
    return CONTENT_PREFIX + purpose.value.encode() + b"\n" + message


def split_content(content: bytes) -> tuple[SignaturePurpose, bytes]:
    head, sep, message = content.partition(b"\n")
    if not sep or not head.startswith(CONTENT_PREFIX):
        raise RuleViolation(Code.F7_SIGNATURE_INVALID)
    try:
        return SignaturePurpose(head[len(CONTENT_PREFIX) :].decode()), message
    except (ValueError, UnicodeDecodeError):
        raise RuleViolation(Code.F7_SIGNATURE_INVALID) from None


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


def _published(status: PublishedStatus, now: datetime) -> pki.RevocationStatus:
    """The PKI library's view of what the service publishes about one serial."""
    if not status.known:
        return pki.UNKNOWN
    if status.revoked_at is None or status.revoked_at > now:
        return pki.GOOD
    reason = x509.ReasonFlags[status.reason.value] if status.reason else x509.ReasonFlags.unspecified
    return pki.StatusRevoked(revoked_at=status.revoked_at, reason=reason)


def _authority(role: str, label: str, certificate: x509.Certificate) -> FinCertAuthority:
    return FinCertAuthority(
        role=role,
        serial=f"{certificate.serial_number:x}",
        subject=certificate.subject.rfc4514_string(),
        key_label=label,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        der=certificate.public_bytes(serialization.Encoding.DER),
    )


class HSMFinCertCA:
    """The ``FinCertCA`` port with the CA keys on a PKCS#11 token."""

    def __init__(self, *, token_label: str, pin: str, base_url: str, module_path: str | None = None) -> None:
        self._token_label = token_label
        self._pin = pin
        self._base_url = base_url.rstrip("/")
        self._module_path = module_path or hsm.DEFAULT_MODULE_PATH
        self._lock = threading.RLock()
        self._token: hsm.Token | None = None
        self._keys: dict[str, hsm.TokenKey] = {}
        self._signers: dict[str, pki.OCSPSigner] = {}
        self._parsed: dict[bytes, x509.Certificate] = {}

    def _open(self) -> hsm.Token:
        with self._lock:
            if self._token is None or self._token.closed:
                with token_errors():
                    self._token = hsm.Token.open(self._token_label, self._pin, module_path=self._module_path)
                self._keys.clear()
                self._signers.clear()
            return self._token

    def _key(self, label: str) -> hsm.TokenKey:
        with self._lock:
            key = self._keys.get(label)
            if key is None:
                with token_errors():
                    key = self._open().get_key(label)
                self._keys[label] = key
            return key

    def _certificate(self, der: bytes) -> x509.Certificate:
        """A CA certificate from the database, parsed once per process."""
        certificate = self._parsed.get(der)
        if certificate is None:
            certificate = x509.load_der_x509_certificate(der)
            with self._lock:
                self._parsed[der] = certificate
        return certificate

    def _endpoints(self) -> pki.CAEndpoints:
        return pki.CAEndpoints(
            crl_url=pki.CAEndpoints.from_base_url(self._base_url, "fincert").crl_url,
            ocsp_url=self._base_url + OCSP_PATH,
        )

    def _issuing_ca(self, issuing: FinCertAuthority) -> pki.CertificateAuthority:
        return pki.CertificateAuthority(
            certificate=self._certificate(issuing.der),
            key=self._key(issuing.key_label),
            endpoints=self._endpoints(),
        )

    def close(self) -> None:
        with self._lock:
            if self._token is not None:
                self._token.close()
                self._token = None

    def create_hierarchy(self, now: datetime) -> list[FinCertAuthority]:
        suffix = secrets.token_hex(3)
        root_label, issuing_label = f"fincert-root-{suffix}", f"fincert-issuing-{suffix}"
        start = now - timedelta(minutes=5)
        with self._lock, token_errors():
            token = self._open()
            root = pki.create_root_ca(
                token,
                root_label,
                _name("netbank FinCert Root CA"),
                start,
                ROOT_VALIDITY,
                base_url=self._base_url,
            )
            issuing = pki.create_issuing_ca(
                root,
                token,
                issuing_label,
                _name("netbank FinCert Issuing CA"),
                start,
                ISSUING_VALIDITY,
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
        with self._lock, token_errors():
            certificate = pki.issue_certificate(
                authority,
                public_key,
                _name(holder_name),
                not_before=not_before,
                not_after=not_after,
                profile=pki.CertificateProfile.CUSTOMER,
            )
        return f"{certificate.serial_number:x}", certificate.public_bytes(serialization.Encoding.DER)

    def ensure_ocsp_signer(self, issuing: FinCertAuthority, now: datetime) -> tuple[FinCertAuthority, bool]:
        """The issuing CA's delegated OCSP signer, created on the token when it is not there
        yet (True) or found there (False). Its validity ends with the issuing CA's at the
        latest."""
        label = ocsp_signer_label(issuing.key_label)
        with self._lock, token_errors():
            try:
                signer = self._ocsp_signer(issuing)
            except hsm.TokenObjectNotFound:
                pass
            else:
                return _authority("ocsp", label, signer.certificate), False
            authority = self._issuing_ca(issuing)
            start = max(now - timedelta(minutes=5), authority.certificate.not_valid_before_utc)
            end = min(start + OCSP_SIGNER_VALIDITY, authority.certificate.not_valid_after_utc)
            token = self._open()
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
            self._signers[label] = signer
            return _authority("ocsp", label, signer.certificate), True

    def _ocsp_signer(self, issuing: FinCertAuthority) -> pki.OCSPSigner:
        """Read from the token once per process (raises ``hsm.TokenObjectNotFound``)."""
        label = ocsp_signer_label(issuing.key_label)
        with self._lock:
            signer = self._signers.get(label)
            if signer is None:
                token = self._open()
                certificate = token.read_certificate(label)
                key = token.get_key(label)
                if certificate.public_key() != key.public_key():
                    raise hsm.TokenObjectNotFound(f"certificate {label!r} does not match its key")
                signer = pki.OCSPSigner(certificate=certificate, key=key)
                self._signers[label] = signer
            return signer

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
            published = _published(status, this_update)
            if isinstance(published, pki.StatusRevoked):
                entries.append((int(serial, 16), published.revoked_at, published.reason))
        with self._lock, token_errors():
            ca = pki.CertificateAuthority(
                certificate=self._certificate(authority.der),
                key=self._key(authority.key_label),
                endpoints=self._endpoints(),
            )
            return pki.build_crl(ca, entries, this_update, next_update, crl_number)

    def respond_ocsp(
        self,
        request_der: bytes,
        issuing: FinCertAuthority,
        status_of: Callable[[str], PublishedStatus],
        now: datetime,
    ) -> bytes:
        """RFC 6960 answer about certificates of ``issuing``, signed by its delegated signer
        (``pki.respond``: a malformed request gets a malformedRequest response)."""
        with self._lock, token_errors():
            try:
                signer = self._ocsp_signer(issuing)
            except hsm.TokenObjectNotFound:
                raise RuleViolation(Code.F1_CA_NOT_INITIALISED) from None
            return pki.respond(
                request_der,
                lambda serial_number: _published(status_of(f"{serial_number:x}"), now),
                signer.certificate,
                signer.key,
                now,
                issuer=self._certificate(issuing.der),
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
        serial = f"{leaf.serial_number:x}"
        issuing_certificate = self._certificate(issuing.der)

        def lookup(certificate: x509.Certificate) -> pki.RevocationStatus:
            if certificate == issuing_certificate:  # the root's to publish; the root is trusted
                return pki.GOOD
            return _published(status_of(f"{certificate.serial_number:x}"), at)

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
            serial=serial, purpose=purpose, message=message, signed_by=leaf.subject.rfc4514_string()
        )

    def public_key_of(self, certificate_der: bytes) -> bytes:
        return (
            x509.load_der_x509_certificate(certificate_der)
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )


def _check_signed_data(cms_der: bytes) -> tuple[x509.Certificate, bytes]:
    try:
        info = asn1cms.ContentInfo.load(cms_der)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed = info["content"]
        content = signed["encap_content_info"]["content"].native
        signer = signed["signer_infos"][0]
        certificates = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"]]
        sid = signer["sid"].chosen
        leaf = next(c for c in certificates if c.serial_number == sid["serial_number"].native)
        attributes = signer["signed_attrs"]
        digest = next(a["values"][0].native for a in attributes if a["type"].native == "message_digest")
        if signer["digest_algorithm"]["algorithm"].native != "sha256" or content is None:
            raise ValueError("unexpected digest or detached content")
        if not hmac.compare_digest(digest, hashlib.sha256(content).digest()):
            raise ValueError("content digest mismatch")
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise ValueError("not an RSA signer")
        # The signature covers the DER of the signed attributes as a SET (RFC 5652 5.4).
        attributes_der = attributes.untag().dump(force=True)
        public_key.verify(signer["signature"].native, attributes_der, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, KeyError, TypeError, StopIteration, InvalidSignature) as exc:
        raise RuleViolation(Code.F7_SIGNATURE_INVALID) from exc
    return leaf, bytes(content)


class SealedKeyStore:
    """The embedded ``FinCertKeyStore``: RSA-2048 keys sealed with AES-256-GCM (see the module
    notes). A key is unsealed for one signature and not kept: a customer's private key is in
    clear in memory only while it signs."""

    def __init__(self, key_encryption_key: bytes) -> None:
        if len(key_encryption_key) != 32:
            raise ValueError("the key-encryption key must be 32 bytes")
        self._aead = AESGCM(key_encryption_key)

    def _aad(self, key_ref: str) -> bytes:
        return f"netbank fincert key v1:{key_ref}".encode()

    def _open(
        self, key_ref: str, sealed: bytes, certificate_der: bytes
    ) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        plain = self._aead.decrypt(sealed[:12], sealed[12:], self._aad(key_ref))
        # The sealed key was generated here and AES-GCM authenticates it (bound to its key
        # reference): the RSA consistency check cryptography would run on loading it (about
        # 30 ms, a hundred times the signature) cannot find anything the seal did not.
        key = serialization.load_der_private_key(plain, password=None, unsafe_skip_rsa_key_validation=True)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("not an RSA key")
        return key, x509.load_der_x509_certificate(certificate_der)

    def generate(self, key_ref: str) -> GeneratedKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        plain = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, plain, self._aad(key_ref))
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return GeneratedKey(public_key_der=public, sealed=sealed)

    def sign_cms(
        self,
        key_ref: str,
        sealed: bytes | None,
        certificate_der: bytes,
        *,
        message: bytes,
        purpose: SignaturePurpose,
    ) -> bytes:
        if sealed is None:
            raise ValueError(f"key {key_ref} is not in the embedded key store")
        key, certificate = self._open(key_ref, sealed, certificate_der)
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(signed_content(message, purpose))
            .add_signer(certificate, key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
        )

    def discard(self, key_ref: str) -> None:
        """F8: a sealed key exists only in its certificate row, which the purge clears
        (``key_sealed``); the store keeps nothing of it."""


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
