"""The institution's PKI with token-held keys: CSRs, CAs, certificates, CRLs, OCSP, path
verification and CMS (SPEC K1, F1, F4, F7).

K1: the customer's key pair is generated on a UKEY, the institution's CA issues an X.509
certificate for it, and the server verifies signed transfers (chain, validity, key usage,
revocation). CA and OCSP responder keys live in a PKCS#11 token too, so nothing here ever holds a
private key: every structure a key must sign (``CertificationRequestInfo``, ``TBSCertificate``,
``TBSCertList``, OCSP ``ResponseData``, CMS signed attributes) is built with asn1crypto and signed
through a :class:`Signer` (a :class:`netbank.adapters.hsm.TokenKey` in practice); parsing and
verification use ``cryptography``, whose verifier builds and checks certificate paths.

Conventions, in the spirit of pyca/cryptography: the time is always passed in (aware
``datetime``), bad arguments raise :class:`ValueError`, and every refusal of a certificate or a
signature is its own :class:`PKIError` subclass with a stable ``code``, never a boolean.

One module per concept:

* ``errors``: the refusals and their K1 codes; ``refusals``: the domain codes the adapters
  answer with for them and for token failures;
* ``keys``: the :class:`Signer` protocol, signature algorithms, key identifiers;
  ``validity``: times and validity periods;
* ``csr``: requests for token keys; ``certificates``: the profiles and the certificates of the
  CAs and of what they issue;
* ``revocation``: revocation statuses and netbank's revocation check; ``crl``: CRLs;
  ``ocsp``: the OCSP responder;
* ``verify``: certificate paths (``cryptography.x509.verification``) and signatures;
* ``cms``: CMS SignedData for token keys, and its verification;
* ``authority``: what netbank's two CAs (``adapters/ca.py``, ``adapters/fincert.py``) share: the
  token holding their keys, their hierarchy, CRLs and OCSP answers.
"""

from netbank.adapters.pki.authority import (
    CASpec,
    CAToken,
    CertificateCache,
    certificate_fields,
)
from netbank.adapters.pki.certificates import (
    CAEndpoints,
    CertificateProfile,
    IssuerKey,
    OCSPSigner,
    create_issuing_ca,
    create_ocsp_signer,
    create_root_ca,
    issue_certificate,
    serial_hex,
)
from netbank.adapters.pki.cms import build_signed_data, read_signed_data
from netbank.adapters.pki.crl import CRL_CONTENT_TYPE, build_crl, revocation_from_crl
from netbank.adapters.pki.csr import build_csr
from netbank.adapters.pki.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRejected,
    CertificateRequestInvalid,
    CertificateRevoked,
    KeyUsageNotAllowed,
    PKIError,
    RevocationStatusUnknown,
    SignatureInvalid,
    WrongIssuer,
)
from netbank.adapters.pki.keys import Signer
from netbank.adapters.pki.ocsp import (
    OCSP_REQUEST_CONTENT_TYPE,
    OCSP_RESPONSE_CONTENT_TYPE,
    OCSPResponseStatus,
    decode_ocsp_get_request,
    ocsp_error_response,
    respond,
)
from netbank.adapters.pki.revocation import (
    GOOD,
    UNKNOWN,
    CertificateStatusLookup,
    RevocationStatus,
    RevokedCertificate,
    SerialStatusLookup,
    StatusGood,
    StatusRecord,
    StatusRevoked,
    StatusUnknown,
    revocation_status,
)
from netbank.adapters.pki.verify import RSAPadding, verify_chain, verify_signature

__all__ = [
    "CRL_CONTENT_TYPE",
    "GOOD",
    "OCSP_REQUEST_CONTENT_TYPE",
    "OCSP_RESPONSE_CONTENT_TYPE",
    "UNKNOWN",
    "CAEndpoints",
    "CASpec",
    "CAToken",
    "CertificateCache",
    "CertificateExpired",
    "CertificateNotYetValid",
    "CertificateProfile",
    "CertificateRejected",
    "CertificateRequestInvalid",
    "CertificateRevoked",
    "CertificateStatusLookup",
    "IssuerKey",
    "KeyUsageNotAllowed",
    "OCSPResponseStatus",
    "OCSPSigner",
    "PKIError",
    "RSAPadding",
    "RevocationStatus",
    "RevocationStatusUnknown",
    "RevokedCertificate",
    "SerialStatusLookup",
    "SignatureInvalid",
    "Signer",
    "StatusGood",
    "StatusRecord",
    "StatusRevoked",
    "StatusUnknown",
    "WrongIssuer",
    "build_crl",
    "build_csr",
    "build_signed_data",
    "certificate_fields",
    "create_issuing_ca",
    "create_ocsp_signer",
    "create_root_ca",
    "decode_ocsp_get_request",
    "issue_certificate",
    "ocsp_error_response",
    "read_signed_data",
    "respond",
    "revocation_from_crl",
    "revocation_status",
    "serial_hex",
    "verify_chain",
    "verify_signature",
]
