"""The choices the counter forms on the teller's customer page offer (value, catalog word),
shared by the customer page (``teller.py``) and the counter routes (``counter.py``)."""

from __future__ import annotations

from typing import Any

from netbank.domain.certificate import RevocationReason
from netbank.domain.enrolment import Version
from netbank.entrypoints.web.receipt_pdf import FLAG_WORDS

#: The choices the forms offer (value, word).
VERSIONS = [(Version.OTP.value, "web.version.otp"), (Version.CERTIFICATE.value, "web.version.certificate")]
LOSS_KINDS = [("verbal", "web.action.verbal"), ("written", "web.action.written"), ("pin", "web.action.pin")]
REVOCATION_REASONS = [
    (RevocationReason.KEY_COMPROMISE.value, "web.revocation.key_compromise"),
    (RevocationReason.AFFILIATION_CHANGED.value, "web.revocation.affiliation_changed"),
    (RevocationReason.SUPERSEDED.value, "web.revocation.superseded"),
    (RevocationReason.CESSATION_OF_OPERATION.value, "web.revocation.cessation_of_operation"),
    (RevocationReason.UNSPECIFIED.value, "web.revocation.unspecified"),
]


def counter_context(check_id: int | None, open_form: str = "") -> dict[str, Any]:
    """What ``counter_forms.html`` needs besides the customer and the check."""
    return {
        "versions": VERSIONS,
        "flags": list(FLAG_WORDS.items()),
        "loss_kinds": LOSS_KINDS,
        "reasons": REVOCATION_REASONS,
        "check_id": check_id,
        "open_form": open_form,
    }
