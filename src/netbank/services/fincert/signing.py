"""F7: the service signs with the holder's key, kept on its key store (F1), after the right PIN
(F5), at an institution where the certificate is registered: a CMS SignedData carrying the
purpose code. Institutions verify it as relying parties (``ca.verify_signed_message``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netbank.domain.errors import Code, NotFound
from netbank.domain.fincert import SignaturePurpose
from netbank.services.common import CustomerActor
from netbank.services.fincert.shared import audit, check_pin, service
from netbank.services.ports import Deps


@dataclass(frozen=True)
class SignedMessage:
    serial: str
    purpose: SignaturePurpose
    cms_der: bytes


@dataclass(frozen=True, kw_only=True)
class SignMessage:
    """F7: sign ``message`` for ``purpose`` with the certificate, proven with its PIN."""

    pin: str = field(repr=False)
    message: bytes
    purpose: SignaturePurpose


def sign_message(deps: Deps, actor: CustomerActor, command: SignMessage) -> SignedMessage:
    """F7: the service signs with the customer's key only after the right PIN, and only for an
    institution where the certificate is registered.

    The PIN check, its counter and the audit entry are committed before the token signs: they
    are durable whatever happens next, and the database's write lock is not held during the
    signature. Should the token then fail, a second audit entry says so."""
    adapters = service(deps)
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        found = uow.fincert.signing_certificate(actor.customer_id, actor.institution_id)
        if found is None:
            raise NotFound(Code.F4_NO_CERTIFICATE)
        certificate, registered = found
        if not registered:
            raise NotFound(Code.F4_NOT_REGISTERED)
        check_pin(deps, uow, certificate, command.pin, policy, now, actor.institution_code)
        audit(
            uow,
            actor.institution_code,
            now,
            actor.label,
            "signed",
            certificate,
            purpose=command.purpose.value,
        )
        uow.commit()
    try:
        cms = adapters.keys.sign_cms(
            certificate.key_ref,
            certificate.key_sealed,
            certificate.der,
            message=command.message,
            purpose=command.purpose,
        )
    except Exception:
        with deps.uow() as uow:
            audit(uow, actor.institution_code, deps.clock.now(), actor.label, "sign_failed", certificate)
            uow.commit()
        raise
    return SignedMessage(serial=certificate.serial, purpose=command.purpose, cms_der=cms)
