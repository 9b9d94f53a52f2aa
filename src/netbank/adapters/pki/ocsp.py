"""OCSP (RFC 6960; SPEC K1, F4): a CA's responder, answering requests for its certificates from
netbank's revocation status, signed on the token by a delegated responder or the CA itself; the
GET form's decoding and the unsigned error answers.

A request is untrusted DER: it is parsed and touched completely before anything is looked up, and
any defect gets a ``malformedRequest`` response, never an exception. Each CertID is answered with
its own hash algorithm; the nonce (RFC 8954, at most 128 octets) is echoed byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Final

from asn1crypto import core as asn1core  # type: ignore[import-untyped]
from asn1crypto import ocsp as asn1ocsp
from cryptography import x509

from netbank.adapters.pki.keys import (
    Signer,
    asn1_certificate,
    public_key_info,
    sign_structure,
    signature_algorithm,
)
from netbank.adapters.pki.revocation import (
    UNKNOWN,
    RevocationStatus,
    SerialStatusLookup,
    StatusGood,
    StatusRevoked,
)
from netbank.adapters.pki.validity import utc

OCSP_REQUEST_CONTENT_TYPE: Final = "application/ocsp-request"
#: OpenSSL 3 refuses an OCSP answer with any other Content-Type.
OCSP_RESPONSE_CONTENT_TYPE: Final = "application/ocsp-response"
#: RFC 8954: a nonce longer than 128 octets must be refused as malformed.
_MAX_NONCE_OCTETS: Final = 128


class OCSPResponseStatus(StrEnum):
    """RFC 6960 4.2.1 ``OCSPResponseStatus`` values (asn1crypto names)."""

    SUCCESSFUL = "successful"
    MALFORMED_REQUEST = "malformed_request"
    INTERNAL_ERROR = "internal_error"
    TRY_LATER = "try_later"
    SIGN_REQUIRED = "sign_required"
    UNAUTHORIZED = "unauthorized"


def ocsp_error_response(status: OCSPResponseStatus) -> bytes:
    """An unsigned OCSP response carrying only an error status (RFC 6960 2.3)."""
    if status is OCSPResponseStatus.SUCCESSFUL:
        raise ValueError("a successful response must be built by respond()")
    return bytes(asn1ocsp.OCSPResponse({"response_status": status.value}).dump())


def decode_ocsp_get_request(path_segment: str) -> bytes:
    """The DER request of an RFC 6960 Appendix A.1 GET (``/{url-encoded base64 DER}``).

    Raises :class:`ValueError` when the segment is not base64; answer that with
    ``ocsp_error_response(OCSPResponseStatus.MALFORMED_REQUEST)``.
    """
    text = urllib.parse.unquote(path_segment.lstrip("/"))  # base64 itself may end in "/"
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the OCSP GET request is not base64") from exc


_CERT_ID_HASHES: Final[dict[str, Callable[[bytes], Any]]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True, slots=True)
class _ParsedRequest:
    cert_ids: list[Any]
    nonce_extension: Any | None


class _MalformedRequest(Exception):
    pass


class _RawExtension(asn1core.Sequence):  # type: ignore[misc]
    """An extension whose value is left unparsed (asn1crypto parses known ones eagerly)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("extn_id", asn1core.ObjectIdentifier),
        ("critical", asn1core.Boolean, {"default": False}),
        ("extn_value", asn1core.OctetString),
    ]


def _nonce_length(extension_der: bytes) -> int:
    """RFC 8954: the nonce is an OCTET STRING inside extnValue; some clients omit that wrapping."""
    raw = bytes(_RawExtension.load(extension_der, strict=True)["extn_value"].native)
    try:
        return len(asn1core.OctetString.load(raw, strict=True).native)
    except ValueError:
        return len(raw)


def _parse_ocsp_request(request_der: bytes) -> _ParsedRequest:
    """Parse and fully touch an OCSP request, so that any defect surfaces here."""
    try:
        request = asn1ocsp.OCSPRequest.load(request_der, strict=True)
        tbs = request["tbs_request"]
        if tbs["version"].native != "v1":
            raise _MalformedRequest("unsupported version")
        cert_ids = []
        for single in tbs["request_list"]:
            cert_id = asn1ocsp.CertId.load(single["req_cert"].dump())
            # Touch every field: asn1crypto parses lazily.
            _ = (
                cert_id["hash_algorithm"]["algorithm"].native,
                bytes(cert_id["issuer_name_hash"].native),
                bytes(cert_id["issuer_key_hash"].native),
                int(cert_id["serial_number"].native),
            )
            cert_ids.append(cert_id)
        if not cert_ids:
            raise _MalformedRequest("empty request list")
        nonce = None
        extensions = tbs["request_extensions"]
        if not isinstance(extensions, asn1core.Void):
            for extension in extensions:
                if extension["extn_id"].native == "nonce":
                    extension_der = extension.dump()
                    if _nonce_length(extension_der) > _MAX_NONCE_OCTETS:
                        raise _MalformedRequest("nonce too long")
                    # Echoed byte for byte, whether the client wrapped it in an OCTET STRING or not.
                    nonce = asn1ocsp.ResponseDataExtension.load(extension_der)
        return _ParsedRequest(cert_ids=cert_ids, nonce_extension=nonce)
    except _MalformedRequest:
        raise
    except Exception as exc:  # any defect of untrusted DER is a malformed request
        raise _MalformedRequest(type(exc).__name__) from exc


