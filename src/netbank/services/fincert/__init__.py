"""Use cases of the cloud financial certificate service (SPEC F1-F8), each write a frozen
command handled by ``handler(deps, actor, command)``; ``fincert.X`` names every one of them.

One service per deployment, shared by every member institution (F1): its CA keys are on the
HSM, customers' keys in the key store, and the database holds the certificates, their
registrations at institutions and the F3 registration flows. A person is identified across
institutions by the keyed digest of their resident registration number, which every institution
already stores next to the sealed number (``identity_documents.number_digest``).

- ``ca.py``: F1, the service CA, its CRLs and OCSP answers, the status of a serial, and a
  relying party's check of a signature (F7).
- ``issuance.py``: F2/F5, issue, re-issue and renew at a bank.
- ``management.py``: F4, the holder's view, release, revoke, suspend, restore, change the PIN.
- ``registration.py``: F3, the four-step registration at another institution.
- ``signing.py``: F7, a signature with the holder's key after the PIN.
- ``devices.py`` and ``purge.py``: F8, device connections and the 12-month purge.
- ``shared.py``: what they share (views, look-ups, the PIN check, revocation, registration).

Refusals change nothing, except wrong PINs and wrong codes: those are counted and committed
before the refusal is raised (F5 lock-out, K2 attempts), under a row lock on the certificate
(``SELECT ... FOR UPDATE``; ``BEGIN IMMEDIATE`` on SQLite), so parallel guesses cannot beat
the counter."""

from __future__ import annotations

from netbank.services.fincert.ca import (
    CRL_NAME,
    CRL_VALIDITY,
    InitServiceCA,
    certificate_status,
    current_crl,
    init_service_ca,
    is_service_crl,
    ocsp_response,
    service_ca_certificates,
    verify_signed_message,
)
from netbank.services.fincert.devices import (
    AutoConnect,
    Connection,
    ConnectStarted,
    DeviceView,
    DisconnectDevice,
    RevokeMyDevice,
    StartConnection,
    VerifyConnection,
    auto_connect,
    disconnect_device,
    my_devices,
    revoke_my_device,
    start_connection,
    verify_connection,
)
from netbank.services.fincert.issuance import (
    IssueCertificate,
    ReissueCertificate,
    RenewCertificate,
    issue_certificate,
    reissue_certificate,
    renew_certificate,
)
from netbank.services.fincert.management import (
    ChangePIN,
    ReleaseRegistration,
    RestoreCertificate,
    RevokeCertificate,
    SuspendCertificate,
    change_pin,
    my_certificate,
    release_registration,
    restore_certificate,
    revoke_certificate,
    suspend_certificate,
)
from netbank.services.fincert.purge import PurgeReport, PurgeUnused, purge_unused
from netbank.services.fincert.registration import (
    CompleteRegistration,
    FlowStepCommand,
    FlowView,
    SendRegistrationCode,
    StartRegistration,
    VerifyRegistrationCode,
    VerifyWithoutMedium,
    complete_registration,
    registration_certificates,
    send_registration_code,
    start_registration,
    verify_registration_code,
    verify_without_medium,
)
from netbank.services.fincert.shared import STRONG, CertificateView, RegistrationView
from netbank.services.fincert.signing import SignedMessage, SignMessage, sign_message

__all__ = [
    "CRL_NAME",
    "CRL_VALIDITY",
    "STRONG",
    "AutoConnect",
    "CertificateView",
    "ChangePIN",
    "CompleteRegistration",
    "ConnectStarted",
    "Connection",
    "DeviceView",
    "DisconnectDevice",
    "FlowStepCommand",
    "FlowView",
    "InitServiceCA",
    "IssueCertificate",
    "PurgeReport",
    "PurgeUnused",
    "RegistrationView",
    "ReissueCertificate",
    "ReleaseRegistration",
    "RenewCertificate",
    "RestoreCertificate",
    "RevokeCertificate",
    "RevokeMyDevice",
    "SendRegistrationCode",
    "SignMessage",
    "SignedMessage",
    "StartConnection",
    "StartRegistration",
    "SuspendCertificate",
    "VerifyConnection",
    "VerifyRegistrationCode",
    "VerifyWithoutMedium",
    "auto_connect",
    "certificate_status",
    "change_pin",
    "complete_registration",
    "current_crl",
    "disconnect_device",
    "init_service_ca",
    "is_service_crl",
    "issue_certificate",
    "my_certificate",
    "my_devices",
    "ocsp_response",
    "purge_unused",
    "registration_certificates",
    "reissue_certificate",
    "release_registration",
    "renew_certificate",
    "restore_certificate",
    "revoke_certificate",
    "revoke_my_device",
    "send_registration_code",
    "service_ca_certificates",
    "sign_message",
    "start_connection",
    "start_registration",
    "suspend_certificate",
    "verify_connection",
    "verify_registration_code",
    "verify_signed_message",
    "verify_without_medium",
]
