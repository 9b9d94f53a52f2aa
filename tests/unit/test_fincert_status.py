"""What the financial certificate service publishes about a certificate (F4/F5): the OCSP
responder answers from it, and institutions verifying a signature refuse on it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from netbank.domain.fincert import (
    CertificateStatus,
    PublishedReason,
    PublishedStatus,
    RevocationReason,
    published_status,
)
from tests.unit.test_fincert_rules import NOW, certificate

LATER = NOW + timedelta(days=40)


def test_no_certificate_is_unknown_and_a_valid_one_is_good() -> None:
    assert published_status(None, NOW) == PublishedStatus(known=False)
    assert published_status(certificate(), NOW) == PublishedStatus(known=True)


@pytest.mark.rule("F4", kind="refuse")
@pytest.mark.rule("F5", kind="refuse")
@pytest.mark.parametrize(
    ("reason", "published"),
    [
        (RevocationReason.REVOKED_BY_HOLDER, PublishedReason.CESSATION_OF_OPERATION),
        (RevocationReason.SUPERSEDED, PublishedReason.SUPERSEDED),
    ],
)
def test_a_revoked_certificate_is_revoked_since_then_with_its_reason(
    reason: RevocationReason, published: PublishedReason
) -> None:
    held = certificate()
    held.revoke(reason, NOW)
    assert published_status(held, LATER) == PublishedStatus(known=True, revoked_at=NOW, reason=published)


@pytest.mark.rule("F4", kind="refuse")
def test_a_suspension_is_a_hold_since_it_began_and_restoring_lifts_it() -> None:
    held = certificate()
    held.suspend(NOW)
    assert held.status is CertificateStatus.SUSPENDED
    expected = PublishedStatus(known=True, revoked_at=NOW, reason=PublishedReason.CERTIFICATE_HOLD)
    assert published_status(held, LATER) == expected
    held.restore(LATER)
    assert held.revoked_at is None and published_status(held, LATER) == PublishedStatus(known=True)
    # Revoked while on hold: revoked for good, since then.
    held.suspend(LATER)
    held.revoke(RevocationReason.REVOKED_BY_HOLDER, LATER + timedelta(hours=1))
    assert published_status(held, LATER + timedelta(days=1)).revoked_at == LATER + timedelta(hours=1)
