"""Certificate revocation lists (RFC 5280 5; SPEC K1, F4): a CA's CRL, signed on the token that
holds its key, and the status lookup a CRL gives to ``verify.verify_chain``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from asn1crypto import crl as asn1crl  # type: ignore[import-untyped]
from cryptography import x509

from netbank.adapters.pki.certificates import IssuerKey
from netbank.adapters.pki.errors import RevocationStatusUnknown, WrongIssuer
from netbank.adapters.pki.keys import (
    asn1_certificate,
    certificate_public_key,
    sign_structure,
    signature_algorithm,
    subject_key_identifier,
)
from netbank.adapters.pki.revocation import (
    GOOD,
    UNKNOWN,
    CertificateStatusLookup,
    RevocationStatus,
    StatusRevoked,
)
from netbank.adapters.pki.validity import check_validity, utc, x509_time

CRL_CONTENT_TYPE: Final = "application/pkix-crl"


def build_crl(
    ca: IssuerKey,
    revoked: Iterable[tuple[int, datetime, x509.ReasonFlags]],
    this_update: datetime,
    next_update: datetime,
    crl_number: int,
) -> bytes:
    """A DER X.509 v2 CRL of ``ca``, signed on its token (K1), with the CRL number and
    authority key identifier extensions. ``crl_number`` must grow with every CRL the CA
    publishes (RFC 5280 5.2.3). The reason ``unspecified`` is written as no reason code
    (RFC 5280 5.3.1)."""
    start, end = check_validity(this_update, next_update)
    if not 0 <= crl_number < 2**159:
        raise ValueError("crl_number must be a non-negative integer of at most 20 octets")
    entries = []
    for serial_number, revoked_at, reason in sorted(revoked, key=lambda entry: entry[0]):
        if serial_number <= 0:
            raise ValueError("serial numbers are positive")
        entry: dict[str, Any] = {
            "user_certificate": serial_number,
            "revocation_date": x509_time(utc(revoked_at, "revocation time")),
        }
        if reason is not x509.ReasonFlags.unspecified:
            entry["crl_entry_extensions"] = [
                {"extn_id": "crl_reason", "critical": False, "extn_value": reason.name}
            ]
        entries.append(entry)
    signer_public_key = ca.key.public_key()
    tbs_fields: dict[str, Any] = {
        "version": "v2",
        "signature": signature_algorithm(signer_public_key),
        "issuer": asn1_certificate(ca.certificate).subject,
        "this_update": x509_time(start),
        "next_update": x509_time(end),
        "crl_extensions": [
            {"extn_id": "crl_number", "critical": False, "extn_value": crl_number},
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": subject_key_identifier(ca.certificate)},
            },
        ],
    }
    if entries:  # RFC 5280 5.1.2.6: absent, not empty, when nothing is revoked
        tbs_fields["revoked_certificates"] = entries
    tbs = asn1crl.TbsCertList(tbs_fields)
    certificate_list = asn1crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": signature_algorithm(signer_public_key),
            "signature": sign_structure(ca.key, tbs),
        }
    )
    return bytes(certificate_list.dump())


def revocation_from_crl(crl_der: bytes, issuer: x509.Certificate, at: datetime) -> CertificateStatusLookup:
    """A status lookup for :func:`verify_chain` from a DER CRL of ``issuer``.

    Raises :class:`WrongIssuer` when the CRL is not signed by ``issuer`` and
    :class:`RevocationStatusUnknown` when it is not current at ``at``. The lookup answers
    :class:`StatusUnknown` for certificates of other issuers.
    """
    moment = utc(at, "at")
    try:
        crl = x509.load_der_x509_crl(crl_der)
    except ValueError as exc:
        raise RevocationStatusUnknown("the CRL cannot be parsed") from exc
    if crl.issuer != issuer.subject or not crl.is_signature_valid(certificate_public_key(issuer)):
        raise WrongIssuer("the CRL is not signed by the issuer", issuer)
    if crl.last_update_utc > moment or (crl.next_update_utc is not None and crl.next_update_utc < moment):
        raise RevocationStatusUnknown("the CRL is not current", issuer)

    def lookup(certificate: x509.Certificate) -> RevocationStatus:
        if certificate.issuer != crl.issuer:
            return UNKNOWN
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if entry is None:
            return GOOD
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = x509.ReasonFlags.unspecified
        return StatusRevoked(revoked_at=entry.revocation_date_utc, reason=reason)

    return lookup
