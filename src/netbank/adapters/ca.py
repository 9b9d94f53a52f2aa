"""The institution CAs on the HSM token and the customers' UKEYs, behind the services'
``CertificateAuthority`` port (SPEC K1).

* One PKCS#11 token (``NETBANK_HSM_TOKEN_LABEL`` in ``NETBANK_PKCS11_MODULE``, PIN
  ``NETBANK_HSM_PIN``) holds every institution's root CA, issuing CA and delegated OCSP signer
  keys. It is opened once per process, on first use, and shared by every :class:`TokenCA` of
  the process (PKCS#11 login state is per process: see ``adapters/hsm``). What it does with the
  CA keys (the hierarchy, CRLs, OCSP answers) is :class:`netbank.adapters.pki.CAToken`, which
  the financial certificate service's CA (``adapters/fincert.py``) uses too.
* Key labels on the HSM carry a random suffix (``edb-issuing-3f9a1c``) so that a PKI can be
  initialised again without touching the old keys; the URLs written into certificates use the
  institution code only: ``{base}/pki/{code}/crl`` and ``/ocsp`` for the issuing CA,
  ``{base}/pki/{code}-root/crl`` for the root.
* A UKEY is opened with the PIN the customer types, used, and closed again within one counter
  transaction. SoftHSM reads its slot list once; a UKEY plugged in later is found by closing
  the HSM session, re-reading the slots and opening it again.
* Verification of what customers sign is pure ``cryptography`` (no token): the chain of a
  customer certificate up to the institution root is checked once (``pki.verify_chain``:
  cryptography's path validation) and remembered by the
  certificate's SHA-256; later signatures under it re-check only the validity period (and the
  service checks revocation from the database), then the signature itself.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from netbank.adapters import hsm, pki
from netbank.adapters.pki.refusals import rejection_code, token_errors
from netbank.domain.certificate import (
    UKEY_KEY_LABEL_PREFIX,
    CARecord,
    CARole,
    RevocationReason,
    RevocationState,
)
from netbank.domain.errors import Code, RuleViolation, refusal
from netbank.services.ports import (
    IssuedUKEYCertificate,
    NewCACertificate,
    UKEYAccess,
    VerifiedCertificate,
)

ROOT_VALIDITY: Final = timedelta(days=20 * 365)
ISSUING_VALIDITY: Final = timedelta(days=10 * 365)
OCSP_SIGNER_VALIDITY: Final = timedelta(days=5 * 365)
_VERIFIED_CACHE_SIZE: Final = 50_000


def endpoints_for(base_url: str, institution_code: str) -> pki.CAEndpoints:
    """Where the issuing CA of ``institution_code`` publishes (the API serves these paths)."""
    return pki.CAEndpoints.from_base_url(base_url, institution_code)


# --- the shared HSM token ----------------------------------------------------------------------

#: Serialises every HSM and UKEY operation of the process (a UKEY that is not found closes the
#: HSM token to re-read the slots, see ``TokenCA._ukey``).
_hsm_lock = threading.RLock()
#: The HSM token of each (module, token label), shared by every TokenCA of the process.
_ca_tokens: dict[tuple[str, str], pki.CAToken] = {}


def _name(common_name: str, organisation: str, serial: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if serial:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attributes)


@dataclass
class _Verified:
    certificate: x509.Certificate
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    serial: str
    #: The path's common validity window (the latest not-before, the earliest not-after).
    not_before: datetime
    not_after: datetime
    leaf_not_before: datetime
    leaf_not_after: datetime


class TokenCA:
    """The ``CertificateAuthority`` port on a PKCS#11 HSM token (see the module notes)."""

    def __init__(
        self,
        *,
        module_path: str,
        token_label: str,
        pin: str,
        base_url: str,
    ) -> None:
        self._module_path = module_path
        self._token_label = token_label
        self._pin = pin
        self._base_url = base_url.rstrip("/")
        self._certificates = pki.CertificateCache(_VERIFIED_CACHE_SIZE)
        self._verified: dict[tuple[bytes, int, int], _Verified] = {}
        #: Public keys of certificates whose chain (and key usage) verified, by SHA-256 of the DER.
        self._keys: dict[bytes, rsa.RSAPublicKey | ec.EllipticCurvePublicKey] = {}
        self._cache_lock = threading.Lock()

    # -- the HSM token ------------------------------------------------------------------------

    @property
    def _key(self) -> tuple[str, str]:
        return (self._module_path, self._token_label)

    def _hsm(self) -> pki.CAToken:
        """The process's HSM token of this module and label (opened on first use)."""
        with _hsm_lock:
            ca_token = _ca_tokens.get(self._key)
            if ca_token is None:
                ca_token = pki.CAToken(
                    self._token_label, self._pin, module_path=self._module_path, lock=_hsm_lock
                )
                _ca_tokens[self._key] = ca_token
            return ca_token

    def _authority(self, record: CARecord, institution_code: str) -> pki.IssuerKey:
        return pki.IssuerKey(
            certificate=self._certificate(record.der),
            key=self._hsm().key(record.key_label),
            endpoints=endpoints_for(self._base_url, institution_code),
        )

    @contextmanager
    def _ukey(self, ukey: UKEYAccess) -> Iterator[hsm.Token]:
        """Open the customer's UKEY with their PIN; re-read the slot list once when it was
        plugged in after the module was loaded (the HSM token is closed meanwhile)."""
        with _hsm_lock, token_errors():
            try:
                token = hsm.Token.open(ukey.label, ukey.pin, module_path=self._module_path)
            except hsm.TokenNotFound:
                ca_token = _ca_tokens.pop(self._key, None)
                if ca_token is not None:
                    ca_token.close()
                try:
                    hsm.refresh_slots(self._module_path)
                except hsm.TokenAlreadyOpen as exc:  # another part of the process holds a token
                    raise hsm.TokenNotFound(f"token {ukey.label!r} not found") from exc
                token = hsm.Token.open(ukey.label, ukey.pin, module_path=self._module_path)
            try:
                yield token
            finally:
                token.close()

    def _certificate(self, der: bytes) -> x509.Certificate:
        try:
            return self._certificates.get(der)
        except ValueError as exc:
            raise RuleViolation(Code.K1_CERTIFICATE_MALFORMED) from exc

    # -- the port -----------------------------------------------------------------------------

    def create_hierarchy(
        self, institution_code: str, institution_name: str, now: datetime
    ) -> list[NewCACertificate]:
        """K1: root, issuing CA and delegated OCSP signer, keys on the HSM under labels with a
        random suffix; the certificates name the institution code's URLs (see the module notes)."""
        suffix = secrets.token_hex(3)
        labels = {role: f"{institution_code}-{role.value}-{suffix}" for role in CARole}
        start = now - timedelta(minutes=5)
        root_spec = pki.CASpec(
            labels[CARole.ROOT],
            _name(f"{institution_name} Root CA", institution_name),
            ROOT_VALIDITY,
            # The issuing CA's certificate points at the root's CRL under the institution code.
            endpoints=endpoints_for(self._base_url, f"{institution_code}-root"),
        )
        issuing_spec = pki.CASpec(
            labels[CARole.ISSUING],
            _name(f"{institution_name} Issuing CA", institution_name),
            ISSUING_VALIDITY,
            endpoints=endpoints_for(self._base_url, institution_code),
        )
        ca_token = self._hsm()
        with ca_token.lock, token_errors():
            root, issuing = ca_token.create_hierarchy(root_spec, issuing_spec, start, base_url=self._base_url)
            ocsp = pki.create_ocsp_signer(
                issuing,
                ca_token.token(),
                labels[CARole.OCSP],
                _name(f"{institution_name} OCSP Responder", institution_name),
                not_before=start,
                not_after=start + OCSP_SIGNER_VALIDITY,
            )
        made = {
            CARole.ROOT: root.certificate,
            CARole.ISSUING: issuing.certificate,
            CARole.OCSP: ocsp.certificate,
        }
        return [
            NewCACertificate(role=role, key_label=labels[role], **pki.certificate_fields(certificate))
            for role, certificate in made.items()
        ]

    def issue_ukey_certificate(
        self,
        issuing: CARecord,
        ukey: UKEYAccess,
        *,
        key_label: str,
        generation: int,
        subject_name: str,
        subject_serial: str,
        not_before: datetime,
        not_after: datetime,
    ) -> IssuedUKEYCertificate:
        """K1: key pair generated on the UKEY, CSR signed there, certificate issued by the
        issuing CA on the HSM and written back next to the key. Keys already on the UKEY stay
        until the counter transaction has committed (``keep_only_key``): a transaction that
        fails leaves the customer's valid key where it was."""
        institution_code = subject_serial.split(":", 1)[0]
        authority = self._authority(issuing, institution_code)
        organisation = authority.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        subject = _name(subject_name, str(organisation[0].value) if organisation else "", subject_serial)
        algorithm = hsm.UKEYGeneration(generation).key_algorithm
        with self._ukey(ukey) as token, token_errors():
            info = hsm.read_token_info(ukey.label, module_path=self._module_path)
            key = token.generate_key_pair(key_label, algorithm)
            try:
                csr = pki.build_csr(key, subject)
                certificate = pki.issue_certificate(
                    authority,
                    csr,
                    subject,
                    not_before=not_before,
                    not_after=not_after,
                    profile=pki.CertificateProfile.CUSTOMER,
                )
                key.store_certificate(certificate)
            except BaseException:
                token.delete_key_pair(key_label)  # nothing half-made stays on the UKEY
                raise
        return IssuedUKEYCertificate(
            serial=pki.serial_hex(certificate),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            der=certificate.public_bytes(serialization.Encoding.DER),
            token_serial=info.serial,
            key_label=key_label,
        )

    def keep_only_key(self, ukey: UKEYAccess, key_label: str) -> None:
        """Remove every other netbank key and certificate from the UKEY (a superseded key, or
        one left from an earlier life: a previous holder, a former CA), so it carries exactly
        the one its valid certificate names."""
        with self._ukey(ukey) as token, token_errors():
            _clear_netbank_objects(token, keep=key_label)

    def build_crl(
        self,
        issuer: CARecord,
        revoked: Sequence[tuple[str, datetime, RevocationReason]],
        this_update: datetime,
        next_update: datetime,
        number: int,
    ) -> bytes:
        entries = [
            pki.RevokedCertificate(int(serial, 16), at, x509.ReasonFlags[reason.value])
            for serial, at, reason in revoked
        ]
        return self._hsm().build_crl(
            self._certificate(issuer.der), issuer.key_label, entries, this_update, next_update, number
        )

    def respond_ocsp(
        self,
        request_der: bytes,
        issuer: CARecord,
        responder: CARecord,
        lookup: Callable[[str], RevocationState],
        now: datetime,
    ) -> bytes:
        ca_token = self._hsm()
        signer = pki.OCSPSigner(
            certificate=self._certificate(responder.der), key=ca_token.key(responder.key_label)
        )
        return ca_token.respond_ocsp(
            request_der,
            self._certificate(issuer.der),
            signer,
            lambda serial_number: pki.revocation_status(lookup(f"{serial_number:x}"), now),
            now,
        )

    def _verified_entry(self, leaf_der: bytes, issuing: CARecord, root: CARecord, at: datetime) -> _Verified:
        digest = hashlib.sha256(leaf_der).digest()
        cache_key = (digest, issuing.id, root.id)
        entry = self._verified.get(cache_key)
        if entry is not None:
            return entry
        leaf = self._certificate(leaf_der)
        issuing_cert = self._certificate(issuing.der)
        root_cert = self._certificate(root.der)
        try:
            path = pki.verify_chain(leaf, [issuing_cert], root_cert, at, revocation=frozenset())
        except pki.CertificateRejected as exc:
            raise refusal(rejection_code(exc)) from exc
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise RuleViolation(Code.K1_KEY_USAGE_NOT_ALLOWED)
        entry = _Verified(
            certificate=leaf,
            public_key=public_key,
            serial=pki.serial_hex(leaf),
            not_before=max(c.not_valid_before_utc for c in path),
            not_after=min(c.not_valid_after_utc for c in path),
            leaf_not_before=leaf.not_valid_before_utc,
            leaf_not_after=leaf.not_valid_after_utc,
        )
        with self._cache_lock:
            if len(self._verified) > _VERIFIED_CACHE_SIZE:
                self._verified.clear()
                self._keys.clear()
            self._verified[cache_key] = entry
            self._keys[digest] = public_key
        return entry

    def verify_certificate(
        self, leaf_der: bytes, issuing: CARecord, root: CARecord, at: datetime
    ) -> VerifiedCertificate:
        entry = self._verified_entry(leaf_der, issuing, root, at)
        if at < entry.not_before:
            raise RuleViolation(Code.K1_CERTIFICATE_NOT_YET_VALID)
        if at > entry.not_after:
            raise RuleViolation(Code.K1_CERTIFICATE_EXPIRED)
        return VerifiedCertificate(
            serial=entry.serial, not_before=entry.leaf_not_before, not_after=entry.leaf_not_after
        )

    def verify_signature(self, leaf_der: bytes, data: bytes, signature: bytes) -> None:
        """The SHA-256 signature of ``data`` under a certificate :meth:`verify_certificate`
        accepted (call that first: key usage was checked there)."""
        public_key = self._keys.get(hashlib.sha256(leaf_der).digest())
        if public_key is None:
            raise RuleViolation(Code.K1_CERTIFICATE_UNKNOWN)
        try:
            if isinstance(public_key, rsa.RSAPublicKey):
                public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise RuleViolation(Code.K1_SIGNATURE_INVALID) from exc


def _clear_netbank_objects(token: hsm.Token, *, keep: str) -> None:
    labels = {
        o.label for o in token.list_objects() if o.label.startswith(UKEY_KEY_LABEL_PREFIX) and o.label != keep
    }
    for label in labels:
        for remove in (token.delete_certificate, token.delete_key_pair):
            with suppress(hsm.TokenObjectNotFound):
                remove(label)


def close_hsm_sessions() -> None:
    """Log out of every HSM token this process opened (process shutdown, tests)."""
    with _hsm_lock:
        for ca_token in _ca_tokens.values():
            ca_token.close()
        _ca_tokens.clear()