def _cert_id_matches(cert_id: Any, issuer: Any) -> bool:
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    digest = _CERT_ID_HASHES.get(algorithm)
    if digest is None:
        return False
    name_hash = digest(issuer.subject.dump()).digest()
    key_hash = digest(bytes(issuer.public_key["public_key"])).digest()
    return bool(
        cert_id["issuer_name_hash"].native == name_hash and cert_id["issuer_key_hash"].native == key_hash
    )


def _single_response(
    cert_id: Any, status: RevocationStatus, this_update: datetime, next_update: datetime
) -> Any:
    if isinstance(status, StatusGood):
        cert_status = asn1ocsp.CertStatus(name="good", value=asn1core.Null())
    elif isinstance(status, StatusRevoked):
        revoked_info: dict[str, Any] = {"revocation_time": utc(status.revoked_at, "revoked_at")}
        if status.reason is not x509.ReasonFlags.unspecified:
            revoked_info["revocation_reason"] = status.reason.name
        cert_status = asn1ocsp.CertStatus(name="revoked", value=revoked_info)
    else:
        cert_status = asn1ocsp.CertStatus(name="unknown", value=asn1core.Null())
    return {
        "cert_id": cert_id,
        "cert_status": cert_status,
        "this_update": this_update,
        "next_update": next_update,
    }


def respond(
    request_der: bytes,
    lookup_status: SerialStatusLookup,
    responder_cert: x509.Certificate,
    responder_key: Signer,
    now: datetime,
    *,
    issuer: x509.Certificate,
    validity: timedelta = timedelta(hours=1),
) -> bytes:
    """Answer an OCSP request for certificates of ``issuer`` (RFC 6960; K1 revocation status).

    Returns DER ``application/ocsp-response`` bytes, never raises for a bad request: a request
    that cannot be parsed gets a ``malformedRequest`` response. Each CertID is echoed with its
    own hash algorithm; one whose issuer hashes are not ``issuer``'s (or use an unsupported hash)
    is answered ``unknown``, as is a serial ``lookup_status`` does not know. The nonce is echoed.
    The response is signed on the token by ``responder_key`` and carries ``responder_cert``
    (a delegated responder issued by ``issuer``, or ``issuer`` itself); ``thisUpdate`` is
    ``now`` and ``nextUpdate`` ``now + validity``.
    """
    produced_at = utc(now, "now")
    if validity <= timedelta(0):
        raise ValueError("validity must be positive")
    responder_public_key = responder_key.public_key()
    if responder_cert.public_key() != responder_public_key:
        raise ValueError("responder_key does not belong to responder_cert")
    try:
        request = _parse_ocsp_request(request_der)
    except _MalformedRequest:
        return ocsp_error_response(OCSPResponseStatus.MALFORMED_REQUEST)

    asn1_issuer = asn1_certificate(issuer)
    next_update = produced_at + validity
    responses = []
    for cert_id in request.cert_ids:
        status: RevocationStatus = UNKNOWN
        if _cert_id_matches(cert_id, asn1_issuer):
            status = lookup_status(int(cert_id["serial_number"].native))
        responses.append(_single_response(cert_id, status, produced_at, next_update))

    response_data: dict[str, Any] = {
        "version": "v1",
        "responder_id": asn1ocsp.ResponderId(name="by_key", value=public_key_info(responder_public_key).sha1),
        "produced_at": produced_at,
        "responses": responses,
    }
    if request.nonce_extension is not None:
        response_data["response_extensions"] = [request.nonce_extension]
    tbs = asn1ocsp.ResponseData(response_data)
    certs = [asn1_certificate(responder_cert)]
    basic = asn1ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": tbs,
            "signature_algorithm": signature_algorithm(responder_public_key),
            "signature": sign_structure(responder_key, tbs),
            "certs": certs,
        }
    )
    response = asn1ocsp.OCSPResponse(
        {
            "response_status": OCSPResponseStatus.SUCCESSFUL.value,
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    )
    return bytes(response.dump())
