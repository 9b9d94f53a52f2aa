"""The institution CAs on the HSM token and the customers' UKEYs, behind the services'
``CertificateAuthority`` port (SPEC K1).

* One PKCS#11 token (``NETBANK_HSM_TOKEN_LABEL`` in ``NETBANK_PKCS11_MODULE``, PIN
  ``NETBANK_HSM_PIN``) holds every institution's root CA, issuing CA and delegated OCSP signer
  keys. It is opened once per process, on first use, and shared by every :class:`TokenCA` of
  the process (PKCS#11 login state is per process: see ``adapters/hsm.py``).
* Key labels on the HSM carry a random suffix (``edb-issuing-3f9a1c``) so that a PKI can be
  initialised again without touching the old keys; the URLs written into certificates use the
  institution code only: ``{base}/pki/{code}/crl`` and ``/ocsp`` for the issuing CA,
  ``{base}/pki/{code}-root/crl`` for the root.
* A UKEY is opened with the PIN the customer types, used, and closed again within one counter
  transaction. SoftHSM reads its slot list once; a UKEY plugged in later is found by closing
  the HSM session, re-reading the slots and opening it again.
* Verification of what customers sign is pure ``cryptography`` (no token): the chain of a
  customer certificate up to the institution root is checked once and remembered by the
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
from netbank.domain.certificate import (
    UKEY_KEY_LABEL_PREFIX,
    CARecord,
    CARole,
    RevocationReason,
    RevocationState,
)
from netbank.domain.errors import Code, Conflict, Locked, NotFound, RuleViolation, refusal
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

_REJECTIONS: Final[dict[type[pki.CertificateRejected], Code]] = {
    pki.CertificateExpired: Code.K1_CERTIFICATE_EXPIRED,
    pki.CertificateNotYetValid: Code.K1_CERTIFICATE_NOT_YET_VALID,
    pki.CertificateRevoked: Code.K1_CERTIFICATE_REVOKED,
    pki.WrongIssuer: Code.K1_WRONG_ISSUER,
    pki.KeyUsageNotAllowed: Code.K1_KEY_USAGE_NOT_ALLOWED,
    pki.SignatureInvalid: Code.K1_SIGNATURE_INVALID,
}


def rejection_code(exc: pki.CertificateRejected) -> Code:
    """The K1 refusal code of a ``pki`` rejection."""
    for cls in type(exc).__mro__:
        if cls in _REJECTIONS:
            return _REJECTIONS[cls]
    return Code.K1_WRONG_ISSUER


@contextmanager
def token_errors() -> Iterator[None]:
    """PKCS#11 failures as K1 refusals (a wrong UKEY PIN is the customer's mistake)."""
    try:
        yield
    except hsm.TokenPinIncorrect as exc:
        raise RuleViolation(Code.K1_TOKEN_PIN_WRONG) from exc
    except hsm.TokenPinLocked as exc:
        raise Locked(Code.K1_TOKEN_PIN_LOCKED) from exc
    except hsm.TokenNotFound as exc:
        raise NotFound(Code.K1_TOKEN_NOT_FOUND) from exc
    except hsm.TokenObjectExists as exc:
        raise Conflict(Code.K1_TOKEN_IN_USE) from exc
    except hsm.TokenError as exc:
        raise RuleViolation(Code.K1_TOKEN_ERROR, reason=exc.code) from exc


def serial_hex(certificate: x509.Certificate) -> str:
    return f"{certificate.serial_number:x}"


def endpoints_for(base_url: str, institution_code: str) -> pki.CAEndpoints:
    """Where the issuing CA of ``institution_code`` publishes (the API serves these paths)."""
    return pki.CAEndpoints.from_base_url(base_url, institution_code)


# --- the shared HSM session --------------------------------------------------------------------


@dataclass
class _HSM:
    token: hsm.Token
    keys: dict[str, hsm.TokenKey]


