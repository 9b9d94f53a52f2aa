"""Certificate signing requests for keys that live on a token (SPEC K1).

``cryptography``'s CSR builder needs a software key, so the ``CertificationRequestInfo`` is built
with asn1crypto and its DER signed on the token: the customer's key never leaves the UKEY.
"""

from __future__ import annotations

from asn1crypto import csr as asn1csr  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1x509
from cryptography import x509

from netbank.adapters.pki.errors import PKIError
from netbank.adapters.pki.keys import Signer, public_key_info, sign_structure, signature_algorithm


def build_csr(token_key: Signer, subject: x509.Name) -> x509.CertificateSigningRequest:
    """A PKCS#10 request for ``token_key``, signed on the token (K1: the key never leaves it).

    ``cryptography``'s CSR builder needs a software key, so the ``CertificationRequestInfo`` is
    built with asn1crypto and its DER signed by the token.
    """
    public_key = token_key.public_key()
    info = asn1csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": asn1x509.Name.load(subject.public_bytes()),
            "subject_pk_info": public_key_info(public_key),
            "attributes": [],
        }
    )
    request = asn1csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": signature_algorithm(public_key),
            "signature": sign_structure(token_key, info),
        }
    )
    csr = x509.load_der_x509_csr(request.dump())
    if not csr.is_signature_valid:
        raise PKIError("the token's signature over the CSR does not verify")
    return csr