_hsm_lock = threading.RLock()
_hsm_sessions: dict[tuple[str, str], _HSM] = {}


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
        self._parsed: dict[bytes, x509.Certificate] = {}
        self._verified: dict[tuple[bytes, int, int], _Verified] = {}
        #: Public keys of certificates whose chain (and key usage) verified, by SHA-256 of the DER.
        self._keys: dict[bytes, rsa.RSAPublicKey | ec.EllipticCurvePublicKey] = {}
        self._cache_lock = threading.Lock()

    # -- the HSM token ------------------------------------------------------------------------

    @property
    def _key(self) -> tuple[str, str]:
        return (self._module_path, self._token_label)

    def _session(self) -> _HSM:
        with _hsm_lock:
            session = _hsm_sessions.get(self._key)
            if session is None or session.token.closed:
                with token_errors():
                    token = hsm.Token.open(self._token_label, self._pin, module_path=self._module_path)
                session = _HSM(token=token, keys={})
                _hsm_sessions[self._key] = session
            return session

    def _ca_key(self, label: str) -> hsm.TokenKey:
        with _hsm_lock:
            session = self._session()
            key = session.keys.get(label)
            if key is None:
                with token_errors():
                    key = session.token.get_key(label)
                session.keys[label] = key
            return key

    def _authority(self, record: CARecord, institution_code: str) -> pki.CertificateAuthority:
        return pki.CertificateAuthority(
            certificate=self._certificate(record.der),
            key=self._ca_key(record.key_label),
            endpoints=endpoints_for(self._base_url, institution_code),
        )

    @contextmanager
    def _ukey(self, ukey: UKEYAccess) -> Iterator[hsm.Token]:
        """Open the customer's UKEY with their PIN; re-read the slot list once when it was
        plugged in after the module was loaded (the HSM session is closed meanwhile)."""
        with _hsm_lock, token_errors():
            try:
                token = hsm.Token.open(ukey.label, ukey.pin, module_path=self._module_path)
            except hsm.TokenNotFound:
                session = _hsm_sessions.pop(self._key, None)
                if session is not None:
                    session.token.close()
                try:
                    hsm.refresh_slots(self._module_path)
                except hsm.TokenAlreadyOpen as exc:  # another part of the process holds a token
                    raise hsm.TokenNotFound(f"token {ukey.label!r} not found") from exc
                token = hsm.Token.open(ukey.label, ukey.pin, module_path=self._module_path)
            try:
                yield token
            finally:
                token.close()

    # -- parsing ------------------------------------------------------------------------------

    def _certificate(self, der: bytes) -> x509.Certificate:
        cached = self._parsed.get(der)
        if cached is None:
            try:
                cached = x509.load_der_x509_certificate(der)
            except ValueError as exc:
                raise RuleViolation(Code.K1_CERTIFICATE_MALFORMED) from exc
            with self._cache_lock:
                if len(self._parsed) > _VERIFIED_CACHE_SIZE:
                    self._parsed.clear()
                self._parsed[der] = cached
        return cached

    # -- the port -----------------------------------------------------------------------------

    def create_hierarchy(
        self, institution_code: str, institution_name: str, now: datetime
    ) -> list[NewCACertificate]:
        suffix = secrets.token_hex(3)
        labels = {role: f"{institution_code}-{role.value}-{suffix}" for role in CARole}
        start = now - timedelta(minutes=5)
        with _hsm_lock, token_errors():
            token = self._session().token
            root = pki.create_root_ca(
                token,
                labels[CARole.ROOT],
                _name(f"{institution_name} Root CA", institution_name),
                start,
                ROOT_VALIDITY,
                base_url=self._base_url,
            )
            # The issuing CA's certificate points at the root's CRL under the institution code.
            root = pki.CertificateAuthority(
                certificate=root.certificate,
                key=root.key,
                endpoints=endpoints_for(self._base_url, f"{institution_code}-root"),
            )
            issuing = pki.create_issuing_ca(
                root,
                token,
                labels[CARole.ISSUING],
                _name(f"{institution_name} Issuing CA", institution_name),
                start,
                ISSUING_VALIDITY,
                base_url=self._base_url,
            )
            issuing = pki.CertificateAuthority(
                certificate=issuing.certificate,
                key=issuing.key,
                endpoints=endpoints_for(self._base_url, institution_code),
            )
            ocsp = pki.create_ocsp_signer(
                issuing,
                token,
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
            NewCACertificate(
                role=role,
                serial=serial_hex(certificate),
                subject=certificate.subject.rfc4514_string(),
                key_label=labels[role],
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
                der=certificate.public_bytes(serialization.Encoding.DER),
            )
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
            serial=serial_hex(certificate),
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
        authority = pki.CertificateAuthority(
            certificate=self._certificate(issuer.der),
            key=self._ca_key(issuer.key_label),
            endpoints=pki.CAEndpoints(crl_url=self._base_url, ocsp_url=self._base_url),
        )
        entries = [(int(serial, 16), at, x509.ReasonFlags[reason.value]) for serial, at, reason in revoked]
        with _hsm_lock, token_errors():
            return pki.build_crl(authority, entries, this_update, next_update, number)

    def respond_ocsp(
        self,
        request_der: bytes,
        issuer: CARecord,
        responder: CARecord,
        lookup: Callable[[str], RevocationState],
        now: datetime,
    ) -> bytes:
        def status(serial_number: int) -> pki.RevocationStatus:
            state = lookup(f"{serial_number:x}")
            if not state.known:
                return pki.UNKNOWN
            if state.revoked_at is None or state.revoked_at > now:
                return pki.GOOD
            reason = x509.ReasonFlags[(state.reason or RevocationReason.UNSPECIFIED).value]
            return pki.StatusRevoked(revoked_at=state.revoked_at, reason=reason)

        key = self._ca_key(responder.key_label)
        with _hsm_lock, token_errors():
            return pki.respond(
                request_der,
                status,
                self._certificate(responder.der),
                key,
                now,
                issuer=self._certificate(issuer.der),
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
            serial=serial_hex(leaf),
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
        for session in _hsm_sessions.values():
            session.token.close()
        _hsm_sessions.clear()
